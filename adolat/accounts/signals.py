"""Sign-in refusals in the audit log: every failed sign-in and every lockout (django-axes).

Never the password, and not the address typed either (it is personal data, and often someone
else's): a keyed hash of it (adolat.lib.audit.identifier_hash), so that repeated attempts on one
address are visible and whoever holds the SECRET_KEY can check a given address.
"""

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

from adolat.lib import audit

OBJECT_TYPE = "accounts.signin"


def _source(request) -> str:
    if request is not None and request.path.startswith("/api/"):
        return "api"
    return "web" if request is not None else "system"


def _record(action: str, identifier: str, request) -> None:
    digest = audit.identifier_hash(identifier or "")
    audit.record_event(
        action=action,
        object_type=OBJECT_TYPE,
        object_id=digest[:16],
        source=_source(request),
        changes={"identifier_hash": [None, digest]},
    )


@receiver(user_login_failed, dispatch_uid="adolat.audit.login_failed")
def record_login_failed(sender, credentials, request=None, **kwargs):
    field = get_user_model().USERNAME_FIELD
    identifier = credentials.get(field) or credentials.get("username") or ""
    _record("login_failed", str(identifier), request)


@receiver(user_locked_out, dispatch_uid="adolat.audit.locked_out")
def record_locked_out(sender, request=None, username=None, **kwargs):
    _record("locked_out", str(username or ""), request)
