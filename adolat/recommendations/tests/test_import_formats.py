"""The tabular formats (UPR Info XLS/XLSX, UHRI CSV/XLSX, generic tables with a column mapping),
format recognition, every kind of error, --skip-invalid and the Python API the web upload uses."""

import csv
import datetime as dt
import io
import json
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adolat.conftest import SHARED_DATA, needs_shared_data
from adolat.recommendations.importers import FORMATS, detect_format, get_parser, run_import
from adolat.recommendations.importers.base import parse_date, parse_position
from adolat.recommendations.importers.tables import cell_text
from adolat.recommendations.models import LabelMapping, Recommendation, SourceDocument

pytestmark = pytest.mark.django_db

TAJIK_UTF8 = SHARED_DATA / "upr-info" / "tajikistan-2011-upr-info-utf8.csv"
RAW_EXPORT = SHARED_DATA / "upr-info" / "upr-info-export-sessions-10-13.csv"
UN_TEXT = SHARED_DATA / "un-documents" / "A-HRC-19-3-tajikistan-2011.txt"
UN_PDF = SHARED_DATA / "un-documents" / "A-HRC-19-3-tajikistan-2011.pdf"
UN_CSV = SHARED_DATA / "un-documents" / "A-HRC-19-3-paragraphs-with-decisions.csv"
MATRIX = SHARED_DATA / "ohchr-upr-matrix" / "slovenia-upr48-thematic-list.docx"
XLS = Path(__file__).parent / "data" / "upr-info-export.xls"


def run(path, *args) -> dict:
    out = io.StringIO()
    call_command("import", str(path), "--json", *args, stdout=out, stderr=io.StringIO())
    return json.loads(out.getvalue())


def run_failing(path, *args) -> tuple[dict, CommandError]:
    out = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("import", str(path), "--json", *args, stdout=out, stderr=io.StringIO())
    return json.loads(out.getvalue()), failure.value


def write_xlsx(path: Path, rows: list[list], title: str | None = None) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def write_csv(path: Path, rows: list[list], encoding="utf-8") -> Path:
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    path.write_bytes(text.getvalue().encode(encoding))
    return path


def tajik_rows() -> list[list[str]]:
    return list(csv.reader(io.StringIO(TAJIK_UTF8.read_text(encoding="utf-8"))))


def counts() -> tuple[int, int]:
    return Recommendation.objects.count(), SourceDocument.objects.count()


# --- UPR Info workbooks -------------------------------------------------------------------------


@needs_shared_data
def test_the_upr_info_export_as_an_xlsx_workbook_imports_like_the_csv(tmp_path):
    rows = tajik_rows()
    header = rows[0]
    # As a spreadsheet program saves it: sessions and action codes as numbers (12.0), a title row
    # above the header.
    data = [header] + [[float(v) if v.isdigit() else v for v in row] for row in rows[1:]]
    path = write_xlsx(tmp_path / "export.xlsx", data, title="UPR Info — Tajikistan")

    assert run(path, "--country", "Tajikistan") == {
        "created": 150,
        "updated": 0,
        "unchanged": 0,
        "skipped": 0,
        "errors": [],
    }
    assert Counter(Recommendation.objects.values_list("position", flat=True)) == {
        "supported": 115,
        "noted": 35,
    }
    assert SourceDocument.objects.get().session == "12"
    # The CSV of the same rows changes nothing.
    assert run(TAJIK_UTF8, "--country", "TJ")["unchanged"] == 150


def test_a_repeated_column_is_read_sensibly_in_a_workbook(tmp_path):
    header = ["To", "Text", "From", "Response", "Issue", "Issue", "Session", "Text"]
    rows = [
        header,
        [
            "Tajikistan",
            "Ratify OPCAT",
            "Denmark",
            "Accepted",
            "Torture and other CID treatment",
            "Justice",
            12.0,
            "",
        ],
        ["Tajikistan", "", "Spain", "Noted", "", "Justice", 12.0, "Abolish the death penalty"],
    ]
    path = write_xlsx(tmp_path / "repeated.xlsx", rows)

    assert run(path, "--country", "TJ")["created"] == 2

    opcat = Recommendation.objects.get(text_en="Ratify OPCAT")
    # Issues from both Issue columns; the text from the first Text column that is not empty.
    codes = set(opcat.themes.values_list("code", flat=True))
    assert {"torture"} <= codes and len(codes) >= 2
    assert Recommendation.objects.filter(text_en="Abolish the death penalty", position="noted").exists()


def test_a_genuine_xls_export_is_read(tmp_path):
    """A real BIFF8 workbook (see tests/data/README.md): a title row, a repeated Issue column,
    numbers as floats, a row about another state."""
    summary = run(XLS, "--country", "TJ")

    assert summary == {"created": 3, "updated": 0, "unchanged": 0, "skipped": 0, "errors": []}
    sweden = Recommendation.objects.get(recommending_states="SE")
    assert sweden.document.session == "12" and sweden.themes.count() >= 2
    assert run(XLS, "--country", "Algeria")["created"] == 1


def test_an_xls_that_is_no_workbook_is_a_clear_error(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)

    summary, failure = run_failing(path, "--country", "TJ", "--format", "upr_info")

    assert failure.returncode == 1
    assert summary["errors"][0]["row"] is None and ".xls" in summary["errors"][0]["message"]


# --- UHRI exports -------------------------------------------------------------------------------

UHRI_HEADER = [
    "Text",
    "Countries Concerned",
    "Reccomending Body",
    "Document Symbol",
    "Themes",
    "Affected Persons",
    "Sdgs",
    "Document Publication Date",
    "UPR Reccomending States",
    "UPR Position",
    "Type",
    "OHCHR Annotation Id",
    "UPR Session",
    "Regions Concerned",
    "Recommending Regions",
    "Date of publication on UHRI",
]


def uhri_rows(date=46078) -> list[list]:
    return [
        UHRI_HEADER,
        [
            "- Ensure that all places of deprivation of liberty are monitored by an independent body",
            "- Tajikistan",
            "- CAT",
            "- CAT/C/TJK/CO/3",
            "- Prohibition of torture & ill-treatment (including cruel, inhuman or degrading treatment)\n"
            "- Conditions of detention",
            "- Persons deprived of their liberty & detainees",
            "- 16 - PEACE, JUSTICE AND STRONG INSTITUTIONS\n"
            "- 16.3 - Promote the rule of law at the national and international levels and ensure equal "
            "access to justice for all",
            date,
            "",
            "",
            "- Recommendation",
            "- 1a2b",
            "",
            "- Asia",
            "",
            45000,
        ],
        [
            "- Establish a national preventive mechanism",
            "- Tajikistan",
            "- UPR",
            "- A/HRC/49/12",
            "- Conditions of detention",
            "- Women & girls\n- Persons deprived of their liberty & detainees",
            "- 16.3 - Promote the rule of law",
            date,
            "- Germany\n- France",
            "- Supported",
            "- Recommendation",
            "- 3c4d",
            "- 39th Session",
            "- Asia",
            "- WEOG",
            45000,
        ],
        [
            "- Investigate all allegations of torture promptly",
            "- Tajikistan\n- Uzbekistan",
            "- SR on torture and other cruel, inhuman or degrading treatment or punishment",
            "- A/HRC/55/52/Add.1",
            "- Prohibition of torture & ill-treatment (including cruel, inhuman or degrading treatment)",
            "",
            "",
            date,
            "",
            "",
            "- Recommendation",
            "- 5e6f",
            "",
            "- Asia",
            "",
            45000,
        ],
        [
            "- Ratify the Optional Protocol to the Convention against Torture",
            "- Uzbekistan",
            "- CAT",
            "- CAT/C/UZB/CO/5",
            "- Conditions of detention",
            "",
            "",
            date,
            "",
            "",
            "- Recommendation",
            "- 7a8b",
            "",
            "- Asia",
            "",
            45000,
        ],
    ]


def check_uhri_import():
    recs = Recommendation.objects.filter(country="TJ")
    assert recs.count() == 3
    cat = recs.get(mechanism__code="CAT")
    assert cat.document.symbol == "CAT/C/TJK/CO/3"
    assert cat.document.date == dt.date(2026, 2, 25) and cat.document.year == 2026
    assert set(cat.themes.values_list("code", flat=True)) == {"torture", "detention-conditions"}
    assert list(cat.affected_groups.values_list("code", flat=True)) == ["persons-deprived-of-liberty"]
    assert list(cat.sdg_targets.values_list("code", flat=True)) == ["16.3"]
    assert list(cat.sdg_goals.values_list("number", flat=True)) == [16]
    assert cat.position == "not_applicable" and cat.text_en.startswith("Ensure that all places")
    upr = recs.get(mechanism__code="UPR")
    assert set(upr.recommending_states.values_list("pk", flat=True)) == {"DE", "FR"}
    assert upr.position == "supported"
    assert (upr.document.symbol, upr.document.session, upr.document.cycle) == ("A/HRC/49/12", "39", 3)
    assert set(upr.affected_groups.values_list("code", flat=True)) == {
        "women-girls",
        "persons-deprived-of-liberty",
    }
    assert recs.get(mechanism__code="SP").document.symbol == "A/HRC/55/52/Add.1"


def test_a_uhri_csv_export_imports_the_rows_of_the_chosen_state(tmp_path):
    path = write_csv(tmp_path / "uhri.csv", uhri_rows())

    summary = run(path, "--country", "Tajikistan")

    assert summary == {"created": 3, "updated": 0, "unchanged": 0, "skipped": 0, "errors": []}
    check_uhri_import()
    assert not Recommendation.objects.exclude(country="TJ").exists()
    assert run(path, "--country", "TJ")["unchanged"] == 3
    # For Uzbekistan: its own row; the row naming both states cannot be filed under the report
    # already filed for Tajikistan (a source document concerns one state), which is said.
    summary = run(path, "--country", "UZ", "--skip-invalid")
    assert summary["created"] == 1 and [e["row"] for e in summary["errors"]] == [4]
    assert "A/HRC/55/52/Add.1" in summary["errors"][0]["message"]


def test_a_uhri_xlsx_export_with_the_other_spelling_and_real_dates(tmp_path):
    rows = uhri_rows(date=dt.datetime(2026, 2, 25))  # noqa: DTZ001 — a spreadsheet date has no zone
    rows[0] = [name.replace("Reccomending", "Recommending") for name in rows[0]]
    path = write_xlsx(tmp_path / "uhri.xlsx", rows)

    assert run(path, "--country", "TJ")["created"] == 3
    check_uhri_import()
    # The CSV export of the same rows (serial dates, the export's spelling) finds them all.
    assert run(write_csv(tmp_path / "uhri.csv", uhri_rows()), "--country", "TJ")["unchanged"] == 3


def test_uhri_rows_with_unknown_bodies_labels_and_sdgs_are_reported(tmp_path):
    rows = uhri_rows()
    rows[1][2] = "- Committee on Space"
    rows[2][4] = "- Conditions of detention\n- Rights of robots"
    rows[2][6] = "- 18 - GALACTIC PEACE"
    rows[2][9] = "- Perhaps"
    rows[3][7] = "someday"
    path = write_csv(tmp_path / "uhri.csv", rows)

    summary, _ = run_failing(path, "--country", "TJ")

    errors = summary["errors"]
    assert [e["row"] for e in errors] == [2, 3, 3, 3, 4]
    expected = [
        ("Reccomending Body", "Committee on Space"),
        ("UPR Position", "Perhaps"),
        ("Themes", "Rights of robots"),
        ("Sdgs", "18 - GALACTIC PEACE"),
        ("Document Publication Date", "someday"),
    ]
    for error, (column, value) in zip(errors, expected, strict=True):
        assert f"Row {error['row']}" in error["message"]
        assert column in error["message"] and value in error["message"], error
    assert "Label mappings" in errors[2]["message"]
    assert Recommendation.objects.count() == 0


def test_the_matrix_labels_fall_back_on_the_uhri_mapping():
    from adolat.recommendations.importers.writer import Vocabulary

    vocab = Vocabulary("ohchr_matrix")
    themes, groups, unknown = vocab.labels(
        [
            "Conditions of detention",
            "Persons deprived of their liberty & detainees",
            "Cooperation with treaty bodies",
        ]
    )
    assert {t.code for t in themes} == {"detention-conditions", "treaty-bodies"}  # the last by its own name
    assert [g.code for g in groups] == ["persons-deprived-of-liberty"] and unknown == []
    LabelMapping.objects.create(source="ohchr_matrix", label="Prisons", theme=themes[0])
    assert Vocabulary("ohchr_matrix").labels(["prisons"])[0] == [themes[0]]


def test_sdgs_and_mechanisms_are_read_in_every_spelling():
    from adolat.recommendations.importers.writer import Vocabulary

    vocab = Vocabulary("uhri")
    goals, targets, unknown = vocab.sdgs(
        [
            "16",
            "Goal 5",
            "16.3",
            "16.3 - Promote the rule of law",
            "- 1 - NO POVERTY",
            "4.a",
            "Gender equality",
        ]
    )
    assert sorted(g.number for g in goals) == [1, 5, 16] and unknown == []
    assert sorted(t.code for t in targets) == ["16.3", "4.a"]
    assert vocab.sdgs(["16.99", "18", "peace"])[2] == ["16.99", "18", "peace"]

    def code(value, symbol="", has_states=False, fmt="uhri"):
        found = vocab.mechanism(value, symbol=symbol, has_states=has_states, fmt=fmt)
        return found.code if found else None

    assert [
        code(v) for v in ["- CAT", "SPT", "ccpr", "- SR on torture", "WG on Arbitrary Detention", "UPR"]
    ] == [
        "CAT",
        "SPT",
        "CCPR",
        "SP",
        "SP",
        "UPR",
    ]
    assert code("Committee against Torture") == "CAT"
    assert code("", symbol="CAT/OP/TJK/1") == "SPT" and code("", symbol="E/C.12/TJK/CO/2-3") == "CESCR"
    assert code("", has_states=True) == "UPR" and code("", fmt="generic") is None
    assert code("Committee on Space") is None


# --- Generic tables -----------------------------------------------------------------------------


def generic_rows() -> list[list]:
    return [
        ["Para", "Recommendation", "Recommending state(s)", "Response", "Topics", "Goals", "Group"],
        ["88.1", "Consider issuing a standing invitation to Special Procedures", "Brazil", "support",
         "Cooperation with special procedures", "16.10", "88.1"],
        ["88.1", "Extend a standing invitation to all Special Procedures", "Spain", "support",
         "Cooperation with special procedures", "", "88.1"],
        ["90.13", "Ratify the 1954 and 1961 Statelessness Conventions", "Germany", "consider",
         "Ratification of & accession to international instruments", "16", ""],
    ]  # fmt: skip


MAPPING = [
    "--map",
    "paragraph=Para",
    "--map",
    "text=Recommendation",
    "--map",
    "states=Recommending state(s)",
    "--map",
    "position=Response",
    "--map",
    "themes=topics",
    "--map",
    "sdgs=Goals",
    "--map",
    "cluster=Group",
]


def test_a_generic_table_is_read_through_the_column_mapping(tmp_path):
    path = write_csv(tmp_path / "mine.csv", generic_rows())

    summary = run(path, "--country", "TJ", "--document", "A/HRC/19/3", *MAPPING)

    assert summary == {"created": 3, "updated": 0, "unchanged": 0, "skipped": 0, "errors": []}
    doc = SourceDocument.objects.get()
    assert (doc.symbol, doc.mechanism.code, doc.session) == ("A/HRC/19/3", "UPR", "")
    brazil = Recommendation.objects.get(recommending_states="BR")
    assert (brazil.paragraph, brazil.position) == ("88.1", "supported")
    assert list(brazil.sdg_targets.values_list("code", flat=True)) == ["16.10"]
    assert Recommendation.objects.get(recommending_states="DE").position == "pending"
    # The two recommendations of paragraph 88.1 are a ready-made, confirmed cluster of it.
    from adolat.followup.models import Cluster

    cluster = Cluster.objects.get()
    assert (cluster.origin, cluster.state, cluster.paragraph, cluster.document) == (
        "document",
        "confirmed",
        "88.1",
        doc,
    )
    assert cluster.recommendations.count() == 2
    assert run(path, "--country", "TJ", "--document", "A/HRC/19/3", *MAPPING)["unchanged"] == 3
    assert Cluster.objects.count() == 1


def test_a_generic_workbook_in_russian(tmp_path):
    rows = [
        ["Рекомендация", "Государство", "Позиция", "Механизм", "Документ"],
        ["Ратифицировать Факультативный протокол к Конвенции против пыток", "Дания", "поддержана", "UPR", ""],
        ["Обеспечить независимый мониторинг мест лишения свободы", "", "", "CAT", "CAT/C/TJK/CO/3"],
    ]
    path = write_xlsx(tmp_path / "ru.xlsx", rows)
    mapping = ["--map", "text=Рекомендация", "--map", "states=Государство", "--map", "position=Позиция"]
    mapping += ["--map", "mechanism=Механизм", "--map", "document=Документ"]

    assert run(path, "--country", "TJ", *mapping)["created"] == 2

    opcat = Recommendation.objects.get(mechanism__code="UPR")
    assert (opcat.original_language, opcat.position, opcat.text_en) == ("ru", "supported", "")
    assert opcat.text_ru.startswith("Ратифицировать")
    assert list(opcat.recommending_states.values_list("pk", flat=True)) == ["DK"]
    assert Recommendation.objects.get(mechanism__code="CAT").document.symbol == "CAT/C/TJK/CO/3"


@pytest.mark.parametrize(
    ("mapping", "fragment"),
    [
        (["--map", "text=Nowhere"], "Nowhere"),
        (["--map", "states=Recommending state(s)"], "text=COLUMN"),
    ],
)
def test_a_wrong_column_mapping_is_a_clear_error(tmp_path, mapping, fragment):
    path = write_csv(tmp_path / "mine.csv", generic_rows())

    summary, _ = run_failing(path, "--country", "TJ", *mapping)

    assert fragment in summary["errors"][0]["message"]


@pytest.mark.parametrize("item", ["colour=Topics", "text"])
def test_a_malformed_mapping_is_refused_before_reading(tmp_path, item):
    path = write_csv(tmp_path / "mine.csv", generic_rows())
    with pytest.raises(CommandError, match="mapping"):
        call_command("import", str(path), "--map", item, stdout=io.StringIO())


def test_a_generic_table_needs_a_mechanism_when_nothing_tells_it(tmp_path):
    path = write_csv(tmp_path / "t.csv", [["Text"], ["Improve prison healthcare"]])

    summary, _ = run_failing(path, "--country", "TJ", "--map", "text=Text")

    assert summary["errors"][0]["row"] == 2 and "mechanism" in summary["errors"][0]["message"]


# --- Errors and --skip-invalid ------------------------------------------------------------------


def upr_rows() -> list[list]:
    header = ["To", "Text", "From", "Response", "Issue", "Session"]
    return [
        header,
        ["Tajikistan", "Ratify OPCAT", "Denmark", "Accepted", "Torture and other CID treatment", "12"],  # 2
        ["Tajikistan", "Abolish the death penalty", "Atlantis", "Accepted", "Death penalty", "12"],  # 3
        ["Tajikistan", "Protect journalists", "Norway", "Accepted", "Freedom of the press", "12"],  # 4
        ["Tajikistan", "Reform the judiciary", "Spain", "Maybe", "Justice", "12"],  # 5
    ]


def test_skip_invalid_imports_the_good_rows_and_lists_the_others(tmp_path):
    path = write_csv(tmp_path / "mixed.csv", upr_rows())

    without, failure = run_failing(path, "--country", "TJ")
    assert failure.returncode == 1 and Recommendation.objects.count() == 0
    assert without["created"] == 0

    out, err = io.StringIO(), io.StringIO()
    call_command("import", str(path), "--country", "TJ", "--skip-invalid", "--json", stdout=out, stderr=err)
    summary = json.loads(out.getvalue())

    assert (summary["created"], [e["row"] for e in summary["errors"]]) == (2, [3, 5])
    assert set(Recommendation.objects.values_list("text_en", flat=True)) == {
        "Ratify OPCAT",
        "Protect journalists",
    }
    assert summary["errors"] == without["errors"]


def test_skip_invalid_fails_when_no_row_is_valid(tmp_path):
    rows = upr_rows()
    path = write_csv(tmp_path / "bad.csv", [rows[0], rows[2], rows[4]])

    summary, failure = run_failing(path, "--country", "TJ", "--skip-invalid")

    assert failure.returncode == 1 and summary["created"] == 0 and len(summary["errors"]) == 2


def test_the_readable_report_names_unknown_labels_and_where_to_map_them(tmp_path):
    rows = upr_rows()
    rows[1][4] = "Space law"
    path = write_csv(tmp_path / "labels.csv", rows[:2])
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError):
        call_command("import", str(path), "--country", "TJ", stdout=out, stderr=err)

    assert "Space law" in err.getvalue() and "Label mappings" in err.getvalue()


def test_an_unknown_format_name_is_refused(tmp_path):
    with pytest.raises(CommandError):
        call_command("import", str(write_csv(tmp_path / "x.csv", upr_rows())), "--format", "nope")


def test_a_parser_that_fails_is_reported_not_a_crash(tmp_path, monkeypatch):
    def broken(data, *, filename, options):
        raise RuntimeError("boom")

    monkeypatch.setitem(FORMATS, "upr_info", "adolat.recommendations.tests.test_import_formats.BROKEN")
    monkeypatch.setattr("adolat.recommendations.tests.test_import_formats.BROKEN", broken, raising=False)
    summary = run_import(b"To,Text\n", filename="x.csv", format="upr_info", country="TJ")

    assert summary.errors and "boom" in summary.errors[0]["message"] and not summary.written


# --- Recognising the format ---------------------------------------------------------------------


@needs_shared_data
@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (TAJIK_UTF8, "upr_info"),
        (RAW_EXPORT, "upr_info"),
        (UN_TEXT, "un_document"),
        (UN_PDF, "un_document"),
        (MATRIX, "ohchr_matrix"),
        (XLS, "upr_info"),
    ],
)
def test_each_sample_is_recognised(path, expected):
    assert detect_format(path.read_bytes(), path.name) == (expected, "")


@needs_shared_data
def test_a_table_of_no_known_format_asks_for_a_mapping():
    fmt, reason = detect_format(UN_CSV.read_bytes(), UN_CSV.name)
    assert fmt is None and "--map" in reason and "decision" in reason
    assert detect_format(UN_CSV.read_bytes(), UN_CSV.name, mapping={"text": "text"}) == ("generic", "")


def test_tables_built_here_are_recognised(tmp_path):
    uhri = write_csv(tmp_path / "u.csv", uhri_rows()).read_bytes()
    assert detect_format(uhri, "u.csv") == ("uhri", "")
    book = write_xlsx(tmp_path / "u.xlsx", uhri_rows(), title="UHRI export").read_bytes()
    assert detect_format(book, "u.xlsx") == ("uhri", "")
    assert detect_format(b"", "x.csv")[0] is None
    assert detect_format(b"PK\x03\x04junk", "x.zip")[0] is None
    text = "Report\n\n88.1 Ratify OPCAT (Denmark);\n88.2 Abolish (Spain);\n88.3 Reform (Chile);\n"
    assert detect_format(text.encode(), "report.txt") == ("un_document", "")


def test_the_document_formats_are_registered_by_name():
    assert set(FORMATS) == {"upr_info", "uhri", "generic", "ohchr_matrix", "un_document"}
    for name in ("upr_info", "uhri", "generic"):
        assert callable(get_parser(name))


# --- The Python API -----------------------------------------------------------------------------


@needs_shared_data
def test_run_import_reports_progress_and_matches_the_command(users):
    calls = []

    summary = run_import(
        RAW_EXPORT.read_bytes(),
        filename=RAW_EXPORT.name,
        country="Tajikistan",
        by=users["coordinator"],
        progress=lambda done, total: calls.append((done, total)),
    )

    assert (summary.format, summary.created, summary.other_rows, summary.written) == (
        "upr_info",
        150,
        8897,
        True,
    )
    assert calls == [(100, 150), (150, 150)]
    preview = run_import(TAJIK_UTF8.read_bytes(), filename="x.csv", country="TJ", dry_run=True)
    assert (preview.unchanged, preview.written) == (150, False)


# --- Values -------------------------------------------------------------------------------------


def test_values_as_exports_write_them():
    assert parse_date("46078") == dt.date(2026, 2, 25) == parse_date("46078.0")
    assert parse_date("2026-02-25") == parse_date("25/02/2026") == parse_date("2026-02-25 00:00:00")
    assert parse_date("2026") is None and parse_date("soon") is None
    assert [parse_position(v) for v in ["Accepted", "- Supported", "Noted", "partially-accepted", "x"]] == [
        "supported",
        "supported",
        "noted",
        "supported_in_part",
        None,
    ]
    assert cell_text(12.0) == "12" and cell_text(1.5) == "1.5" and cell_text(None) == ""
    assert cell_text(dt.datetime(2026, 2, 25)) == "2026-02-25"  # noqa: DTZ001


# --- Any input: a clean result or clear errors --------------------------------------------------

cells = st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=25)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "Text": st.sampled_from(["- Ratify OPCAT", ""]) | cells,
                "Countries Concerned": st.sampled_from(["- Tajikistan", "- Tajikistan\n- Uzbekistan", ""])
                | cells,
                "Reccomending Body": st.sampled_from(["- CAT", "- UPR", "- SR on torture", "- ?"]) | cells,
                "Document Symbol": st.sampled_from(["- CAT/C/TJK/CO/3", "", "- A/HRC/49/12"]) | cells,
                "Themes": st.sampled_from(["- Conditions of detention", "", "- Nope"]) | cells,
                "Sdgs": st.sampled_from(["- 16.3 - Rule of law", "", "- 99"]) | cells,
                "Document Publication Date": st.sampled_from(["46078", "", "x", "2026-02-25"]) | cells,
                "UPR Reccomending States": st.sampled_from(["- Germany", "", "- Atlantis"]) | cells,
                "UPR Position": st.sampled_from(["- Supported", "- Noted", "", "- ??"]) | cells,
                "UPR Session": st.sampled_from(["- 39th Session", "", "x"]) | cells,
            }
        ),
        max_size=5,
    ),
    st.booleans(),
)
def test_any_uhri_file_gives_a_clean_result_or_clear_errors(db, rows, skip_invalid):
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=UHRI_HEADER, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    before = counts()

    summary = run_import(
        text.getvalue().encode(), filename="uhri.csv", country="TJ", dry_run=True, skip_invalid=skip_invalid
    )

    assert counts() == before and not summary.written
    assert all(isinstance(e["message"], str) and e["message"] for e in summary.errors)
    if summary.errors and not (skip_invalid and summary.imported):
        assert summary.created == summary.updated == summary.unchanged == summary.skipped == 0
    if not summary.errors:
        assert summary.imported + summary.skipped >= 1
