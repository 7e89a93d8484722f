"""History and audit are one mechanism: every write path records its changes here."""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import pgettext_lazy

from .models import AuditEntry


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, models.QuerySet):
        return sorted(value.values_list("pk", flat=True))
    if isinstance(value, list | tuple | set):
        return sorted(_jsonable(v) for v in value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Fields whose value differs, as {field: [before, after]}."""
    out = {}
    for key in sorted(set(before) | set(after)):
        b, a = _jsonable(before.get(key)), _jsonable(after.get(key))
        if b != a:
            out[key] = [b, a]
    return out


def entry(
    *,
    instance: models.Model,
    action: str,
    by=None,
    source: str,
    changes: dict | None = None,
    summary: str = "",
) -> AuditEntry:
    return AuditEntry(
        actor=by if getattr(by, "pk", None) else None,
        source=source,
        action=action,
        object_type=instance._meta.label_lower,
        object_id=str(instance.pk),
        summary=summary[:255],
        changes=changes or {},
    )


def record(**kwargs) -> AuditEntry:
    e = entry(**kwargs)
    e.save()
    return e


def record_many(entries: Iterable[AuditEntry]) -> None:
    AuditEntry.objects.bulk_create(list(entries), batch_size=500)


def history(instance: models.Model):
    return AuditEntry.objects.filter(
        object_type=instance._meta.label_lower, object_id=str(instance.pk)
    ).select_related("actor")


ACTION_LABELS = {
    "create": pgettext_lazy("audit action", "created"),
    "update": pgettext_lazy("audit action", "changed"),
    "delete": pgettext_lazy("audit action", "deleted"),
    "publish": pgettext_lazy("audit action", "published"),
    "unpublish": pgettext_lazy("audit action", "withdrawn from publication"),
    "revoke": pgettext_lazy("audit action", "revoked"),
    "submit": pgettext_lazy("audit action", "submitted"),
    "return": pgettext_lazy("audit action", "returned for revision"),
    "resubmit": pgettext_lazy("audit action", "resubmitted"),
    "validate": pgettext_lazy("audit action", "validated"),
    "supersede": pgettext_lazy("audit action", "superseded"),
    "confirm": pgettext_lazy("audit action", "confirmed"),
    "reject": pgettext_lazy("audit action", "rejected"),
    "deactivate": pgettext_lazy("audit action", "deactivated"),
    "cancel": pgettext_lazy("audit action", "cancelled"),
}


def describe(entries, model: type[models.Model]) -> list[dict]:
    """History rows for a page: the action and the changed fields by their translated names."""
    rows = []
    for e in entries:
        names = []
        # A creation sets every field; naming them all says nothing.
        for field in e.changes if e.action != "create" else {}:
            try:
                model_field = model._meta.get_field(field)
            except FieldDoesNotExist:
                names.append(field)
                continue
            if model_field.editable:  # internal bookkeeping (search text, natural key) is not news
                names.append(str(model_field.verbose_name))
        rows.append({"entry": e, "action": ACTION_LABELS.get(e.action, e.action), "fields": names})
    return rows
