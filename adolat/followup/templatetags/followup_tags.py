import html

from django import template
from django.template.defaultfilters import date, truncatewords
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext

from adolat.followup.models import Assessment, Notification, ProgressReport
from adolat.recommendations.models import Recommendation

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_count(context) -> int:
    """The signed-in person's unread notifications, for the navigation: one query per request."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    cached = getattr(request, "_followup_unread", None)
    if cached is None:
        cached = Notification.objects.filter(user=user, read_at__isnull=True).count()
        request._followup_unread = cached
    return cached


@register.filter
def status_label(code) -> str:
    """The translated name of an implementation status code, as the audit log stores it."""
    from adolat.recommendations.models import Status

    return dict(Status.choices).get(code, code or "—")


@register.simple_tag
def assignment_target(assignment) -> SafeString:
    """What an assignment is about: its recommendation (reference, linked, and the first words of
    its text) or its cluster. A Python tag rather than an included template: "my work" shows it
    on up to 250 rows, and an include cost about 100 µs each."""
    return _target(assignment, _urls("recommendations:detail"))


def _target(assignment, detail_url) -> SafeString:
    """assignment_target, given the recommendations' `_urls`."""
    if not assignment.recommendation_id:
        return format_html("{}: {}", gettext("Cluster"), assignment.cluster)
    rec = assignment.recommendation
    return format_html(
        '<a href="{}">{}</a> <span class="muted">{}</span>',
        mark_safe(detail_url(assignment.recommendation_id)),  # noqa: S308 — escaped by _urls
        rec.reference or f"{gettext('Recommendation')} #{assignment.recommendation_id}",
        truncatewords(rec.text.text, 14),
    )


# --- The coordinator's tables of "my work" ------------------------------------------------------
#
# Up to SHOWN rows each (followup/selectors.py), rendered here rather than by template loops: the
# engine spent about a third of the page's time on them (a lookup chain per `{{ }}`, a node per
# `{% url %}`, `{% translate %}` again on every row). The markup is the template's.


def _e(value) -> str:
    return html.escape(str(value))


def _day(value) -> str:
    """{{ value|date:"Y-m-d" }}: in the current time zone, empty for none."""
    return _e(date(template_localtime(value), "Y-m-d")) if value else ""


# A number no URL holds otherwise, reversed in place of an id (see `_urls`).
_ID = 987654321987654321


def _urls(name: str):
    """The URL of the view `name` for an integer id, escaped for HTML: `reverse(name, args=[id])`
    reversed once for all the rows of a table (each reverse cost about 100 µs, and "my work"
    links up to 250 times). The id is the view's only argument, written as it is."""
    head, found, tail = reverse(name, args=[_ID]).partition(str(_ID))
    if not found or str(_ID) in tail:
        raise ValueError(f"{name}: the id is not the URL's one argument")
    head, tail = _e(head), _e(tail)
    return lambda pk: f"{head}{int(pk)}{tail}"


def _labels(model, field: str):
    """A value's label among a field's choices, escaped, in the current language (the value
    itself when it is none of them): get_FOO_display, which rebuilds the choices on every call."""
    labels = {value: _e(label) for value, label in model._meta.get_field(field).flatchoices}
    return lambda value: labels[value] if value in labels else _e(value)


@register.simple_tag
def waiting_rows(reports) -> SafeString:
    """The rows of the reports waiting for validation."""
    review, proposed = _e(gettext("Review")), _labels(ProgressReport, "proposed_status")
    detail, report = _urls("recommendations:detail"), _urls("followup:report-detail")
    return mark_safe(  # noqa: S308 — every value escaped
        "".join(
            f"<tr><td>{_target(r.assignment, detail)}</td><td>{_e(r.organisation)}</td>"
            f"<td>{_e(r.period) if r.period else '—'}</td>\n"
            f"<td>{_day(r.submitted_at)}</td><td>"
            f'<span class="badge st-{_e(r.proposed_status)}">{proposed(r.proposed_status)}</span>'
            "</td>\n"
            f'<td><a href="{report(r.pk)}">{review}</a></td></tr>\n'
            for r in reports
        )
    )


@register.simple_tag
def disagreement_rows(recommendations) -> SafeString:
    """The rows of the recommendations whose state status and civil society's rating differ
    (each with its `cso_assessment`)."""
    out, status, rating = [], _labels(Recommendation, "status"), _labels(Assessment, "rating")
    detail = _urls("recommendations:detail")
    for rec in recommendations:
        cso, reference = rec.cso_assessment, rec.reference or f"#{rec.pk}"
        out.append(
            f'<tr><td><a href="{detail(rec.pk)}">{_e(reference)}</a>'
            f' <span class="muted">{_e(truncatewords(rec.text.text, 14))}</span></td>\n'
            f'<td><span class="badge st-{_e(rec.status)}">{status(rec.status)}</span></td>\n'
            f'<td><span class="badge st-{_e(cso.rating)}">{rating(cso.rating)}</span>'
            f" · {_e(cso.organisation)}</td></tr>\n"
        )
    return mark_safe("".join(out))  # noqa: S308 — every value escaped


@register.simple_tag
def overdue_rows(items, is_focal_point: bool) -> SafeString:
    """The rows of the overdue reports (DueReport): a link to the report in progress, or for a
    focal point to write it."""
    open_report, write_report = _e(gettext("Open the report")), _e(gettext("Write the report"))
    detail, report = _urls("recommendations:detail"), _urls("followup:report-detail")
    create = _urls("followup:report-create")
    out = []
    for d in items:
        if d.report:
            action = f'<a href="{report(d.report.pk)}">{open_report}</a>'
        elif is_focal_point:
            href = f"{create(d.assignment.pk)}?period={_e(d.period.pk)}"
            action = f'<a href="{href}">{write_report}</a>'
        else:
            action = ""
        out.append(
            f'<tr class="overdue"><td>{_target(d.assignment, detail)}</td>'
            f"<td>{_e(d.assignment.lead_body)}</td><td>{_e(d.period)}</td><td>{_day(d.period.due)}</td>\n"
            f"<td>{action}</td></tr>\n"
        )
    return mark_safe("".join(out))  # noqa: S308 — every value escaped
