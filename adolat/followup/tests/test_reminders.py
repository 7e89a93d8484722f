"""Reminders and the weekly digest: who gets what, when, in which language; the inbox and e-mail.

The reporting period of these tests: the first half of 2026, reports due on Wednesday 15 July
2026, reminders from 14 days before (Wednesday 1 July). Monday 20 July is a digest day.
"""

import io
from datetime import UTC, date, datetime

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext

from adolat.accounts.models import Membership, User
from adolat.followup import reminders, tasks
from adolat.followup import services as followup_services
from adolat.followup.models import Assessment, Assignment, Notification, ProgressReport, ReportingPeriod
from adolat.followup.services import cluster_create
from adolat.recommendations.models import Country, Mechanism, SourceDocument
from adolat.recommendations.services import recommendation_set_status

DUE = date(2026, 7, 15)
WINDOW_OPENS = date(2026, 7, 1)
MONDAY = date(2026, 7, 20)
TUESDAY = date(2026, 7, 21)
PERIOD_TITLES = {
    "en": "First half of 2026",
    "ru": "Первое полугодие 2026 года",
    "tg": "Нимсолаи якуми соли 2026",
}
DUE_SUBJECT = "Progress report due on %(due)s: %(reference)s"
OVERDUE_SUBJECT = "Progress report overdue since %(due)s: %(reference)s"
DIGEST_SUBJECT = "Follow-up digest, week of %(date)s"


class FailingBackend(BaseEmailBackend):
    """An SMTP server that is down."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("the mail server is down")


# --- the world of these tests -------------------------------------------------------------------


def person(email, *, organisation, role, language="tg", **extra):
    user = User.objects.create_user(email, "x" * 16, language=language, **extra)
    Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


@pytest.fixture
def document(db):
    return SourceDocument.objects.create(
        mechanism=Mechanism.objects.get_or_create(
            code="UPR", defaults={"kind": "upr", "name_en": "Universal Periodic Review"}
        )[0],
        country=Country.objects.get_or_create(code="TJ", defaults={"name_en": "Tajikistan"})[0],
        symbol="A/HRC/19/3",
        title_en="Report of the Working Group on the Universal Periodic Review: Tajikistan",
        year=2011,
    )


@pytest.fixture
def period(db):
    return ReportingPeriod.objects.create(
        title_en=PERIOD_TITLES["en"],
        title_ru=PERIOD_TITLES["ru"],
        title_tg=PERIOD_TITLES["tg"],
        starts=date(2026, 1, 1),
        ends=date(2026, 6, 30),
        due=DUE,
        remind_days_before=14,
    )


@pytest.fixture
def people(orgs, users):
    """Three focal points of the Ministry of Justice reading Tajik, Russian and English, one of the
    Ombudsman's office (a supporting body), and the coordinator (Tajik) with a Russian colleague."""
    justice = orgs["justice"]
    return {
        "fp_tg": users["focal_point"],
        "fp_ru": person("fp.ru@example.org", organisation=justice, role="focal_point", language="ru"),
        "fp_en": person("fp.en@example.org", organisation=justice, role="focal_point", language="en"),
        "fp_ombudsman": person(
            "fp@ombudsman.example.org", organisation=orgs["ombudsman"], role="focal_point"
        ),
        "coordinator": users["coordinator"],
        "coordinator_ru": person(
            "coordinator.ru@example.org", organisation=orgs["eop"], role="coordinator", language="ru"
        ),
        "cso": users["cso_contributor"],
    }


def assign(target, *, lead, supporting=(), by=None, since=datetime(2026, 1, 10, tzinfo=UTC)):
    """An assignment made on `since` (the workflow services are written alongside; the reminders
    only read assignments)."""
    field = "cluster" if target.__class__.__name__ == "Cluster" else "recommendation"
    assignment = Assignment.objects.create(**{field: target}, lead_body=lead, created_by=by)
    assignment.supporting_bodies.set(supporting)
    Assignment.objects.filter(pk=assignment.pk).update(created=since)
    assignment.refresh_from_db()
    return assignment


def report(assignment, period, *, state, organisation=None, status="in_progress", **extra):
    return ProgressReport.objects.create(
        assignment=assignment,
        period=period,
        organisation=organisation or assignment.lead_body,
        state=state,
        text="Confidential working notes of the ministry",
        proposed_status=status,
        **extra,
    )


@pytest.fixture
def rec(make_recommendation, document):
    return make_recommendation(
        "Ratify the Optional Protocol to the Convention against Torture", document=document, paragraph="88.1"
    )


@pytest.fixture
def assignment(rec, orgs, people, period):
    return assign(rec, lead=orgs["justice"], supporting=[orgs["ombudsman"]], by=people["coordinator"])


def run(today: date, **kwargs):
    return reminders.send_reminders(today=today, **kwargs)


def recipients(messages, kind=None) -> set[str]:
    return {m.user.email for m in messages if kind is None or m.kind == kind}


def outbox_to(kind_subject_start: str = "") -> set[str]:
    return {e.to[0] for e in mail.outbox if e.subject.startswith(kind_subject_start)}


JUSTICE_FOCAL_POINTS = {"focal_point@example.org", "fp.ru@example.org", "fp.en@example.org"}


# --- who gets a reminder, and when --------------------------------------------------------------


def test_nothing_is_sent_before_the_reminder_window(assignment):
    assert run(date(2026, 6, 30)) == []
    assert Notification.objects.count() == 0
    assert mail.outbox == []


def test_focal_points_of_the_lead_body_are_reminded_when_the_window_opens(assignment, people):
    messages = run(WINDOW_OPENS)

    assert recipients(messages) == JUSTICE_FOCAL_POINTS  # not the supporting body, not coordinators
    assert {m.kind for m in messages} == {"report_due"}
    assert set(Notification.objects.values_list("user__email", flat=True)) == JUSTICE_FOCAL_POINTS
    assert {n.kind for n in Notification.objects.all()} == {"report_due"}
    assert all(n.emailed_at is not None and n.read_at is None for n in Notification.objects.all())
    # The inbox keeps the message; the e-mail adds a footer saying who sends it and why.
    note = Notification.objects.get(user__email="fp.en@example.org")
    email = next(e for e in mail.outbox if e.to == ["fp.en@example.org"])
    assert email.body.startswith(note.body) and "All your notifications" in email.body
    assert "All your notifications" not in note.body
    assert sorted(e.to[0] for e in mail.outbox) == sorted(JUSTICE_FOCAL_POINTS)
    email = mail.outbox[0]
    assert email.from_email == settings.DEFAULT_FROM_EMAIL
    assert email.extra_headers["Auto-Submitted"] == "auto-generated"
    [(html, mimetype)] = email.alternatives
    assert mimetype == "text/html" and "<a href=" in html


def test_the_due_reminder_comes_once_per_period(assignment):
    assert len(run(WINDOW_OPENS)) == 3

    assert run(date(2026, 7, 8)) == []
    assert run(DUE) == []
    assert len(mail.outbox) == 3


def test_running_twice_the_same_day_sends_nothing_new(assignment):
    run(WINDOW_OPENS)
    sent = len(mail.outbox)

    assert run(WINDOW_OPENS) == []
    assert len(mail.outbox) == sent
    assert Notification.objects.count() == 3


@pytest.mark.parametrize("state", ["submitted", "validated", "superseded"])
def test_a_report_submitted_or_validated_stops_the_reminders(assignment, period, state):
    report(assignment, period, state=state)

    assert run(WINDOW_OPENS) == []
    assert run(date(2026, 7, 16)) == []  # and nothing is overdue


@pytest.mark.parametrize("state", ["draft", "returned"])
def test_a_draft_or_a_returned_report_does_not(assignment, period, state):
    report(assignment, period, state=state)

    assert recipients(run(WINDOW_OPENS)) == JUSTICE_FOCAL_POINTS
    assert recipients(run(date(2026, 7, 16))) == JUSTICE_FOCAL_POINTS


def test_a_report_of_a_supporting_body_counts_too(assignment, period, orgs):
    # One report per assignment and period is owed, whichever of its bodies wrote it (the rule of
    # the "my work" page and the overdue flag).
    report(assignment, period, state="submitted", organisation=orgs["ombudsman"])

    assert run(WINDOW_OPENS) == []


def test_a_report_for_another_period_does_not_count(assignment, period):
    earlier = ReportingPeriod.objects.create(
        title_en="2025", starts=date(2025, 1, 1), ends=date(2025, 12, 31), due=date(2026, 1, 5)
    )
    report(assignment, earlier, state="validated")

    assert recipients(run(WINDOW_OPENS)) == JUSTICE_FOCAL_POINTS


def test_overdue_reminders_come_weekly_not_daily(assignment):
    run(WINDOW_OPENS)

    day_after = run(date(2026, 7, 16))
    assert recipients(day_after) == JUSTICE_FOCAL_POINTS
    assert {m.kind for m in day_after} == {"report_overdue"}
    assert run(date(2026, 7, 17)) == []
    assert run(date(2026, 7, 22)) == []  # seven days after the due date: still the first week
    assert recipients(run(date(2026, 7, 23))) == JUSTICE_FOCAL_POINTS
    assert run(date(2026, 7, 23)) == []
    assert Notification.objects.filter(kind="report_overdue").count() == 6


def test_overdue_reminders_stop_once_a_report_is_submitted(assignment, period):
    run(date(2026, 7, 16))
    report(assignment, period, state="submitted")

    assert run(date(2026, 7, 23)) == []


def test_inactive_assignments_and_people_get_nothing(assignment, people):
    people["fp_ru"].is_active = False
    people["fp_ru"].save()

    assert recipients(run(WINDOW_OPENS)) == JUSTICE_FOCAL_POINTS - {"fp.ru@example.org"}

    Assignment.objects.filter(pk=assignment.pk).update(is_active=False)
    assert run(date(2026, 7, 16)) == []


def test_an_assignment_made_after_the_due_date_owes_nothing_for_that_period(rec, orgs, people, period):
    assign(rec, lead=orgs["justice"], since=datetime(2026, 7, 15, 12, tzinfo=UTC))

    assert run(date(2026, 7, 16)) == []


# --- what the messages say, in whose language ---------------------------------------------------


def test_each_recipient_reads_it_in_their_language(assignment, people):
    messages = {m.user.language: m for m in run(WINDOW_OPENS)}
    emails = {e.to[0]: e for e in mail.outbox}

    subjects = {}
    for lang, user in (("tg", people["fp_tg"]), ("ru", people["fp_ru"]), ("en", people["fp_en"])):
        with translation.override(lang):
            reference = "A/HRC/19/3, " + gettext("para. %(paragraph)s") % {"paragraph": "88.1"}
            due = formats.date_format(DUE, "DATE_FORMAT")
            expected = gettext(DUE_SUBJECT) % {"due": due, "reference": reference}
        message, email = messages[lang], emails[user.email]
        assert message.language == lang
        assert email.subject == message.subject == expected
        assert Notification.objects.get(user=user).subject == expected
        # The parts that do not wait for the translators: the date and the period's title.
        assert due in email.body and PERIOD_TITLES[lang] in email.body
        for other, title in PERIOD_TITLES.items():
            if other != lang:
                assert title not in email.body
        html = email.alternatives[0][0]
        assert f'<html lang="{lang}">' in html and PERIOD_TITLES[lang] in html
        subjects[lang] = email.subject

    assert subjects["en"] == "Progress report due on July 15, 2026: A/HRC/19/3, para. 88.1"
    assert "15 июля 2026" in subjects["ru"]
    assert len(set(subjects.values())) == 3
    assert len({e.body for e in mail.outbox}) == 3


def test_the_overdue_reminder_says_so_in_the_recipients_language(assignment, people):
    run(date(2026, 7, 16))

    email = next(e for e in mail.outbox if e.to == [people["fp_ru"].email])
    with translation.override("ru"):
        reference = "A/HRC/19/3, " + gettext("para. %(paragraph)s") % {"paragraph": "88.1"}
        expected = gettext(OVERDUE_SUBJECT) % {
            "due": formats.date_format(DUE, "DATE_FORMAT"),
            "reference": reference,
        }
    assert email.subject == expected


def test_emails_carry_only_the_reference_the_period_and_a_link(assignment, rec, period):
    run(WINDOW_OPENS)

    path = reverse("followup:report-create", args=[assignment.pk]) + f"?period={period.pk}"
    link = f"{settings.SITE_URL}{path}"
    for email in mail.outbox:
        assert link in email.body and f'href="{link}"' in email.alternatives[0][0]
        assert rec.text_en not in email.body and rec.text_en not in email.alternatives[0][0]
        assert "Ministry" not in email.body  # no names of bodies or people either
    assert set(Notification.objects.values_list("url", flat=True)) == {path}


def test_a_cluster_assignment_is_named_by_its_cluster(make_recommendation, orgs, people, period):
    recs = [make_recommendation(f"Extend a standing invitation ({i})") for i in range(2)]
    cluster = cluster_create(
        country=recs[0].country, recommendations=recs, origin="manual", state="confirmed", source="web"
    )
    assignment = assign(cluster, lead=orgs["justice"])

    run(WINDOW_OPENS)

    email = next(e for e in mail.outbox if e.to == [people["fp_en"].email])
    assert email.subject == f"Progress report due on July 15, 2026: cluster no. {cluster.pk}"
    path = reverse("followup:report-create", args=[assignment.pk]) + f"?period={period.pk}"
    assert f"{settings.SITE_URL}{path}" in email.body


def test_with_a_draft_the_link_opens_the_draft(assignment, period):
    draft = report(assignment, period, state="draft")

    run(WINDOW_OPENS)

    link = settings.SITE_URL + reverse("followup:report-detail", args=[draft.pk])
    assert all(f"{link}\n" in e.body for e in mail.outbox)
    assert "Confidential working notes" not in mail.outbox[0].body


def test_the_digest_links_overdue_items_to_the_recommendation(digest_world, people):
    run(MONDAY)

    email = next(e for e in mail.outbox if e.to == ["coordinator@example.org"])
    link = settings.SITE_URL + reverse(
        "recommendations:detail", args=[digest_world["overdue"].recommendation_id]
    )
    assert f"88.3 · {PERIOD_TITLES['tg']}" in email.body and link in email.body
    assert settings.SITE_URL + reverse("followup:my-work") in email.body
    assert settings.SITE_URL + reverse("followup:inbox") in email.body


# --- the dry run and the command ----------------------------------------------------------------


def test_the_dry_run_lists_what_would_be_sent_and_writes_nothing(assignment, people):
    out = io.StringIO()
    call_command("send-reminders", "--dry-run", "--today", "2026-07-01", stdout=out)

    lines = out.getvalue().splitlines()
    assert Notification.objects.count() == 0
    assert mail.outbox == []
    listed = [line.split("\t") for line in lines if "\t" in line]
    assert {(email, lang, kind) for email, lang, kind, _subject in listed} == {
        ("focal_point@example.org", "tg", "report_due"),
        ("fp.ru@example.org", "ru", "report_due"),
        ("fp.en@example.org", "en", "report_due"),
    }
    assert [
        "fp.en@example.org",
        "en",
        "report_due",
        "Progress report due on July 15, 2026: A/HRC/19/3, para. 88.1",
    ] in listed
    assert "3 messages would be sent" in lines[-1]

    out = io.StringIO()
    call_command("send-reminders", "--today", "2026-07-01", stdout=out)
    assert Notification.objects.count() == len(mail.outbox) == 3
    assert out.getvalue().splitlines()[-1] == "3 messages sent."


def test_the_command_refuses_a_wrong_date(db):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("send-reminders", "--today", "15.07.2026", stdout=io.StringIO())


def test_the_background_task_runs_the_same(assignment):
    result = tasks.send_reminders.enqueue(today="2026-07-01")

    assert result.return_value == {"messages": 3, "emails_failed": 0}
    assert Notification.objects.count() == len(mail.outbox) == 3
    assert tasks.send_reminders.enqueue(today="2026-07-01").return_value == {
        "messages": 0,
        "emails_failed": 0,
    }


def test_a_failed_email_is_sent_by_the_next_run(assignment, settings):
    settings.EMAIL_BACKEND = "adolat.followup.tests.test_reminders.FailingBackend"
    messages = run(WINDOW_OPENS)
    assert len(messages) == 3 and not any(m.emailed for m in messages)
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 3

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert run(WINDOW_OPENS) == []  # nothing new for the inbox...

    assert sorted(e.to[0] for e in mail.outbox) == sorted(JUSTICE_FOCAL_POINTS)  # ...but the e-mails
    for email in mail.outbox:
        note = Notification.objects.get(user__email=email.to[0])
        assert email.subject == note.subject and email.body.startswith(note.body)
        with translation.override(note.user.language):  # the footer, in the recipient's language
            assert gettext("All your notifications") in email.body
    assert Notification.objects.count() == 3
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
    run(WINDOW_OPENS)
    assert len(mail.outbox) == 3


# --- the weekly digest --------------------------------------------------------------------------


@pytest.fixture
def digest_world(make_recommendation, document, orgs, people, period):
    """One report waiting for validation, one overdue, one disagreement, one agreement."""
    justice = orgs["justice"]
    waiting = assign(make_recommendation("Waiting", document=document, paragraph="88.2"), lead=justice)
    report(waiting, period, state="submitted")
    overdue = assign(make_recommendation("Overdue", document=document, paragraph="88.3"), lead=justice)
    disputed_rec = make_recommendation("Disputed", document=document, paragraph="88.4")
    disputed = assign(disputed_rec, lead=justice)
    report(
        disputed,
        period,
        state="validated",
        status="implemented",
        validated_at=datetime(2026, 7, 1, tzinfo=UTC),
    )
    agreed_rec = make_recommendation("Agreed", document=document, paragraph="88.5")
    agreed = assign(agreed_rec, lead=justice)
    report(
        agreed, period, state="validated", status="in_progress", validated_at=datetime(2026, 7, 1, tzinfo=UTC)
    )
    for target, rating, published in (
        (disputed_rec, "not_started", True),
        (agreed_rec, "implemented", True),  # an older rating...
        (agreed_rec, "in_progress", True),  # ...the latest agrees with the state
        (agreed_rec, "not_implemented", False),  # unpublished: not counted
    ):
        Assessment.objects.create(
            recommendation=target,
            organisation=orgs["cso"],
            author=people["cso"],
            rating=rating,
            reasoning="The civil society's reasoning",
            is_published=published,
        )
    # What validating the reports and publishing the assessments keep on each recommendation.
    for target, status in ((disputed_rec, "implemented"), (agreed_rec, "in_progress")):
        target.refresh_from_db()
        recommendation_set_status(recommendation=target, status=status, by=None, source="command")
        followup_services._keep_cso_rating(target.pk)
    return {"waiting": waiting, "overdue": overdue, "disputed": disputed, "agreed": agreed}


def test_coordinators_get_the_digest_on_monday(digest_world, people):
    messages = run(MONDAY)

    digests = [m for m in messages if m.kind == "digest"]
    assert recipients(digests) == {"coordinator@example.org", "coordinator.ru@example.org"}
    assert recipients(messages, "report_overdue") == JUSTICE_FOCAL_POINTS  # for 88.3 only
    assert Notification.objects.filter(kind="report_overdue").count() == 3
    email = next(e for e in mail.outbox if e.to == ["coordinator.ru@example.org"])
    with translation.override("ru"):
        assert email.subject == gettext(DIGEST_SUBJECT) % {"date": formats.date_format(MONDAY, "DATE_FORMAT")}
    body = email.body
    waiting, overdue, disputes = (
        body.index(s) for s in ("88.2", "88.3", "88.4")
    )  # in this order: waiting, overdue, disagreements
    assert waiting < overdue < disputes
    assert "88.5" not in body  # the state and civil society agree
    assert "88.1" not in body
    assert PERIOD_TITLES["ru"] in body
    assert "Confidential working notes" not in body and "reasoning" not in body
    assert email.alternatives[0][0].count("<li>") == 3


def test_the_digest_in_english_lists_each_section(digest_world, users, people):
    people["coordinator"].language = "en"
    people["coordinator"].save()

    run(MONDAY)

    email = next(e for e in mail.outbox if e.to == ["coordinator@example.org"])
    assert email.subject == "Follow-up digest, week of July 20, 2026"
    assert "1 report waiting for validation:" in email.body
    assert "1 report overdue:" in email.body
    assert "1 recommendation where the state's status and civil society's rating differ:" in email.body
    assert "A/HRC/19/3, para. 88.3 · First half of 2026 · due on July 15, 2026" in email.body
    waiting = digest_world["waiting"]
    path = reverse("followup:report-detail", args=[waiting.reports.get().pk])
    assert f"88.2 · First half of 2026\n  {settings.SITE_URL}{path}\n" in email.body


def test_long_digest_lists_are_cut(digest_world, assignment, people, monkeypatch):
    monkeypatch.setattr(reminders, "DIGEST_ITEMS", 1)
    people["coordinator"].language = "en"
    people["coordinator"].save()

    run(MONDAY)

    email = next(e for e in mail.outbox if e.to == ["coordinator@example.org"])
    assert "2 reports overdue:" in email.body and "…and 1 more." in email.body
    assert email.body.count("due on July 15, 2026") == 1


def test_the_digest_is_weekly(digest_world):
    run(MONDAY)
    assert run(MONDAY) == []
    assert [m for m in run(TUESDAY) if m.kind == "digest"] == []
    assert recipients(run(date(2026, 7, 27)), "digest") == {
        "coordinator@example.org",
        "coordinator.ru@example.org",
    }
    assert Notification.objects.filter(kind="digest").count() == 4


def test_no_digest_when_there_is_nothing_to_say(assignment, period):
    report(assignment, period, state="validated")

    assert run(MONDAY) == []


def test_the_digest_weekday_is_a_setting(digest_world, settings):
    settings.ADOLAT_DIGEST_WEEKDAY = 1  # Tuesday

    assert [m for m in run(MONDAY) if m.kind == "digest"] == []
    assert len([m for m in run(TUESDAY) if m.kind == "digest"]) == 2


def test_the_digest_content(digest_world):
    content = reminders.digest(today=MONDAY)

    assert [r.assignment for r in content.waiting] == [digest_world["waiting"]]
    assert [o.assignment for o in content.overdue] == [digest_world["overdue"]]
    [disagreement] = content.disagreements
    assert disagreement.recommendation == digest_world["disputed"].recommendation
    assert (disagreement.state_status, disagreement.cso_rating) == ("implemented", "not_started")


def test_the_queries_do_not_grow_with_the_work(make_recommendation, document, orgs, people, period):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            messages = reminders.plan(today=MONDAY)
        assert messages
        return len(captured.captured_queries)

    def more_work(n: int):
        for i in range(n):
            rec = make_recommendation(f"Recommendation {n}.{i}", document=document, paragraph=f"9{n}.{i}")
            assignment = assign(rec, lead=orgs["justice"])
            report(assignment, period, state="submitted" if i % 2 else "draft")
            cluster = cluster_create(
                country=rec.country, recommendations=[rec], origin="manual", state="confirmed", source="web"
            )
            assign(cluster, lead=orgs["ombudsman"])

    more_work(1)
    few = queries()
    more_work(6)

    assert queries() == few


# --- the inbox ----------------------------------------------------------------------------------


def test_only_the_recipient_marks_a_notification_read(assignment, people):
    run(WINDOW_OPENS)
    notification = Notification.objects.get(user=people["fp_en"])

    with pytest.raises(PermissionDenied):
        reminders.notification_mark_read(notification=notification, by=people["fp_ru"])
    with pytest.raises(PermissionDenied):
        reminders.notification_mark_read(notification=notification, by=None)
    notification.refresh_from_db()
    assert notification.read_at is None

    reminders.notification_mark_read(notification=notification, by=people["fp_en"])
    first = notification.read_at
    assert first is not None
    reminders.notification_mark_read(notification=notification, by=people["fp_en"])
    notification.refresh_from_db()
    assert notification.read_at == first


def test_marking_all_read_touches_only_ones_own(assignment, people):
    run(WINDOW_OPENS)

    assert reminders.notification_mark_all_read(by=people["fp_en"]) == 1
    assert Notification.objects.filter(read_at__isnull=True).count() == 2


def test_a_notification_is_created_once_per_key(people):
    first = reminders.notification_create(
        user=people["fp_en"], kind="report_due", key="k", subject="s", body="b", url="/x/"
    )
    again = reminders.notification_create(
        user=people["fp_en"], kind="report_due", key="k", subject="other", body="other"
    )

    assert first is not None and again is None
    assert Notification.objects.get().subject == "s"
