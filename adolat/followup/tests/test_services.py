"""The follow-up's writes: the report workflow (every step from every state, allowed and refused),
optimistic locking, supersession and the derived implementation status, evidence files, and the
rules of clusters, assignments, action plans, periods, assessments and replies."""

import io
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from adolat.followup import services
from adolat.followup.models import Cluster, Evidence, IndicatorValue, ProgressReport
from adolat.lib import uploads
from adolat.lib.models import AuditEntry
from adolat.lib.tests.test_uploads import JPEG, SHEET_MAIN, WORD_MAIN, pdf
from adolat.lib.tests.test_uploads import PNG as SAMPLE_PNG
from adolat.recommendations.models import Recommendation

pytestmark = pytest.mark.django_db

State = ProgressReport.State


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (the default language is Tajik)."""
    with translation.override("en"):
        yield


def history(obj) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).order_by(
            "at", "pk"
        )
    )


def status_changes(rec) -> list[AuditEntry]:
    return [e for e in history(rec) if e.action == "update" and "status" in e.changes]


def codes(exc: ValidationError) -> set[str]:
    if hasattr(exc, "error_dict"):
        return {e.code for errors in exc.error_dict.values() for e in errors}
    return {e.code for e in exc.error_list}


# --- The workflow, as a table -------------------------------------------------------------------

# step → {state it may be taken from: state it leads to}; every other state refuses it.
TRANSITIONS = {
    "update": {"draft": "draft", "returned": "returned"},
    "evidence": {"draft": "draft", "returned": "returned"},
    "submit": {"draft": "submitted"},
    "return": {"submitted": "returned"},
    "resubmit": {"returned": "submitted"},
    "validate": {"submitted": "validated"},
}
STATES = ["draft", "submitted", "returned", "validated", "superseded"]
# How each refusal names the step tried.
REFUSAL_WORDS = {
    "update": "cannot be changed",
    "evidence": "cannot be changed",
    "submit": "cannot be submitted",
    "return": "cannot be returned",
    "resubmit": "cannot be resubmitted",
    "validate": "cannot be validated",
}


@pytest.fixture
def reach(make_report, assignment):
    """A report of the Ministry of Justice in the given state."""

    def reach(state):
        if state == "superseded":
            old = make_report(assignment, "validated")
            make_report(assignment, "validated", text="A newer account")
            old.refresh_from_db()
            return old
        return make_report(assignment, state)

    return reach


def take(step, report, users):
    focal, coordinator = users["focal_point"], users["coordinator"]
    if step == "update":
        return services.progress_report_update(
            report=report, version=report.version, text="Revised", by=focal
        )
    if step == "evidence":
        return services.evidence_add(report=report, url="https://example.org/law.pdf", by=focal)
    if step == "submit":
        return services.progress_report_submit(report=report, by=focal)
    if step == "return":
        return services.progress_report_return(report=report, comment="Say more", by=coordinator)
    if step == "resubmit":
        return services.progress_report_resubmit(report=report, by=focal)
    return services.progress_report_validate(report=report, by=coordinator)


CASES = [(step, state) for step in TRANSITIONS for state in STATES]


@pytest.mark.parametrize(("step", "state"), CASES, ids=[f"{step}-from-{state}" for step, state in CASES])
def test_each_step_from_each_state(reach, users, step, state):
    report = reach(state)
    version = report.version
    if state in TRANSITIONS[step]:
        take(step, report, users)
        report.refresh_from_db()
        assert report.state == TRANSITIONS[step][state]
        assert report.version > version or step == "evidence"
        return
    with pytest.raises(ValidationError) as refused:
        take(step, report, users)
    message = " ".join(refused.value.messages)
    assert codes(refused.value) == {"invalid_transition"}
    assert str(State(state).label) in message, "the message names the current state"
    assert REFUSAL_WORDS[step] in message, "the message names the step tried"
    report.refresh_from_db()
    assert (report.state, report.version) == (state, version), "nothing was written"


def test_a_validated_report_is_sealed_and_says_how_to_go_on(reach, users):
    report = reach("validated")
    with pytest.raises(ValidationError) as refused:
        services.progress_report_update(
            report=report, version=report.version, text="Changed", by=users["focal_point"]
        )
    assert "Write a new report to supersede it." in refused.value.messages[0]
    report.refresh_from_db()
    assert report.text == "Draft law prepared"


def test_submitting_a_returned_report_points_to_resubmission(reach, users):
    report = reach("returned")
    with pytest.raises(ValidationError, match="Resubmit it instead"):
        services.progress_report_submit(report=report, by=users["focal_point"])


def test_the_full_cycle_is_recorded_step_by_step(make_report, assignment, users):
    report = make_report(assignment, "draft")
    focal, coordinator = users["focal_point"], users["coordinator"]
    services.progress_report_update(report=report, version=1, text="Draft law sent to parliament", by=focal)
    services.progress_report_submit(report=report, by=focal)
    services.progress_report_return(report=report, comment="Attach the draft law", by=coordinator)
    services.progress_report_resubmit(report=report, by=focal)
    services.progress_report_validate(report=report, by=coordinator)

    report.refresh_from_db()
    assert report.state == State.VALIDATED
    assert report.validated_by == coordinator
    assert report.validated_at is not None and report.submitted_at is not None
    assert report.coordinator_comment == "Attach the draft law"
    assert report.version == 6
    entries = history(report)
    assert [e.action for e in entries] == ["create", "update", "submit", "return", "resubmit", "validate"]
    assert [e.actor for e in entries] == [focal, focal, focal, coordinator, focal, coordinator]
    assert entries[1].changes["text"] == ["Draft law prepared", "Draft law sent to parliament"]
    assert entries[3].changes["state"] == ["submitted", "returned"]
    assert entries[3].changes["coordinator_comment"] == ["", "Attach the draft law"]


def test_returning_needs_a_comment(reach, users):
    report = reach("submitted")
    for comment in ("", "   "):
        with pytest.raises(ValidationError) as refused:
            services.progress_report_return(report=report, comment=comment, by=users["coordinator"])
        assert "comment" in refused.value.error_dict
    report.refresh_from_db()
    assert report.state == State.SUBMITTED


def test_an_edit_on_a_stale_version_is_refused_as_a_conflict(reach, users):
    report = reach("draft")
    seen = report.version
    services.progress_report_update(report=report, version=seen, text="First edit", by=users["focal_point"])
    stale = ProgressReport.objects.get(pk=report.pk)
    with pytest.raises(ValidationError) as refused:
        services.progress_report_update(
            report=stale, version=seen, text="Second edit", by=users["focal_point"]
        )
    assert codes(refused.value) == {"conflict"}
    assert f"you saw version {seen}; it is now at version {seen + 1}" in refused.value.messages[0]
    stale.refresh_from_db()
    assert stale.text == "First edit"


def test_a_step_on_a_stale_version_is_refused_as_a_conflict(reach, users):
    report = reach("submitted")
    with pytest.raises(ValidationError) as refused:
        services.progress_report_validate(report=report, version=report.version - 1, by=users["coordinator"])
    assert codes(refused.value) == {"conflict"}
    services.progress_report_validate(report=report, version=report.version, by=users["coordinator"])


def test_an_edit_that_changes_nothing_writes_nothing(reach, users):
    report = reach("draft")
    services.progress_report_update(
        report=report, version=report.version, text=report.text, by=users["focal_point"]
    )
    report.refresh_from_db()
    assert report.version == 1
    assert [e.action for e in history(report)] == ["create"]


def test_one_report_in_progress_per_body_assignment_and_period(make_report, assignment, users, period):
    make_report(assignment, "submitted")
    with pytest.raises(ValidationError) as refused:
        make_report(assignment, "draft")
    assert codes(refused.value) == {"duplicate"}
    # Another period, or no period, is another report.
    make_report(assignment, "draft", period=None)


def test_no_new_report_on_an_ended_assignment(assignment, users, make_report):
    services.assignment_deactivate(assignment=assignment, by=users["coordinator"])
    with pytest.raises(ValidationError) as refused:
        make_report(assignment)
    assert codes(refused.value) == {"inactive"}


def test_a_focal_point_of_two_bodies_says_which_one_reports(two_hats, rec, orgs, interior, users):
    assignment = services.assignment_create(
        recommendation=rec, lead_body=orgs["justice"], supporting_bodies=[interior], by=users["coordinator"]
    )
    with pytest.raises(ValidationError) as refused:
        services.progress_report_create(
            assignment=assignment, text="Done", proposed_status="in_progress", by=two_hats
        )
    assert "organisation" in refused.value.error_dict
    report = services.progress_report_create(
        assignment=assignment, text="Done", proposed_status="in_progress", organisation=interior, by=two_hats
    )
    assert report.organisation == interior
    with pytest.raises(PermissionDenied):
        services.progress_report_create(
            assignment=assignment,
            text="Done",
            proposed_status="in_progress",
            organisation=orgs["cso"],
            by=two_hats,
        )


def test_only_the_reporting_body_edits_its_report(rec, orgs, interior, users, people):
    """A supporting body's focal point sees the lead's submitted report but cannot change it."""
    assignment = services.assignment_create(
        recommendation=rec, lead_body=orgs["justice"], supporting_bodies=[interior], by=users["coordinator"]
    )
    report = services.progress_report_create(
        assignment=assignment, text="Done", proposed_status="in_progress", by=users["focal_point"]
    )
    with pytest.raises(PermissionDenied):
        services.progress_report_update(
            report=report, version=1, text="Mine now", by=people["focal_point_interior"]
        )
    with pytest.raises(PermissionDenied):
        services.progress_report_submit(report=report, by=people["focal_point_interior"])


# --- Validation: supersession and the derived status --------------------------------------------


def test_validation_sets_the_recommendations_status_and_records_it(make_report, assignment, rec, users):
    assert rec.status == "not_started"
    report = make_report(assignment, "validated", proposed_status="partially_implemented")
    rec.refresh_from_db()
    assert rec.status == "partially_implemented"
    change = status_changes(rec)
    assert len(change) == 1
    assert change[0].changes["status"] == ["not_started", "partially_implemented"]
    assert change[0].actor == users["coordinator"]
    assert report.state == State.VALIDATED


def test_submitting_or_returning_never_changes_the_status(make_report, assignment, rec):
    make_report(assignment, "returned", proposed_status="implemented")
    rec.refresh_from_db()
    assert rec.status == "not_started"


def test_a_newer_validated_report_supersedes_the_older_one(make_report, assignment, rec, users):
    old = make_report(assignment, "validated", proposed_status="in_progress")
    new = make_report(assignment, "validated", proposed_status="implemented", text="Law adopted")
    old.refresh_from_db()
    assert old.state == State.SUPERSEDED
    assert new.supersedes == old
    assert [e.action for e in history(old)][-1] == "supersede"
    assert history(old)[-1].changes["superseded_by"] == [None, new.pk]
    rec.refresh_from_db()
    assert rec.status == "implemented"
    statuses = [e.changes["status"] for e in status_changes(rec)]
    assert statuses == [["not_started", "in_progress"], ["in_progress", "implemented"]]


def test_a_report_for_another_period_does_not_supersede(make_report, assignment, users):
    first = make_report(assignment, "validated")
    later_period = services.reporting_period_create(
        starts=date(2026, 1, 1), ends=date(2026, 12, 31), due=date(2027, 1, 31), by=users["coordinator"]
    )
    make_report(assignment, "validated", period=later_period, proposed_status="implemented")
    first.refresh_from_db()
    assert first.state == State.VALIDATED


def test_validating_a_cluster_report_sets_every_member(make_recommendation, users, orgs, make_report):
    members = [
        make_recommendation(text_en=f"Invite special procedures {i}", is_published=True) for i in range(3)
    ]
    outside = make_recommendation(text_en="Something else", is_published=True)
    cluster = services.cluster_create(
        country=members[0].country,
        recommendations=members,
        origin=Cluster.Origin.MANUAL,
        state=Cluster.State.CONFIRMED,
        by=users["coordinator"],
        source="web",
    )
    assignment = services.assignment_create(
        cluster=cluster, lead_body=orgs["justice"], by=users["coordinator"]
    )
    make_report(assignment, "validated", proposed_status="implemented")
    assert set(Recommendation.objects.filter(status="implemented")) == set(members)
    outside.refresh_from_db()
    assert outside.status == "not_started"
    for member in members:
        assert [e.changes["status"] for e in status_changes(member)] == [["not_started", "implemented"]]


def test_an_unchanged_status_is_not_recorded_again(make_report, assignment, rec, users):
    make_report(assignment, "validated", proposed_status="in_progress")
    make_report(assignment, "validated", proposed_status="in_progress")
    assert len(status_changes(rec)) == 1


# --- Evidence -----------------------------------------------------------------------------------

# Well-formed samples (adolat/lib/tests/test_uploads.py has the ones carrying metadata).
PDF = pdf(metadata=False)
PNG = SAMPLE_PNG


def office(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


DOCX = office(
    {"[Content_Types].xml": b"<Types>" + WORD_MAIN + b"</Types>", "word/document.xml": b"<w:document/>"}
)
XLSX = office(
    {"[Content_Types].xml": b"<Types>" + SHEET_MAIN + b"</Types>", "xl/workbook.xml": b"<workbook/>"}
)
ODT = office({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office/>"})
DOCM = office(
    {
        "[Content_Types].xml": b"<Types>" + WORD_MAIN + b"</Types>",
        "word/document.xml": b"<w:document/>",
        "word/vbaProject.bin": b"x",
    }
)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("law.pdf", PDF),
        ("photo.PNG", PNG),
        ("scan.jpg", JPEG),
        ("decree.docx", DOCX),
        ("figures.xlsx", XLSX),
        ("minutes.odt", ODT),
        ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 32),
    ],
)
def test_it_accepts_documents_and_stores_them_under_a_generated_name(reach, users, name, content):
    report = reach("draft")
    evidence = services.evidence_add(
        report=report,
        file=SimpleUploadedFile(name, content),
        description="The decree",
        by=users["focal_point"],
    )
    stored = evidence.file.name
    assert stored.startswith("evidence/")
    assert name.rsplit(".", 1)[0] not in stored, "the uploader's file name never reaches the disk"
    assert stored.endswith("." + name.rsplit(".", 1)[1].lower())
    with default_storage.open(stored) as f:
        kept = f.read()
    # Kept as the same kind of document, without its metadata (adolat/lib/tests/test_uploads.py).
    extension = name.rsplit(".", 1)[1].lower()
    assert uploads.check(
        SimpleUploadedFile(f"x.{extension}", kept), kind="evidence", extensions=[extension], describe_types=""
    )
    assert evidence.filename == f"{name.rsplit('.', 1)[0]}.{extension}", "the uploader's name, kept as data"
    assert history(evidence)[0].changes["file"] == [None, stored]


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("tool.exe", b"MZ\x90\x00", "file_type"),
        ("page.html", b"<html><script>alert(1)</script>", "file_type"),
        ("image.svg", b"<svg onload='alert(1)'/>", "file_type"),
        ("noextension", PDF, "file_type"),
        ("fake.pdf", b"<html><script>alert(1)</script>", "file_content"),
        ("png-as.pdf", PNG, "file_content"),
        ("plain.docx", office({"readme.txt": b"hello"}), "file_content"),
        ("macros.docx", DOCM, "file_content"),
        ("broken.docx", b"PK\x03\x04not really a zip", "file_content"),
        ("text-as.odt", office({"mimetype": b"text/plain"}), "file_content"),
        ("empty.pdf", b"", "file_empty"),
    ],
)
def test_it_refuses_files_by_extension_and_by_content(reach, users, name, content, code):
    report = reach("draft")
    with pytest.raises(ValidationError) as refused:
        services.evidence_add(report=report, file=SimpleUploadedFile(name, content), by=users["focal_point"])
    assert codes(refused.value) == {code}
    assert not Evidence.objects.exists()


def test_it_refuses_files_over_the_evidence_limit(reach, users, settings):
    settings.ADOLAT_MAX_EVIDENCE_SIZE = 1024 * 1024
    report = reach("draft")
    big = SimpleUploadedFile("big.pdf", PDF + b"\x00" * (1024 * 1024))
    with pytest.raises(ValidationError) as refused:
        services.evidence_add(report=report, file=big, by=users["focal_point"])
    assert codes(refused.value) == {"file_size"}
    assert refused.value.messages == ["The file is too large: the largest file accepted is 1.0\xa0MB."]
    assert not Evidence.objects.exists()


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://example.org/a", "not a link", ""])
def test_it_refuses_links_that_are_not_web_addresses(reach, users, url):
    with pytest.raises(ValidationError):
        services.evidence_add(report=reach("draft"), url=url, by=users["focal_point"])


def test_evidence_is_a_file_or_a_link_not_both(reach, users):
    with pytest.raises(ValidationError) as refused:
        services.evidence_add(
            report=reach("draft"),
            url="https://example.org",
            file=SimpleUploadedFile("a.pdf", PDF),
            by=users["focal_point"],
        )
    assert codes(refused.value) == {"file_or_link"}


# --- Clusters -----------------------------------------------------------------------------------


@pytest.fixture
def proposed(make_recommendation):
    members = [
        make_recommendation(text_en=f"Extend a standing invitation {i}", is_published=True) for i in range(3)
    ]
    return services.cluster_create(
        country=members[0].country, recommendations=members, origin=Cluster.Origin.SUGGESTED, source="system"
    )


def test_a_coordinator_confirms_edits_and_rejects_suggestions(proposed, users, make_recommendation):
    coordinator = users["coordinator"]
    members = list(proposed.recommendations.order_by("pk"))
    changes = services.cluster_update(
        cluster=proposed, title_en="Standing invitation", recommendations=members[:2], by=coordinator
    )
    assert changes["recommendations"] == [[m.pk for m in members], [m.pk for m in members[:2]]]
    assert changes["title_en"] == ["", "Standing invitation"]
    assert services.cluster_update(cluster=proposed, title_en="Standing invitation", by=coordinator) == {}

    services.cluster_confirm(cluster=proposed, by=coordinator)
    proposed.refresh_from_db()
    assert proposed.state == Cluster.State.CONFIRMED
    with pytest.raises(ValidationError, match="only a proposed cluster can be"):
        services.cluster_confirm(cluster=proposed, by=coordinator)

    services.cluster_reject(cluster=proposed, by=coordinator)
    assert [e.action for e in history(proposed)] == ["create", "update", "confirm", "reject"]
    with pytest.raises(ValidationError, match="cannot be edited"):
        services.cluster_update(cluster=proposed, title_en="Again", by=coordinator)


def test_a_cluster_keeps_two_recommendations_of_one_state(proposed, users, make_recommendation):
    from adolat.recommendations.models import Country

    kg = Country.objects.get_or_create(code="KG", defaults={"name_en": "Kyrgyzstan"})[0]
    members = list(proposed.recommendations.all())
    with pytest.raises(ValidationError) as too_few:
        services.cluster_update(cluster=proposed, recommendations=members[:1], by=users["coordinator"])
    assert codes(too_few.value) == {"too_few"}
    foreign = make_recommendation(text_en="Elsewhere")
    Recommendation.objects.filter(pk=foreign.pk).update(country=kg)
    foreign.refresh_from_db()
    with pytest.raises(ValidationError) as other_state:
        services.cluster_update(
            cluster=proposed, recommendations=[*members, foreign], by=users["coordinator"]
        )
    assert codes(other_state.value) == {"other_state"}


def test_an_assigned_cluster_cannot_be_rejected(proposed, users, orgs):
    services.cluster_confirm(cluster=proposed, by=users["coordinator"])
    assignment = services.assignment_create(
        cluster=proposed, lead_body=orgs["justice"], by=users["coordinator"]
    )
    with pytest.raises(ValidationError) as refused:
        services.cluster_reject(cluster=proposed, by=users["coordinator"])
    assert codes(refused.value) == {"assigned"}
    services.assignment_deactivate(assignment=assignment, by=users["coordinator"])
    services.cluster_reject(cluster=proposed, by=users["coordinator"])


def test_cluster_create_without_a_person_is_for_importers_and_suggestions(rec, users):
    services.cluster_create(country=rec.country, recommendations=[rec], origin="manual", source="system")
    with pytest.raises(PermissionDenied):
        services.cluster_create(
            country=rec.country, recommendations=[rec], origin="manual", by=users["focal_point"], source="web"
        )


# --- Assignments --------------------------------------------------------------------------------


def test_an_assignment_is_recorded_with_its_bodies(assignment, orgs, users):
    entry = history(assignment)[0]
    assert entry.action == "create"
    assert entry.actor == users["coordinator"]
    assert entry.changes["lead_body"] == [None, orgs["justice"].pk]
    assert entry.changes["supporting_bodies"] == [None, [orgs["ombudsman"].pk]]
    assert assignment.created_by == users["coordinator"]


@pytest.mark.parametrize(
    ("build", "code"),
    [
        (
            lambda rec, cl, o: {"recommendation": rec, "cluster": cl, "lead_body": o["justice"]},
            "recommendation_or_cluster",
        ),
        (lambda rec, cl, o: {"lead_body": o["justice"]}, "recommendation_or_cluster"),
        (lambda rec, cl, o: {"cluster": cl, "lead_body": o["justice"]}, "invalid_transition"),
        (lambda rec, cl, o: {"recommendation": rec, "lead_body": o["cso"]}, "not_accountable"),
        (lambda rec, cl, o: {"recommendation": rec, "lead_body": o["un"]}, "not_accountable"),
        (
            lambda rec, cl, o: {
                "recommendation": rec,
                "lead_body": o["justice"],
                "supporting_bodies": [o["cso"]],
            },
            "not_accountable",
        ),
        (
            lambda rec, cl, o: {
                "recommendation": rec,
                "lead_body": o["justice"],
                "supporting_bodies": [o["justice"]],
            },
            "lead_supporting",
        ),
    ],
)
def test_it_refuses_malformed_assignments(rec, proposed, orgs, users, build, code):
    with pytest.raises(ValidationError) as refused:
        services.assignment_create(**build(rec, proposed, orgs), by=users["coordinator"])
    assert codes(refused.value) == {code}


def test_the_lead_may_be_the_coordinating_body_or_the_nhri(rec, orgs, users):
    for org in (orgs["eop"], orgs["ombudsman"]):
        services.assignment_create(recommendation=rec, lead_body=org, by=users["coordinator"])


def test_a_target_is_assigned_to_a_body_once_while_active(assignment, rec, orgs, users):
    with pytest.raises(ValidationError) as refused:
        services.assignment_create(recommendation=rec, lead_body=orgs["justice"], by=users["coordinator"])
    assert codes(refused.value) == {"duplicate"}
    services.assignment_deactivate(assignment=assignment, by=users["coordinator"])
    services.assignment_create(recommendation=rec, lead_body=orgs["justice"], by=users["coordinator"])


def test_assignment_update_and_deactivate(assignment, orgs, interior, users):
    coordinator = users["coordinator"]
    changes = services.assignment_update(
        assignment=assignment,
        lead_body=interior,
        supporting_bodies=[orgs["justice"]],
        deadline=None,
        note="Moved",
        by=coordinator,
    )
    assert changes["lead_body"] == [orgs["justice"].pk, interior.pk]
    assert changes["supporting_bodies"] == [[orgs["ombudsman"].pk], [orgs["justice"].pk]]
    assert changes["deadline"] == ["2027-12-31", None]
    services.assignment_deactivate(assignment=assignment, by=coordinator)
    services.assignment_deactivate(assignment=assignment, by=coordinator)  # nothing more happens
    assert [e.action for e in history(assignment)] == ["create", "update", "deactivate"]
    with pytest.raises(ValidationError):
        services.assignment_update(
            assignment=assignment,
            lead_body=interior,
            supporting_bodies=[],
            deadline=None,
            note="",
            by=coordinator,
        )


# --- Action plans, indicators, periods ----------------------------------------------------------


def test_indicator_values_are_kept_over_time(assignment, orgs, users):
    coordinator = users["coordinator"]
    action = services.action_create(
        assignment=assignment,
        responsible_body=orgs["justice"],
        title_en="Draft a law on the NPM",
        starts=date(2025, 1, 1),
        ends=date(2025, 12, 31),
        by=coordinator,
    )
    indicator = services.indicator_create(
        action=action,
        name_en="Visits a year",
        unit="visits",
        baseline=Decimal(0),
        target=Decimal(40),
        by=coordinator,
    )
    day = date(2025, 6, 30)
    services.indicator_value_record(
        indicator=indicator, measured_on=day, value=Decimal(12), by=users["focal_point"]
    )
    services.indicator_value_record(indicator=indicator, measured_on=day, value=Decimal(14), by=coordinator)
    assert list(IndicatorValue.objects.filter(indicator=indicator).values_list("value", flat=True)) == [
        12,
        14,
    ]
    with pytest.raises(ValidationError):
        services.indicator_value_record(
            indicator=indicator,
            measured_on=timezone.localdate() + timedelta(days=2),
            value=Decimal(1),
            by=coordinator,
        )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"title_en": "", "title_ru": " ", "title_tg": ""},
        {"title_en": "Backwards", "starts": date(2025, 2, 1), "ends": date(2025, 1, 1)},
    ],
)
def test_it_refuses_malformed_actions(assignment, orgs, users, kwargs):
    with pytest.raises(ValidationError):
        services.action_create(
            assignment=assignment, responsible_body=orgs["justice"], by=users["coordinator"], **kwargs
        )


def test_an_indicator_needs_a_name(assignment, orgs, users):
    action = services.action_create(
        assignment=assignment, responsible_body=orgs["justice"], title_en="Act", by=users["coordinator"]
    )
    with pytest.raises(ValidationError):
        services.indicator_create(action=action, by=users["coordinator"])


@pytest.mark.parametrize(
    ("starts", "ends", "due", "field"),
    [
        (date(2025, 1, 1), date(2024, 12, 31), date(2025, 2, 1), "ends"),
        (date(2025, 1, 1), date(2025, 12, 31), date(2024, 12, 1), "due"),
    ],
)
def test_it_refuses_malformed_periods(users, starts, ends, due, field):
    with pytest.raises(ValidationError) as refused:
        services.reporting_period_create(starts=starts, ends=ends, due=due, by=users["coordinator"])
    assert field in refused.value.error_dict


# --- Assessments and replies --------------------------------------------------------------------


def test_civil_society_publishes_an_assessment_at_once(rec, users, orgs):
    assessment = services.assessment_create(
        recommendation=rec,
        rating="not_implemented",
        reasoning="No mechanism has visited a place of detention.",
        links=[("https://example.org/report.pdf", "Shadow report")],
        by=users["cso_contributor"],
    )
    assert assessment.is_published
    assert assessment.organisation == orgs["cso"]
    assert assessment.evidence.get().url == "https://example.org/report.pdf"
    assert history(assessment)[0].changes["rating"] == [None, "not_implemented"]
    rec.refresh_from_db()
    assert rec.status == "not_started", "civil society's rating is kept apart from the state's status"


def test_only_a_published_recommendation_is_assessed(unpublished_rec, users):
    with pytest.raises(ValidationError):
        services.assessment_create(
            recommendation=unpublished_rec, rating="in_progress", reasoning="…", by=users["cso_contributor"]
        )


def test_only_its_organisation_changes_an_assessment(rec, users, people):
    assessment = services.assessment_create(
        recommendation=rec, rating="in_progress", reasoning="Some progress.", by=users["cso_contributor"]
    )
    for someone in ("administrator", "coordinator", "focal_point", "cso_other"):
        with pytest.raises(PermissionDenied):
            services.assessment_update(assessment=assessment, rating="implemented", by=people[someone])
    changes = services.assessment_update(
        assessment=assessment, rating="not_implemented", is_published=False, by=users["cso_contributor"]
    )
    assert changes == {"is_published": [True, False], "rating": ["in_progress", "not_implemented"]}


def test_the_recommendation_carries_civil_societys_latest_published_rating(rec, users, people):
    """Recommendation.cso_rating, which the coordinator's disagreements read, follows every
    publication, revision and withdrawal, and leaves the record's own history and `updated` alone."""

    def rating() -> str:
        rec.refresh_from_db()
        return rec.cso_rating

    updated = rec.updated
    assert rating() == ""
    first = services.assessment_create(
        recommendation=rec, rating="in_progress", reasoning="Some progress.", by=users["cso_contributor"]
    )
    assert rating() == "in_progress"
    second = services.assessment_create(
        recommendation=rec, rating="not_implemented", reasoning="Nothing.", by=people["cso_other"]
    )
    assert rating() == "not_implemented"
    services.assessment_update(assessment=first, rating="implemented", by=users["cso_contributor"])
    assert rating() == "not_implemented", "the latest published, not the latest revised"
    services.assessment_update(assessment=second, is_published=False, by=people["cso_other"])
    assert rating() == "implemented"
    services.assessment_update(assessment=first, is_published=False, by=users["cso_contributor"])
    assert rating() == ""
    assert rec.updated == updated
    assert not [e for e in history(rec) if "cso_rating" in (e.changes or {})]


def test_the_state_replies_beside_an_assessment(rec, users, orgs):
    assessment = services.assessment_create(
        recommendation=rec, rating="not_implemented", reasoning="Nothing.", by=users["cso_contributor"]
    )
    reply = services.assessment_reply_create(
        assessment=assessment, text="A draft law is before parliament.", by=users["coordinator"]
    )
    assert reply.organisation == orgs["eop"]
    assessment.refresh_from_db()
    assert assessment.reasoning == "Nothing."
    with pytest.raises(PermissionDenied):
        services.assessment_reply_create(assessment=assessment, text="Me too", by=users["cso_contributor"])
    services.assessment_update(assessment=assessment, is_published=False, by=users["cso_contributor"])
    with pytest.raises(ValidationError):
        services.assessment_reply_create(assessment=assessment, text="Late", by=users["coordinator"])
