from django import template

from adolat.followup.models import Notification

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
