"""Reads for the follow-up: lists in the scope of the person asking, the overdue rule, a
recommendation's timeline and a person's work. Each answers in a fixed number of queries, whatever
the number of rows."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from types import SimpleNamespace

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from adolat.accounts.models import Organisation, User
from adolat.lib.models import AuditEntry
from adolat.recommendations.models import Recommendation

from . import permissions
from .models import (
    Assessment,
    AssessmentReply,
    Assignment,
    Cluster,
    ProgressReport,
    ReportingPeriod,
)

State = ProgressReport.State
VALIDATED_STATES = (State.VALIDATED, State.SUPERSEDED)


# --- Overdue ------------------------------------------------------------------------------------
#
# A report is due for every reporting period whose due date falls after the day the assignment
# was made (the rule of the reminders, adolat.followup.reminders). An active assignment is overdue
# when such a due date has passed and no report for that period has been validated (a superseded
# report was validated too). Derived, never stored.


def _assigned_on(assignment: Assignment) -> date:
    return timezone.localdate(assignment.created)


def overdue_periods(assignment: Assignment, today: date | None = None) -> list[ReportingPeriod]:
    """The periods whose report is overdue on `today`, earliest first. One query."""
    today = today or timezone.localdate()
    if not assignment.is_active:
        return []
    validated = ProgressReport.objects.filter(
        assignment=assignment, period=OuterRef("pk"), state__in=VALIDATED_STATES
    )
    return list(
        ReportingPeriod.objects.filter(due__lt=today, due__gt=_assigned_on(assignment))
        .exclude(Exists(validated))
        .order_by("due", "pk")
    )


def is_overdue(assignment: Assignment, today: date | None = None) -> bool:
    """A report was due for the assignment and none was validated for that period. One query."""
    return bool(overdue_periods(assignment, today))


def with_overdue(queryset: QuerySet, today: date | None = None) -> QuerySet:
    """Assignments annotated with `overdue` (the rule of `is_overdue`) and `assigned_on`, inside
    the same query."""
    today = today or timezone.localdate()
    validated = ProgressReport.objects.filter(
        assignment=OuterRef(OuterRef("pk")), period=OuterRef("pk"), state__in=VALIDATED_STATES
    )
    late = ReportingPeriod.objects.filter(due__lt=today, due__gt=OuterRef("assigned_on")).exclude(
        Exists(validated)
    )
    # The day the assignment was made, in the site's time zone (as timezone.localdate gives it).
    return queryset.annotate(assigned_on=TruncDate("created")).annotate(
        overdue=Case(
            When(Q(is_active=True) & Exists(late), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


# --- Lists --------------------------------------------------------------------------------------


def reporting_period_list() -> QuerySet:
    """The reporting calendar, latest due date first. Public: it says when reports are due."""
    return ReportingPeriod.objects.order_by("-due", "-pk")


def cluster_list(*, user, state: str | None = None) -> QuerySet:
    """Clusters the person may see (coordinators: all, suggestions included; others: confirmed
    ones), each with the ids of the recommendations in it that the person may see."""
    clusters = Cluster.objects.visible_to(user)
    if state:
        clusters = clusters.filter(state=state)
    return (
        clusters.select_related("country", "document")
        .prefetch_related(
            Prefetch(
                "recommendations", queryset=Recommendation.objects.visible_to(user).only("pk").order_by("pk")
            )
        )
        .order_by("-created", "-pk")
    )


def _of_recommendation(recommendation) -> Q:
    """Assignments answering for a recommendation: directly, or through a cluster holding it. The
    clusters are read first (a small query): as a subquery inside the OR, PostgreSQL expected half
    the assignments to match and read every recommendation to join them."""
    clusters = list(Cluster.objects.filter(recommendations=recommendation).values_list("pk", flat=True))
    return Q(recommendation=recommendation) | Q(cluster__in=clusters)


def assignment_list(
    *, user, recommendation=None, active: bool | None = None, today: date | None = None
) -> QuerySet:
    """Assignments the person may see, with `overdue`, their bodies and what they answer for."""
    assignments = Assignment.objects.visible_to(user)
    if recommendation is not None:
        assignments = assignments.filter(_of_recommendation(recommendation))
    if active is not None:
        assignments = assignments.filter(is_active=active)
    return (
        with_overdue(assignments, today)
        .select_related("lead_body", "recommendation", "cluster")
        .prefetch_related("supporting_bodies")
        .order_by(F("deadline").asc(nulls_last=True), "pk")
    )


def progress_report_list(*, user, assignment=None, state: str | None = None) -> QuerySet:
    """Progress reports the person may see, newest first, with their body, period and evidence."""
    reports = ProgressReport.objects.visible_to(user)
    if assignment is not None:
        reports = reports.filter(assignment=assignment)
    if state:
        reports = reports.filter(state=state)
    # The assignment's bodies decide who sees the coordinator's comments.
    return (
        reports.select_related("organisation", "period", "assignment")
        .prefetch_related("evidence", "assignment__supporting_bodies")
        .order_by("-created", "-pk")
    )


def assessment_list(*, user, recommendation=None) -> QuerySet:
    """Civil society's assessments the person may see, newest first, with evidence and replies."""
    assessments = Assessment.objects.visible_to(user)
    if recommendation is not None:
        assessments = assessments.filter(recommendation=recommendation)
    return (
        assessments.select_related("organisation")
        .prefetch_related(
            "evidence",
            Prefetch("replies", queryset=AssessmentReply.objects.select_related("organisation")),
        )
        .order_by("-created", "-pk")
    )


# --- Timeline -----------------------------------------------------------------------------------

ACTION_LABELS = {
    ("assignment", "create"): pgettext_lazy("timeline", "assigned"),
    ("assignment", "update"): pgettext_lazy("timeline", "assignment changed"),
    ("assignment", "deactivate"): pgettext_lazy("timeline", "assignment ended"),
    ("report", "create"): pgettext_lazy("timeline", "report drafted"),
    ("report", "update"): pgettext_lazy("timeline", "report edited"),
    ("report", "submit"): pgettext_lazy("timeline", "report submitted"),
    ("report", "return"): pgettext_lazy("timeline", "report returned for revision"),
    ("report", "resubmit"): pgettext_lazy("timeline", "report resubmitted"),
    ("report", "validate"): pgettext_lazy("timeline", "report validated"),
    ("report", "supersede"): pgettext_lazy("timeline", "report superseded by a newer one"),
    ("assessment", "create"): pgettext_lazy("timeline", "independent assessment published"),
    ("assessment", "update"): pgettext_lazy("timeline", "independent assessment revised"),
    ("reply", "create"): pgettext_lazy("timeline", "reply to an assessment"),
    ("status", "update"): pgettext_lazy("timeline", "implementation status changed"),
}
# Within one instant, the order in which things happen in a single transaction.
_KIND_ORDER = {"assignment": 0, "report": 1, "status": 2, "assessment": 3, "reply": 4}
# What people outside the state's work see of a report's life: it became public, or was replaced.
PUBLIC_REPORT_ACTIONS = ("validate", "supersede")


@dataclass(frozen=True)
class TimelineEvent:
    """One thing that happened to a recommendation.

    kind: "assignment", "report", "assessment", "reply" or "status" (a change of the state's
    implementation status). subject: the Assignment, ProgressReport, Assessment, AssessmentReply
    or Recommendation concerned. actor: who did it, or None (not recorded, or not shown to the
    public); organisation: on whose behalf, where known. changes: {field: [before, after]} from the
    audit log (e.g. {"state": ["submitted", "returned"], "coordinator_comment": ["", "..."]}).
    """

    at: datetime
    kind: str
    action: str
    subject: object
    actor: object = None
    organisation: object = None
    changes: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return str(ACTION_LABELS.get((self.kind, self.action), self.action))

    def _key(self):
        return (self.at, _KIND_ORDER[self.kind], getattr(self.subject, "pk", 0) or 0)


# The fields of a progress report a timeline event uses (see _recommendation.html).
REPORT_TIMELINE_FIELDS = (
    "id",
    "assignment_id",
    "organisation_id",
    "author_id",
    "validated_by_id",
    "state",
    "proposed_status",
    "created",
    "validated_at",
)


def timeline(recommendation: Recommendation, user, *, latest: int | None = None) -> list[TimelineEvent]:
    """What happened to a recommendation, oldest first: its assignments (direct or through a
    cluster) and their changes, the progress reports the person may see with each step of their
    workflow (for the public: validation and supersession only), the changes of its implementation
    status, civil society's assessments and the replies to them.

    With `latest`, only the `latest` most recent events (still oldest first): the audit log, the
    longest part of a long story, is read only that far back. A page asks for one more than it
    shows to know whether earlier events are left out.

    At most twelve queries (ten for the public), whatever the length of the story: the person's
    memberships and roles, the clusters holding the recommendation, assignments, their supporting
    bodies, reports (as rows), assessments,
    replies, the audit log, which reports it mentions, and the organisations and people named by
    the reports shown. The
    caller has passed the recommendation through its gate
    (recommendations.selectors.get_recommendation_for_user).
    """
    # People's names are shown to members; the public sees organisations.
    show_people = bool(permissions.memberships(user)) or permissions.is_coordinator(user)

    def person(p):
        return p if show_people else None

    assignments = {
        a.pk: a
        for a in Assignment.objects.visible_to(user)
        .filter(_of_recommendation(recommendation))
        .select_related("lead_body", "created_by", "cluster")
        .prefetch_related("supporting_bodies")
    }
    # A report is read as a row of the columns an event uses (hundreds on a long story); the model
    # instances, their organisations and people are made for the events shown only (report()).
    rows = {}
    if assignments:
        for row in (
            ProgressReport.objects.visible_to(user)
            .filter(assignment__in=list(assignments))
            .values_list(*REPORT_TIMELINE_FIELDS)
        ):
            rows[row[0]] = row
    made: dict[int, ProgressReport] = {}

    named: dict = {"organisations": {}, "people": {}}  # of the reports shown, read once

    def report(pk: int) -> ProgressReport:
        if pk not in made:
            r = ProgressReport.from_db(ProgressReport.objects.db, REPORT_TIMELINE_FIELDS, rows[pk])
            r.assignment = assignments[r.assignment_id]
            r.organisation = named["organisations"][r.organisation_id]
            r.author = named["people"].get(r.author_id)
            r.validated_by = named["people"].get(r.validated_by_id)
            made[pk] = r
        return made[pk]

    reports = rows  # the ids, for the filters below
    assessments = list(
        Assessment.objects.visible_to(user)
        .filter(recommendation=recommendation)
        .select_related("organisation", "author")
        .prefetch_related(
            Prefetch("replies", queryset=AssessmentReply.objects.select_related("organisation", "author"))
        )
    )

    audit_filter = Q(
        object_type=Recommendation._meta.label_lower,
        object_id=str(recommendation.pk),
        action="update",
        changes__has_key="status",
    )
    if assignments:
        audit_filter |= Q(
            object_type=Assignment._meta.label_lower,
            object_id__in=[str(pk) for pk in assignments],
            action__in=["update", "deactivate"],
        )
    # Every entry read becomes an event: what the person may not see of a report's workflow is
    # left out by the query, so that `latest` entries are `latest` events.
    workflow = permissions.sees_reports_workflow(
        user,
        [
            SimpleNamespace(pk=pk, organisation_id=row[2], assignment=assignments[row[1]])
            for pk, row in rows.items()
        ],
    )
    report_type = ProgressReport._meta.label_lower
    with_workflow = [str(pk) for pk, sees in workflow.items() if sees]
    public_only = [str(pk) for pk, sees in workflow.items() if not sees]
    if with_workflow:
        audit_filter |= Q(object_type=report_type, object_id__in=with_workflow)
    if public_only:
        audit_filter |= Q(
            object_type=report_type, object_id__in=public_only, action__in=PUBLIC_REPORT_ACTIONS
        )
    if assessments:
        audit_filter |= Q(
            object_type=Assessment._meta.label_lower,
            object_id__in=[str(a.pk) for a in assessments],
            action="update",
        )
    entries = AuditEntry.objects.filter(audit_filter).select_related("actor")
    if latest is None:
        entries = list(entries.order_by("at", "pk"))
    else:
        entries = list(entries.order_by("-at", "-pk")[:latest])[::-1]
    # Reports with a history in the log (any of it, seen or not); the others get their events from
    # the report itself below.
    recorded = set()
    if reports:
        recorded = {
            int(pk)
            for pk in AuditEntry.objects.filter(
                object_type=report_type, object_id__in=[str(pk) for pk in reports]
            )
            .order_by()
            .values_list("object_id", flat=True)
            .distinct()
        }

    # Each event as (its sort key, how to make it), in the order they are found: a report's event
    # is made only if it is among those shown.
    found: list[tuple[tuple, Callable[[], TimelineEvent]]] = []

    def add(event: TimelineEvent) -> None:
        found.append((event._key(), lambda: event))

    def add_report(at, action, pk, actor=None, changes=None, role=None) -> None:
        def make() -> TimelineEvent:
            r = report(pk)
            who = actor if role is None else getattr(r, role)
            return TimelineEvent(at, "report", action, r, person(who), r.organisation, changes or {})

        found.append(((at, _KIND_ORDER["report"], pk), make))

    for a in assignments.values():
        add(TimelineEvent(a.created, "assignment", "create", a, person(a.created_by), a.lead_body))

    assessments_by_id = {a.pk: a for a in assessments}
    for e in entries:
        object_id = int(e.object_id)
        if e.object_type == Recommendation._meta.label_lower:
            add(TimelineEvent(e.at, "status", "update", recommendation, person(e.actor), None, e.changes))
        elif e.object_type == Assignment._meta.label_lower:
            a = assignments[object_id]
            add(TimelineEvent(e.at, "assignment", e.action, a, person(e.actor), a.lead_body, e.changes))
        elif e.object_type == report_type:
            add_report(e.at, e.action, object_id, actor=e.actor, changes=e.changes)
        else:
            a = assessments_by_id[object_id]
            add(TimelineEvent(e.at, "assessment", e.action, a, person(e.actor), a.organisation, e.changes))

    # Reports written before their history was recorded (the admin, old data) still show.
    columns = {name: i for i, name in enumerate(REPORT_TIMELINE_FIELDS)}
    for pk, row in rows.items():
        if pk in recorded:
            continue
        if workflow[pk]:
            add_report(row[columns["created"]], "create", pk, role="author")
        if row[columns["validated_at"]]:
            add_report(row[columns["validated_at"]], "validate", pk, role="validated_by")

    for a in assessments:
        add(TimelineEvent(a.created, "assessment", "create", a, person(a.author), a.organisation))
        for reply in a.replies.all():
            add(
                TimelineEvent(
                    reply.created, "reply", "create", reply, person(reply.author), reply.organisation
                )
            )

    found.sort(key=lambda item: item[0])
    if latest is not None:
        found = found[-latest:]
    shown = {key[2] for key, _make in found if key[1] == _KIND_ORDER["report"]}
    named["organisations"] = Organisation.objects.in_bulk(
        {rows[pk][columns["organisation_id"]] for pk in shown}
    )
    named["people"] = User.objects.in_bulk(
        {rows[pk][columns[name]] for pk in shown for name in ("author_id", "validated_by_id")} - {None}
    )
    return [make() for _key, make in found]


# --- My work ------------------------------------------------------------------------------------

# How many items of each of a coordinator's lists the page shows (the count says how many there are):
# enough for a sitting, and a page that stays light when a whole state's work is late (at 100, the
# page cost twice as much to build for rows nobody reaches).
SHOWN = 50


@dataclass
class DueReport:
    """A report expected for an assignment and a period; `report` is the person's organisation's
    report in progress for it, if there is one."""

    assignment: Assignment
    period: ReportingPeriod
    report: ProgressReport | None = None


@dataclass
class MyWork:
    """What waits for a person.

    For a focal point (their organisations' active assignments): `assignments`, `due` (the period
    has started, its due date has not passed, and nothing has been submitted or validated for it),
    `overdue` (the due date has passed and no report was validated), `returned` and `drafts`
    (their organisations' reports needing work).
    For a coordinator: `waiting` (reports submitted for validation, oldest first),
    `disagreements` (recommendations whose state status differs from civil society's latest
    rating; each has `cso_assessment`, that assessment) and `overdue` across every active
    assignment. A person with both roles gets both.
    """

    assignments: list[Assignment] = field(default_factory=list)
    due: list[DueReport] = field(default_factory=list)
    overdue: list[DueReport] = field(default_factory=list)
    returned: list[ProgressReport] = field(default_factory=list)
    drafts: list[ProgressReport] = field(default_factory=list)
    waiting: list[ProgressReport] = field(default_factory=list)
    disagreements: list[Recommendation] = field(default_factory=list)
    # For a coordinator, who sees the whole state's work: the lists above hold the first SHOWN
    # items; these are how many there are.
    waiting_count: int = 0
    disagreements_count: int = 0
    overdue_count: int = 0


def _due_and_overdue(assignments, today: date, own_open: dict) -> tuple[list[DueReport], list[DueReport]]:
    """Three queries: the periods that have started, and what was reported for them."""
    if not assignments:
        return [], []
    periods = list(ReportingPeriod.objects.filter(starts__lte=today).order_by("due", "pk"))
    if not periods:
        return [], []
    rows = ProgressReport.objects.filter(
        assignment__in=[a.pk for a in assignments],
        period__in=[p.pk for p in periods],
        state__in=(State.SUBMITTED, *VALIDATED_STATES),
    ).values_list("assignment_id", "period_id", "state")
    validated, submitted = set(), set()
    for assignment_id, period_id, state in rows:
        (validated if state in VALIDATED_STATES else submitted).add((assignment_id, period_id))
    due, overdue = [], []
    for a in assignments:
        assigned_on = _assigned_on(a)
        for p in periods:
            key = (a.pk, p.pk)
            if p.due <= assigned_on or key in validated:
                continue
            item = DueReport(a, p, own_open.get(key))
            if p.due < today:
                overdue.append(item)
            elif key not in submitted:
                due.append(item)
    key = lambda item: (item.period.due, item.assignment.deadline or date.max, item.assignment.pk)  # noqa: E731
    return sorted(due, key=key), sorted(overdue, key=key)


def _counts(querysets) -> list[int]:
    """The number of rows of each queryset, in one query."""
    parts, params = [], []
    for qs in querysets:
        if not qs.query.values_select:  # a queryset of distinct values is counted as it is
            qs = qs.values("pk")
        sql, qs_params = qs.order_by().query.get_compiler(connection=connection).as_sql()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) c{len(parts)})")  # noqa: S608 — compiled querysets
        params.extend(qs_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        return list(cursor.fetchone())


def _overdue_everywhere(today: date, shown) -> tuple[list[DueReport], list[QuerySet], QuerySet | None]:
    """The first SHOWN overdue reports across every active assignment (the rule of
    _due_and_overdue, in its order), and what counts them: per period already due, the active
    assignments made before its due date (a report is owed by each; an index range of
    assignment_owing_idx), and the distinct (assignment, period) pairs among those with a
    validated report. Overdue = owed - validated: no assignment is matched against every period.

    The list is read period by period, earliest due first, each asked for what is still missing
    of SHOWN, so it usually reads one period only: two queries per period already due at most (the
    assignments with a deadline, then those without) and one for the rows shown, whatever the
    number of assignments."""
    periods = list(ReportingPeriod.objects.filter(starts__lte=today, due__lt=today).order_by("due", "pk"))
    if not periods:
        return [], [], None
    owed, validated_in = [], Q()
    for p in periods:
        # Assigned on a day before the due date, in the site's time zone (as _assigned_on says).
        boundary = timezone.make_aware(datetime.combine(p.due, time.min))
        owed.append(Assignment.objects.filter(is_active=True, created__lt=boundary))
        validated_in |= Q(period=p, assignment__created__lt=boundary)
    validated = (
        ProgressReport.objects.filter(validated_in, state__in=VALIDATED_STATES, assignment__is_active=True)
        .values("assignment_id", "period_id")
        .distinct()
    )
    pairs: list[tuple[int, ReportingPeriod]] = []
    for p, qs in zip(periods, owed, strict=True):
        reported = ProgressReport.objects.filter(
            assignment=OuterRef("pk"), period=p, state__in=VALIDATED_STATES
        )
        # Ids first: sorting the rows joined to their recommendations is several times slower.
        # In the order (deadline or date.max, pk), read in two parts, each along
        # assignment_late_idx until it has enough: the dated ones, then the others.
        late = qs.exclude(Exists(reported)).values_list("pk", flat=True)
        for part in (
            late.filter(deadline__lt=date.max).order_by("deadline", "pk"),
            late.filter(Q(deadline__isnull=True) | Q(deadline=date.max)).order_by("pk"),
        ):
            if len(pairs) < SHOWN:
                pairs += [(pk, p) for pk in part[: SHOWN - len(pairs)]]
        if len(pairs) >= SHOWN:
            break
    assignments = Assignment.objects.select_related(*shown).in_bulk([pk for pk, _p in pairs])
    return [DueReport(assignments[pk], p) for pk, p in pairs], owed, validated


def disagreeing_recommendations():
    """Recommendations whose state status differs from civil society's latest published rating,
    for "my work" and the coordinators' weekly digest. Both are kept on the recommendation: the
    status the latest validated report gave (services._set_status_from) and the rating
    (Recommendation.cso_rating), so they are read from an index of the rated records."""
    return Recommendation.objects.exclude(cso_rating="").exclude(cso_rating=F("status"))


def my_work(user, today: date | None = None) -> MyWork:
    """A focal point's and a coordinator's work list (see MyWork), in a bounded number of queries
    whatever the amount of work: six for a focal point, ten for a coordinator (each counting the
    lookup of the person's memberships; for a coordinator, up to two more per reporting period
    already due while the earlier ones hold fewer than SHOWN overdue reports, see
    _overdue_everywhere), one for anyone else."""
    today = today or timezone.localdate()
    work = MyWork()
    orgs = permissions.focal_point_organisations(user)
    coordinator = permissions.is_coordinator(user)
    shown = ("lead_body", "recommendation__document", "cluster")

    if orgs:
        work.assignments = list(
            Assignment.objects.filter(permissions.assignments_of(orgs), is_active=True)
            .select_related(*shown)
            .prefetch_related("supporting_bodies")
            .order_by(F("deadline").asc(nulls_last=True), "pk")
        )
        own = list(
            ProgressReport.objects.filter(organisation__in=orgs, state__in=(State.DRAFT, State.RETURNED))
            .select_related(
                "assignment__recommendation__document", "assignment__cluster", "period", "organisation"
            )
            .order_by("-updated", "-pk")
        )
        work.returned = [r for r in own if r.state == State.RETURNED]
        work.drafts = [r for r in own if r.state == State.DRAFT]
        own_open = {(r.assignment_id, r.period_id): r for r in own if r.period_id}
        work.due, work.overdue = _due_and_overdue(work.assignments, today, own_open)

    if coordinator:
        waiting = ProgressReport.objects.filter(state=State.SUBMITTED)
        work.waiting = list(
            waiting.select_related(
                "assignment__recommendation__document", "assignment__cluster", "organisation", "period"
            ).order_by("submitted_at", "pk")[:SHOWN]
        )
        disagreements = disagreeing_recommendations()
        latest = Assessment.objects.filter(recommendation=OuterRef("pk"), is_published=True).order_by(
            "-created", "-pk"
        )
        # Newest first. On PostgreSQL by an expression of the year (the same order, NULLs where it
        # puts them) that no index of the years gives: it would otherwise walk the newest records
        # for rated ones, all of a large import first (150 ms after 140,000 new records), rather
        # than sort the rated ones it finds through rec_cso_rated_idx. SQLite finds them there
        # itself (4 ms), and sorts the expression slower (37 ms).
        newest = F("year").desc()
        if connection.vendor == "postgresql":
            newest = ExpressionWrapper(F("year") + Value(0), output_field=IntegerField()).desc()
        # Ids first, read from that index alone (PostgreSQL sorted some 9,000 whole rows of the
        # synthetic 250,000 records in 20 ms, their ids in 2.4), then the records shown.
        shown_ids = list(disagreements.order_by(newest, "pk").values_list("pk", flat=True)[:SHOWN])
        chosen_recs = (
            disagreements.filter(pk__in=shown_ids)
            .annotate(cso_assessment_id=Subquery(latest.values("pk")[:1]))
            .select_related("document")
            .in_bulk(shown_ids)
            if shown_ids
            else {}
        )
        # In the order of the ids; a record no longer in disagreement since is left out.
        work.disagreements = [chosen_recs[pk] for pk in shown_ids if pk in chosen_recs]
        if work.disagreements:
            chosen = Assessment.objects.select_related("organisation").in_bulk(
                [r.cso_assessment_id for r in work.disagreements]
            )
            for rec in work.disagreements:
                rec.cso_assessment = chosen[rec.cso_assessment_id]
        work.overdue, owed, validated = _overdue_everywhere(today, shown)
        counts = _counts([waiting, disagreements, *owed, *([validated] if validated is not None else [])])
        work.waiting_count, work.disagreements_count = counts[0], counts[1]
        work.overdue_count = sum(counts[2 : 2 + len(owed)]) - sum(counts[2 + len(owed) :])
    return work
