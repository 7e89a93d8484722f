"""Reminders and the weekly digest: the in-app inbox and the e-mails of the reporting calendar.

`send_reminders(today=...)` (run daily by `adolat send-reminders`, by cron or the background
worker) sends
- "report due": to each focal point of an assignment's LEAD body, from `remind_days_before` days
  before a period's due date until that date, once per assignment and period, while no report for
  that period is submitted or validated. Only the lead body is reminded: it answers for the report
  and gathers what its supporting bodies contribute, so one report is asked for once, from the
  body that must write it. A report of a supporting body counts all the same (one report per
  assignment and period is what is owed: the rule of `selectors.my_work` and the overdue flag);
- "report overdue": to the same people once the due date has passed without such a report, on the
  day after the due date and then every seven days (keyed by the week since the due date, so a
  daily run does not nag daily);
- the weekly digest: to every coordinator, on `DIGEST_WEEKDAY` (Monday unless the setting
  `ADOLAT_DIGEST_WEEKDAY` says otherwise): the reports waiting for validation, the reports overdue,
  and the recommendations where the state's latest validated status and civil society's latest
  published rating differ. Nothing is sent when all three lists are empty.

A period concerns an assignment when the assignment existed before the period's due date.

Every message is a `Notification` (the inbox) and an e-mail, both in the recipient's language.
The notification's unique (user, key) makes a run idempotent: a second run the same day finds
every key taken and sends nothing. The notification is committed before its e-mail is sent and
marked `emailed_at` once the e-mail went out, so an e-mail that failed (SMTP down) is sent again by
the next run, without a second notification.

E-mails carry nothing but recommendation references, reporting periods and links: no report text,
no assessment, no names.
"""

import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

from adolat.accounts.models import Membership, Role, User
from adolat.lib.i18n import LANGUAGE_CODES, localized
from adolat.recommendations.models import Recommendation

from .models import Assignment, Cluster, Notification, ProgressReport, ReportingPeriod
from .selectors import disagreeing_recommendations

logger = logging.getLogger(__name__)
_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*)+\n")

# The digest goes out on this weekday (0 = Monday), unless settings.ADOLAT_DIGEST_WEEKDAY is set.
DIGEST_WEEKDAY = 0
# Each list of the digest shows this many items, then says how many more there are.
DIGEST_ITEMS = 50
# A failed e-mail is tried again by later runs for this long, then left to the inbox alone.
EMAIL_RETRY_DAYS = 7
# A period is reported on once a report for it is in these states.
REPORTED_STATES = (
    ProgressReport.State.SUBMITTED,
    ProgressReport.State.VALIDATED,
    ProgressReport.State.SUPERSEDED,
)
VALIDATED_STATES = (ProgressReport.State.VALIDATED, ProgressReport.State.SUPERSEDED)
KINDS = (Notification.Kind.REPORT_DUE, Notification.Kind.REPORT_OVERDUE, Notification.Kind.DIGEST)
FOOTER = "followup/email/_footer.txt"
TEMPLATES = {
    Notification.Kind.REPORT_DUE: "followup/email/report_due",
    Notification.Kind.REPORT_OVERDUE: "followup/email/report_overdue",
    Notification.Kind.DIGEST: "followup/email/digest",
}


# --- Writes: the inbox --------------------------------------------------------------------------


@transaction.atomic
def notification_create(
    *, user: User, kind: str, key: str, subject: str, body: str, url: str = ""
) -> Notification | None:
    """Put a message in a person's inbox, once: None when they already have one with this key
    (whoever created it, even a run at the same moment).

    Not recorded in the audit log: a notification is a copy of news about records whose own
    changes are recorded; its key says what it was about."""
    if Notification.objects.filter(user=user, key=key).exists():
        return None
    notification = Notification(user=user, kind=kind, key=key, subject=subject[:255], body=body, url=url)
    notification.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            notification.save()
    except IntegrityError:  # the same key, created meanwhile
        return None
    return notification


@transaction.atomic
def notification_mark_read(*, notification: Notification, by) -> Notification:
    """Only the recipient marks their notification read; marking it again changes nothing."""
    if not getattr(by, "pk", None) or by.pk != notification.user_id:
        raise PermissionDenied(gettext("Only its recipient can mark a notification read."))
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.refresh_from_db(fields=["read_at"])
    return notification


@transaction.atomic
def notification_mark_all_read(*, by) -> int:
    """Mark every unread notification of `by` read; how many were."""
    if not getattr(by, "pk", None):
        raise PermissionDenied(gettext("Only its recipient can mark a notification read."))
    return Notification.objects.filter(user=by, read_at__isnull=True).update(read_at=timezone.now())


# --- References, links, dates (in the language active when called) -----------------------------


def recommendation_reference(rec: Recommendation) -> str:
    """How a recommendation is named in a message: its document and paragraph, or its number."""
    document = rec.document if rec.document_id else None
    source = (document.symbol or localized(document, "title").text) if document else ""
    if rec.paragraph:
        number = gettext("para. %(paragraph)s") % {"paragraph": rec.paragraph}
    else:
        number = gettext("recommendation no. %(number)s") % {"number": rec.pk}
    return f"{source}, {number}" if source else number


def cluster_reference(cluster: Cluster) -> str:
    if cluster.document_id and cluster.paragraph:
        source = cluster.document.symbol or localized(cluster.document, "title").text
        return f"{source}, " + gettext("para. %(paragraph)s") % {"paragraph": cluster.paragraph}
    return gettext("cluster no. %(number)s") % {"number": cluster.pk}


def assignment_reference(assignment: Assignment) -> str:
    if assignment.recommendation_id:
        return recommendation_reference(assignment.recommendation)
    return cluster_reference(assignment.cluster)


def period_label(period: ReportingPeriod) -> str:
    title = localized(period, "title").text
    if title:
        return title
    return f"{formats.date_format(period.starts)} – {formats.date_format(period.ends)}"


def format_date(value: date) -> str:
    return formats.date_format(value, "DATE_FORMAT")


def _path(*candidates: tuple[str, tuple]) -> str:
    """The first of the named pages that exists (pages of the follow-up are being built; links
    switch to them as soon as their URL names exist)."""
    for name, args in candidates:
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            continue
    return "/"


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _first_recommendation_pk(assignment: Assignment) -> int | None:
    if assignment.recommendation_id:
        return assignment.recommendation_id
    members = sorted(r.pk for r in assignment.cluster.recommendations.all())
    return members[0] if members else None


def recommendation_path(assignment: Assignment) -> str:
    """The page of the recommendation (a cluster's first one): the state's and civil society's
    views side by side, the assignment and its timeline."""
    rec = _first_recommendation_pk(assignment)
    return _path(("recommendations:detail", (rec,))) if rec else _path(("followup:my-work", ()))


def reminder_path(obligation: "Obligation") -> str:
    """Where a focal point acts on a reminder: their draft (or returned report) for the period,
    else a new report with the period chosen, else the recommendation's page."""
    if obligation.open_report_id:
        return _path(("followup:report-detail", (obligation.open_report_id,)), ("followup:my-work", ()))
    try:
        new = reverse("followup:report-create", args=[obligation.assignment.pk])
    except NoReverseMatch:
        return recommendation_path(obligation.assignment)
    return f"{new}?period={obligation.period.pk}"


def report_path(report: ProgressReport) -> str:
    try:
        return reverse("followup:report-detail", args=[report.pk])
    except NoReverseMatch:
        return recommendation_path(report.assignment)


def inbox_path() -> str:
    return _path(("followup:inbox", ()), ("followup:my-work", ()), ("recommendations:list", ()))


def my_work_path() -> str:
    return _path(("followup:my-work", ()), ("followup:inbox", ()), ("recommendations:list", ()))


# --- What is owed -------------------------------------------------------------------------------


@dataclass
class Obligation:
    """A report an assignment owes for a period (its lead body answers for it)."""

    assignment: Assignment
    period: ReportingPeriod
    reported: bool  # a report for the period is submitted or validated
    validated: bool  # a report for the period is validated
    open_report_id: int | None = None  # the lead body's latest draft or returned report for it

    def is_due_soon(self, today: date) -> bool:
        return self.period.due - timedelta(days=self.period.remind_days_before) <= today <= self.period.due

    def is_overdue(self, today: date) -> bool:
        return today > self.period.due

    def weeks_overdue(self, today: date) -> int:
        """0 for the first seven days after the due date, 1 for the next seven..."""
        return ((today - self.period.due).days - 1) // 7


def obligations(*, today: date) -> list[Obligation]:
    """Each active assignment with each period whose reminders have started by `today` (and that
    concerns it: the assignment existed before the due date). Four queries."""
    periods = [
        p
        for p in ReportingPeriod.objects.order_by("due", "pk")
        if p.due - timedelta(p.remind_days_before) <= today
    ]
    if not periods:
        return []
    assignments = list(
        Assignment.objects.filter(is_active=True)
        .select_related("recommendation__document", "cluster__document", "lead_body")
        .prefetch_related("cluster__recommendations")
        .order_by("pk")
    )
    reports = defaultdict(set)
    open_reports: dict[tuple[int, int, int], int] = {}
    for pk, assignment_id, period_id, organisation_id, state in (
        ProgressReport.objects.filter(period__in=periods, assignment__is_active=True)
        .order_by("pk")
        .values_list("pk", "assignment_id", "period_id", "organisation_id", "state")
    ):
        if state in REPORTED_STATES:
            reports[(assignment_id, period_id)].add(state)
        else:  # draft or returned: the latest wins
            open_reports[(assignment_id, period_id, organisation_id)] = pk
    out = []
    for assignment in assignments:
        since = timezone.localdate(assignment.created)
        for period in periods:
            if period.due <= since:
                continue
            states = reports.get((assignment.pk, period.pk), set())
            out.append(
                Obligation(
                    assignment=assignment,
                    period=period,
                    reported=bool(states),
                    validated=bool(states & set(VALIDATED_STATES)),
                    open_report_id=open_reports.get((assignment.pk, period.pk, assignment.lead_body_id)),
                )
            )
    return out


# --- The digest's content -----------------------------------------------------------------------


@dataclass
class Disagreement:
    recommendation: Recommendation
    state_status: str  # the recommendation's status (its latest validated report's)
    cso_rating: str  # civil society's latest published rating


@dataclass
class Digest:
    waiting: list[ProgressReport] = field(default_factory=list)
    overdue: list[Obligation] = field(default_factory=list)
    disagreements: list[Disagreement] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.waiting or self.overdue or self.disagreements)


def disagreements() -> list[Disagreement]:
    """Recommendations whose state status differs from civil society's latest published rating,
    as "my work" lists them (selectors.disagreeing_recommendations)."""
    recs = disagreeing_recommendations().select_related("document").order_by("pk")
    return [Disagreement(recommendation=r, state_status=r.status, cso_rating=r.cso_rating) for r in recs]


def digest(*, today: date, owed: list[Obligation] | None = None) -> Digest:
    """What coordinators should look at: reports waiting for validation; reports overdue (the due
    date passed, nothing validated and nothing waiting for validation either, as that is listed
    first); disagreements between the state and civil society."""
    owed = obligations(today=today) if owed is None else owed
    waiting = list(
        ProgressReport.objects.filter(state=ProgressReport.State.SUBMITTED, assignment__is_active=True)
        .select_related("assignment__recommendation__document", "assignment__cluster__document", "period")
        .prefetch_related("assignment__cluster__recommendations")
        .order_by("submitted_at", "pk")
    )
    overdue = [o for o in owed if o.is_overdue(today) and not o.reported]
    overdue.sort(key=lambda o: (o.period.due, o.assignment.pk))
    return Digest(waiting=waiting, overdue=overdue, disagreements=disagreements())


# --- Messages -----------------------------------------------------------------------------------


@dataclass
class Message:
    """One notification and its e-mail, rendered in the recipient's language: `body` is what the
    inbox shows, `text` the e-mail (the body and a footer), `html` the e-mail's HTML alternative."""

    user: User
    kind: str
    key: str
    language: str
    subject: str
    body: str
    text: str
    html: str
    path: str
    notification: Notification | None = None
    emailed: bool = False


def language_of(user: User) -> str:
    return user.language if user.language in LANGUAGE_CODES else settings.LANGUAGE_CODE


def render(template: str, context: dict) -> tuple[str, str, str]:
    """Subject (one line), text body (without the e-mail's footer) and the HTML e-mail, in the
    active language."""
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    # Template tags on lines of their own leave blank lines behind: at most one in a row.
    body = _BLANK_LINES.sub("\n\n", render_to_string(f"{template}.txt", context)).strip() + "\n"
    return subject, body, render_to_string(f"{template}.html", context)


def email_text(body: str) -> str:
    """The e-mail: the body and the footer (who sends it, why, the inbox), in the active language."""
    footer = render_to_string(FOOTER, {"inbox_url": absolute(inbox_path())}).strip()
    return f"{body.rstrip()}\n\n{footer}\n"


def _message(user: User, kind: str, key: str, build_context) -> Message:
    language = language_of(user)
    with translation.override(language):
        context = {"inbox_url": absolute(inbox_path()), **build_context()}
        subject, body, html = render(TEMPLATES[kind], context)
        text = email_text(body)
    return Message(
        user=user,
        kind=kind,
        key=key,
        language=language,
        subject=subject,
        body=body,
        text=text,
        html=html,
        path=context["path"],
    )


def _reminder_context(obligation: Obligation, today: date) -> dict:
    path = reminder_path(obligation)
    return {
        "reference": assignment_reference(obligation.assignment),
        "period": period_label(obligation.period),
        "due": format_date(obligation.period.due),
        "days_left": (obligation.period.due - today).days,
        "path": path,
        "url": absolute(path),
    }


def _digest_context(content: Digest, today: date) -> dict:
    def rec_url(pk):
        return absolute(_path(("recommendations:detail", (pk,)))) if pk else ""

    path = my_work_path()
    cut = DIGEST_ITEMS
    context = {
        "date": format_date(today),
        "waiting": [
            {
                "reference": assignment_reference(r.assignment),
                "period": period_label(r.period) if r.period_id else "",
                "url": absolute(report_path(r)),
            }
            for r in content.waiting[:cut]
        ],
        "overdue": [
            {
                "reference": assignment_reference(o.assignment),
                "period": period_label(o.period),
                "due": format_date(o.period.due),
                "url": absolute(recommendation_path(o.assignment)),
            }
            for o in content.overdue[:cut]
        ],
        "disagreements": [
            {"reference": recommendation_reference(d.recommendation), "url": rec_url(d.recommendation.pk)}
            for d in content.disagreements[:cut]
        ],
        "path": path,
        "url": absolute(path),
    }
    for name in ("waiting", "overdue", "disagreements"):
        count = len(getattr(content, name))
        context[f"{name}_count"] = count
        context[f"{name}_more"] = max(0, count - cut)
    return context


def _focal_points() -> dict[int, list[User]]:
    by_org: dict[int, list[User]] = defaultdict(list)
    for m in (
        Membership.objects.filter(role=Role.FOCAL_POINT, user__is_active=True, organisation__is_active=True)
        .select_related("user")
        .order_by("user__email")
    ):
        if m.user not in by_org[m.organisation_id]:
            by_org[m.organisation_id].append(m.user)
    return by_org


def _coordinators() -> list[User]:
    return list(
        User.objects.filter(
            is_active=True, memberships__role=Role.COORDINATOR, memberships__organisation__is_active=True
        )
        .distinct()
        .order_by("email")
    )


def digest_weekday() -> int:
    return getattr(settings, "ADOLAT_DIGEST_WEEKDAY", DIGEST_WEEKDAY)


def plan(*, today: date) -> list[Message]:
    """Every message due on `today` that has not been sent yet, rendered; writes nothing."""
    owed = obligations(today=today)
    focal_points = _focal_points()
    wanted: list[tuple[User, str, str, object]] = []  # (user, kind, key, context builder)
    for o in owed:
        if o.reported:
            continue
        if o.is_due_soon(today):
            kind, key = Notification.Kind.REPORT_DUE, f"report-due:{o.assignment.pk}:{o.period.pk}"
        elif o.is_overdue(today):
            kind = Notification.Kind.REPORT_OVERDUE
            key = f"report-overdue:{o.assignment.pk}:{o.period.pk}:{o.weeks_overdue(today)}"
        else:
            continue
        for user in focal_points.get(o.assignment.lead_body_id, []):
            wanted.append((user, kind, key, lambda o=o: _reminder_context(o, today)))

    if today.weekday() == digest_weekday():
        content = digest(today=today, owed=owed)
        if content:
            key = f"digest:{today.isoformat()}"
            for user in _coordinators():
                wanted.append((user, Notification.Kind.DIGEST, key, lambda: _digest_context(content, today)))

    taken = set(
        Notification.objects.filter(key__in={key for _u, _k, key, _c in wanted}).values_list("user_id", "key")
    )
    return [
        _message(user, kind, key, build) for user, kind, key, build in wanted if (user.pk, key) not in taken
    ]


# --- Sending ------------------------------------------------------------------------------------


def _email(*, user: User, subject: str, text: str, html: str = "", connection=None) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        connection=connection,
        # Tells mail servers and out-of-office replies that no person wrote it.
        headers={"Auto-Submitted": "auto-generated"},
    )
    if html:
        email.attach_alternative(html, "text/html")
    return email


def _send(email: EmailMultiAlternatives, notification: Notification) -> bool:
    try:
        email.send()
    except OSError:  # smtplib's errors are OSErrors; the next run tries again
        logger.warning("E-mail of notification %s not sent", notification.pk, exc_info=True)
        return False
    Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
    return True


def send_reminders(*, today: date | None = None, dry_run: bool = False) -> list[Message]:
    """Send what `plan` finds (see the module docstring), then e-mails that failed in earlier
    runs. With `dry_run` nothing is written nor sent: the result lists what would be.
    Returns the messages of this run, each marked `emailed` when its e-mail went out."""
    today = today or timezone.localdate()
    messages = plan(today=today)
    if dry_run:
        return messages
    connection = get_connection()
    for message in messages:
        message.notification = notification_create(
            user=message.user,
            kind=message.kind,
            key=message.key,
            subject=message.subject,
            body=message.body,
            url=message.path,
        )
        if message.notification is None:  # another run got there first
            continue
        email = _email(
            user=message.user,
            subject=message.subject,
            text=message.text,
            html=message.html,
            connection=connection,
        )
        message.emailed = _send(email, message.notification)
    retry_unsent(connection=connection, exclude={m.notification.pk for m in messages if m.notification})
    return [m for m in messages if m.notification is not None]


def retry_unsent(*, connection=None, exclude=frozenset()) -> int:
    """E-mail again the reminders whose e-mail failed in the last EMAIL_RETRY_DAYS (as text: the
    inbox's copy and the footer); how many went out."""
    since = timezone.now() - timedelta(days=EMAIL_RETRY_DAYS)
    pending = (
        Notification.objects.filter(
            kind__in=KINDS, emailed_at__isnull=True, created__gte=since, user__is_active=True
        )
        .exclude(pk__in=exclude)
        .select_related("user")
        .order_by("pk")
    )
    sent = 0
    for notification in pending:
        with translation.override(language_of(notification.user)):
            text = email_text(notification.body)
        email = _email(user=notification.user, subject=notification.subject, text=text, connection=connection)
        sent += _send(email, notification)
    return sent
