"""The document parsers: OHCHR's thematic Word matrix and the UN document itself (PDF, Word, text).

Both are pure (no database): they return a `ParsedFile` with values as found, and every problem in
`problems`, never an exception."""

import csv
import io
import re
from collections import Counter, defaultdict

import docx
import pytest
from django.utils import translation
from docx.enum.text import WD_BREAK
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adolat.conftest import SHARED_DATA, needs_shared_data
from adolat.recommendations.importers import ohchr_matrix, un_document
from adolat.recommendations.importers.base import normalise_line_ends
from adolat.recommendations.importers.records import ParsedFile
from adolat.recommendations.importers.un_document import normalise_for_comparison as norm
from adolat.recommendations.importers.un_document import split_recommendations

MATRIX = SHARED_DATA / "ohchr-upr-matrix" / "slovenia-upr48-thematic-list.docx"
UN_DOCS = SHARED_DATA / "un-documents"
REPORT_PDF = UN_DOCS / "A-HRC-19-3-tajikistan-2011.pdf"
REPORT_TXT = UN_DOCS / "A-HRC-19-3-tajikistan-2011.txt"
REFERENCE_CSV = UN_DOCS / "A-HRC-19-3-paragraphs-with-decisions.csv"

# Paragraph groups of A/HRC/19/3 as the data README states them.
GROUPS = {"88": 70, "89": 4, "90": 50, "91": 4}
DECISIONS = {"support": "supported", "implemented": "supported", "consider": "pending", "reject": "noted"}


@pytest.fixture(autouse=True)
def _english():
    """Problems are translated: these tests read them in English."""
    with translation.override("en"):
        yield


def docx_bytes(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def by_paragraph(parsed: ParsedFile) -> dict[str, list]:
    out = defaultdict(list)
    for rec in parsed.recommendations:
        out[rec.paragraph].append(rec)
    return out


# --- OHCHR matrix: the Slovenia sample ----------------------------------------------------------


@pytest.fixture(scope="module")
def slovenia():
    return ohchr_matrix.parse(MATRIX.read_bytes(), filename=MATRIX.name, options={})


@needs_shared_data
def test_slovenia_matrix_gives_254_recommendations_217_supported_37_noted(slovenia):
    assert slovenia.format == "ohchr_matrix"
    assert slovenia.problems == []
    assert len(slovenia.recommendations) == 254
    assert Counter(r.position for r in slovenia.recommendations) == {"supported": 217, "noted": 37}
    for rec in slovenia.recommendations:
        assert rec.text, rec.where
        assert rec.recommending_states, rec.where
        assert re.fullmatch(r"\d+\.\d+", rec.paragraph), rec.where
        assert rec.themes, rec.where
        assert not rec.text.endswith((";", ")")), rec.where  # the states are cut off the text
        assert "Source of Position" not in rec.text
    assert len({r.paragraph for r in slovenia.recommendations}) == 254


@needs_shared_data
def test_slovenia_matrix_values_as_found(slovenia):
    recs = {r.paragraph: r for r in slovenia.recommendations}
    first = recs["140.7"]
    assert first.where == "row 3" and first.row == 3
    assert first.text == (
        "Ratify the Optional Protocol to the International Covenant on Economic, Social and Cultural Rights"
    )
    assert first.recommending_states == ["Maldives", "Portugal"]  # "(Maldives) (Portugal)"
    assert first.themes == [
        "Ratification of & accession to international instruments",
        "Economic, social & cultural rights - general measures of implementation",
    ]
    assert first.affected_groups == ["Public officials"]  # under "Groups of Persons:"
    assert first.sdgs[0] == "1 - NO POVERTY" and len(first.sdgs) == 8
    # The Working Group report, not the addendum that gives the position; that one is the note.
    assert first.document_symbol == "A/HRC/59/15" == slovenia.document_symbol
    assert first.position_note == "Source of position: A/HRC/59/15/Add.1 - Para.3"
    # The running head: "UPR of Slovenia (4th Cycle - 48th Session)".
    assert (first.state_under_review, first.session, first.cycle, first.mechanism) == (
        "Slovenia",
        "48",
        4,
        "UPR",
    )
    assert "Thematic list of recommendations" in slovenia.document_title
    states = {s for r in slovenia.recommendations for s in r.recommending_states}
    assert "Venezuela (Bolivarian Republic of)" in states  # parentheses inside the parentheses
    assert max(len(r.recommending_states) for r in slovenia.recommendations) == 8
    assert slovenia.columns["position"] == "Position of the State under review"
    assert slovenia.columns["sdgs"] == "Relevant SDGs"


# --- OHCHR matrix: another edition built here ---------------------------------------------------


def merged_row(table, text):
    row = table.add_row()
    cell = row.cells[0].merge(row.cells[-1])
    cell.text = text
    return row


def second_layout_matrix(*, extra_rows=()) -> bytes:
    """An older edition: a title paragraph instead of a running head, columns in another order,
    themes, SDGs and affected persons in one cell under sub-headings, a comments column, a second
    table continuing the first without a header, and a repeated header row."""
    document = docx.Document()
    document.add_paragraph("UPR of Tajikistan (3rd Cycle - 39th Session)")
    document.add_paragraph("Thematic list of recommendations")
    headers = (
        "Position",
        "Recommendation",
        "Full list of themes",
        "Assessment/comments on level of implementation",
    )
    table = document.add_table(rows=1, cols=4)
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = text
    merged_row(table, "Theme: A41 Constitutional and legislative framework")
    rows = [
        (
            "Supported",
            "115.1 Ratify the Optional Protocol to the Convention against Torture (Denmark) (Estonia);\n"
            "Source of position: A/HRC/39/10/Add.1 - Para. 2",
            "D25 Prohibition of torture and cruel, inhuman or degrading treatment\n"
            "A41 Constitutional and legislative framework\n"
            "SDGs:\n- 16 - PEACE, JUSTICE AND STRONG INSTITUTIONS\n- 16.3\n"
            "Affected persons:\n- Persons deprived of their liberty & detainees\n- general",
            "A draft law was sent to Parliament in 2023.\nNo vote yet.",
        ),
        (
            "Partially supported",
            "115.2 Consider establishing a national preventive mechanism, in line with the Paris "
            "Principles (Brazil, Chile);\nSource of position: A/HRC/39/10/Add.1 - Para. 3",
            "SDGs:\n- 16 - PEACE, JUSTICE AND STRONG INSTITUTIONS",
            "",
        ),
    ]
    for values in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, values, strict=True):
            cell.text = text
    document.add_paragraph("")
    second = document.add_table(rows=0, cols=4)
    merged_row(second, "Theme: D25 Prohibition of torture and cruel, inhuman or degrading treatment")
    header = second.add_row().cells
    for cell, text in zip(header, headers, strict=True):
        cell.text = text
    for values in [
        (
            "Noted",
            "116.4 Abolish the death penalty (Iran (Islamic Republic of));\n"
            "Source of position: A/HRC/39/10/Add.1 - Para. 4",
            "- D25 Prohibition of torture and cruel, inhuman or degrading treatment\nSDGs:\n- 16",
            "",
        ),
        *extra_rows,
    ]:
        cells = second.add_row().cells
        for cell, text in zip(cells, values, strict=True):
            cell.text = text
    return docx_bytes(document)


def test_second_layout_matrix_parses_the_same_fields():
    parsed = ohchr_matrix.parse(second_layout_matrix(), filename="old.docx", options={})
    assert parsed.problems == []
    assert [r.paragraph for r in parsed.recommendations] == ["115.1", "115.2", "116.4"]
    first, second, third = parsed.recommendations
    assert first.where == "table 1, row 3" and first.row is None  # several tables: no single row
    assert first.text == "Ratify the Optional Protocol to the Convention against Torture"
    assert first.recommending_states == ["Denmark", "Estonia"]
    assert first.position == "supported"
    assert first.themes == [
        "D25 Prohibition of torture and cruel, inhuman or degrading treatment",
        "A41 Constitutional and legislative framework",
    ]
    assert first.sdgs == ["16 - PEACE, JUSTICE AND STRONG INSTITUTIONS", "16.3"]
    assert first.affected_groups == ["Persons deprived of their liberty & detainees", "general"]
    assert first.comments == "A draft law was sent to Parliament in 2023.\nNo vote yet."
    assert first.document_symbol == "A/HRC/39/10" == parsed.document_symbol
    assert first.position_note == "Source of position: A/HRC/39/10/Add.1 - Para. 2"
    assert (first.state_under_review, first.session, first.cycle) == ("Tajikistan", "39", 3)

    assert second.recommending_states == ["Brazil", "Chile"]
    assert second.position == "supported_in_part"
    assert second.themes == ["A41 Constitutional and legislative framework"]  # from the theme row
    assert second.comments == ""

    assert third.where == "table 2, row 3"  # the second table repeats the header under its theme
    assert third.position == "noted"
    assert third.recommending_states == ["Iran (Islamic Republic of)"]
    assert third.themes == ["D25 Prohibition of torture and cruel, inhuman or degrading treatment"]
    assert third.sdgs == ["16"]
    assert parsed.columns["comments"] == "Assessment/comments on level of implementation"
    assert parsed.columns["sdgs"] == "Full list of themes"


def test_matrix_problems_name_row_column_value_and_reason():
    parsed = ohchr_matrix.parse(
        second_layout_matrix(
            extra_rows=[
                ("Maybe", "116.5 Do something (France);", "", ""),
                ("Noted", "116.6 Do something else;", "", ""),
                ("Noted", "", "- D25", ""),
            ]
        ),
        filename="bad.docx",
        options={},
    )
    # Several tables: a problem names the paragraph number (or the table row when there is none),
    # the column as headed, the value and the reason.
    problems = {(p.where, p.column): p for p in parsed.problems}
    unknown = problems[("116.5", "Position")]
    assert unknown.value == "Maybe" and "Unknown position" in unknown.message
    no_state = problems[("116.6", "Recommendation")]
    assert no_state.value == "Do something else" and "recommending state" in no_state.message
    assert "empty" in problems[("table 2, row 6", "Recommendation")].message
    # Rows with a problem are still returned, the empty one cannot be.
    returned = {r.where: r for r in parsed.recommendations}
    assert returned["table 2, row 4"].position is None
    assert returned["table 2, row 5"].recommending_states == []
    assert "table 2, row 6" not in returned


def test_matrix_problems_in_a_single_table_name_the_row():
    document = docx.Document()
    table = document.add_table(rows=3, cols=3)
    for cell, text in zip(table.rows[0].cells, ("Recommendation", "Position", "Relevant SDGs"), strict=True):
        cell.text = text
    for cell, text in zip(table.rows[1].cells, ("1.1 Do it (Peru);", "Perhaps", "- 16"), strict=True):
        cell.text = text
    for cell, text in zip(table.rows[2].cells, ("1.2 Do it now", "Noted", ""), strict=True):
        cell.text = text
    parsed = ohchr_matrix.parse(docx_bytes(document), filename="x.docx", options={})
    assert [(p.where, p.column, p.value) for p in parsed.problems] == [
        ("2", "Position", "Perhaps"),
        ("3", "Recommendation", "Do it now"),
    ]
    assert [(r.row, r.where, r.sdgs) for r in parsed.recommendations] == [
        (2, "row 2", ["16"]),
        (3, "row 3", []),
    ]


@pytest.mark.parametrize(
    "data",
    [b"", b"not a word file", b"PK\x03\x04broken zip", b"%PDF-1.4\n%%EOF"],
    ids=["empty", "text", "broken-zip", "pdf"],
)
def test_matrix_unreadable_files_give_a_problem(data):
    parsed = ohchr_matrix.parse(data, filename="x.docx", options={})
    assert parsed.recommendations == []
    assert len(parsed.problems) == 1 and parsed.problems[0].where == ""


def test_matrix_without_a_recognisable_table():
    document = docx.Document()
    document.add_paragraph("Nothing here")
    table = document.add_table(rows=2, cols=2)
    table.rows[0].cells[0].text = "Name"
    table.rows[1].cells[0].text = "Value"
    parsed = ohchr_matrix.parse(docx_bytes(document), filename="x.docx", options={"document": "A/HRC/1/1"})
    assert parsed.recommendations == []
    assert "No table" in parsed.problems[0].message


def test_matrix_title_row_above_the_header_is_not_a_theme():
    document = docx.Document()
    table = document.add_table(rows=0, cols=2)
    merged_row(table, "Thematic list of recommendations")
    header = table.add_row().cells
    header[0].text, header[1].text = "Recommendation", "Position"
    row = table.add_row().cells
    row[0].text, row[1].text = "3.1 Adopt a law (Norway);", "Supported"
    parsed = ohchr_matrix.parse(docx_bytes(document), filename="x.docx", options={})
    assert parsed.recommendations[0].themes == []
    assert parsed.document_title == "Thematic list of recommendations"
    assert parsed.recommendations[0].row == 3


@pytest.mark.parametrize(
    ("found", "position"),
    [
        ("Supported", "supported"),
        (" noted ", "noted"),
        ("Supported in part", "supported_in_part"),
        ("Partially supported", "supported_in_part"),
        ("Supported/Noted", "supported_in_part"),
        ("Noted (see para. 5)", "noted"),
        ("Supported - already implemented", "supported"),
        ("Accepted", "supported"),
        ("Perhaps", None),
    ],
)
def test_matrix_position_wordings(found, position):
    assert ohchr_matrix.position_value(found) == position


def test_matrix_position_given_inside_the_recommendation_cell():
    document = docx.Document()
    table = document.add_table(rows=2, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Recommendation", "Themes"
    table.rows[1].cells[
        0
    ].text = "7.2 Adopt a law (Norway);\nPosition: Noted\nSource of position: A/HRC/20/5/Add.1 - Para. 9"
    table.rows[1].cells[1].text = "- Justice"
    (rec,) = ohchr_matrix.parse(docx_bytes(document), filename="x.docx", options={}).recommendations
    assert (rec.text, rec.position, rec.document_symbol, rec.themes) == (
        "Adopt a law",
        "noted",
        "A/HRC/20/5",
        ["Justice"],
    )


def test_matrix_options_fill_what_the_file_does_not_say():
    document = docx.Document()
    table = document.add_table(rows=2, cols=2)
    table.rows[0].cells[0].text = "Recommendation"
    table.rows[0].cells[1].text = "Position"
    table.rows[1].cells[0].text = "12.3 Adopt a law (Norway)."
    table.rows[1].cells[1].text = "Supported"
    parsed = ohchr_matrix.parse(
        docx_bytes(document),
        filename="x.docx",
        options={"document": "A/HRC/20/5", "country": "TJ", "session": "12"},
    )
    (rec,) = parsed.recommendations
    assert (rec.text, rec.recommending_states, rec.position) == ("Adopt a law", ["Norway"], "supported")
    assert (rec.document_symbol, rec.state_under_review, rec.session, rec.cycle) == (
        "A/HRC/20/5",
        "TJ",
        "12",
        1,
    )
    assert rec.themes == []  # nothing to say: no theme column, no theme row


# --- The UN document: A/HRC/19/3 from PDF and from text --------------------------------------------


def reference_rows() -> list[dict]:
    """The per-recommendation reference list: paragraph, text without number, decision."""
    rows = []
    with REFERENCE_CSV.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            match = re.match(r"^(\d+\.\d+)\.{1,2}(\d+)?\s*(.*)$", row["text"].strip(), re.DOTALL)
            rows.append({"paragraph": match.group(1), "text": match.group(3), **row})
    return rows


def expected_counts() -> dict[str, int]:
    """Recommendations per paragraph from the reference list: its sub-numbering (88.1., 88.1..1,
    88.1..2) marks the splits; a joint recommendation appears once per recommending state with the
    same text (90.10 lists "(Czech Republic, Switzerland)" twice), so distinct texts are counted."""
    texts = defaultdict(set)
    for row in reference_rows():
        texts[row["paragraph"]].add(norm(row["text"]))
    return {paragraph: len(found) for paragraph, found in texts.items()}


@pytest.fixture(scope="module", params=["pdf", "txt"])
def report(request):
    path = REPORT_PDF if request.param == "pdf" else REPORT_TXT
    return un_document.parse(path.read_bytes(), filename=path.name, options={})


@needs_shared_data
def test_report_has_every_paragraph_88_1_to_91_4(report):
    assert report.format == "un_document"
    assert report.problems == []
    paragraphs = by_paragraph(report)
    expected = {f"{group}.{n}" for group, count in GROUPS.items() for n in range(1, count + 1)}
    assert set(paragraphs) == expected
    assert len(expected) == 70 + 4 + 50 + 4


@needs_shared_data
def test_report_splits_paragraphs_as_the_reference_list_does(report):
    counts = expected_counts()
    paragraphs = by_paragraph(report)
    assert {p: len(recs) for p, recs in paragraphs.items()} == counts
    assert sum(counts.values()) == len(report.recommendations)
    for paragraph, recs in paragraphs.items():
        # A paragraph holding several recommendations is a ready-made cluster; one alone is not.
        assert {r.cluster for r in recs} == ({paragraph} if len(recs) > 1 else {""})
    # Every reference row is one of the recommendations of its paragraph, with its decision.
    for row in reference_rows():
        recs = paragraphs[row["paragraph"]]
        matching = [r for r in recs if norm(r.text) and norm(r.text) in norm(row["text"])]
        assert matching, row["text"]
        assert matching[0].position == DECISIONS[row["decision"]], row["text"]
        assert (
            any(row["From"].strip().split()[0] in " ".join(r.recommending_states) for r in recs)
            or (row["From"] == "United States" and "USA" in matching[0].recommending_states)
            or row["From"] == "Russia"
        ), row


@needs_shared_data
def test_report_paragraph_88_1_holds_four_recommendations(report):
    recs = by_paragraph(report)["88.1"]
    assert [r.recommending_states for r in recs] == [["Brazil"], ["Spain"], ["Romania"], ["Latvia"]]
    assert recs[0].text == "Consider issuing a standing invitation to Special Procedures"
    assert recs[1].text == "Extend a standing invitation to all Special Procedures"
    assert [r.where for r in recs] == [f"para. 88.1, recommendation {n} of 4" for n in range(1, 5)]
    assert {r.cluster for r in recs} == {"88.1"}
    joint = by_paragraph(report)["90.10"]
    assert [r.recommending_states for r in joint] == [
        ["Czech Republic", "Switzerland"],
        ["Hungary"],
        ["Belgium", "France"],
    ]
    single = by_paragraph(report)["88.28"][0]
    assert single.where == "para. 88.28" and single.cluster == ""
    assert single.recommending_states == ["United Kingdom of Great Britain and Northern Ireland"]


@needs_shared_data
def test_report_positions_come_from_the_group_introductions(report):
    positions = defaultdict(Counter)
    for rec in report.recommendations:
        positions[rec.paragraph.split(".")[0]][rec.position] += 1
    assert set(positions["88"]) == {"supported"}
    assert set(positions["89"]) == {"supported"}
    assert set(positions["90"]) == {"pending"}
    assert set(positions["91"]) == {"noted"}
    for rec in report.recommendations:
        if rec.paragraph.startswith("89."):
            assert rec.position_note == "Tajikistan considers this recommendation already implemented."
        elif rec.paragraph.startswith("91."):
            # The State's comments (paragraph 92) on the recommendations it did not support.
            assert rec.position_note.startswith("Comment of the State under review: Regarding")
            assert rec.paragraph in rec.position_note
        else:
            assert rec.position_note == ""


@needs_shared_data
def test_report_document_details(report):
    assert report.document_symbol == "A/HRC/19/3"
    assert str(report.document_date) == "2011-12-12"
    assert (
        report.document_title == "Report of the Working Group on the Universal Periodic Review — Tajikistan"
    )
    rec = report.recommendations[0]
    assert (rec.state_under_review, rec.mechanism, rec.document_symbol) == ("Tajikistan", "UPR", "A/HRC/19/3")
    assert (rec.session, rec.cycle, rec.language) == ("12", 1, "en")  # "held its twelfth session"


@needs_shared_data
def test_pdf_and_text_give_the_same_recommendations():
    pdf = un_document.parse(REPORT_PDF.read_bytes(), filename="r.pdf", options={})
    txt = un_document.parse(REPORT_TXT.read_bytes(), filename="r.txt", options={})

    def key(parsed):
        return [
            (r.paragraph, r.text, r.recommending_states, r.position, r.position_note, r.cluster)
            for r in parsed.recommendations
        ]

    assert key(pdf) == key(txt)
    texts = {r.paragraph: r.text for r in pdf.recommendations}
    # Page breaks, running heads and a stray footnote number ("(Czech Republic 4)") in the PDF.
    assert (
        texts["88.1"]
        == "Consider extending a standing invitation to all Special Procedures of the Human Rights Council"
    )
    assert by_paragraph(pdf)["88.48"][0].recommending_states == ["Czech Republic"]
    assert "non-discrimination" in by_paragraph(pdf)["88.55"][0].text  # a real hyphen at a line end
    assert "A/HRC/19/3" not in " ".join(r.text for r in pdf.recommendations)


def report_as_docx(text: str) -> bytes:
    document = docx.Document()
    for line in text.split("\n"):
        document.add_paragraph(line.strip())
    return docx_bytes(document)


@needs_shared_data
def test_docx_built_from_the_text_parses_the_same():
    text = normalise_line_ends(REPORT_TXT.read_bytes().decode("mac_roman"))
    from_docx = un_document.parse(report_as_docx(text), filename="r.docx", options={})
    from_txt = un_document.parse(REPORT_TXT.read_bytes(), filename="r.txt", options={})
    assert from_docx.problems == []
    assert [(r.paragraph, r.text, r.recommending_states, r.position) for r in from_docx.recommendations] == [
        (r.paragraph, r.text, r.recommending_states, r.position) for r in from_txt.recommendations
    ]
    assert from_docx.document_symbol == "A/HRC/19/3"
    assert from_docx.recommendations[0].state_under_review == "Tajikistan"


def test_docx_with_numbers_word_generates_itself():
    """UN documents written in Word number their paragraphs with a multi-level list: the numbers
    are not in the text."""
    document = docx.Document()
    numbering = document.part.numbering_part.element
    numbering.append(
        parse_xml(
            f'<w:abstractNum {nsdecls("w")} w:abstractNumId="90">'
            '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/>'
            '<w:lvlText w:val="%1."/></w:lvl>'
            '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimal"/>'
            '<w:lvlText w:val="%1.%2."/></w:lvl>'
            "</w:abstractNum>"
        )
    )
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))

    def numbered(text, level):
        paragraph = document.add_paragraph(text)
        paragraph._p.get_or_add_pPr().append(
            parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/><w:numId w:val="90"/></w:numPr>')
        )

    document.add_paragraph("A/HRC/99/1")
    numbered("The review of Narnia was held at the 1st meeting.", 0)
    numbered("The recommendations below enjoy the support of Narnia:", 0)
    numbered("Ratify the Convention (Brazil); Ratify it soon (Chile);", 1)
    numbered("Abolish the death penalty (Spain).", 1)
    numbered("The following recommendations will be examined by Narnia:", 0)
    numbered("Consider the Optional Protocol (Peru).", 1)
    parsed = un_document.parse(docx_bytes(document), filename="n.docx", options={})
    assert parsed.problems == []
    assert [(r.paragraph, r.position, r.recommending_states) for r in parsed.recommendations] == [
        ("2.1", "supported", ["Brazil"]),
        ("2.1", "supported", ["Chile"]),
        ("2.2", "supported", ["Spain"]),
        ("3.1", "pending", ["Peru"]),
    ]
    assert parsed.document_symbol == "A/HRC/99/1"
    assert parsed.recommendations[0].state_under_review == "Narnia"  # from "The review of ... was held"


# --- The UN document: other editions and the PDF artefacts, in text ------------------------------

LATER_EDITION = """\
United Nations\tA/HRC/39/10
General Assembly\tDistr.: General
9 July 2018
Report of the Working Group on the Universal Periodic Review*
Tajikistan
* The annex is circulated as received.
1. The Working Group on the Universal Periodic Review held its thirtieth session from 7 to 18 May 2018.
II. Conclusions and/or recommendations
115. The following recommendations will be examined by Tajikistan, which will provide responses
in due time, but no later than the thirty-ninth session of the Human Rights Council:
115.1 Ratify the Optional Protocol to the Convention against Torture (Denmark) (Estonia);
115.2 Consider imple-
A/HRC/39/10
12
GE.18-11234
mentation of the recommendations on implementation of the non-
discrimination law (Korea, Republic of);
115.3 Adopt a law on the Ombudsman (Paris Principles); create a
mechanism (Uzbekistan) ;
116. The recommendations below have been noted by Tajikistan:
116.1 Abolish the death penalty (Iran (Islamic Republic of))
"""


def test_later_edition_numbers_without_full_stop_and_pdf_artefacts():
    parsed = un_document.parse(
        LATER_EDITION.replace("\n", "\r\n").encode("utf-8-sig"), filename="r.txt", options={}
    )
    assert parsed.problems == []
    recs = by_paragraph(parsed)
    assert recs["115.1"][0].recommending_states == ["Denmark", "Estonia"]
    assert recs["115.1"][0].position == "pending"
    # A hyphenated word is rejoined where the document writes it whole; running heads are dropped.
    assert recs["115.2"][0].text == (
        "Consider implementation of the recommendations on implementation of the non-discrimination law"
    )
    assert recs["115.2"][0].recommending_states == ["Korea, Republic of"]
    # "(Paris Principles);" followed by lower case does not end a recommendation.
    assert recs["115.3"][0].text == "Adopt a law on the Ombudsman (Paris Principles); create a mechanism"
    assert recs["116.1"][0].recommending_states == ["Iran (Islamic Republic of)"]
    assert recs["116.1"][0].position == "noted"
    assert (parsed.document_symbol, str(parsed.document_date)) == ("A/HRC/39/10", "2018-07-09")
    assert (recs["115.1"][0].session, recs["115.1"][0].cycle) == ("30", 3)


RUSSIAN = """\
A/HRC/19/3
Доклад Рабочей группы по универсальному периодическому обзору
Таджикистан
88. Перечисленные ниже рекомендации были рассмотрены Таджикистаном и пользуются его поддержкой:
88.1. Рассмотреть возможность направления постоянного приглашения (Бразилия);
89. Следующие рекомендации пользуются поддержкой Таджикистана, который считает, что они уже выполнены:
89.1. Запретить телесные наказания (Мексика);
90. Следующие рекомендации будут рассмотрены Таджикистаном:
90.1. Ратифицировать Факультативный протокол (Чешская Республика, Польша);
91. Приведенные ниже рекомендации не пользуются поддержкой Таджикистана:
91.1. Пересмотреть закон (Германия).
"""


def test_russian_document():
    parsed = un_document.parse(RUSSIAN.encode("utf-8"), filename="r.txt", options={})
    assert parsed.problems == []
    assert [(r.paragraph, r.position, r.recommending_states) for r in parsed.recommendations] == [
        ("88.1", "supported", ["Бразилия"]),
        ("89.1", "supported", ["Мексика"]),
        ("90.1", "pending", ["Чешская Республика", "Польша"]),
        ("91.1", "noted", ["Германия"]),
    ]
    assert {r.language for r in parsed.recommendations} == {"ru"}
    assert parsed.recommendations[0].state_under_review == "Таджикистан"
    assert parsed.recommendations[1].position_note  # the claim that it is already implemented


@pytest.mark.parametrize(
    ("intro", "position"),
    [
        ("have been examined by and enjoy the support of Tajikistan:", "supported"),
        ("The following recommendations enjoy the support of\nTajikistan:", "supported"),
        ("The following recommendations will be examined by X, which will provide responses", "pending"),
        ("The recommendations below did not enjoy the support of Tajikistan:", "noted"),
        ("The following recommendations did not enjoy the support of X and would thus be noted:", "noted"),
        ("The following recommendations were noted by X:", "noted"),
        (
            "The following recommendations enjoy the support of X, which considers that they are "
            "already implemented or in the process of implementation:",
            "supported",
        ),  # fmt: skip
    ],
)
def test_group_introductions(intro, position):
    assert un_document.classify_introduction(intro).position == position


def test_split_recommendations():
    pieces = split_recommendations(
        "Ratify the Second Optional Protocol (Czech Republic) (Switzerland); Ratify the ICCPR protocol "
        "as soon as possible (Belgium, France); Consider it (Romania 1); Ratify OP-CAT; enact laws "
        "(Costa Rica ); Implement CEDAW (CEDAW) (United States)."
    )
    assert [(p.text, p.states) for p in pieces] == [
        ("Ratify the Second Optional Protocol", ["Czech Republic", "Switzerland"]),
        ("Ratify the ICCPR protocol as soon as possible", ["Belgium", "France"]),
        ("Consider it", ["Romania"]),
        ("Ratify OP-CAT; enact laws", ["Costa Rica"]),
        ("Implement CEDAW (CEDAW)", ["United States"]),
    ]
    assert [(p.text, p.states) for p in split_recommendations("Adopt the plan (2011-2015)")] == [
        ("Adopt the plan (2011-2015)", [])
    ]
    assert split_recommendations("") == []
    assert [
        (p.text, p.states)
        for p in split_recommendations("Do it (the former Yugoslav Republic of Macedonia).")
    ] == [("Do it", ["the former Yugoslav Republic of Macedonia"])]


# --- The UN document: malformed input -----------------------------------------------------------


def test_text_without_numbered_paragraphs():
    parsed = un_document.parse(
        b"Minutes of a meeting.\nNothing numbered here.\n", filename="m.txt", options={}
    )
    assert parsed.recommendations == []
    (problem,) = parsed.problems
    assert problem.where == "" and "No numbered recommendations" in problem.message


@pytest.mark.parametrize("data", [b"", b"   \r\n  "], ids=["empty", "blank"])
def test_empty_file(data):
    parsed = un_document.parse(data, filename="e.txt", options={})
    assert parsed.recommendations == []
    assert parsed.problems[0].message == "The file is empty."


@pytest.mark.parametrize(
    ("data", "word"), [(b"%PDF-1.4\nbroken", "PDF"), (b"PK\x03\x04broken", "Word")], ids=["pdf", "docx"]
)
def test_broken_pdf_or_word_file(data, word):
    parsed = un_document.parse(data, filename="x", options={})
    assert parsed.recommendations == []
    assert word in parsed.problems[0].message


def test_pdf_without_text():
    import pypdf

    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    parsed = un_document.parse(out.getvalue(), filename="scan.pdf", options={})
    assert parsed.recommendations == []
    assert "OCR" in parsed.problems[0].message


def test_paragraph_without_states_gap_and_unknown_introduction():
    text = (
        "12. The following recommendations enjoy the support of Narnia:\n"
        "12.1. Ratify the Convention (Brazil);\n"
        "12.2. Ratify the Protocol;\n"
        "12.4. Abolish the death penalty (Spain) (Chile);\n"
        "13. The recommendations made during the dialogue:\n"
        "13.1. Do this (Peru);\n"
        "13.2. Do that (Chile).\n"
    )
    parsed = un_document.parse(
        text.encode(), filename="t.txt", options={"document": "A/HRC/1/2", "country": "NA"}
    )
    problems = {(p.where, p.column): p for p in parsed.problems}
    no_state = problems[("12.2", "recommending states")]
    assert no_state.value == "Ratify the Protocol" and "(Brazil);" in no_state.message
    gap = problems[("12", "paragraph number")]
    assert gap.value == "12.3" and "12.3" in gap.message
    unknown = problems[("13", "position")]
    assert unknown.value.startswith("The recommendations made during the dialogue")
    recs = by_paragraph(parsed)
    assert recs["12.2"][0].recommending_states == [] and recs["12.2"][0].where == "para. 12.2"
    assert recs["13.1"][0].position is None
    assert recs["12.4"][0].recommending_states == ["Spain", "Chile"]
    assert {(r.document_symbol, r.state_under_review) for r in parsed.recommendations} == {
        ("A/HRC/1/2", "NA")
    }


def test_document_symbol_option_differing_from_the_document():
    parsed = un_document.parse(
        LATER_EDITION.encode(), filename="r.txt", options={"document": "A/HRC/39/99", "country": "TJ"}
    )
    assert parsed.document_symbol == "A/HRC/39/10"
    assert parsed.recommendations[0].state_under_review == "Tajikistan"  # the document says it
    (problem,) = parsed.problems
    assert problem.value == "A/HRC/39/99" and "A/HRC/39/10" in problem.message


def test_numbers_alone_on_their_line_and_an_old_word_file():
    text = "5.\nThe recommendations below enjoy the support of Narnia:\n5.1\nRatify the Convention (Peru);\n"
    parsed = un_document.parse(text.encode(), filename="t.txt", options={})
    assert [(r.paragraph, r.position, r.text) for r in parsed.recommendations] == [
        ("5.1", "supported", "Ratify the Convention")
    ]
    old_word = un_document.parse(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), filename="r.doc", options={}
    )
    assert old_word.recommendations == [] and ".docx" in old_word.problems[0].message


def test_a_recommendation_line_starting_with_a_number_does_not_end_its_group():
    text = (
        "88. The recommendations below enjoy the support of Narnia:\n"
        "88.1. Implement the plan adopted under paragraph\n"
        "120. of the strategy (Peru);\n"
        "88.2. Do more (Chile).\n"
    )
    parsed = un_document.parse(text.encode(), filename="t.txt", options={})
    assert [(r.paragraph, r.text) for r in parsed.recommendations] == [
        ("88.1", "Implement the plan adopted under paragraph 120. of the strategy"),
        ("88.2", "Do more"),
    ]


def test_mac_roman_with_cr_line_ends():
    text = (
        "88. The recommendations below enjoy the support of Tajikistan:\r"
        "88.1. Improve women’s rights (Norway);\r"
    )
    parsed = un_document.parse(text.encode("mac_roman"), filename="t.txt", options={})
    assert parsed.recommendations[0].text == "Improve women’s rights"


# --- Never a crash ------------------------------------------------------------------------------

FRAGMENTS = st.sampled_from(
    [
        "88.", "88.1.", "88.2", "89.", "1.", "(", ")", "(Brazil)", "(Brazil);", ";", ".", " ", "\n", "\r",
        "enjoy the support of", "will be examined by", "did not enjoy the support", "already implemented",
        "Regarding recommendation No. 88.1,", "A/HRC/19/3", "12 December 2011", "-\n", "\u00ad\n",
        "Report of the Working Group on the Universal Periodic Review", "Ratify", "(a)", "((", "))",
        "(Korea, Republic of)", "(Iran (Islamic Republic of))", "*", "4", "%PDF", "PK\x03\x04",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(st.binary(max_size=2000), st.lists(FRAGMENTS, max_size=80).map(lambda x: "".join(x).encode()))
)
def test_un_document_never_raises(data):
    parsed = un_document.parse(data, filename="x", options={})
    assert isinstance(parsed, ParsedFile)
    for rec in parsed.recommendations:
        assert rec.text and rec.paragraph


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=500).map(lambda tail: b"PK\x03\x04" + tail) | st.binary(max_size=500))
def test_matrix_never_raises(data):
    assert isinstance(ohchr_matrix.parse(data, filename="x.docx", options={}), ParsedFile)


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=1, max_size=300))
def test_pdf_looking_bytes_never_raise(data):
    assert isinstance(un_document.parse(b"%PDF-1.4\n" + data, filename="x.pdf", options={}), ParsedFile)


def test_a_page_break_inside_a_docx_paragraph():
    document = docx.Document()
    document.add_paragraph("7. The recommendations below enjoy the support of Narnia:")
    paragraph = document.add_paragraph("7.1. Ratify the Convention")
    paragraph.add_run().add_break(WD_BREAK.LINE)
    paragraph.add_run("against Torture (Brazil);")
    parsed = un_document.parse(docx_bytes(document), filename="x.docx", options={})
    assert parsed.recommendations[0].text == "Ratify the Convention against Torture"
