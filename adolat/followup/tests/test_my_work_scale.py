"""A coordinator's work lists over every assignment of the state: the page shows the first SHOWN
items of each list, in the order of the rule, and says how many there are."""

from datetime import UTC, date, datetime, timedelta

import pytest

from adolat.followup import selectors, services
from adolat.followup.models import Assignment, ProgressReport

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 1)
BEFORE = datetime(2024, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def world(users, orgs, make_recommendation, period, make_report):
    """Seven assignments made before the period (one ended, one with a validated report, one
    made after its due date), three submitted reports, two disagreements."""
    coordinator = users["coordinator"]
    out = []
    for i in range(7):
        rec = make_recommendation(text_en=f"Recommendation {i}", is_published=True, status="not_started")
        a = services.assignment_create(
            recommendation=rec,
            lead_body=orgs["justice"],
            deadline=date(2027, 1, 1) + timedelta(days=(7 - i) % 4) if i != 3 else None,
            by=coordinator,
        )
        Assignment.objects.filter(pk=a.pk).update(created=BEFORE)
        a.refresh_from_db()
        out.append(a)
    Assignment.objects.filter(pk=out[6].pk).update(created=datetime(2026, 3, 1, tzinfo=UTC))
    Assignment.objects.filter(pk=out[5].pk).update(is_active=False)
    make_report(out[4], "validated")
    for a in out[:3]:
        make_report(a, "submitted")
    for a in out[:2]:
        services.assessment_create(
            recommendation=a.recommendation, rating="implemented", reasoning="…", by=users["cso_contributor"]
        )
    return out


def expected_overdue(world) -> list:
    # Active, assigned before the due date, no validated report: 0, 1, 2, 3; deadline, then pk.
    return sorted(world[:4], key=lambda a: (a.deadline or date.max, a.pk))


@pytest.mark.parametrize("last_day", [False, True], ids=["deadlines", "a deadline on date.max"])
def test_the_coordinators_lists_follow_the_rule(world, users, last_day):
    if last_day:  # ordered as no deadline is, by id among them
        Assignment.objects.filter(pk=world[1].pk).update(deadline=date.max)
        world[1].refresh_from_db()
    work = selectors.my_work(users["coordinator"], TODAY)
    assert [d.assignment for d in work.overdue] == expected_overdue(world)
    assert work.overdue_count == 4
    assert work.waiting_count == 3 and len(work.waiting) == 3
    assert work.disagreements_count == 2 and len(work.disagreements) == 2


def test_long_lists_are_cut_and_counted(world, users, monkeypatch):
    monkeypatch.setattr(selectors, "SHOWN", 2)
    work = selectors.my_work(users["coordinator"], TODAY)
    assert [d.assignment for d in work.overdue] == expected_overdue(world)[:2]
    assert (work.overdue_count, work.waiting_count, work.disagreements_count) == (4, 3, 2)
    assert len(work.waiting) == 2 and len(work.disagreements) == 2
    assert [r.assignment for r in work.waiting] == world[:2]


def test_the_page_says_how_many_there_are(world, users, client, monkeypatch):
    monkeypatch.setattr(selectors, "SHOWN", 2)
    client.force_login(users["coordinator"])
    body = client.get("/follow-up/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The first 2 of 4." in body
    assert "The first 2 of 3." in body


def test_the_count_agrees_with_the_rule_of_each_assignment_over_several_periods(world, users, make_report):
    """The count subtracts the validated (assignment, period) pairs from the reports owed; it must
    give what the one-assignment rule (overdue_periods) gives, summed: a report validated twice for
    the same period counts once, a report for another period does not count."""
    coordinator = users["coordinator"]
    earlier = services.reporting_period_create(
        title_en="2024",
        starts=date(2024, 1, 1),
        ends=date(2024, 12, 31),
        due=date(2025, 1, 31),
        by=coordinator,
    )
    services.reporting_period_create(  # not yet due on TODAY: owes nothing yet
        title_en="2026",
        starts=date(2026, 1, 1),
        ends=date(2026, 12, 31),
        due=date(2027, 1, 31),
        by=coordinator,
    )
    make_report(world[4], "validated")  # a second validated report for the same period
    make_report(world[0], "validated", period=earlier)
    make_report(world[1], "validated", period=earlier)
    make_report(world[1], "submitted", period=earlier)
    work = selectors.my_work(users["coordinator"], TODAY)
    owed = {a.pk: selectors.overdue_periods(a, TODAY) for a in Assignment.objects.all()}
    assert work.overdue_count == sum(len(periods) for periods in owed.values()) == 4 + 3
    # Listed earliest period first, then the rule's order within a period.
    expected = sorted(
        ((p.due, a.deadline or date.max, a.pk) for a in world for p in owed[a.pk]),
    )
    assert [
        (d.period.due, d.assignment.deadline or date.max, d.assignment.pk) for d in work.overdue
    ] == expected


def test_disagreements_are_listed_newest_first_as_the_database_orders(world, users, make_recommendation):
    """The list's order is ORDER BY year DESC, id on both databases (written otherwise on
    PostgreSQL, see selectors.my_work), NULL years where each database puts them."""
    from django.db.models import F

    from adolat.recommendations.models import Recommendation

    for i, year in enumerate([2019, None, 2024, 2019, None, 2031]):
        rec = make_recommendation(text_en=f"Rated {i}", is_published=True, status="not_started", year=year)
        services.assessment_create(
            recommendation=rec, rating="implemented", reasoning="…", by=users["cso_contributor"]
        )
    work = selectors.my_work(users["coordinator"], TODAY)
    expected = (
        Recommendation.objects.exclude(cso_rating="")
        .exclude(cso_rating=F("status"))
        .order_by("-year", "pk")
        .values_list("pk", flat=True)
    )
    assert [r.pk for r in work.disagreements] == list(expected) and len(expected) == 8


LINKED = ["recommendations:detail", "followup:report-detail", "followup:report-create"]


@pytest.mark.parametrize("name", LINKED)
@pytest.mark.parametrize("pk", [1, 42, 9_007_199_254_740_993])
def test_the_tables_links_are_the_views_urls(name, pk):
    """The tables of "my work" reverse each view's URL once for all their rows (followup_tags._urls):
    the links are reverse()'s, escaped, under a script prefix too."""
    from django.urls import reverse, set_script_prefix
    from django.utils.html import escape

    from adolat.followup.templatetags import followup_tags

    for prefix in ("/", "/adolat & co/"):
        set_script_prefix(prefix)
        try:
            assert followup_tags._urls(name)(pk) == escape(reverse(name, args=[pk]))
        finally:
            set_script_prefix("/")


def test_the_rows_link_each_report_and_recommendation(world, users, client, monkeypatch):
    monkeypatch.setattr(selectors, "SHOWN", 2)
    client.force_login(users["coordinator"])
    page = client.get("/follow-up/").content.decode()
    waiting = ProgressReport.objects.filter(state="submitted").order_by("submitted_at", "pk")[:2]
    for report in waiting:
        assert f'href="/follow-up/reports/{report.pk}/"' in page
        assert f'href="/recommendations/{report.assignment.recommendation_id}/"' in page
