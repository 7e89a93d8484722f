"""The UPR Info importer and `adolat import`, against the real exports in ../shared/data."""

import csv
import io
import json
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adolat.conftest import SHARED_DATA, needs_shared_data
from adolat.lib import audit
from adolat.lib.models import AuditEntry
from adolat.recommendations.importers import ImportSummary, import_upr_info
from adolat.recommendations.importers.base import natural_key, normalise_text, parse_whole_number, read_text
from adolat.recommendations.importers.upr_info import COLUMNS, upr_cycle
from adolat.recommendations.models import Recommendation, SourceDocument
from adolat.recommendations.services import RecommendationData, recommendation_update
from adolat.recommendations.vocabularies import label_mapping

SHARED = SHARED_DATA
TAJIK_UTF8 = SHARED / "upr-info" / "tajikistan-2011-upr-info-utf8.csv"
RAW_EXPORT = SHARED / "upr-info" / "upr-info-export-sessions-10-13.csv"

pytestmark = pytest.mark.django_db


# --- helpers ------------------------------------------------------------------------------------


def run(path, *args) -> dict:
    """`adolat import PATH --json ARGS`; the summary it printed."""
    out = io.StringIO()
    call_command("import", str(path), "--json", *args, stdout=out, stderr=io.StringIO())
    return json.loads(out.getvalue())


def run_failing(path, *args) -> tuple[dict, CommandError]:
    out = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("import", str(path), "--json", *args, stdout=out, stderr=io.StringIO())
    return json.loads(out.getvalue()), failure.value


def raw_rows() -> list[dict]:
    """The raw export read independently of the importer: Mac Roman, CR line ends."""
    text = RAW_EXPORT.read_bytes().decode("mac_roman").replace("\r", "\n")
    return list(csv.DictReader(io.StringIO(text)))


def tajik_rows() -> list[dict]:
    return list(csv.DictReader(io.StringIO(TAJIK_UTF8.read_text(encoding="utf-8"))))


def write_csv(path: Path, rows: list[dict], columns=COLUMNS, **kwargs) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore", **kwargs)
        writer.writeheader()
        writer.writerows(rows)
    return path


def row(**values) -> dict:
    base = {
        "To": "Tajikistan",
        "To-Rgrp": "Asia",
        "To-Org": "CIS, OIC",
        "Text": "Ratify the Optional Protocol to the Convention against Torture",
        "From": "Denmark",
        "From-Rgrp": "WEOG",
        "From-Org": "EU",
        "Response": "Accepted",
        "Action": "5",
        "Issue": "Torture and other CID treatment,International instruments",
        "Session": "12",
    }
    return {**base, **values}


def counts() -> tuple[int, int, int]:
    return Recommendation.objects.count(), SourceDocument.objects.count(), AuditEntry.objects.count()


def positions(country="TJ") -> Counter:
    return Counter(Recommendation.objects.filter(country=country).values_list("position", flat=True))


# --- the real files -----------------------------------------------------------------------------


@needs_shared_data
def test_it_imports_the_tajik_export():
    summary = run(TAJIK_UTF8, "--country", "TJ")

    assert summary == {"created": 150, "updated": 0, "unchanged": 0, "skipped": 0, "errors": []}
    assert positions() == {"supported": 115, "noted": 35}
    recs = Recommendation.objects.filter(country="TJ")
    assert recs.filter(mechanism__code="UPR", original_language="en", year=2011).count() == 150
    assert not recs.filter(is_published=True).exists()
    doc = SourceDocument.objects.get()
    assert (doc.symbol, doc.session, doc.cycle, doc.year, doc.country_id) == ("", "12", 1, 2011, "TJ")
    assert doc.title_en == "UPR, session 12 (2011): Tajikistan"
    assert "Таджикистан" in doc.title_ru and "Тоҷикистон" in doc.title_tg
    assert recs.filter(document=doc).count() == 150


@needs_shared_data
def test_it_resolves_recommending_states_and_themes():
    run(TAJIK_UTF8, "--country", "Tajikistan")
    special_procedures = set(label_mapping("upr_info")["Special procedures"][0])
    assert special_procedures, "the UPR Info issue 'Special procedures' maps to a theme"

    invitations = Recommendation.objects.filter(text_en__icontains="standing invitation").order_by("pk")
    assert invitations.count() == 6
    first_four = [list(r.recommending_states.values_list("name_en", flat=True)) for r in invitations[:4]]
    assert first_four == [["Brazil"], ["Spain"], ["Romania"], ["Latvia"]]
    for rec in invitations:
        assert special_procedures <= set(rec.themes.all())
    # Every issue maps onto a theme or an affected group ("General" onto a group only).
    assert not Recommendation.objects.filter(themes__isnull=True, affected_groups__isnull=True).exists()
    # A recommendation with two issues gets the themes of both.
    sweden = Recommendation.objects.get(text_en__startswith="Cooperate more closely with United Nations")
    treaty_bodies = set(label_mapping("upr_info")["Treaty bodies"][0])
    assert (special_procedures | treaty_bodies) <= set(sweden.themes.all())


@needs_shared_data
def test_it_imports_the_raw_mac_roman_export_for_tajikistan():
    assert not RAW_EXPORT.read_bytes().count(b"\n")  # CR-only, as exported
    summary = run(RAW_EXPORT, "--country", "Tajikistan")

    assert summary == {"created": 150, "updated": 0, "unchanged": 0, "skipped": 0, "errors": []}
    assert positions() == {"supported": 115, "noted": 35}
    assert Recommendation.objects.exclude(country="TJ").count() == 0


@needs_shared_data
@pytest.mark.parametrize("country", ["Algeria", "DZ"])
def test_it_imports_another_state_from_the_raw_export(country):
    rows = [r for r in raw_rows() if r["To"] == "Algeria"]
    assert rows, "the export has rows for Algeria"

    summary = run(RAW_EXPORT, "--country", country)

    assert summary["errors"] == []
    assert summary["created"] + summary["skipped"] == len(rows)
    assert (
        Recommendation.objects.filter(country="DZ").count()
        == summary["created"]
        == Recommendation.objects.count()
    )
    if summary["skipped"] == 0:
        responses = Counter(r["Response"] for r in rows)
        assert positions("DZ") == {"supported": responses["Accepted"], "noted": responses["Noted"]}
    # Texts with accents survive the Mac Roman decoding.
    accented = {
        r["Text"] for r in raw_rows() if r["To"] == "Algeria" and any(ord(c) > 127 for c in r["Text"])
    }
    for text in accented:
        assert Recommendation.objects.filter(text_en=text.strip()).exists()


@needs_shared_data
def test_it_counts_a_repeated_row_as_skipped(tmp_path):
    rows = tajik_rows()
    repeated = {**rows[0], "Text": "  " + rows[0]["Text"].upper() + ". "}

    summary = run(write_csv(tmp_path / "repeated.csv", [*rows, repeated]), "--country", "TJ")

    assert summary == {"created": 150, "updated": 0, "unchanged": 0, "skipped": 1, "errors": []}


# --- idempotence and corrections ----------------------------------------------------------------


@needs_shared_data
def test_importing_the_same_file_twice_changes_nothing():
    run(TAJIK_UTF8, "--country", "TJ")
    entries = AuditEntry.objects.count()

    second = run(TAJIK_UTF8, "--country", "TJ")

    assert second == {"created": 0, "updated": 0, "unchanged": 150, "skipped": 0, "errors": []}
    assert Recommendation.objects.count() == 150
    assert SourceDocument.objects.count() == 1
    assert AuditEntry.objects.count() == entries


@needs_shared_data
def test_the_raw_export_matches_what_the_utf8_file_created():
    run(TAJIK_UTF8, "--country", "TJ")

    summary = run(RAW_EXPORT, "--country", "TJ")

    assert summary == {"created": 0, "updated": 0, "unchanged": 150, "skipped": 0, "errors": []}
    assert Recommendation.objects.count() == 150


@needs_shared_data
def test_a_corrected_text_updates_the_record_and_its_history(tmp_path):
    run(TAJIK_UTF8, "--country", "TJ")
    rows = tajik_rows()
    before = rows[3]["Text"]  # "Consider extending a standing invitation to all  Special Procedures ..."
    rec = Recommendation.objects.get(text_en=before.strip())
    rows[3] = {**rows[3], "Text": " ".join(before.split()) + "."}  # spacing and end punctuation fixed

    summary = run(write_csv(tmp_path / "corrected.csv", rows), "--country", "TJ")

    assert summary == {"created": 0, "updated": 1, "unchanged": 149, "skipped": 0, "errors": []}
    rec.refresh_from_db()
    assert rec.text_en == " ".join(before.split()) + "."
    latest = audit.history(rec).first()
    assert (latest.action, latest.source) == ("update", "import")
    assert latest.changes["text_en"] == [before.strip(), rec.text_en]


@needs_shared_data
def test_a_changed_response_updates_the_position_and_its_history(tmp_path):
    run(TAJIK_UTF8, "--country", "TJ")
    rows = tajik_rows()
    index = next(i for i, r in enumerate(rows) if r["Response"] == "Noted")
    rows[index] = {**rows[index], "Response": "Supported in part"}
    rec = Recommendation.objects.get(text_en=rows[index]["Text"].strip())

    summary = run(write_csv(tmp_path / "corrected.csv", rows), "--country", "TJ")

    assert summary == {"created": 0, "updated": 1, "unchanged": 149, "skipped": 0, "errors": []}
    rec.refresh_from_db()
    assert rec.position == "supported_in_part"
    assert audit.history(rec).first().changes["position"] == ["noted", "supported_in_part"]


@needs_shared_data
def test_a_reworded_recommendation_is_a_new_one(tmp_path):
    """The natural key holds the normalised text: a change of wording is not a correction the
    importer can recognise, so the reworded row is created beside the stored one."""
    run(TAJIK_UTF8, "--country", "TJ")
    rows = tajik_rows()
    rows[0] = {**rows[0], "Text": "Issue a standing invitation to all special procedures"}

    summary = run(write_csv(tmp_path / "reworded.csv", rows), "--country", "TJ")

    assert summary == {"created": 1, "updated": 0, "unchanged": 149, "skipped": 0, "errors": []}


@needs_shared_data
def test_reimport_keeps_what_people_added(tmp_path, users):
    run(TAJIK_UTF8, "--country", "TJ", "--publish")
    rec = Recommendation.objects.get(text_en__startswith="Consider issuing a standing invitation")
    extra_theme = label_mapping("upr_info")["Torture and other CID treatment"][0][0]
    data = RecommendationData(
        country=rec.country,
        mechanism=rec.mechanism,
        document=rec.document,
        text_en=rec.text_en,
        text_ru="Рассмотреть возможность направления постоянного приглашения специальным процедурам",
        position=rec.position,
        status="in_progress",
        is_published=False,
        natural_key=rec.natural_key,
        recommending_states=list(rec.recommending_states.all()),
        themes=[*rec.themes.all(), extra_theme],
    )
    recommendation_update(recommendation=rec, data=data, by=users["coordinator"], source="web")

    summary = run(TAJIK_UTF8, "--country", "TJ", "--publish")

    assert summary["unchanged"] == 150
    rec.refresh_from_db()
    assert rec.text_ru.startswith("Рассмотреть")
    assert (rec.status, rec.is_published) == ("in_progress", False)
    assert extra_theme in rec.themes.all()


# --- options ------------------------------------------------------------------------------------


@needs_shared_data
def test_dry_run_reports_the_same_summary_and_writes_nothing():
    before = counts()

    summary = run(TAJIK_UTF8, "--country", "TJ", "--dry-run")

    assert summary == {"created": 150, "updated": 0, "unchanged": 0, "skipped": 0, "errors": []}
    assert counts() == before


@needs_shared_data
def test_publish_publishes_the_created_records(users):
    run(TAJIK_UTF8, "--country", "TJ", "--publish", "--user", users["coordinator"].email)

    assert Recommendation.objects.published().count() == 150
    entry = audit.history(Recommendation.objects.first()).get()
    assert (entry.actor, entry.source, entry.action) == (users["coordinator"], "import", "create")


@needs_shared_data
def test_json_output_is_one_object_with_the_summary_keys():
    out = io.StringIO()
    call_command("import", str(TAJIK_UTF8), "--json", "--dry-run", stdout=out)

    summary = json.loads(out.getvalue())
    assert set(summary) == {"created", "updated", "unchanged", "skipped", "errors"}


@needs_shared_data
def test_the_readable_summary_names_the_counts():
    out = io.StringIO()
    call_command("import", str(RAW_EXPORT), "--country", "TJ", "--dry-run", stdout=out)

    text = out.getvalue()
    assert "150" in text and "8897" in text


@needs_shared_data
def test_the_default_country_comes_from_settings(settings):
    settings.ADOLAT_DEFAULT_COUNTRY = "TJ"
    assert run(TAJIK_UTF8)["created"] == 150


@needs_shared_data
@pytest.mark.parametrize("value", ["Atlantis", "XX", "Tajikstan"])
def test_an_unknown_country_is_a_clear_error(value):
    with pytest.raises(CommandError, match=value):
        call_command("import", str(TAJIK_UTF8), "--country", value, stdout=io.StringIO())
    assert Recommendation.objects.count() == 0


@needs_shared_data
def test_a_file_without_rows_for_the_state_is_an_error():
    summary, _ = run_failing(TAJIK_UTF8, "--country", "DZ")

    assert summary["created"] == 0
    assert [e["row"] for e in summary["errors"]] == [None]
    assert "Tajikistan" in summary["errors"][0]["message"]


# --- the format, not the sample -----------------------------------------------------------------


def test_it_tolerates_column_order_case_spaces_extra_columns_and_float_numbers(tmp_path):
    columns = ["Session ", " issue", "Extra", "RESPONSE", "from", "Text", " To ", "Action"]
    values = [
        ["12.0", " Special procedures , Treaty bodies ", "x", " accepted ", " Brazil ",
         " Consider issuing a standing invitation ", " Tajikistan ", "3.0"],
        ["12", "Justice", "", "Partially accepted", "Bosnia & Herzegovina", "Reform the judiciary",
         "TAJIKISTAN", ""],
        ["12", "", "", "", "Russian Federation", "Continue reforms", "Tajikistan", "4"],
    ]  # fmt: skip
    rows = [dict(zip(columns, v, strict=True)) for v in values]
    path = tmp_path / "shuffled.csv"
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(b"\xef\xbb\xbf" + text.getvalue().encode())  # Excel's UTF-8 with BOM, CRLF

    summary = run(path, "--country", "tj")

    assert summary == {"created": 3, "updated": 0, "unchanged": 0, "skipped": 0, "errors": []}
    first = Recommendation.objects.get(text_en="Consider issuing a standing invitation")
    assert first.position == "supported" and first.document.session == "12"
    assert first.themes.count() >= 2
    assert Recommendation.objects.get(text_en="Reform the judiciary").position == "supported_in_part"
    assert Recommendation.objects.get(text_en="Continue reforms").position == "pending"
    assert set(Recommendation.objects.values_list("recommending_states", flat=True)) == {"BR", "BA", "RU"}


def test_it_reads_semicolon_separated_files(tmp_path):
    path = write_csv(tmp_path / "semicolons.csv", [row()], delimiter=";")
    assert run(path, "--country", "TJ")["created"] == 1


def test_it_gives_each_session_its_document_cycle_and_year(tmp_path):
    path = write_csv(tmp_path / "sessions.csv", [row(Session="12"), row(Session="25"), row(Session="39")])

    run(path, "--country", "TJ")

    docs = {d.session: (d.cycle, d.year) for d in SourceDocument.objects.all()}
    assert docs == {"12": (1, 2011), "25": (2, 2016), "39": (3, 2021)}
    assert SourceDocument.objects.get(session="39").title_en == "UPR, session 39 (2021): Tajikistan"


def test_several_recommending_states_in_one_cell(tmp_path):
    path = write_csv(tmp_path / "joint.csv", [row(From="Denmark; Norway, Sweden")])

    run(path, "--country", "TJ")

    rec = Recommendation.objects.get()
    assert sorted(rec.recommending_states.values_list("pk", flat=True)) == ["DK", "NO", "SE"]


# --- wrong files --------------------------------------------------------------------------------


def test_every_wrong_row_is_reported_and_nothing_is_written(tmp_path):
    rows = [
        row(),  # row 2: fine
        row(From="Atlantis"),  # row 3
        row(Issue="Justice,Space law"),  # row 4
        row(Text="   "),  # row 5
        row(Response="Maybe"),  # row 6
        row(Session="twelve"),  # row 7
        row(To="Algeria", From="Atlantis"),  # row 8: another state's row, not read
        row(From="", Issue="Moon rights", Text="Do something"),  # row 9: two problems
    ]
    path = write_csv(tmp_path / "wrong.csv", rows)
    before = counts()

    summary, failure = run_failing(path, "--country", "TJ")

    assert failure.returncode == 1
    assert counts() == before
    assert (summary["created"], summary["updated"], summary["unchanged"], summary["skipped"]) == (0, 0, 0, 0)
    assert [e["row"] for e in summary["errors"]] == [3, 4, 5, 6, 7, 9, 9]
    messages = {e["row"]: e["message"] for e in summary["errors"]}
    for number, column, value in [
        (3, "From", "Atlantis"),
        (4, "Issue", "Space law"),
        (5, "Text", ""),
        (6, "Response", "Maybe"),
        (7, "Session", "twelve"),
    ]:
        assert str(number) in messages[number] and column in messages[number] and value in messages[number]


def test_row_numbers_are_spreadsheet_rows_even_with_multi_line_cells(tmp_path):
    path = write_csv(tmp_path / "multiline.csv", [row(Text="First line\nsecond line"), row(From="Atlantis")])
    summary, _ = run_failing(path, "--country", "TJ")
    assert [e["row"] for e in summary["errors"]] == [3]


def test_a_missing_required_column_is_named(tmp_path):
    columns = [c for c in COLUMNS if c not in ("Issue", "Response")]
    path = write_csv(tmp_path / "no-issue.csv", [row()], columns=columns)

    summary, _ = run_failing(path, "--country", "TJ")

    assert [e["row"] for e in summary["errors"]] == [1]
    assert "Issue" in summary["errors"][0]["message"] and "Response" in summary["errors"][0]["message"]
    assert Recommendation.objects.count() == 0


def test_a_csv_of_another_kind_is_not_taken_for_a_upr_info_export(tmp_path):
    path = tmp_path / "uhri.csv"
    path.write_text(
        'Text,Countries Concerned,Reccomending Body,Document Symbol,Themes\n"- Ratify OPCAT","- Tajikistan",'
        '"- CAT","- CAT/C/TJK/CO/3","- Conditions of detention"\n',
        encoding="utf-8",
    )
    before = counts()

    # Recognised from its content it is a UHRI export (test_import_formats); forced, it is refused.
    summary, _ = run_failing(path, "--country", "TJ", "--format", "upr_info")

    message = summary["errors"][0]["message"]
    assert "UPR Info" in message and "From" in message and "Session" in message
    assert counts() == before


@pytest.mark.parametrize(
    "content",
    [b"", b"\n\n", b"PK\x03\x04\x14\x00\x06\x00", b"%PDF-1.4\n", b'To,Text\n"unterminated'],
    ids=["empty", "blank", "xlsx", "pdf", "broken-quote"],
)
def test_files_that_are_no_csv_at_all_are_clear_errors(tmp_path, content):
    path = tmp_path / "file.csv"
    path.write_bytes(content)

    summary, _ = run_failing(path, "--country", "TJ")

    assert summary["errors"] and all(e["message"] for e in summary["errors"])
    assert Recommendation.objects.count() == 0


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="nowhere.csv"):
        call_command("import", str(tmp_path / "nowhere.csv"), stdout=io.StringIO())


def test_every_error_message_goes_through_gettext(tmp_path, monkeypatch):
    """Messages are looked up in the catalogue of the reader's language: mark what gettext
    returns and check that no message escapes it."""
    from adolat.recommendations import importers
    from adolat.recommendations.importers import base, tables, upr_info, writer

    for module in (importers, base, tables, upr_info, writer):
        monkeypatch.setattr(module, "_", lambda message: "⟦" + message)
    wrong_rows = [row(From="Atlantis", Issue="Space law", Text="", Response="Maybe", Session="x")]
    files = {
        "rows.csv": write_csv(tmp_path / "rows.csv", wrong_rows),
        "columns.csv": write_csv(tmp_path / "columns.csv", [row()], columns=["To", "Text"]),
        "other-state.csv": write_csv(tmp_path / "other-state.csv", [row(To="Algeria")]),
        "empty.csv": tmp_path / "empty.csv",
        "book.xlsx": tmp_path / "book.xlsx",
    }
    files["empty.csv"].write_bytes(b"")
    files["book.xlsx"].write_bytes(b"PK\x03\x04")

    for name, path in files.items():
        errors = import_upr_info(path, country="TJ").errors
        assert errors, name
        assert all(e["message"].startswith("⟦") for e in errors), (name, errors)
    assert len(import_upr_info(files["rows.csv"], country="TJ").errors) == 5


cells = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=30)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "To": st.sampled_from(["Tajikistan", "TJ", "Algeria", ""]) | cells,
                "Text": st.sampled_from(["Ratify OPCAT", ""]) | cells,
                "From": st.sampled_from(["Brazil", "Spain, Latvia", "Atlantis", ""]) | cells,
                "Response": st.sampled_from(["Accepted", "Noted", "pending", "??"]) | cells,
                "Issue": st.sampled_from(["Justice", "Justice,Detention", "", "Nope"]) | cells,
                "Session": st.sampled_from(["12", "12.0", "0", "x"]) | cells,
            }
        ),
        max_size=6,
    ),
    st.sampled_from(["utf-8", "mac_roman"]),
    st.sampled_from(["\n", "\r", "\r\n"]),
)
def test_any_file_gives_a_clean_result_or_clear_errors(db, rows, encoding, line_end):
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=COLUMNS, extrasaction="ignore", lineterminator=line_end)
    writer.writeheader()
    writer.writerows(rows)
    data = text.getvalue().encode(encoding, errors="replace")
    before = counts()

    summary = import_upr_info(data, country="TJ", dry_run=True)

    assert isinstance(summary, ImportSummary)
    assert counts() == before
    if summary.errors:
        assert all(isinstance(e["message"], str) and e["message"] for e in summary.errors)
        assert summary.created == summary.updated == summary.unchanged == summary.skipped == 0
    else:
        assert summary.created + summary.skipped >= 1


# --- the pieces ---------------------------------------------------------------------------------


def test_read_text_decodes_utf8_with_or_without_bom_and_mac_roman():
    assert read_text("Côte d'Ivoire\r\nx".encode()) == "Côte d'Ivoire\nx"
    assert read_text(b"\xef\xbb\xbfTo,Text\rA,B\r") == "To,Text\nA,B\n"
    assert read_text("São Tomé\rNext".encode("mac_roman")) == "São Tomé\nNext"


def test_natural_key_ignores_case_spacing_end_punctuation_and_state_order():
    key = natural_key(country="TJ", session="12", recommending_states=["ES", "BR"], text="Ratify  OPCAT.")
    assert key == natural_key(
        country="tj", session="12.0", recommending_states=["BR", "ES"], text=" ratify opcat "
    )
    assert key != natural_key(
        country="TJ", session="13", recommending_states=["ES", "BR"], text="Ratify OPCAT"
    )
    assert key != natural_key(country="TJ", session="12", recommending_states=["ES"], text="Ratify OPCAT")
    assert key != natural_key(country="TJ", session="12", recommending_states=["ES", "BR"], text="Ratify CED")
    assert len(key) == 64
    assert normalise_text(' "Ratify\tOPCAT!" ') == "ratify opcat"


def test_numbers_as_spreadsheets_write_them():
    assert [parse_whole_number(v) for v in ["12", " 12 ", "12.0", "12th session", "x", "", "1.5"]] == [
        12,
        12,
        12,
        12,
        None,
        None,
        None,
    ]
    assert [upr_cycle(s) for s in (1, 12, 13, 26, 27, 40, 41, 54)] == [1, 1, 2, 2, 3, 3, 4, 4]


def test_summary_as_dict_has_exactly_the_documented_keys():
    summary = ImportSummary(created=1)
    summary.add_error(3, "bad")
    assert summary.as_dict() == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "skipped": 0,
        "errors": [{"row": 3, "message": "bad"}],
    }
