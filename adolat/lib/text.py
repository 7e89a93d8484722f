"""Text folding shared by the search index and search queries.

Tajik is often typed on Russian keyboards, so ҳ қ ҷ ғ ӣ ӯ are folded onto х к ч г и у (and ё onto е)
on both sides: a query with either spelling finds either. Case and accents are folded too.
"""

import functools
import re
import unicodedata

# (Tajik letter, the Russian keyboard's letter); str.replace per letter present beats str.translate.
_FOLD = (
    ("ҳ", "х"),
    ("қ", "к"),
    ("ҷ", "ч"),
    ("ғ", "г"),
    ("ӣ", "и"),
    ("ӯ", "у"),
    ("ё", "е"),
    ("ә", "а"),
    ("ӏ", ""),
)
_WORD = re.compile(r"\w+", re.UNICODE)


def fold(text: str) -> str:
    """Lower-case, strip accents (keeping Cyrillic letters whole) and fold Tajik letters."""
    text = (text or "").lower()
    if text.isascii() and "\x00" not in text:
        return text  # nothing to translate, decompose or strip
    for letter, folded in _FOLD:
        if letter in text:
            text = text.replace(letter, folded)
    # NFD then drop combining marks: é → e. Cyrillic й would lose its breve, so protect it.
    text = text.replace("й", "\x00")
    text = unicodedata.normalize("NFD", text)
    # Delete the combining marks: one str.replace per distinct mark (str.translate is slower).
    for mark in [c for c in set(text) if unicodedata.combining(c)]:
        text = text.replace(mark, "")
    return unicodedata.normalize("NFC", text).replace("\x00", "й")


def fold_joined(text: str, repeated: str) -> str:
    """fold(f"{text} {repeated}") (either may be empty, then no space), with `repeated` folded once
    for all the texts it follows: the recommending states' names of a search document, which
    imports repeat on thousands of records. Folding is done character by character except for
    case (a final sigma) and accents, and a space between two texts stops both, so the parts fold
    apart as they do together (tested)."""
    if not repeated:
        return fold(text)
    if not text:
        return _fold_repeated(repeated)
    return f"{fold(text)} {_fold_repeated(repeated)}"


@functools.lru_cache(maxsize=4096)
def _fold_repeated(text: str) -> str:
    return fold(text)


def words(text: str) -> list[str]:
    """The folded words of a text, in order, as the search index stores them."""
    return _WORD.findall(fold(text))
