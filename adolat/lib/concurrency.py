"""No lost updates: when two people edit the same record, the second save is refused and shown
what changed, field by field, instead of silently overwriting the first.

A form carries a version token of the record as it was when the form was shown: a record's own
`version` counter where it has one (progress reports), else the number of the record's latest
audit entry (`audit_token`), which every write path advances. The service compares it under the
row lock and refuses a stale one (ValidationError code "conflict"). The page then answers 409 with
`conflict_page` (your value beside the current one, who changed what since, and the form again
with your values on the current version, to re-apply them on purpose); the API answers 409 with
`conflict_body`.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import audit
from .models import AuditEntry


@dataclass
class FieldConflict:
    name: str
    label: str
    yours: Any
    theirs: Any
    yours_display: str
    theirs_display: str
    changed_since: bool  # changed by someone else since the version the person saw


def audit_token(instance: models.Model) -> int:
    """The number of the record's latest audit entry (0 if none): a version for any audited record."""
    return (
        AuditEntry.objects.filter(object_type=instance._meta.label_lower, object_id=str(instance.pk))
        .order_by("-seq")
        .values_list("seq", flat=True)
        .first()
        or 0
    )


def entries_since(instance: models.Model, *, token: int | None = None, count: int | None = None):
    """The record's audit entries after the version seen: those after entry `token`, or the last
    `count` (for a record with a version counter that every entry advances), oldest first."""
    entries = audit.history(instance).order_by("-seq")
    if token is not None:
        entries = entries.filter(seq__gt=token)
    elif count is not None:
        entries = entries[: max(count, 0)]
    return sorted(entries, key=lambda e: e.seq)


def _display(field: forms.Field | None, value: Any) -> str:
    if value is None or value == "":
        return "—"
    choices = getattr(field, "choices", None)
    if choices is not None and not isinstance(field, forms.ModelChoiceField):
        flat = {}
        for key, label in choices:
            if isinstance(label, list | tuple):
                flat.update({str(k): v for k, v in label})
            else:
                flat[str(key)] = label
        return str(flat.get(str(value), value))
    if isinstance(value, list | tuple | set | models.QuerySet):
        return ", ".join(str(v) for v in value) or "—"
    return str(value)


def _same(a: Any, b: Any) -> bool:
    norm = audit._jsonable  # noqa: SLF001 — the audit log's own notion of "the same value"
    return norm(a) == norm(b)


def differences(
    form: forms.Form, current: Mapping[str, Any], *, changed: Iterable[str] = ()
) -> list[FieldConflict]:
    """For each field of the form: the person's value and the current one, where they differ or
    where someone else changed the field since."""
    changed = set(changed)
    rows = []
    data = getattr(form, "cleaned_data", {})
    for name, field in form.fields.items():
        if name not in current or isinstance(field.widget, forms.HiddenInput):
            continue
        yours, theirs = data.get(name), current[name]
        if name in changed or not _same(yours, theirs):
            rows.append(
                FieldConflict(
                    name=name,
                    label=str(field.label or name),
                    yours=yours,
                    theirs=theirs,
                    yours_display=_display(field, yours),
                    theirs_display=_display(field, theirs),
                    changed_since=name in changed,
                )
            )
    return rows


def value_differences(
    yours: Mapping[str, Any], current: Mapping[str, Any], *, changed: Iterable[str] = ()
) -> list[FieldConflict]:
    """The same for an API call: `yours` holds the fields the caller sent (None: not sent)."""
    changed = set(changed)
    rows = []
    for name in current:
        mine = yours.get(name)
        if name in changed or (mine is not None and not _same(mine, current[name])):
            rows.append(
                FieldConflict(
                    name,
                    name,
                    mine,
                    current[name],
                    _display(None, mine),
                    _display(None, current[name]),
                    name in changed,
                )
            )
    return rows


def changed_fields(entries: Iterable[AuditEntry]) -> set[str]:
    return {name for e in entries for name in e.changes}


def conflict_page(
    request: HttpRequest,
    *,
    title: str,
    form: forms.Form,
    rows: list[FieldConflict],
    entries: list[AuditEntry],
    model: type[models.Model],
    action_url: str,
    reload_url: str,
    back_url: str,
) -> HttpResponse:
    """The friendly refusal of a stale edit (409): what differs, who changed what since, and the
    person's values in a form bound to the current version, to save them over on purpose."""
    return render(
        request,
        "lib/conflict.html",
        {
            "title": title,
            "form": form,
            "rows": rows,
            "history": audit.describe(entries, model),
            "action_url": action_url,
            "reload_url": reload_url,
            "back_url": back_url,
        },
        status=409,
    )


def conflict_body(*, detail: str, rows: list[FieldConflict], version: Any) -> dict:
    """The API's 409: the message, the current version to send next time, and each field with
    the caller's value and the current one."""
    return {
        "detail": detail,
        "errors": [detail],
        "version": version,
        "changed": [
            {
                "field": r.name,
                "yours": audit._jsonable(r.yours),  # noqa: SLF001
                "current": audit._jsonable(r.theirs),  # noqa: SLF001
                "changed_since": r.changed_since,
            }
            for r in rows
        ],
    }
