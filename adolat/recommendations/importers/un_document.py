"""The UN document itself (PDF, Word or plain text) where recommendations are numbered paragraphs,
as in the report of the UPR Working Group (A/HRC/19/3 on Tajikistan: 88.1-88.70, 89.1-89.4,
90.1-90.50, 91.1-91.4). A pure parser: it reads the document and returns what it finds as found
(state names, the symbol, the date); the common writer resolves names and writes.

How the document is read
- PDF through pypdf's text extraction. Page headers and footers (the symbol, page numbers,
  "GE.11-..." job numbers), footnote texts and footnote markers are left out: by font size where
  the PDF says it (footnotes and running heads are set smaller than the body, markers much
  smaller), and in any case by their shape. Lines are joined into paragraphs, so a paragraph may
  run over pages; a word broken at a line end keeps its hyphen unless the document elsewhere
  writes it whole ("imple-mentation" becomes "implementation", "non-discrimination" stays).
- Word (.docx) paragraph by paragraph, with numbers Word generates itself (list numbering such as
  "88.1.") put back in front of the text.
- Plain text in UTF-8 (with or without a byte-order mark), UTF-16 with its mark, or else Mac
  Roman (the encoding of the sample), with CR, LF or CRLF line ends.

What counts as a recommendation
- A group is a numbered paragraph ("88.") followed by its sub-paragraphs ("88.1", "88.1."). The
  group's introduction gives the position of every recommendation in it: "enjoy the support of"
  -> supported; "... which considers that they are already implemented" -> supported, with the
  State's claim in `position_note`; "will be examined by" -> pending; "did not enjoy the support
  of" / "noted" -> noted (also the Russian wording of these). Groups whose introduction names no
  position and whose paragraphs do not end with recommending states (the State's comments, the
  closing paragraphs) are not recommendations. Comments of the State on a recommendation
  ("Regarding recommendation No. 91.1, ...") are added to that recommendation's `position_note`.
- One paragraph may hold several recommendations, each ending with its recommending state(s) in
  parentheses and a semicolon: "... (Brazil); Extend ... (Spain);". Each becomes its own record
  with the paragraph's number; when a paragraph holds two or more, `cluster` is the paragraph
  number (a ready-made cluster of near-duplicates); a paragraph holding one has no cluster.
  Several states recommending together are written "(Czech Republic) (Switzerland)" or
  "(Belgium, France)": one record with every state. The text is stored without the states and
  the closing semicolon or full stop.
- Recommending states are returned as written ("USA", "United Kingdom of Great Britain and
  Northern Ireland", "Russian Federation"), without footnote markers ("Czech Republic 4" in the
  PDF of A/HRC/19/3 is "Czech Republic").

Problems (`ParsedFile.problems`, translated): an empty or unreadable file, no numbered
recommendations, a group whose introduction gives no position, numbers missing from a group's
sequence, a recommendation without recommending states. A problem's `where` is the paragraph
number as the document prints it ("88.1", "90" for a group's introduction, "" for the file), so
a recommendation with a problem is found by its `paragraph` (records.ParseProblem); such a
recommendation is still returned (with no states, say). The recommendation's own `where` is
the translated "para. 88.1, recommendation 2 of 4".

Options (all optional): `document` (the symbol when the document does not state it; the
document's own symbol wins and a different one given is reported), `country` (state under
review when the title does not say it), `session`, `language` ("en", "ru", "tg"; otherwise
guessed from the script), `mechanism` (default "UPR").
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from adolat.recommendations.models import Position

from .base import decode, normalise_line_ends, shorten
from .records import ParsedFile, ParsedRecommendation, ParseProblem

FORMAT = "un_document"
MECHANISM_CODE = "UPR"

# --- Recommending states in parentheses (also used by the OHCHR matrix parser) ------------------

# All-capital names that are states; other all-capital words in parentheses ("(CEDAW)") are not.
_STATE_ACRONYMS = {"USA", "US", "UK", "UAE", "DPRK", "DRC", "ROK", "RF"}
_FOOTNOTE_TAIL = re.compile(r"(?:\s+\d{1,3}|\*+|\s+)$")
_NAME_CONTINUATION = re.compile(r"^(?:the\s+)?[\w\s]*\bof(?:\s+the)?$", re.IGNORECASE)


def clean_state_name(name: str) -> str:
    """A state name without footnote markers ("Czech Republic 4", "Romania*") or extra spaces."""
    name = " ".join((name or "").split())
    previous = None
    while name and name != previous:
        previous = name
        name = _FOOTNOTE_TAIL.sub("", name).strip(" *")
    return name


def split_state_names(content: str) -> list[str]:
    """The states named in one pair of parentheses: "Brazil, Chile" -> ["Brazil", "Chile"];
    "Korea, Republic of" stays one name."""
    names: list[str] = []
    for part in re.split(r"[,;]", content):
        part = clean_state_name(part)
        if not part:
            continue
        if names and _NAME_CONTINUATION.match(part):
            names[-1] = f"{names[-1]}, {part}"
        else:
            names.append(part)
    return names


def looks_like_states(content: str) -> bool:
    """Whether the words in a pair of parentheses name states rather than something else: "(a)",
    "(2011)", "(CEDAW)" or "(see para. 12)" do not."""
    names = split_state_names(content)
    if not names:
        return False
    for name in names:
        if len(name) > 100 or any(ch.isdigit() for ch in name):
            return False
        if re.match(r"^the\s+\S", name):
            # "the former Yugoslav Republic of Macedonia", as UN documents long wrote it
            if not any(ch.isupper() for ch in name):
                return False
        elif not name[0].isalpha() or not name[0].isupper():
            return False
        if " " not in name and name.isupper() and name not in _STATE_ACRONYMS:
            return False
    return True


def _top_level_groups(text: str) -> list[tuple[int, int]]:
    """(start, end) of each outermost pair of parentheses; `end` is just after ")"."""
    groups, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char == "(":
            if depth == 0:
                start = index
            depth += 1
        elif char == ")" and depth:
            depth -= 1
            if depth == 0:
                groups.append((start, index + 1))
    return groups


@dataclass
class Piece:
    """One recommendation cut out of a paragraph or a cell."""

    text: str
    states: list[str] = field(default_factory=list)


def _state_run(text: str, groups: list[tuple[int, int]], last: int) -> tuple[int, list[str]] | None:
    """The run of state parentheses ending with group `last` (going back while only spaces lie
    between groups and each names states): (start of the run, states) or None."""
    states: list[str] = []
    index = last
    run_start = None
    while index >= 0:
        start, end = groups[index]
        if run_start is not None and text[end:run_start].strip():
            break
        content = text[start + 1 : end - 1]
        if not looks_like_states(content):
            break
        states[:0] = split_state_names(content)
        run_start = start
        index -= 1
    return (run_start, states) if run_start is not None else None


def trailing_states(text: str) -> tuple[str, list[str]]:
    """A text ending with its recommending state(s) in parentheses, as one recommendation:
    (the text before the states, the states). The text is returned untouched but for the states
    and the closing semicolon or full stop; (text, []) when it ends with no states."""
    stripped = re.sub(r"[\s;.,]+$", "", text or "")
    groups = _top_level_groups(stripped)
    if groups and groups[-1][1] == len(stripped):
        run = _state_run(stripped, groups, len(groups) - 1)
        if run is not None:
            return stripped[: run[0]].rstrip(" \n;,:"), run[1]
    return (text or "").rstrip(" \n;"), []


def split_recommendations(text: str) -> list[Piece]:
    """Cut a paragraph into its recommendations. Each ends with its recommending state(s) in
    parentheses, followed by a semicolon or full stop and then the next recommendation (starting
    with a capital letter) or the end. Text after the last states becomes a piece without states.
    """
    text = text or ""
    groups = _top_level_groups(text)
    pieces: list[Piece] = []
    position = 0
    for number, (_start, end) in enumerate(groups):
        if end <= position:
            continue
        tail = re.match(r"\s*([;.])?\s*", text[end:])
        after = end + tail.end()
        at_end = after >= len(text)
        if not at_end:
            # More follows: only a separator and a new sentence make this the end of one.
            if not tail.group(1) or not (text[after].isupper() or text[after] in "\"“'‘«"):
                continue
            if number + 1 < len(groups) and groups[number + 1][0] == after:
                continue  # "(Brazil) (Chile)": the run goes on
        run = _state_run(text, groups, number)
        if run is None:
            continue
        run_start, states = run
        body = _clean_text(text[position:run_start])
        pieces.append(Piece(text=body, states=states))
        position = after
    rest = _clean_text(text[position:])
    if any(ch.isalpha() for ch in rest):
        pieces.append(Piece(text=rest))
    return pieces


def _clean_text(text: str) -> str:
    """One recommendation's words: spaces collapsed, separators trimmed at both ends."""
    return " ".join(text.split()).strip(" ;,:").rstrip(".").rstrip()


# --- Reading the file into lines -----------------------------------------------------------------


class UnreadableFile(Exception):
    """The file is not what its signature says (a broken PDF or Word file)."""


@dataclass
class _Source:
    lines: list[str]  # body text, line by line (a PDF line or a Word/text paragraph)
    front: str  # the first page as found, for the symbol, title and date
    kind: str  # "pdf", "docx", "text"


def _kind(data: bytes, filename: str) -> str:
    if data.startswith(b"%PDF") or (data[:1024].find(b"%PDF-") >= 0 and filename.lower().endswith(".pdf")):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return "docx"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "doc"
    return "text"


def _read(data: bytes, filename: str) -> _Source:
    kind = _kind(data, filename)
    if kind == "pdf":
        return _read_pdf(data)
    if kind == "doc":
        raise UnreadableFile(_("this is an old Word document (.doc); save it as .docx or PDF"))
    if kind == "docx":
        return _read_docx(data)
    lines = normalise_line_ends(decode(data)).split("\n")
    return _Source(lines=lines, front="\n".join(_front_lines(lines)), kind="text")


def _front_lines(lines: list[str]) -> list[str]:
    """The lines before the first numbered paragraph (at most 80): the cover page."""
    front = []
    for line in lines[:80]:
        if re.match(r"^\s*1\.\s+\S", line):
            break
        front.append(line)
    return front


def _effective_size(cm, tm, font_size) -> float | None:
    try:
        size = (
            float(font_size) * math.hypot(float(tm[2]), float(tm[3])) * math.hypot(float(cm[2]), float(cm[3]))
        )
    except (TypeError, ValueError, IndexError):
        return None
    return round(size, 2) if math.isfinite(size) and size > 0 else None


def _read_pdf(data: bytes) -> _Source:
    import pypdf

    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            reader.decrypt("")
        pages: list[list[tuple[str, float | None]]] = []
        raw_pages: list[str] = []
        for page in reader.pages:
            runs: list[tuple[str, float | None]] = []

            def visit(text, cm, tm, font_dict, font_size, runs=runs):
                runs.append((text, _effective_size(cm, tm, font_size)))

            raw_pages.append(page.extract_text(visitor_text=visit) or "")
            pages.append(runs)
    except Exception as error:  # pypdf raises many kinds of errors on damaged files
        raise UnreadableFile(str(error)) from error

    weights: Counter = Counter()
    for runs in pages:
        for text, size in runs:
            if size:
                weights[size] += sum(1 for ch in text if not ch.isspace())
    body = weights.most_common(1)[0][0] if weights else None

    lines: list[str] = []
    for runs in pages:
        lines.extend(_pdf_lines(runs, body))
    front = normalise_line_ends(raw_pages[0]) if raw_pages else ""
    return _Source(lines=lines, front=front, kind="pdf")


def _pdf_lines(runs: list[tuple[str, float | None]], body: float | None) -> list[str]:
    """A page's lines without running heads, footnotes (set smaller than the body) and footnote
    markers (much smaller)."""
    lines: list[list[tuple[str, float | None]]] = [[]]
    for text, size in runs:
        parts = normalise_line_ends(text).split("\n")
        for number, part in enumerate(parts):
            if number:
                lines.append([])
            if part:
                lines[-1].append((part, size))
    out = []
    for chunks in lines:
        if body:
            sized = [(t, s) for t, s in chunks if t.strip()]
            if sized and all(s is not None and s < body * 0.93 for _t, s in sized):
                continue  # a running head, page number or footnote text
            text = "".join(
                t if s is None or s >= body * 0.75 else (" " if any(c.isspace() for c in t) else "")
                for t, s in chunks
            )
        else:
            text = "".join(t for t, _s in chunks)
        out.append(text)
    return out


def _read_docx(data: bytes) -> _Source:
    try:
        import docx
        from docx.oxml.ns import qn
        from docx.text.paragraph import Paragraph

        document = docx.Document(io.BytesIO(data))
        numbering = _WordNumbering(document)
        lines = []
        for element in document.element.body.iter(qn("w:p")):
            paragraph = Paragraph(element, document._body)
            text = paragraph.text
            label = numbering.label(paragraph)
            if label:
                text = f"{label} {text.lstrip()}"
            lines.extend(normalise_line_ends(text).split("\n"))
        header_lines = []
        for section in document.sections:
            for part in (section.first_page_header, section.header):
                if part.is_linked_to_previous:
                    continue
                header_lines.extend(p.text for p in part.paragraphs)
    except UnreadableFile:
        raise
    except Exception as error:  # a damaged or foreign zip: python-docx raises many kinds
        raise UnreadableFile(str(error)) from error
    front = "\n".join([*header_lines, *_front_lines(lines)])
    return _Source(lines=lines, front=front, kind="docx")


class _WordNumbering:
    """Numbers Word writes itself in front of list paragraphs ("88.1."), rebuilt from the
    numbering definitions for decimal, letter and roman formats. Counters are kept per abstract
    list, so several list instances continuing one list count on; an instance with a start
    override restarts."""

    def __init__(self, document) -> None:
        from docx.oxml.ns import qn

        self._qn = qn
        self.instances: dict[str, tuple[str, dict[int, list]]] = {}
        self.counters: dict[str, dict[int, int]] = {}
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        abstracts: dict[str, dict[int, list]] = {}
        for abstract in root.findall(qn("w:abstractNum")):
            levels = {}
            for level in abstract.findall(qn("w:lvl")):
                levels[self._int(level.get(qn("w:ilvl")), 0)] = [
                    self._int(self._val(level, "w:start"), 1),
                    self._val(level, "w:numFmt") or "decimal",
                    self._val(level, "w:lvlText") or "",
                ]
            abstracts[abstract.get(qn("w:abstractNumId"))] = levels
        for num in root.findall(qn("w:num")):
            abstract_id = self._val(num, "w:abstractNumId")
            levels = {k: list(v) for k, v in abstracts.get(abstract_id, {}).items()}
            overrides = False
            for override in num.findall(qn("w:lvlOverride")):
                start = override.find(qn("w:startOverride"))
                level = self._int(override.get(qn("w:ilvl")), 0)
                if start is not None and level in levels:
                    levels[level][0] = self._int(start.get(qn("w:val")), 1)
                    overrides = True
            key = f"{abstract_id}#{num.get(qn('w:numId'))}" if overrides else str(abstract_id)
            self.instances[num.get(qn("w:numId"))] = (key, levels)

    @staticmethod
    def _int(value, default: int) -> int:
        try:
            return int(value)
        except (TypeError, ValueError):
            return default

    def _val(self, element, tag: str) -> str | None:
        child = element.find(self._qn(tag))
        return child.get(self._qn("w:val")) if child is not None else None

    def _num_pr(self, paragraph) -> tuple[str | None, int]:
        qn = self._qn
        ppr = paragraph._p.pPr
        num_pr = ppr.find(qn("w:numPr")) if ppr is not None else None
        style = paragraph.style if num_pr is None else None
        depth = 0
        while num_pr is None and style is not None and depth < 10:
            style_ppr = style.element.find(qn("w:pPr"))
            num_pr = style_ppr.find(qn("w:numPr")) if style_ppr is not None else None
            style = style.base_style
            depth += 1
        if num_pr is None:
            return None, 0
        return self._val(num_pr, "w:numId"), self._int(self._val(num_pr, "w:ilvl"), 0)

    def label(self, paragraph) -> str:
        if not self.instances:
            return ""
        try:
            num_id, level = self._num_pr(paragraph)
        except (AttributeError, KeyError, ValueError):
            return ""
        if not num_id or num_id == "0" or num_id not in self.instances:
            return ""
        key, levels = self.instances[num_id]
        if level not in levels:
            return ""
        counters = self.counters.setdefault(key, {})
        counters[level] = counters[level] + 1 if level in counters else levels[level][0]
        for deeper in [k for k in counters if k > level]:
            del counters[deeper]
        start, fmt, pattern = levels[level]
        if fmt in ("bullet", "none") or not pattern:
            return ""

        def render(match: re.Match) -> str:
            ref = int(match.group(1)) - 1
            value = counters.get(ref, levels.get(ref, [1])[0])
            return _format_number(value, levels.get(ref, [1, "decimal"])[1])

        return re.sub(r"%([1-9])", render, pattern).strip()


def _format_number(value: int, fmt: str) -> str:
    if fmt in ("lowerLetter", "upperLetter"):
        letters = ""
        n = max(value, 1)
        while n:
            n, rest = divmod(n - 1, 26)
            letters = chr(ord("a") + rest) + letters
        return letters if fmt == "lowerLetter" else letters.upper()
    if fmt in ("lowerRoman", "upperRoman"):
        numerals = (
            (1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
            (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"),
        )  # fmt: skip
        n, roman = max(value, 1), ""
        for amount, numeral in numerals:
            while n >= amount:
                roman += numeral
                n -= amount
        return roman if fmt == "lowerRoman" else roman.upper()
    if fmt == "decimalZero":
        return f"{value:02d}"
    return str(value)


# --- Lines into paragraphs -----------------------------------------------------------------------

_SYMBOL = re.compile(r"\b([A-Z]{1,8}(?:/[A-Z0-9][A-Za-z0-9.\-]*){2,})")
_SYMBOL_LINE = re.compile(r"^[A-Z]{1,8}(?:/[A-Z0-9][A-Za-z0-9.\-]*){2,}$")
_PAGE_NUMBER = re.compile(r"^\d{1,3}$")
_JOB_NUMBER = re.compile(r"^GE\.\d{2}-\d{3,}")
_FOOTNOTE_LINE = re.compile(r"^\*+\s*\S")
_TOP = re.compile(r"^(\d{1,3})\.\s+(\S.*)$")
_SUB = re.compile(r"^(\d{1,3})\.(\d{1,3})(?:\.(?!\d)|\s*\))?\s+(\S.*)$")
_NUMBER_ALONE = re.compile(r"^(\d{1,3})(?:\.(\d{1,3}))?\.?$")
_HEADING = re.compile(
    r"^(?:[IVXLC]+\.\s+\S|[A-H]\.\s+[A-Z]|(?:Annex|Annexe|Appendix|Contents|Приложение|Содержание)\b|[•·▪]\s*)"
)


def _is_noise(line: str) -> bool:
    """Running heads and footers met in UN documents, and footnote texts."""
    stripped = line.strip()
    return bool(
        _SYMBOL_LINE.match(stripped)
        or _PAGE_NUMBER.match(stripped)
        or _JOB_NUMBER.match(stripped)
        or _FOOTNOTE_LINE.match(stripped)
        or stripped.casefold() in ("please recycle", "please recycle ♲")
    )


_WORD = re.compile(r"[^\W\d_]+")


def _join(left: str, right: str, words: set[str]) -> str:
    """Join two lines of one paragraph, undoing a line-end hyphenation only where the document
    writes the word whole elsewhere."""
    if not left:
        return right
    if left.endswith("\u00ad"):
        return left[:-1] + right
    if left.endswith(("-", "\u2010")) and len(left) > 1 and left[-2].isalpha() and right[:1].islower():
        head = _WORD.findall(left[:-1])
        tail = _WORD.findall(right)
        if head and tail and (head[-1] + tail[0]).casefold() in words:
            return left[:-1] + right
        return left + right
    if left.endswith(("–", "—")) and right[:1].isdigit() and left[-2:-1].isdigit():
        return left + right
    return f"{left} {right}"


@dataclass
class _Block:
    kind: str  # "top", "sub", "other"
    number: str  # "88", "88.1", ""
    group: int | None
    index: int | None
    lines: list[str] = field(default_factory=list)
    text: str = ""


def _blocks(lines: list[str]) -> list[_Block]:
    """Numbered paragraphs ("88.", "88.1.") and the other text between them. A sub-paragraph
    number is taken as one only inside its group ("88.1" after "88.") and counting up, and a
    paragraph number only counting up, so a line that happens to start with a number ("2011 are
    ...", "3.5 per cent") stays part of its paragraph. A number alone on its line numbers the
    next line."""
    cleaned = []
    for line in lines:
        if _is_noise(line):
            continue
        line = re.sub(r"\*+\s*$", "", line.replace("\t", " ").replace("\u00a0", " ")).strip()
        if line:
            cleaned.append(line)
    words = {w.casefold() for line in cleaned for w in _WORD.findall(line)}

    blocks: list[_Block] = []
    current = _Block("other", "", None, None)
    top: int | None = None
    last_sub = 0
    pending: tuple[str, int, int | None] | None = None  # a number alone on its line
    ended = True  # the line before ended a sentence
    for line in cleaned:
        alone = _NUMBER_ALONE.match(line)
        if alone and (alone.group(2) or line.endswith(".")):
            group, index = int(alone.group(1)), int(alone.group(2)) if alone.group(2) else None
            if index is not None and _sub_fits(group, index, top, last_sub):
                pending = ("sub", group, index)
                continue
            if index is None and _top_fits(group, top, last_sub):
                pending = ("top", group, None)
                continue
        sub = _SUB.match(line)
        top_match = _TOP.match(line)
        new: _Block | None = None
        if pending:
            kind, group, index = pending
            pending = None
            new = _Block(kind, f"{group}.{index}" if index else str(group), group, index, [line])
        elif sub and _sub_fits(int(sub.group(1)), int(sub.group(2)), top, last_sub):
            group, index = int(sub.group(1)), int(sub.group(2))
            new = _Block("sub", f"{group}.{index}", group, index, [sub.group(3)])
        elif top_match and _top_fits(int(top_match.group(1)), top, last_sub):
            number = int(top_match.group(1))
            new = _Block("top", str(number), number, None, [top_match.group(2)])
        elif _HEADING.match(line) and (ended or line[0] in "•·▪"):
            # A heading ("II. Conclusions", "Annex") never cuts a sentence: a wrapped line of a
            # paragraph that happens to start with "A. " stays in it.
            new = _Block("other", "", None, None, [line])
        ended = line.endswith((".", ":", ";", ")", "!", "?"))
        if new is None:
            current.lines.append(line)
            continue
        blocks.append(current)
        current = new
        if new.kind == "sub":
            if new.group != top:
                top = new.group
            last_sub = new.index or 0
        elif new.kind == "top":
            top = new.group
            last_sub = 0
    blocks.append(current)

    for block in blocks:
        text = ""
        for line in block.lines:
            text = _join(text, line, words)
        block.text = " ".join(text.split())
    return [b for b in blocks if b.text or b.kind != "other"]


def _top_fits(number: int, top: int | None, last_sub: int) -> bool:
    """Paragraph numbers count up; right after a group's sub-paragraphs only the next few numbers
    are taken, so a line of a recommendation starting with "15. " does not end the group."""
    if top is None:
        return True
    return number > top and (last_sub == 0 or number <= top + 3)


def _sub_fits(group: int, index: int, top: int | None, last_sub: int) -> bool:
    if top is not None and group == top:
        return last_sub < index <= last_sub + 20
    # A group whose introduction was not found: only a first sub-paragraph opens it.
    return index == 1 and (top is None or group > top)


# --- Group introductions --------------------------------------------------------------------------

_NOTED = re.compile(
    r"\b(?:did|do|does|has|have)\s+not\s+(?:enjoy|enjoyed|receive|received)\s+(?:the\s+)?support"
    r"|\bnot\s+enjoy\s+the\s+support|\bnoted\b|\bnot\s+(?:been\s+)?(?:supported|accepted)\b|\brejected\b"
    r"|не\s+(?:пользуются|пользовались|получили)\s+(?:его\s+|ее\s+|её\s+)?поддержк"
    r"|принят[ыа]?\s+к\s+сведению|принял[аи]?\s+к\s+сведению|не\s+поддерж",
    re.IGNORECASE,
)
_IMPLEMENTED = re.compile(
    r"already\s+(?:been\s+)?implemented|уже\s+(?:выполнены|осуществлены|осуществляются|выполняются|реализованы)",
    re.IGNORECASE,
)
_IN_PROCESS = re.compile(r"in\s+the\s+process\s+of\s+(?:being\s+)?implement|в\s+процессе", re.IGNORECASE)
_PENDING = re.compile(
    r"\bwill\s+(?:be\s+)?(?:examined|examine|considered|consider|studied|study)\b"
    r"|\bwill\s+provide\s+(?:its\s+|their\s+)?responses?\b|\bto\s+be\s+examined\b"
    r"|будут\s+(?:рассмотрены|изучены)|рассмотрит|изучит",
    re.IGNORECASE,
)
_IN_PART = re.compile(r"\bin\s+part\b|\bpartially\b|\bpartly\b|частично", re.IGNORECASE)
_SUPPORTED = re.compile(
    r"\benjoy(?:s|ed)?\s+(?:the\s+)?support\b|\bsupported\b|\bsupports\b|\baccepted\b|\baccepts\b"
    r"|пользуются\s+(?:его\s+|ее\s+|её\s+)?поддержк|поддерживает|поддержаны|приняты",
    re.IGNORECASE,
)
_MENTIONS_RECOMMENDATIONS = re.compile(r"recommendation|рекомендац|тавсия", re.IGNORECASE)


@dataclass
class _Introduction:
    position: str | None
    implemented: str = ""  # "", "implemented", "in_process"
    recommendations: bool = False  # the introduction speaks of recommendations


def classify_introduction(text: str) -> _Introduction:
    """The position a group's introduction gives to its recommendations."""
    text = " ".join((text or "").split())
    mentions = bool(_MENTIONS_RECOMMENDATIONS.search(text))
    if _NOTED.search(text):
        return _Introduction(Position.NOTED.value, recommendations=mentions)
    if _IMPLEMENTED.search(text):
        claim = "in_process" if _IN_PROCESS.search(text) else "implemented"
        return _Introduction(Position.SUPPORTED.value, claim, recommendations=mentions)
    if _PENDING.search(text):
        return _Introduction(Position.PENDING.value, recommendations=mentions)
    if _SUPPORTED.search(text):
        position = Position.SUPPORTED_IN_PART if _IN_PART.search(text) else Position.SUPPORTED
        return _Introduction(position.value, recommendations=mentions)
    return _Introduction(None, recommendations=mentions)


# --- The cover page --------------------------------------------------------------------------------

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "января", "январь"),
            ("february", "февраля", "февраль"),
            ("march", "марта", "март"),
            ("april", "апреля", "апрель"),
            ("may", "мая", "май"),
            ("june", "июня", "июнь"),
            ("july", "июля", "июль"),
            ("august", "августа", "август"),
            ("september", "сентября", "сентябрь"),
            ("october", "октября", "октябрь"),
            ("november", "ноября", "ноябрь"),
            ("december", "декабря", "декабрь"),
        ),
        start=1,
    )
    for name in names
}
_DATE = re.compile(r"\b(\d{1,2})\s+([^\W\d_]{3,9})\s+(\d{4})\b")

_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50,
    "sixtieth": 60, "seventieth": 70, "eightieth": 80, "ninetieth": 90,
}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80}


def ordinal_number(words: str) -> int | None:
    """ "twelfth" -> 12, "forty-eighth" -> 48, "48th" -> 48."""
    words = words.casefold().strip()
    match = re.fullmatch(r"(\d{1,3})(?:st|nd|rd|th)?", words)
    if match:
        return int(match.group(1))
    if words in _ORDINALS:
        return _ORDINALS[words]
    match = re.fullmatch(r"([a-z]+)[\s\-‑–]+([a-z]+)", words)
    if match and match.group(1) in _TENS and _ORDINALS.get(match.group(2), 10) < 10:
        return _TENS[match.group(1)] + _ORDINALS[match.group(2)]
    return None


def upr_cycle(session: int) -> int:
    """UPR cycles: 1 = sessions 1-12, 2 = 13-26, 3 = 27-40, 4 = 41-54 (14 sessions each after the
    first), as the UPR Info importer counts them."""
    return 1 if session <= 12 else 2 + (session - 13) // 14


@dataclass
class _Cover:
    symbol: str = ""
    date: dt.date | None = None
    state: str = ""
    title: str = ""
    session: str = ""


def find_date(text: str) -> dt.date | None:
    for match in _DATE.finditer(text or ""):
        month = _MONTHS.get(match.group(2).casefold())
        if month:
            try:
                return dt.date(int(match.group(3)), month, int(match.group(1)))
            except ValueError:
                continue
    return None


def _read_cover(source: _Source, body: str) -> _Cover:
    cover = _Cover()
    front = source.front
    for match in _SYMBOL.finditer(front):
        if front[max(0, match.start() - 1) : match.start()] == "(":
            continue  # a document referred to, such as "(A/HRC/WG.6/12/TJK/1)"
        cover.symbol = match.group(1).rstrip(".-")
        break
    cover.date = find_date(front)

    lines = [
        re.sub(r"\*+\s*$", "", line).strip()
        for line in front.split("\n")
        if line.strip() and not _FOOTNOTE_LINE.match(line.strip())
    ]
    title_end = None
    for index, line in enumerate(lines):
        joined = " ".join(lines[max(0, index - 2) : index + 1])
        if re.search(r"periodic\s+review\s*$|периодическому\s+обзору\s*$", line, re.IGNORECASE) and re.search(
            r"report\s+of\s+the\s+working\s+group|доклад\s+рабочей\s+группы", joined, re.IGNORECASE
        ):
            title_end = index
            break
    if title_end is not None:
        title_start = title_end
        while title_start > 0 and not re.search(r"^report|^доклад", lines[title_start], re.IGNORECASE):
            title_start -= 1
        cover.title = " ".join(" ".join(lines[title_start : title_end + 1]).split())
        if title_end + 1 < len(lines):
            candidate = lines[title_end + 1]
            if _looks_like_state_name(candidate):
                cover.state = candidate
    if not cover.state:
        match = re.search(r"\b[Tt]he\s+review\s+of\s+([A-Z][\w'’ \-()]{1,60}?)\s+was\s+held\b", body)
        if match:
            cover.state = match.group(1).strip()

    match = re.search(r"\bheld\s+its\s+([\w\-‑–]+(?:\s+[\w]+)?)\s+session\b", body, re.IGNORECASE)
    if match:
        words = match.group(1)
        number = ordinal_number(words) or ordinal_number(words.split()[-1])
        if number:
            cover.session = str(number)
    return cover


def _looks_like_state_name(text: str) -> bool:
    text = text.strip()
    if not text or len(text) > 60 or any(ch.isdigit() for ch in text):
        return False
    if re.match(r"^(contents|содержание|addendum|добавление|introduction|введение)\b", text, re.IGNORECASE):
        return False
    return text[0].isalpha() and text[0].isupper()


def detect_language(text: str) -> str:
    """ "tg" when Tajik letters appear, "ru" for other Cyrillic text, "en" otherwise."""
    cyrillic = latin = tajik = 0
    for char in text:
        if char in "ҳҷқғӯӣҲҶҚҒӮӢ":
            tajik += 1
        if "\u0400" <= char <= "\u04ff":
            cyrillic += 1
        elif char.isascii() and char.isalpha():
            latin += 1
    if cyrillic > latin:
        return "tg" if tajik * 200 > cyrillic else "ru"
    return "en"


# --- The State's comments on single recommendations -------------------------------------------

_COMMENT = re.compile(
    r"\b(?:regarding|concerning|with\s+regard\s+to|as\s+regards|in\s+relation\s+to)\s+(?:the\s+)?"
    r"recommendation\s+(?:No\.?\s*)?(\d{1,3}\.\d{1,3})\b",
    re.IGNORECASE,
)


def _state_comments(text: str) -> dict[str, str]:
    """{"91.1": "Regarding the recommendation No. 91.1, the Law ... children"}."""
    comments: dict[str, str] = {}
    matches = list(_COMMENT.finditer(text))
    for number, match in enumerate(matches):
        end = matches[number + 1].start() if number + 1 < len(matches) else len(text)
        comment = text[match.start() : end]
        comment = re.sub(r"[;.,]?\s*\d{1,2}\.?\s*$", "", comment.strip()).rstrip(" ;.")
        comments.setdefault(match.group(1), comment)
    return comments


# --- Parsing ------------------------------------------------------------------------------------


def _problem(where: str, column: str, value: str, message: str) -> ParseProblem:
    return ParseProblem(where=where, column=column, value=shorten(value), message=message)


def _para_where(number: str) -> str:
    return _("para. %(paragraph)s") % {"paragraph": number}


def parse(data: bytes, *, filename: str = "", options: dict | None = None) -> ParsedFile:
    """Read a UN document with numbered recommendation paragraphs. Never raises for what the file
    holds: what cannot be read is reported in `problems`."""
    options = options or {}
    result = ParsedFile(format=FORMAT)
    file_where = ""  # the file as a whole
    if not data or not data.strip():
        result.problems.append(_problem(file_where, "", filename, _("The file is empty.")))
        return result
    try:
        source = _read(bytes(data), filename)
    except UnreadableFile as error:
        kind = _kind(bytes(data), filename)
        message = (
            _("The PDF document could not be read (%(error)s).")
            if kind == "pdf"
            else _("The Word document could not be read (%(error)s).")
        )
        result.problems.append(
            _problem(file_where, "", filename, message % {"error": shorten(str(error), 120)})
        )
        return result

    if source.kind == "pdf" and not any(line.strip() for line in source.lines):
        result.problems.append(
            _problem(
                file_where,
                "",
                filename,
                _("The PDF holds no text (is it a scan?): it needs text recognition (OCR) first."),
            )
        )
        return result
    blocks = _blocks(source.lines)
    body = " ".join(b.text for b in blocks[:12])
    cover = _read_cover(source, body)
    _describe_document(result, cover, options, file_where)

    groups = _groups(blocks)
    recommendation_groups = []
    comments: dict[str, str] = {}
    introductions = {id(top) for top, _subs in groups if top is not None}
    for top, subs in groups:
        intro = classify_introduction(top.text if top else "")
        with_states = sum(1 for s in subs if any(p.states for p in split_recommendations(s.text)))
        mostly_states = with_states * 2 >= len(subs)
        if (intro.position is not None and (intro.recommendations or mostly_states)) or (
            mostly_states and (intro.recommendations or top is None)
        ):
            recommendation_groups.append((top, subs, intro))
        else:  # the State's comments, closing paragraphs
            for block in ([top] if top else []) + subs:
                comments.update(_state_comments(block.text))
    for block in blocks:
        if block.kind == "other" or (block.kind == "top" and id(block) not in introductions):
            comments.update(_state_comments(block.text))

    if not recommendation_groups:
        result.problems.append(
            _problem(
                file_where,
                _("paragraph number"),
                filename,
                _(
                    "No numbered recommendations (paragraphs such as 88.1 under an introduction such "
                    "as “The following recommendations enjoy the support of …”) were found in this "
                    "document."
                ),
            )
        )
        return result

    language = options.get("language") or detect_language(
        " ".join(s.text for _t, subs, _i in recommendation_groups for s in subs)[:20000]
    )
    for top, subs, intro in recommendation_groups:
        _read_group(result, top, subs, intro, cover, options, language, comments)
    return result


def _describe_document(result: ParsedFile, cover: _Cover, options: dict, file_where: str) -> None:
    given = (options.get("document") or "").strip()
    result.document_symbol = cover.symbol or given
    if cover.symbol and given and given.casefold() != cover.symbol.casefold():
        result.problems.append(
            _problem(
                file_where,
                _("document symbol"),
                given,
                _("The document names itself %(found)s, not %(given)s; %(found)s is used.")
                % {"found": cover.symbol, "given": given},
            )
        )
    result.document_date = cover.date
    state = cover.state or (options.get("country") or "")
    if cover.title:
        result.document_title = f"{cover.title} — {state}" if state else cover.title
    cover.state = state
    cover.session = cover.session or str(options.get("session") or "")


def _groups(blocks: list[_Block]) -> list[tuple[_Block | None, list[_Block]]]:
    """Each run of sub-paragraphs of one group with the group's introduction (None when the
    document has no such numbered paragraph), in document order."""
    groups: list[tuple[_Block | None, list[_Block]]] = []
    tops: dict[int, _Block] = {}
    for block in blocks:
        if block.kind == "top":
            tops[block.group] = block
        elif block.kind == "sub":
            if groups and groups[-1][1][-1].group == block.group:
                groups[-1][1].append(block)
            else:
                groups.append((tops.get(block.group), [block]))
    return groups


def _read_group(
    result: ParsedFile,
    top: _Block | None,
    subs: list[_Block],
    intro: _Introduction,
    cover: _Cover,
    options: dict,
    language: str,
    comments: dict[str, str],
) -> None:
    group_number = str(subs[0].group)
    group_where = top.number if top else group_number  # a problem names the paragraph number
    if intro.position is None:
        result.problems.append(
            _problem(
                group_where,
                _("position"),
                top.text if top else "",
                _(
                    "The introduction of this group does not say whether the State under review "
                    "supports, will examine or notes its recommendations; they are read without a "
                    "position."
                ),
            )
        )
    expected = subs[0].index or 1
    if expected != 1:
        result.problems.append(
            _missing_problem(group_where, group_number, 1, expected - 1),
        )
    previous = subs[0].index or 1
    for sub in subs[1:]:
        if sub.index and sub.index > previous + 1:
            result.problems.append(_missing_problem(group_where, group_number, previous + 1, sub.index - 1))
        previous = sub.index or previous

    note = ""
    if intro.implemented:
        who = cover.state or _("The State under review")
        if intro.implemented == "in_process":
            note = _("%(state)s considers this recommendation already implemented or being implemented.")
        else:
            note = _("%(state)s considers this recommendation already implemented.")
        note = note % {"state": who}

    mechanism = options.get("mechanism") or MECHANISM_CODE
    session = cover.session
    cycle = None
    if options.get("cycle"):
        try:
            cycle = int(options["cycle"])
        except (TypeError, ValueError):
            cycle = None
    elif session.isdigit():
        cycle = upr_cycle(int(session))

    for sub in subs:
        pieces = split_recommendations(sub.text)
        if not pieces:
            result.problems.append(
                _problem(
                    sub.number,
                    _("text"),
                    sub.text,
                    _("The paragraph holds no recommendation text."),
                )
            )
            continue
        for number, piece in enumerate(pieces, start=1):
            if len(pieces) == 1:
                where = _para_where(sub.number)
            else:
                where = _("para. %(paragraph)s, recommendation %(number)s of %(count)s") % {
                    "paragraph": sub.number,
                    "number": number,
                    "count": len(pieces),
                }
            if not piece.text:
                result.problems.append(
                    _problem(
                        sub.number,
                        _("text"),
                        sub.text,
                        _("The recommendation has no text before its states."),
                    )
                )
                continue
            if not piece.states:
                result.problems.append(
                    _problem(
                        sub.number,
                        _("recommending states"),
                        piece.text,
                        _(
                            "No recommending state was found: a recommendation ends with the "
                            "recommending state(s) in parentheses, as in “(Brazil);”."
                        ),
                    )
                )
            position_note = note
            comment = comments.get(sub.number)
            if comment:
                prefix = _("Comment of the State under review: %(comment)s") % {"comment": comment}
                position_note = f"{position_note} {prefix}".strip()
            result.recommendations.append(
                ParsedRecommendation(
                    where=where,
                    text=piece.text,
                    language=language,
                    paragraph=sub.number,
                    recommending_states=piece.states,
                    state_under_review=cover.state,
                    position=intro.position,
                    position_note=position_note,
                    mechanism=mechanism,
                    document_symbol=result.document_symbol,
                    session=session,
                    cycle=cycle,
                    date=cover.date,
                    cluster=sub.number if len(pieces) > 1 else "",
                )
            )


def _missing_problem(where: str, group: str, first: int, last: int) -> ParseProblem:
    numbers = f"{group}.{first}" if first == last else f"{group}.{first}–{group}.{last}"
    return _problem(
        where,
        _("paragraph number"),
        numbers,
        _("Paragraph(s) %(numbers)s were not found: the document may be damaged or not fully readable.")
        % {"numbers": numbers},
    )


def normalise_for_comparison(text: str) -> str:
    """Lower case letters and digits only: how tests compare texts from different sources."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return " ".join(re.sub(r"[^\w]+", " ", text).split())
