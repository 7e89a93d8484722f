"""The follow-up's reads: the overdue rule, a recommendation's timeline (who sees which steps, in a
fixed number of queries however long the story) and the work lists of focal points and
coordinators."""

from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from adolat.accounts.models import User
from adolat.followup import reminders, selectors, services
from adolat.followup.models import Assignment, Cluster, ProgressReport

pytestmark = pytest.mark.django_db

BEFORE_THE_PERIOD = datetime(2024, 12, 1, 9, 0, tzinfo=UTC)
JUST_BEFORE_DUE = date(2026, 1, 31)  # the fixture period's due date
AFTER_DUE = date(2026, 2, 1)


def made_on(assignment: Assignment, when: datetime) -> Assignment:
    Assignment.objects.filter(pk=assignment.pk).update(created=when)
    assignment.refresh_from_db()
    return assignment


def fresh(user):
    """The person as a new request sees them (no cached roles)."""
    return User.objects.get(pk=user.pk) if user.is_authenticated else user


# --- Overdue ------------------------------------------------------------------------------------


def overdue_everywhere(assignment, today) -> bool:
    """is_overdue, checked against the annotation lists use: they must agree."""
    single = selectors.is_overdue(assignment, today)
    annotated = selectors.with_overdue(Assignment.objects.filter(pk=assignment.pk), today).get().overdue
    assert single == annotated
    return single


def test_it_is_overdue_once_the_due_date_passed_without_a_validated_report(assignment, period, make_report):
    made_on(assignment, BEFORE_THE_PERIOD)
    assert not overdue_everywhere(assignment, JUST_BEFORE_DUE)
    assert overdue_everywhere(assignment, AFTER_DUE)
    assert selectors.overdue_periods(assignment, AFTER_DUE) == [period]
    report = make_report(assignment, "submitted")
    assert overdue_everywhere(assignment, AFTER_DUE), "submitted is not validated"
    services.progress_report_validate(report=report, by=User.objects.get(email="coordinator@example.org"))
    assert not overdue_everywhere(assignment, AFTER_DUE)


def test_a_superseded_report_was_validated_too(assignment, period, make_report):
    made_on(assignment, BEFORE_THE_PERIOD)
    old = make_report(assignment, "validated")
    ProgressReport.objects.filter(pk=old.pk).update(state="superseded")
    assert not overdue_everywhere(assignment, AFTER_DUE)


def test_a_report_for_another_period_or_none_does_not_count(assignment, period, make_report):
    made_on(assignment, BEFORE_THE_PERIOD)
    make_report(assignment, "validated", period=None)
    assert overdue_everywhere(assignment, AFTER_DUE)


def test_periods_due_before_the_assignment_was_made_are_not_owed(assignment, period):
    made_on(assignment, datetime(2026, 1, 31, 12, 0, tzinfo=UTC))  # made on the due date itself
    assert not overdue_everywhere(assignment, AFTER_DUE)


def test_an_ended_assignment_is_never_overdue(assignment, period, users):
    made_on(assignment, BEFORE_THE_PERIOD)
    services.assignment_deactivate(assignment=assignment, by=users["coordinator"])
    assert not overdue_everywhere(assignment, AFTER_DUE)


# --- Timeline -----------------------------------------------------------------------------------


@pytest.fixture
def story(rec, assignment, make_report, users, orgs):
    """Assigned; a report returned, resubmitted and validated; civil society disagrees; the
    coordinator replies; a second report in review."""
    report = make_report(assignment, "resubmitted", proposed_status="partially_implemented")
    services.progress_report_validate(report=report, by=users["coordinator"])
    assessment = services.assessment_create(
        recommendation=rec,
        rating="not_implemented",
        reasoning="Nothing changed.",
        by=users["cso_contributor"],
    )
    services.assessment_reply_create(assessment=assessment, text="See the report.", by=users["coordinator"])
    in_review = make_report(assignment, "submitted", period=None, text="Second report")
    return {"report": report, "assessment": assessment, "in_review": in_review}


def steps(events) -> list[tuple[str, str]]:
    return [(e.kind, e.action) for e in events]


def test_the_state_side_sees_every_step_and_who_took_it(rec, story, users):
    events = selectors.timeline(rec, fresh(users["coordinator"]))
    assert steps(events) == [
        ("assignment", "create"),
        ("report", "create"),
        ("report", "submit"),
        ("report", "return"),
        ("report", "resubmit"),
        ("report", "validate"),
        ("status", "update"),
        ("assessment", "create"),
        ("reply", "create"),
        ("report", "create"),
        ("report", "submit"),
    ]
    returned = events[3]
    assert returned.actor == users["coordinator"]
    assert returned.changes["coordinator_comment"] == ["", "Add the draft law"]
    assert returned.subject == story["report"]
    assert events[6].changes == {"status": ["not_started", "partially_implemented"]}
    assert events[4].organisation.name_en == "Ministry of Justice"
    assert str(events[3].label) == "report returned for revision"
    assert [e.at for e in events] == sorted(e.at for e in events)


@pytest.mark.parametrize(
    "who", ["anonymous", "viewer", "monitor", "cso_contributor", "outsider", "focal_point_interior"]
)
def test_others_see_validations_status_changes_and_assessments_only(rec, story, people, who):
    events = selectors.timeline(rec, fresh(people[who]))
    assert steps(events) == [
        ("assignment", "create"),
        ("report", "validate"),
        ("status", "update"),
        ("assessment", "create"),
        ("reply", "create"),
    ]
    assert story["in_review"] not in [e.subject for e in events]
    members = {"viewer", "monitor", "cso_contributor", "focal_point_interior"}
    # Names for members, organisations for the public.
    assert (events[1].actor is not None) == (who in members)
    assert events[1].organisation.name_en == "Ministry of Justice"


@pytest.mark.parametrize(
    "who", ["anonymous", "coordinator", "focal_point", "viewer", "cso_contributor", "focal_point_interior"]
)
def test_the_latest_events_are_the_end_of_the_whole_timeline(rec, story, assignment, people, who):
    """A recommendation's page shows the latest events only; they must be exactly the end of the
    whole story as this person sees it, hidden workflow steps and reports without a history in the
    log (written through the admin) included."""
    ProgressReport.objects.create(
        assignment=assignment,
        organisation=assignment.lead_body,
        author=people["focal_point"],
        text="Entered through the admin",
        state="validated",
        validated_at=datetime(2030, 1, 1, tzinfo=UTC),
    )
    person = fresh(people[who])
    whole = selectors.timeline(rec, person)
    assert len(whole) >= 5
    for latest in range(1, len(whole) + 2):
        part = selectors.timeline(rec, fresh(people[who]), latest=latest)
        assert [(e.kind, e.action, e.subject, e.at) for e in part] == [
            (e.kind, e.action, e.subject, e.at) for e in whole[-latest:]
        ], latest


def test_a_cluster_assignment_is_part_of_each_members_story(rec, users, orgs, interior, make_recommendation):
    other = make_recommendation(text_en="Same thing, another state recommending", is_published=True)
    cluster = services.cluster_create(
        country=rec.country,
        recommendations=[rec, other],
        origin=Cluster.Origin.MANUAL,
        state=Cluster.State.CONFIRMED,
        by=users["coordinator"],
        source="web",
    )
    assignment = services.assignment_create(cluster=cluster, lead_body=interior, by=users["coordinator"])
    for member in (rec, other):
        events = selectors.timeline(member, fresh(users["viewer"]))
        assert [e.subject for e in events] == [assignment]


def test_the_timeline_costs_the_same_queries_however_long(
    rec, assignment, make_report, users, people, orgs, interior, django_assert_max_num_queries
):
    def count(person) -> int:
        person = fresh(person)
        with CaptureQueriesContext(connection) as queries:
            events = selectors.timeline(rec, person)
        return len(queries), len(events)

    make_report(assignment, "validated")
    services.assessment_create(
        recommendation=rec, rating="in_progress", reasoning="…", by=users["cso_contributor"]
    )
    short = {who: count(people[who]) for who in ("anonymous", "coordinator", "focal_point", "viewer")}

    # A long story: a cluster assignment too, twenty reports through return and resubmission,
    # fifteen assessments with three replies each, the assignment changed.
    other = services.assignment_create(
        cluster=services.cluster_create(
            country=rec.country,
            recommendations=[rec],
            origin="manual",
            state="confirmed",
            by=users["coordinator"],
            source="web",
        ),
        lead_body=interior,
        by=users["coordinator"],
    )
    services.assignment_update(
        assignment=assignment,
        lead_body=orgs["justice"],
        supporting_bodies=[],
        deadline=None,
        note="",
        by=users["coordinator"],
    )
    for i in range(20):
        make_report(
            assignment, "resubmitted", period=None, proposed_status=("in_progress", "implemented")[i % 2]
        )
        services.progress_report_validate(
            report=ProgressReport.objects.get(state="submitted"), by=users["coordinator"]
        )
    for i in range(15):
        a = services.assessment_create(
            recommendation=rec, rating="not_implemented", reasoning=f"Round {i}", by=users["cso_contributor"]
        )
        for _ in range(3):
            services.assessment_reply_create(assessment=a, text="Reply", by=users["coordinator"])
    assert other.pk
    long = {who: count(people[who]) for who in short}

    for who in short:
        assert long[who][1] > short[who][1] + 50, who
        assert long[who][0] == short[who][0], f"{who}: queries grow with the story"
        assert long[who][0] <= 12, who
    print(
        "\ntimeline queries:",
        {who: q for who, (q, _n) in long.items()},
        "events:",
        {w: n for w, (_q, n) in long.items()},
    )


# --- My work ------------------------------------------------------------------------------------


@pytest.fixture
def calendar(users, period):
    """The fixture's past period (due 2026-01-31) and a current one (started, due 2027-01-31)."""
    return {
        "past": period,
        "current": services.reporting_period_create(
            title_en="2026",
            starts=date(2026, 1, 1),
            ends=date(2026, 12, 31),
            due=date(2027, 1, 31),
            by=users["coordinator"],
        ),
    }


TODAY = date(2026, 6, 1)


def test_a_focal_points_work(assignment, calendar, make_report, users, make_recommendation, orgs, interior):
    made_on(assignment, BEFORE_THE_PERIOD)
    second = made_on(
        services.assignment_create(
            recommendation=make_recommendation(text_en="Second", is_published=True),
            lead_body=interior,
            supporting_bodies=[orgs["justice"]],
            by=users["coordinator"],
        ),
        BEFORE_THE_PERIOD,
    )
    elsewhere = services.assignment_create(
        recommendation=make_recommendation(text_en="Not ours", is_published=True),
        lead_body=interior,
        by=users["coordinator"],
    )
    returned = make_report(assignment, "returned", period=calendar["past"])
    draft = make_report(second, "draft", period=calendar["current"])

    work = selectors.my_work(fresh(users["focal_point"]), TODAY)
    assert work.assignments == [assignment, second]
    assert elsewhere not in work.assignments
    assert [(d.assignment, d.period) for d in work.overdue] == [
        (assignment, calendar["past"]),
        (second, calendar["past"]),
    ]
    assert work.overdue[0].report == returned
    assert [(d.assignment, d.period) for d in work.due] == [
        (assignment, calendar["current"]),
        (second, calendar["current"]),
    ]
    assert work.due[1].report == draft
    assert work.returned == [returned]
    assert work.drafts == [draft]
    assert work.waiting == [] and work.disagreements == []


def test_submitted_is_no_longer_due_and_validated_no_longer_overdue(assignment, calendar, make_report, users):
    made_on(assignment, BEFORE_THE_PERIOD)
    make_report(assignment, "submitted", period=calendar["current"])
    make_report(assignment, "validated", period=calendar["past"])
    work = selectors.my_work(fresh(users["focal_point"]), TODAY)
    assert work.due == [] and work.overdue == []


def test_a_coordinators_work(rec, assignment, calendar, make_report, users, make_recommendation):
    made_on(assignment, BEFORE_THE_PERIOD)
    make_report(assignment, "validated", period=calendar["past"], proposed_status="implemented")
    waiting = make_report(assignment, "submitted", period=calendar["current"])
    services.assessment_create(
        recommendation=rec, rating="in_progress", reasoning="Older", by=users["cso_contributor"]
    )
    latest = services.assessment_create(
        recommendation=rec, rating="not_implemented", reasoning="Latest", by=users["cso_contributor"]
    )
    agreeing = make_recommendation(text_en="Agreed on", is_published=True)
    services.assessment_create(
        recommendation=agreeing, rating="not_started", reasoning="…", by=users["cso_contributor"]
    )

    work = selectors.my_work(fresh(users["coordinator"]), TODAY)
    assert work.waiting == [waiting]
    assert work.disagreements == [rec]
    assert work.disagreements[0].status == "implemented"
    assert work.disagreements[0].cso_rating == "not_implemented"
    assert work.disagreements[0].cso_assessment == latest
    assert work.overdue == []
    assert work.assignments == [] and work.due == []
    # The weekly digest lists the same disagreements.
    assert [(d.recommendation, d.state_status, d.cso_rating) for d in reminders.disagreements()] == [
        (rec, "implemented", "not_implemented")
    ]


@pytest.mark.parametrize("who", ["focal_point", "coordinator", "viewer", "anonymous"])
def test_my_work_costs_the_same_queries_however_much_work(
    who, people, calendar, make_report, users, make_recommendation, orgs, interior
):
    def count() -> int:
        person = fresh(people[who])
        with CaptureQueriesContext(connection) as queries:
            selectors.my_work(person, TODAY)
        return len(queries)

    def add(n):
        for i in range(n):
            rec = make_recommendation(text_en=f"Recommendation {i}", is_published=True)
            a = made_on(
                services.assignment_create(
                    recommendation=rec,
                    lead_body=orgs["justice"],
                    supporting_bodies=[interior],
                    by=users["coordinator"],
                ),
                BEFORE_THE_PERIOD,
            )
            make_report(a, ("draft", "returned", "submitted", "validated")[i % 4], period=calendar["past"])
            services.assessment_create(
                recommendation=rec, rating="not_implemented", reasoning="…", by=users["cso_contributor"]
            )

    add(1)
    small = count()
    add(24)
    large = count()
    assert large == small, f"{who}: queries grow with the work"
    assert large <= {"focal_point": 6, "coordinator": 10}.get(who, 1)
    print(f"\nmy_work queries for {who}: {large}")
