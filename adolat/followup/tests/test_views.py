"""The follow-up's pages: who may open them (see also adolat/tests/test_access_matrix.py), each
form's happy path and refusals, the whole flow from assignment to the public page in the three
languages, and bounded query counts."""

import re
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from adolat.followup import services
from adolat.followup.models import Assessment, Assignment, Notification, ProgressReport, ReportingPeriod
from adolat.lib.tests.test_uploads import pdf as sample_pdf

pytestmark = pytest.mark.django_db
State = ProgressReport.State


def client_for(user, language="en") -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        c.force_login(user)
    return c


# --- My work ------------------------------------------------------------------------------------


def test_my_work_shows_a_focal_point_their_assignments_and_returned_reports(users, assignment, make_report):
    returned = make_report(assignment, "returned")
    response = client_for(users["focal_point"]).get(reverse("followup:my-work"))
    assert response.status_code == 200
    work = response.context["work"]
    assert work.assignments == [assignment]
    assert work.returned == [returned]
    assert "Add the draft law" in response.content.decode()


def test_each_row_of_my_work_says_what_the_assignment_is_about(users, rec, orgs, assignment):
    """A recommendation: its reference (or number), linked, and the first fourteen words of its
    text; a cluster: its title."""
    from adolat.recommendations.models import Recommendation

    Recommendation.objects.filter(pk=rec.pk).update(text_en=" ".join(f"w{i}" for i in range(20)) + " <b>")
    cluster = services.cluster_create(
        country=rec.country,
        recommendations=[rec],
        origin="manual",
        state="confirmed",
        title_en="Places of detention <all>",
        by=users["coordinator"],
        source="web",
    )
    services.assignment_create(cluster=cluster, lead_body=orgs["justice"], by=users["coordinator"])
    c = client_for(users["focal_point"])
    c.cookies["django_language"] = "en"
    body = c.get(reverse("followup:my-work")).content.decode()
    link = reverse("recommendations:detail", args=[rec.pk])
    words = " ".join(f"w{i}" for i in range(14))
    assert re.search(rf'<a href="{link}">[^<]+</a> <span class="muted">{words} …</span>', body)
    assert "Cluster: Places of detention &lt;all&gt;" in body


def test_my_work_shows_a_coordinator_what_waits_and_disagreements(users, rec, assignment, make_report):
    submitted = make_report(assignment, "submitted")
    services.assessment_create(
        recommendation=rec, rating="not_implemented", reasoning="No law", by=users["cso_contributor"]
    )
    response = client_for(users["coordinator"]).get(reverse("followup:my-work"))
    assert response.context["work"].waiting == [submitted]
    assert [r.pk for r in response.context["work"].disagreements] == [rec.pk]
    body = response.content.decode()
    assert reverse("followup:report-detail", args=[submitted.pk]) in body


def test_the_coordinators_tables_of_my_work_say_what_each_row_is(
    users, orgs, rec, assignment, period, make_report
):
    """The rows of "my work" a coordinator sees at scale (rendered by followup_tags): a waiting
    report with its body, period, day and proposed status; a disagreement with both sides; an
    overdue report linked when one is in progress, and for a focal point the way to write it."""
    from adolat.followup.selectors import DueReport
    from adolat.followup.templatetags.followup_tags import disagreement_rows, overdue_rows, waiting_rows

    orgs["justice"].name_en = "Ministry <of> Justice"
    orgs["justice"].save()
    submitted = make_report(assignment, "submitted", proposed_status="implemented")
    detail = reverse("followup:report-detail", args=[submitted.pk])
    services.assessment_create(
        recommendation=rec, rating="not_implemented", reasoning="No law", by=users["cso_contributor"]
    )
    c = client_for(users["coordinator"])
    c.cookies["django_language"] = "en"
    response = c.get(reverse("followup:my-work"))
    body = re.sub(r"\s+", " ", response.content.decode())
    day = timezone.localtime(submitted.submitted_at).strftime("%Y-%m-%d")
    assert (
        f"<td>Ministry &lt;of&gt; Justice</td><td>{period}</td> <td>{day}</td>"
        '<td><span class="badge st-implemented">implemented</span></td>'
        f' <td><a href="{detail}">Review</a></td>'
    ) in body
    recommendation = reverse("recommendations:detail", args=[rec.pk])
    text = "Establish a national preventive mechanism"
    assert (
        f'<a href="{recommendation}">{rec.reference}</a> <span class="muted">{text}</span></td>'
        ' <td><span class="badge st-not_started">not started</span></td>'
        ' <td><span class="badge st-not_implemented">not implemented</span> · '
    ) in body

    waiting = DueReport(assignment, period, submitted)
    owed = DueReport(assignment, period, None)
    write = reverse("followup:report-create", args=[assignment.pk]) + f"?period={period.pk}"
    with translation.override("ru"):
        assert f'<a href="{detail}">Открыть отчет</a>' in overdue_rows([waiting], False)
        assert f'<a href="{write}">Составить отчет</a>' in overdue_rows([owed], True)
        assert "<a " not in overdue_rows([owed], False).split("</td>", 1)[1]
        assert f"<td>{period.due:%Y-%m-%d}</td>" in overdue_rows([owed], False)
    assert "<td>—</td>" in waiting_rows(
        [ProgressReport(pk=submitted.pk, assignment=assignment, organisation=orgs["justice"])]
    )
    assert disagreement_rows([]) == "" == waiting_rows([]) == overdue_rows([], True)


def test_my_work_has_clear_empty_states(users):
    body = client_for(users["focal_point"]).get(reverse("followup:my-work")).content.decode()
    assert "Your organisation has no assignments yet" in body
    body = client_for(users["viewer"]).get(reverse("followup:my-work")).content.decode()
    assert "Nothing waits for you here" in body


def test_my_work_page_costs_the_same_queries_however_much_work(
    users, orgs, make_recommendation, period, make_report
):
    """The page, not only its selector: each row names its recommendation by its document's symbol,
    which must come with the row, not one query per row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from adolat.recommendations.models import Country, Mechanism, SourceDocument

    document = SourceDocument.objects.create(
        mechanism=Mechanism.objects.get_or_create(code="UPR", defaults={"kind": "upr", "name_en": "UPR"})[0],
        country=Country.objects.get_or_create(code="TJ", defaults={"name_en": "Tajikistan"})[0],
        symbol="A/HRC/19/3",
        year=2011,
    )

    def add(n):
        for i in range(n):
            rec = make_recommendation(
                text_en=f"Recommendation {i}", is_published=True, document=document, paragraph=f"90.{i}"
            )
            a = services.assignment_create(
                recommendation=rec, lead_body=orgs["justice"], by=users["coordinator"]
            )
            make_report(a, ("draft", "returned", "submitted")[i % 3])

    def count(who) -> tuple[int, str]:
        c = client_for(users[who])
        c.get(reverse("followup:my-work"))  # the session is loaded once, as on any visit
        with CaptureQueriesContext(connection) as ctx:
            body = c.get(reverse("followup:my-work")).content.decode()
        return len(ctx.captured_queries), body

    add(3)
    small = {who: count(who)[0] for who in ("focal_point", "coordinator")}
    add(12)
    for who in ("focal_point", "coordinator"):
        queries, body = count(who)
        assert "A/HRC/19/3" in body, who
        assert queries == small[who], f"{who}: {small[who]} queries with 3 items, {queries} with 15"
        assert queries <= 14
        print(f"my work as {who}: {queries} queries")


# --- Assigning and the reporting calendar -------------------------------------------------------


def test_coordinator_assigns_a_recommendation(users, orgs, rec):
    response = client_for(users["coordinator"]).post(
        reverse("followup:assignment-create", args=[rec.pk]),
        {
            "lead_body": orgs["justice"].pk,
            "supporting_bodies": [orgs["ombudsman"].pk],
            "deadline": "2027-06-30",
            "note": "Draft the law",
        },
    )
    assert response.status_code == 302
    assignment = Assignment.objects.get(recommendation=rec)
    assert assignment.lead_body == orgs["justice"]
    assert list(assignment.supporting_bodies.all()) == [orgs["ombudsman"]]
    assert assignment.deadline == date(2027, 6, 30)


def test_assigning_refuses_a_lead_body_that_also_supports(users, orgs, rec):
    response = client_for(users["coordinator"]).post(
        reverse("followup:assignment-create", args=[rec.pk]),
        {"lead_body": orgs["justice"].pk, "supporting_bodies": [orgs["justice"].pk]},
    )
    assert response.status_code == 200
    assert "The lead body cannot also be a supporting body." in response.content.decode()
    assert not Assignment.objects.exists()


def test_assigning_twice_to_the_same_body_is_refused(users, orgs, rec, assignment):
    response = client_for(users["coordinator"]).post(
        reverse("followup:assignment-create", args=[rec.pk]), {"lead_body": orgs["justice"].pk}
    )
    assert "This is already assigned to Ministry of Justice." in response.content.decode()
    assert Assignment.objects.count() == 1


def test_assigning_requires_a_lead_body(users, rec):
    response = client_for(users["coordinator"]).post(reverse("followup:assignment-create", args=[rec.pk]), {})
    assert "Choose the body that leads on this recommendation." in response.content.decode()


def test_a_focal_point_cannot_assign(users, orgs, rec):
    response = client_for(users["focal_point"]).post(
        reverse("followup:assignment-create", args=[rec.pk]), {"lead_body": orgs["justice"].pk}
    )
    assert response.status_code == 403
    assert not Assignment.objects.exists()


def test_coordinator_adds_a_reporting_period_and_sees_errors(users):
    c = client_for(users["coordinator"])
    url = reverse("followup:periods")
    response = c.post(
        url,
        {
            "title_en": "2026",
            "starts": "2026-01-01",
            "ends": "2026-12-31",
            "due": "2027-01-31",
            "remind_days_before": 14,
        },
    )
    assert response.status_code == 302
    assert ReportingPeriod.objects.get().title_en == "2026"
    response = c.post(
        url, {"starts": "2026-12-31", "ends": "2026-01-01", "due": "2027-01-31", "remind_days_before": 14}
    )
    assert "A period cannot end before it starts." in response.content.decode()
    assert ReportingPeriod.objects.count() == 1
    assert "2027-01-31" in c.get(url).content.decode()


# --- Progress reports ---------------------------------------------------------------------------


def test_focal_point_writes_a_draft(users, assignment, period):
    response = client_for(users["focal_point"]).post(
        reverse("followup:report-create", args=[assignment.pk]),
        {
            "text": "A draft law was sent to parliament",
            "proposed_status": "in_progress",
            "period": period.pk,
            "language": "en",
        },
    )
    report = ProgressReport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("followup:report-detail", args=[report.pk])
    assert (report.state, report.organisation.name_en, report.period) == (
        State.DRAFT,
        "Ministry of Justice",
        period,
    )


def test_a_second_draft_for_the_same_period_is_refused(users, assignment, period, make_report):
    make_report(assignment, "draft")
    response = client_for(users["focal_point"]).post(
        reverse("followup:report-create", args=[assignment.pk]),
        {"text": "Again", "proposed_status": "in_progress", "period": period.pk, "language": "en"},
    )
    assert response.status_code == 200
    assert "already has a report in progress" in response.content.decode()


def test_a_report_needs_its_text(users, assignment):
    response = client_for(users["focal_point"]).post(
        reverse("followup:report-create", args=[assignment.pk]),
        {"proposed_status": "in_progress", "language": "en"},
    )
    assert "Say what was done." in response.content.decode()
    assert not ProgressReport.objects.exists()


def test_a_focal_point_of_another_body_gets_404(people, assignment):
    response = client_for(people["focal_point_interior"]).get(
        reverse("followup:report-create", args=[assignment.pk])
    )
    assert response.status_code == 404


def test_editing_carries_the_version_and_a_stale_one_shows_a_conflict(users, assignment, make_report):
    report = make_report(assignment, "draft")
    c = client_for(users["focal_point"])
    url = reverse("followup:report-edit", args=[report.pk])
    assert f'name="version" value="{report.version}"' in c.get(url).content.decode()
    data = {"text": "Revised", "proposed_status": "in_progress", "language": "en", "version": report.version}
    assert c.post(url, data).status_code == 302
    report.refresh_from_db()
    assert (report.text, report.version) == ("Revised", 2)
    # Someone else saved in between: the old version is refused, the text kept on the page.
    response = c.post(url, {**data, "text": "My lost words", "version": 1})
    assert response.status_code == 409
    body = response.content.decode()
    assert "Someone else saved a change while you were editing" in body and "My lost words" in body
    report.refresh_from_db()
    assert report.text == "Revised"


def test_a_submitted_report_cannot_be_edited(users, assignment, make_report):
    report = make_report(assignment, "submitted")
    response = client_for(users["focal_point"]).post(
        reverse("followup:report-edit", args=[report.pk]),
        {"text": "Sneaky", "proposed_status": "implemented", "language": "en", "version": report.version},
    )
    assert "only a draft or a report returned for revision can be changed" in response.content.decode()
    report.refresh_from_db()
    assert report.text != "Sneaky"


def test_evidence_link_and_file(users, assignment, make_report):
    report = make_report(assignment, "draft")
    c = client_for(users["focal_point"])
    url = reverse("followup:evidence-add", args=[report.pk])
    assert (
        c.post(url, {"url": "https://example.org/law.pdf", "description": "The draft law"}).status_code == 302
    )
    pdf = SimpleUploadedFile("law.pdf", sample_pdf(metadata=False), content_type="application/pdf")
    assert c.post(url, {"file": pdf, "description": "Scan"}).status_code == 302
    assert report.evidence.count() == 2
    fake = SimpleUploadedFile("law.pdf", b"MZ not a pdf at all", content_type="application/pdf")
    response = c.post(url, {"file": fake})
    assert response.status_code == 400
    assert "The content of the file is not what its name" in response.content.decode()
    response = c.post(url, {"description": "nothing"})
    assert "Give either a file or a link." in response.content.decode()
    assert report.evidence.count() == 2


def test_returning_needs_a_comment(users, assignment, make_report):
    report = make_report(assignment, "submitted")
    response = client_for(users["coordinator"]).post(
        reverse("followup:report-return", args=[report.pk]), {"comment": " ", "version": report.version}
    )
    assert response.status_code == 400
    assert "the comment is required" in response.content.decode()
    report.refresh_from_db()
    assert report.state == State.SUBMITTED


def test_validating_asks_for_confirmation_first(users, assignment, make_report):
    report = make_report(assignment, "submitted")
    c = client_for(users["coordinator"])
    url = reverse("followup:report-validate", args=[report.pk])
    assert "Yes, validate" in c.get(url).content.decode()
    report.refresh_from_db()
    assert report.state == State.SUBMITTED


def test_an_illegal_step_is_refused_with_a_message(users, assignment, make_report):
    report = make_report(assignment, "validated")
    c = client_for(users["coordinator"])
    response = c.post(
        reverse("followup:report-validate", args=[report.pk]), {"version": report.version}, follow=True
    )
    assert "only a submitted report can be" in response.content.decode()


def test_a_stale_version_of_a_step_is_refused(users, assignment, make_report):
    report = make_report(assignment, "draft")
    c = client_for(users["focal_point"])
    response = c.post(reverse("followup:report-submit", args=[report.pk]), {"version": 99}, follow=True)
    assert "This report has changed since you opened it" in response.content.decode()
    report.refresh_from_db()
    assert report.state == State.DRAFT


def test_a_focal_point_cannot_validate_their_own_report(users, assignment, make_report):
    report = make_report(assignment, "submitted")
    response = client_for(users["focal_point"]).post(
        reverse("followup:report-validate", args=[report.pk]), {"version": report.version}
    )
    assert response.status_code == 403
    report.refresh_from_db()
    assert report.state == State.SUBMITTED


def test_a_cso_contributor_cannot_touch_state_reports(users, assignment, make_report):
    report = make_report(assignment, "draft")
    c = client_for(users["cso_contributor"])
    assert c.post(reverse("followup:report-submit", args=[report.pk]), {"version": 1}).status_code == 403
    assert c.get(reverse("followup:report-detail", args=[report.pk])).status_code == 404


# --- Assessments and replies --------------------------------------------------------------------


def test_cso_publishes_an_assessment_with_links(users, rec):
    response = client_for(users["cso_contributor"]).post(
        reverse("followup:assessment-create", args=[rec.pk]),
        {
            "rating": "not_implemented",
            "reasoning": "No mechanism exists yet",
            "language": "en",
            "links": "https://example.org/shadow-report.pdf Shadow report\nhttps://example.org/news",
        },
    )
    assert response.status_code == 302
    assessment = Assessment.objects.get()
    assert assessment.organisation == users["cso_contributor"].memberships.get().organisation
    assert sorted(e.url for e in assessment.evidence.all()) == [
        "https://example.org/news",
        "https://example.org/shadow-report.pdf",
    ]


def test_an_assessment_needs_reasoning_and_real_links(users, rec):
    c = client_for(users["cso_contributor"])
    url = reverse("followup:assessment-create", args=[rec.pk])
    body = c.post(url, {"rating": "implemented", "language": "en"}).content.decode()
    assert "Explain your rating." in body
    body = c.post(
        url, {"rating": "implemented", "reasoning": "x", "language": "en", "links": "example.org"}
    ).content.decode()
    assert "must start with a link" in body
    assert not Assessment.objects.exists()


def test_a_coordinator_cannot_assess_but_may_reply(users, rec):
    c = client_for(users["coordinator"])
    assert c.get(reverse("followup:assessment-create", args=[rec.pk])).status_code == 403
    assessment = services.assessment_create(
        recommendation=rec, rating="not_started", reasoning="Nothing", by=users["cso_contributor"]
    )
    response = c.post(
        reverse("followup:assessment-reply", args=[assessment.pk]), {"text": "A law is drafted"}
    )
    assert response.status_code == 302
    assert assessment.replies.get().text == "A law is drafted"
    assessment.refresh_from_db()
    assert assessment.reasoning == "Nothing"  # untouched
    assert (
        "A law is drafted"
        in client_for(None).get(reverse("recommendations:detail", args=[rec.pk])).content.decode()
    )


def test_a_reply_needs_text(users, rec):
    assessment = services.assessment_create(
        recommendation=rec, rating="not_started", reasoning="Nothing", by=users["cso_contributor"]
    )
    body = (
        client_for(users["coordinator"])
        .post(reverse("followup:assessment-reply", args=[assessment.pk]), {})
        .content.decode()
    )
    assert "Write your reply." in body


# --- Inbox --------------------------------------------------------------------------------------


def _notify(user, n, **kw):
    return Notification.objects.create(
        user=user, kind="assigned", key=f"k{n}", subject=f"Subject {n}", body="Body", **kw
    )


def test_inbox_lists_newest_first_paginated_and_marks_read(users):
    focal = users["focal_point"]
    notes = [_notify(focal, n) for n in range(30)]
    _notify(users["coordinator"], 99)
    c = client_for(focal)
    response = c.get(reverse("followup:inbox"))
    page = response.context["page"]
    assert page.paginator.count == 30 and len(page.object_list) == 25
    assert page.object_list[0] == notes[-1]
    assert "30" in response.content.decode()  # the unread count in the navigation
    assert c.post(reverse("followup:notification-read", args=[notes[0].pk])).status_code == 302
    notes[0].refresh_from_db()
    assert notes[0].read_at is not None
    c.post(reverse("followup:inbox-read-all"))
    assert not focal.notifications.filter(read_at__isnull=True).exists()


def test_another_persons_notification_is_404(users):
    note = _notify(users["coordinator"], 1)
    response = client_for(users["focal_point"]).post(reverse("followup:notification-read", args=[note.pk]))
    assert response.status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_inbox_empty_state(users):
    assert (
        "Your inbox is empty" in client_for(users["viewer"]).get(reverse("followup:inbox")).content.decode()
    )


def test_navigation_unread_count_costs_one_query(users, django_assert_num_queries):
    focal = users["focal_point"]
    _notify(focal, 1)
    c = client_for(focal)
    c.get(reverse("followup:inbox"))  # warm up the session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        c.get(reverse("accounts:account"))
    assert sum("followup_notification" in q["sql"] for q in ctx.captured_queries) == 1


# --- The whole flow -----------------------------------------------------------------------------


def test_the_whole_flow_reaches_the_public_page_in_three_languages(users, orgs, rec, period):
    coordinator, focal, cso = (
        client_for(users[w]) for w in ("coordinator", "focal_point", "cso_contributor")
    )
    coordinator.post(
        reverse("followup:assignment-create", args=[rec.pk]),
        {"lead_body": orgs["justice"].pk, "deadline": "2027-12-31"},
    )
    assignment = Assignment.objects.get()
    focal.post(
        reverse("followup:report-create", args=[assignment.pk]),
        {
            "text": "Draft law written",
            "proposed_status": "partially_implemented",
            "period": period.pk,
            "language": "en",
        },
    )
    report = ProgressReport.objects.get()
    focal.post(reverse("followup:report-submit", args=[report.pk]), {"version": report.version})
    report.refresh_from_db()
    assert report.state == State.SUBMITTED
    coordinator.post(
        reverse("followup:report-return", args=[report.pk]),
        {"comment": "Attach the draft law", "version": report.version},
    )
    report.refresh_from_db()
    assert (report.state, report.coordinator_comment) == (State.RETURNED, "Attach the draft law")
    focal.post(reverse("followup:evidence-add", args=[report.pk]), {"url": "https://example.org/law"})
    focal.post(reverse("followup:report-resubmit", args=[report.pk]), {"version": report.version})
    report.refresh_from_db()
    assert report.state == State.SUBMITTED
    coordinator.post(reverse("followup:report-validate", args=[report.pk]), {"version": report.version})
    report.refresh_from_db()
    rec.refresh_from_db()
    assert (report.state, rec.status) == (State.VALIDATED, "partially_implemented")
    cso.post(
        reverse("followup:assessment-create", args=[rec.pk]),
        {"rating": "in_progress", "reasoning": "Only a draft", "language": "en"},
    )

    url = reverse("recommendations:detail", args=[rec.pk])
    for language, status, rating in (
        ("en", "partially implemented", "in progress"),
        ("ru", None, None),
        ("tg", None, None),
    ):
        public = Client()
        public.cookies["django_language"] = language
        response = public.get(url)
        assert response.status_code == 200
        body = response.content.decode()
        assert f'<html lang="{language}">' in body
        assert 'id="state-status"' in body and 'id="cso-rating"' in body
        if status:
            assert f'id="state-status">{status}<' in body
            assert f'id="cso-rating">{rating}<' in body
        # The public sees the validation, not the return and its comment.
        assert "Attach the draft law" not in body
    coordinator_page = client_for(users["coordinator"]).get(url).content.decode()
    assert "Attach the draft law" in coordinator_page
    assert "report returned for revision" in coordinator_page


def test_the_recommendation_page_shows_the_latest_events_and_links_to_the_whole_timeline(
    users, rec, assignment, make_report, monkeypatch
):
    from adolat.recommendations import views as recommendation_views

    monkeypatch.setattr(recommendation_views, "TIMELINE_LATEST", 3)
    make_report(assignment, "resubmitted")  # assigned, created, submitted, returned, resubmitted
    url = reverse("recommendations:detail", args=[rec.pk])
    for language, more in (("en", "Show the whole timeline"), ("ru", "Показать всю хронологию")):
        c = client_for(users["coordinator"], language)
        page = c.get(url)
        assert [(e.kind, e.action) for e in page.context["timeline"]] == [
            ("report", "submit"),
            ("report", "return"),
            ("report", "resubmit"),
        ]
        assert more in page.content.decode()
        whole = c.get(url, {"timeline": "all"})
        assert len(whole.context["timeline"]) == 5
        assert more not in whole.content.decode()
    # A short story: no link.
    monkeypatch.setattr(recommendation_views, "TIMELINE_LATEST", 5)
    page = client_for(users["coordinator"]).get(url)
    assert len(page.context["timeline"]) == 5
    assert "Show the whole timeline" not in page.content.decode()


def test_the_recommendation_page_shows_the_latest_assessments_and_links_to_all(users, rec, monkeypatch):
    from adolat.recommendations import views as recommendation_views

    monkeypatch.setattr(recommendation_views, "ASSESSMENTS_SHOWN", 2)
    for n in range(3):
        services.assessment_create(
            recommendation=rec, rating="in_progress", reasoning=f"Round {n}", by=users["cso_contributor"]
        )
    url = reverse("recommendations:detail", args=[rec.pk])
    for language, more in (("en", "Show 1 more"), ("ru", "Показать ещё 1"), ("tg", "Боз 1-то нишон додан")):
        page = client_for(None, language).get(url)
        body = page.content.decode()
        assert [a.reasoning for a in page.context["assessments"]] == ["Round 2", "Round 1"]
        assert more in body and "Round 0" not in body
        whole = client_for(None, language).get(url, {"assessments": "all"}).content.decode()
        assert "Round 0" in whole and more not in whole
    # The rating beside the state's status is the latest, whatever is shown.
    assert 'id="cso-rating"' in client_for(None).get(url).content.decode()


def test_showing_more_or_less_keeps_the_other_choice_and_the_list_to_go_back_to(
    users, rec, assignment, make_report, monkeypatch
):
    from adolat.recommendations import views as recommendation_views

    monkeypatch.setattr(recommendation_views, "ASSESSMENTS_SHOWN", 1)
    monkeypatch.setattr(recommendation_views, "TIMELINE_LATEST", 2)
    make_report(assignment, "submitted")
    for n in range(2):
        services.assessment_create(
            recommendation=rec, rating="in_progress", reasoning=f"Round {n}", by=users["cso_contributor"]
        )
    url = reverse("recommendations:detail", args=[rec.pk])
    back = "/?q=torture&position=supported"
    c = client_for(users["coordinator"])

    def links(**query) -> set[str]:
        body = c.get(url, {**query, "back": back}).content.decode()
        return set(re.findall(r'href="(\?[^"]*#(?:timeline|assessments))"', body))

    kept = "back=%2F%3Fq%3Dtorture%26position%3Dsupported"
    assert links() == {f"?timeline=all&amp;{kept}#timeline", f"?assessments=all&amp;{kept}#assessments"}
    assert links(timeline="all") == {
        f"?{kept}#timeline",
        f"?timeline=all&amp;assessments=all&amp;{kept}#assessments",
    }
    assert links(timeline="all", assessments="all") == {
        f"?assessments=all&amp;{kept}#timeline",
        f"?timeline=all&amp;{kept}#assessments",
    }
    # Without a list to go back to, or one of another site, the links hold only the choices.
    body = c.get(url, {"back": "https://elsewhere.example/"}).content.decode()
    assert (
        'href="?timeline=all#timeline"' in body
        and "elsewhere" not in body.split("</main>")[0].split("<main")[1]
    )


def test_recommendation_page_query_count_with_a_long_timeline(
    users, rec, assignment, make_report, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("recommendations:detail", args=[rec.pk])

    def count(who):
        c = client_for(users[who] if who else None)
        c.get(url)  # the session is loaded once, as on any visit
        with CaptureQueriesContext(connection) as ctx:
            c.get(url)
        return len(ctx.captured_queries)

    # A short story first: one validated report, one assessment with a reply (prefetches of empty
    # lists are skipped, so an empty story costs fewer queries).
    make_report(assignment, "validated")
    first = services.assessment_create(
        recommendation=rec, rating="in_progress", reasoning="First", by=users["cso_contributor"]
    )
    services.assessment_reply_create(assessment=first, text="Reply", by=users["coordinator"])
    short = {who: count(who) for who in (None, "coordinator", "focal_point")}
    for n in range(12):
        p = services.reporting_period_create(
            starts=date(2010 + n, 1, 1),
            ends=date(2010 + n, 12, 31),
            due=date(2011 + n, 1, 31),
            by=users["coordinator"],
        )
        make_report(assignment, "validated" if n % 2 else "resubmitted", period=p)
    for n in range(5):
        a = services.assessment_create(
            recommendation=rec, rating="in_progress", reasoning=f"Assessment {n}", by=users["cso_contributor"]
        )
        services.assessment_reply_create(assessment=a, text="Reply", by=users["coordinator"])
    for who in (None, "coordinator", "focal_point"):
        c = client_for(users[who] if who else None)
        with django_assert_max_num_queries(30) as ctx:
            response = c.get(url)
        queries, events = len(ctx.captured_queries), len(response.context["timeline"])
        assert response.status_code == 200
        assert events >= 17
        # The same number of queries as with a one-line timeline.
        assert count(who) == short[who]
        print(f"recommendation page as {who or 'anonymous'}: {queries} queries, {events} events")


def test_opening_a_notification_follows_only_a_link_of_this_site(users):
    focal = users["focal_point"]
    inside = _notify(focal, 1, url="/follow-up/")
    outside = _notify(focal, 2, url="//evil.example.org/")
    c = client_for(focal)
    url = reverse("followup:notification-read", args=[inside.pk])
    assert c.post(url, {"open": "1"})["Location"] == "/follow-up/"
    url = reverse("followup:notification-read", args=[outside.pk])
    assert c.post(url, {"open": "1"})["Location"] == reverse("followup:inbox")


@pytest.mark.parametrize("language", ["tg", "ru", "en"])
def test_follow_up_pages_render_in_each_language(users, assignment, make_report, language):
    report = make_report(assignment, "submitted")
    pages = [
        ("focal_point", reverse("followup:my-work")),
        ("coordinator", reverse("followup:my-work")),
        ("focal_point", reverse("followup:inbox")),
        ("coordinator", reverse("followup:periods")),
        ("coordinator", reverse("followup:report-detail", args=[report.pk])),
        ("coordinator", reverse("followup:report-validate", args=[report.pk])),
        ("coordinator", reverse("followup:assignment-create", args=[assignment.recommendation_id])),
        ("cso_contributor", reverse("followup:assessment-create", args=[assignment.recommendation_id])),
        ("focal_point", reverse("followup:report-create", args=[assignment.pk])),
    ]
    for who, url in pages:
        c = client_for(users[who])
        c.cookies["django_language"] = language
        response = c.get(url)
        assert response.status_code == 200, url
        assert f'<html lang="{language}">' in response.content.decode(), url


def test_marking_as_read_with_htmx_returns_only_the_item(users):
    note = _notify(users["focal_point"], 1)
    c = client_for(users["focal_point"])
    response = c.post(reverse("followup:notification-read", args=[note.pk]), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<li id="notification-{note.pk}" class="read"')
    assert "<html" not in body
    full = c.get(reverse("followup:inbox")).content.decode()
    assert f'id="notification-{note.pk}"' in full and "<html" in full
