"""Identity across imports and sources: the same recommendation from the Working Group report and
from UPR Info is one record; near matches are listed, confirmed (merged) or dismissed; corrected
files update records with their history."""

import csv
import io
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from adolat.conftest import SHARED_DATA, needs_shared_data
from adolat.lib import audit
from adolat.recommendations.importers import run_import
from adolat.recommendations.importers.near_matches import near_match_confirm, near_match_dismiss
from adolat.recommendations.models import NearMatch, Recommendation, SourceDocument

pytestmark = pytest.mark.django_db

TAJIK_UTF8 = SHARED_DATA / "upr-info" / "tajikistan-2011-upr-info-utf8.csv"
DECISIONS = SHARED_DATA / "un-documents" / "A-HRC-19-3-paragraphs-with-decisions.csv"
UPR_COLUMNS = ["To", "Text", "From", "Response", "Issue", "Session"]
# The Working Group report's words for the state's decision, as the sample records them.
DECISION_POSITIONS = {
    "support": "supported",
    "implemented": "supported",
    "consider": "pending",
    "reject": "noted",
}
WG_MAPPING = ["--map", "paragraph=Paragraph", "--map", "text=Text", "--map", "states=States"]
WG_MAPPING += ["--map", "position=Position", "--map", "cluster=Paragraph"]


def run(path, *args) -> dict:
    out = io.StringIO()
    call_command("import", str(path), "--json", *args, stdout=out, stderr=io.StringIO())
    return json.loads(out.getvalue())


def write_csv(path: Path, rows: list[list]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def working_group_report(path: Path) -> Path:
    """A/HRC/19/3's recommendations one per row, as a generic table: paragraph, text, the
    recommending states in its parentheses, the position its decision gives."""
    rows, seen = [["Paragraph", "Text", "States", "Position"]], set()
    with DECISIONS.open(encoding="utf-8", errors="replace") as f:
        for row in csv.DictReader(f):
            match = re.match(r"^\s*(\d+\.\d+)[.\d]*\s*(.*?)\s*\(([^()]*)\)[\s.;)]*$", row["text"], re.S)
            paragraph, text, states = match.groups()
            if (paragraph, text) not in seen:
                seen.add((paragraph, text))
                rows.append([paragraph, text, states, DECISION_POSITIONS[row["decision"]]])
    return write_csv(path, rows)


def upr_row(text, state="Denmark", response="Accepted", issue="Justice", session="12", to="Tajikistan"):
    return [to, text, state, response, issue, session]


def positions() -> Counter:
    return Counter(Recommendation.objects.values_list("position", flat=True))


# --- The same recommendation from two sources ---------------------------------------------------


@needs_shared_data
def test_the_upr_info_export_after_the_working_group_report_updates_the_same_records(tmp_path):
    report = working_group_report(tmp_path / "a-hrc-19-3.csv")
    first = run(report, "--country", "TJ", "--document", "A/HRC/19/3", *WG_MAPPING)
    assert first["errors"] == [] and first["created"] == 142
    stored = Recommendation.objects.count()
    assert positions()["pending"] == 57  # "consider", joint recommendations counted once
    doc = SourceDocument.objects.get()
    assert (doc.symbol, doc.session) == ("A/HRC/19/3", "")

    second = run(TAJIK_UTF8, "--country", "Tajikistan")

    assert second["errors"] == []
    # Every UPR Info row found its record, except the pieces of compound recommendations that UPR
    # Info split into rows of their own (listed as near matches).
    assert second["updated"] + second["unchanged"] >= 135
    assert Recommendation.objects.count() == stored + second["created"]
    assert NearMatch.objects.filter(state="pending").count() >= second["created"] > 0
    # The report is the document of both: it gained the session UPR Info gives.
    doc.refresh_from_db()
    assert SourceDocument.objects.get() == doc
    assert (doc.symbol, doc.session, doc.cycle, doc.year) == ("A/HRC/19/3", "12", 1, 2011)
    # The final positions replaced "pending", and the records keep their paragraphs.
    opcat = Recommendation.objects.get(text_en__startswith="Sign and ratify the Optional Protocol to the CAT")
    assert (opcat.position, opcat.paragraph) == ("noted", "90.3")
    assert positions()["pending"] < 10
    history = audit.history(opcat).first()
    assert history.source == "import" and history.changes["position"] == ["pending", "noted"]

    # Re-importing either source creates nothing, and the report's "pending" is no news. (A text
    # takes the typography of the file imported last: the report's ’ where UPR Info wrote '.)
    assert run(TAJIK_UTF8, "--country", "TJ")["unchanged"] == 150
    again = run(report, "--country", "TJ", "--document", "A/HRC/19/3", *WG_MAPPING)
    assert again["created"] == 0 and again["errors"] == []
    opcat.refresh_from_db()
    assert opcat.position == "noted"
    assert run(report, "--country", "TJ", "--document", "A/HRC/19/3", *WG_MAPPING)["unchanged"] == 142


@needs_shared_data
def test_the_working_group_report_after_the_upr_info_export_finds_its_records(tmp_path):
    run(TAJIK_UTF8, "--country", "TJ")
    session_doc = SourceDocument.objects.get()

    summary = run(
        working_group_report(tmp_path / "wg.csv"), "--country", "TJ", "--document", "A/HRC/19/3", *WG_MAPPING
    )

    assert summary["errors"] == [] and summary["updated"] >= 125
    session_doc.refresh_from_db()
    assert SourceDocument.objects.get() == session_doc
    assert (session_doc.symbol, session_doc.session) == ("A/HRC/19/3", "12")
    # The joint recommendation of Switzerland and the Czech Republic is one record, as UPR Info
    # gives it in two rows.
    joint = Recommendation.objects.filter(
        text_en__startswith="Ratify the Second Optional Protocol to ICCPR, aiming"
    )
    assert joint.count() >= 1
    assert Recommendation.objects.filter(paragraph="88.1").count() == 4
    # Positions stay final (only records the report alone holds are pending).
    assert positions()["pending"] <= summary["created"]
    assert not Recommendation.objects.filter(position="pending", paragraph="").exists()


def test_a_document_given_with_symbol_and_session_links_both_ways(tmp_path):
    upr = write_csv(tmp_path / "upr.csv", [UPR_COLUMNS, upr_row("Ratify OPCAT")])
    run(upr, "--country", "TJ")

    # A later file naming the symbol and the session (as UHRI does) gives the document its symbol.
    run(upr, "--country", "TJ", "--document", "A/HRC/19/3")
    doc = SourceDocument.objects.get()
    assert (doc.symbol, doc.session) == ("A/HRC/19/3", "12")
    assert Recommendation.objects.count() == 1


def test_documents_of_other_reviews_are_not_linked(tmp_path):
    """Ratify OPCAT, recommended by Denmark in session 12 and again in session 25, is two
    recommendations."""
    rows = [UPR_COLUMNS, upr_row("Ratify OPCAT"), upr_row("Ratify OPCAT", session="25")]
    summary = run(write_csv(tmp_path / "two.csv", rows), "--country", "TJ")
    assert summary["created"] == 2 and SourceDocument.objects.count() == 2
    mapping = ["--map", "text=Text", "--map", "states=From"]
    report = write_csv(
        tmp_path / "r.csv", [["Text", "From"], ["Ratify OPCAT", "Denmark"], ["Abolish torture", "Chile"]]
    )
    # A report of a later year does not adopt the 2011 session.
    summary = run(report, "--country", "TJ", "--document", "A/HRC/49/12", *mapping)
    assert summary["created"] == 2 and SourceDocument.objects.count() == 3


def test_a_joint_recommendation_given_state_by_state_is_one_record(tmp_path):
    mapping = ["--map", "text=Text", "--map", "states=States", "--map", "position=Position"]
    report = write_csv(
        tmp_path / "wg.csv",
        [
            ["Text", "States", "Position"],
            ["Abolish the death penalty", "Czech Republic, Switzerland", "pending"],
        ],
    )
    run(report, "--country", "TJ", "--document", "A/HRC/19/3", *mapping)
    rows = [UPR_COLUMNS, upr_row("Abolish the death penalty", "Switzerland", "Noted")]
    rows.append(upr_row("Abolish the death penalty", "Czech Republic", "Noted"))

    summary = run(write_csv(tmp_path / "upr.csv", rows), "--country", "TJ")

    assert (summary["created"], summary["updated"], summary["unchanged"]) == (0, 1, 1)
    rec = Recommendation.objects.get()
    assert rec.position == "noted"
    assert sorted(rec.recommending_states.values_list("pk", flat=True)) == ["CH", "CZ"]


# --- Near matches -------------------------------------------------------------------------------

REPORT_TEXT = (
    "Open prisons and detention centres, including temporary and pretrial facilities, to monitoring "
    "by the ICRC"
)
EXPORT_TEXT = "Open prisons and detention centres, including temporary facilities, to monitoring by the ICRC"


def near_match_pair(tmp_path) -> NearMatch:
    first = write_csv(
        tmp_path / "first.csv", [UPR_COLUMNS, upr_row(REPORT_TEXT, response="Pending", issue="Detention")]
    )
    run(first, "--country", "TJ")
    rows = [UPR_COLUMNS, upr_row(EXPORT_TEXT, issue="Torture and other CID treatment")]
    summary = run(write_csv(tmp_path / "second.csv", rows), "--country", "TJ")
    assert summary["created"] == 1
    return NearMatch.objects.get()


def test_a_near_match_is_created_and_listed_not_merged(tmp_path):
    near = near_match_pair(tmp_path)

    assert Recommendation.objects.count() == 2
    assert near.state == "pending" and 90 <= near.score < 100
    assert near.existing.text_en == REPORT_TEXT and near.recommendation.text_en == EXPORT_TEXT
    assert "second.csv" in near.found_in and "row 2" in near.found_in
    # Importing the same file again lists nothing more.
    run(tmp_path / "second.csv", "--country", "TJ")
    assert NearMatch.objects.count() == 1


def test_a_different_state_or_a_different_text_is_no_near_match(tmp_path):
    run(write_csv(tmp_path / "a.csv", [UPR_COLUMNS, upr_row(REPORT_TEXT)]), "--country", "TJ")
    rows = [UPR_COLUMNS, upr_row(EXPORT_TEXT, state="Chile"), upr_row("Abolish the death penalty")]
    run(write_csv(tmp_path / "b.csv", rows), "--country", "TJ")
    assert not NearMatch.objects.exists()


def test_confirming_a_near_match_merges_into_the_older_record(tmp_path, users, orgs):
    from adolat.followup.models import Assignment, Cluster
    from adolat.followup.services import cluster_create

    near = near_match_pair(tmp_path)
    older, newer = near.existing, near.recommendation
    cluster = cluster_create(
        country=newer.country, recommendations=[newer], origin="manual", by=users["coordinator"], source="web"
    )
    assignment = Assignment.objects.create(recommendation=newer, lead_body=orgs["justice"])

    kept = near_match_confirm(near_match=near, by=users["coordinator"])

    assert kept == older and not Recommendation.objects.filter(pk=newer.pk).exists()
    kept.refresh_from_db()
    assert kept.text_en == REPORT_TEXT  # its own wording stays
    assert kept.position == "supported"  # the final position replaced "pending"
    themes = set(kept.themes.values_list("code", flat=True))
    assert "torture" in themes and len(themes) >= 2  # the tags of both
    assignment.refresh_from_db()
    assert assignment.recommendation == kept
    assert list(Cluster.objects.get(pk=cluster.pk).recommendations.all()) == [kept]
    near.refresh_from_db()
    assert (near.state, near.recommendation, near.existing, near.decided_by) == (
        "confirmed",
        None,
        kept,
        users["coordinator"],
    )
    entries = list(audit.history(kept))
    assert any(e.changes.get("merged_recommendation") == [newer.pk, None] for e in entries)
    assert any(e.changes.get("position") == ["pending", "supported"] for e in entries)
    assert any(e.action == "delete" for e in audit.history(newer))

    # Importing the merged text again finds the kept record instead of creating it anew.
    summary = run(tmp_path / "second.csv", "--country", "TJ")
    assert (summary["created"], summary["unchanged"]) == (0, 1)
    assert run(tmp_path / "first.csv", "--country", "TJ")["created"] == 0
    assert Recommendation.objects.count() == 1 and NearMatch.objects.count() == 1

    with pytest.raises(ValidationError):
        near_match_confirm(near_match=near, by=users["coordinator"])


def test_confirming_can_take_the_imported_wording(tmp_path, users):
    near = near_match_pair(tmp_path)

    kept = near_match_confirm(near_match=near, by=users["coordinator"], take_text=True)

    assert kept.text_en == EXPORT_TEXT
    assert audit.history(kept).filter(changes__has_key="text_en").exists()
    # Both wordings still find the one record.
    assert run(tmp_path / "first.csv", "--country", "TJ")["created"] == 0
    assert run(tmp_path / "second.csv", "--country", "TJ")["created"] == 0
    assert Recommendation.objects.count() == 1


def test_dismissing_a_near_match_keeps_both_records(tmp_path, users):
    near = near_match_pair(tmp_path)

    near_match_dismiss(near_match=near, by=users["coordinator"])

    near.refresh_from_db()
    assert near.state == "dismissed" and near.decided_by == users["coordinator"]
    assert Recommendation.objects.count() == 2
    assert audit.history(near).first().changes["state"] == ["pending", "dismissed"]
    assert run(tmp_path / "second.csv", "--country", "TJ")["unchanged"] == 1
    assert NearMatch.objects.count() == 1
    with pytest.raises(ValidationError):
        near_match_dismiss(near_match=near, by=users["coordinator"])


def test_the_admin_actions_confirm_and_dismiss(tmp_path, admin_client):
    near = near_match_pair(tmp_path)
    url = "/admin/recommendations/nearmatch/"
    listing = admin_client.get(url)
    assert listing.status_code == 200 and EXPORT_TEXT[:40] in listing.content.decode()

    admin_client.post(url, {"action": "dismiss", "_selected_action": [near.pk]})

    near.refresh_from_db()
    assert near.state == "dismissed"


# --- Corrections and their history --------------------------------------------------------------


def test_a_corrected_file_updates_records_and_the_history_says_what_changed(tmp_path, users):
    rows = [UPR_COLUMNS, upr_row("Ratify OPCAT", response="Pending"), upr_row("Abolish the death penalty")]
    path = write_csv(tmp_path / "v1.csv", rows)
    run(path, "--country", "TJ")
    rec = Recommendation.objects.get(text_en="Ratify OPCAT")
    rows[1] = upr_row("Ratify OP-CAT.", response="Accepted", issue="Justice, Torture and other CID treatment")

    summary = run(
        write_csv(tmp_path / "v2.csv", rows), "--country", "TJ", "--user", users["coordinator"].email
    )

    assert (summary["updated"], summary["unchanged"], summary["created"]) == (1, 1, 0)
    rec.refresh_from_db()
    assert (rec.text_en, rec.position) == ("Ratify OP-CAT.", "supported")
    entry = audit.history(rec).first()
    assert (entry.action, entry.source, entry.actor) == ("update", "import", users["coordinator"])
    assert entry.changes["text_en"] == ["Ratify OPCAT", "Ratify OP-CAT."]
    assert entry.changes["position"] == ["pending", "supported"]
    assert len(entry.changes["themes"][1]) > len(entry.changes["themes"][0])


def test_an_interrupted_write_leaves_nothing_when_a_record_fails(tmp_path, monkeypatch):
    """A failure in the middle of writing (here: the database refusing the 2nd chunk of records,
    after the 1st was written) rolls back the records already written in that file."""
    from adolat.recommendations import services
    from adolat.recommendations.importers import writer

    calls = []
    original = services.recommendations_bulk_create

    def failing(**kwargs):
        calls.append(kwargs["most"])  # the records of the chunk, built as they are written
        if len(calls) == 2:
            assert Recommendation.objects.count() == 2  # the first chunk is in
            raise RuntimeError("disk full")
        return original(**kwargs)

    monkeypatch.setattr(services, "recommendations_bulk_create", failing)
    monkeypatch.setattr(writer, "WRITE_CHUNK", 2)
    rows = [UPR_COLUMNS] + [upr_row(f"Recommendation number {n}") for n in range(5)]

    with pytest.raises(RuntimeError):
        run_import(write_csv(tmp_path / "f.csv", rows).read_bytes(), filename="f.csv", country="TJ")

    assert calls == [2, 2]
    assert Recommendation.objects.count() == 0 and SourceDocument.objects.count() == 0


def test_a_document_created_as_checked_unique_is_still_refused_as_a_duplicate():
    """Imports create documents with `unique_checked` (the writer read the stored ones); a
    duplicate it let through all the same is refused by the database, and nothing of it is
    written, its history included."""
    from django.db import IntegrityError, transaction

    from adolat.lib.models import AuditEntry
    from adolat.recommendations.models import Country, Mechanism
    from adolat.recommendations.services import source_document_create

    country, _ = Country.objects.get_or_create(code="TJ", defaults={"name_en": "Tajikistan"})
    upr = Mechanism.objects.get(code="UPR")

    def document() -> SourceDocument:
        return SourceDocument(mechanism=upr, country=country, symbol="A/HRC/19/3", session="12")

    source_document_create(document=document(), source="command", unique_checked=True)
    with pytest.raises(ValidationError):  # the constraints' own check
        source_document_create(document=document(), source="command")
    entries = AuditEntry.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        source_document_create(document=document(), source="command", unique_checked=True)
    assert SourceDocument.objects.filter(symbol="A/HRC/19/3").count() == 1
    assert AuditEntry.objects.count() == entries
