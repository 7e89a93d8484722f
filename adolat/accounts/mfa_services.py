"""Writes for second factors and the e-mail address; every change is in the audit log.

Secrets (the authenticator app's key, recovery codes) never go into the log: entries name the
kind of device and its owner only.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from adolat.lib import audit

from .models import User

RECOVERY_CODE_COUNT = 10
TOTP_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"


def totp_device_pending(*, user: User) -> TOTPDevice:
    """The authenticator app being set up: an unconfirmed device with a fresh secret, reused while
    the person has not confirmed it (reloading the page keeps the QR code). Not yet a change of
    the account, so not audited."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return device


@transaction.atomic
def totp_device_confirm(*, device: TOTPDevice, token: str, by: User, source: str = "web") -> list[str] | None:
    """Confirm an authenticator app with a code it shows. Returns new recovery codes when the
    person had none (to be shown once), [] when they keep theirs, None when the code is wrong."""
    device = TOTPDevice.objects.select_for_update().filter(pk=device.pk, confirmed=False).first()
    if device is None or not device.verify_token(token):  # None: confirmed meanwhile (a double submit)
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    # One authenticator app per person: an older one is replaced.
    for old in TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk):
        _device_delete(old, by=by, source=source)
    audit.record(
        instance=device, action="create", by=by, source=source, summary=f"{TOTP_NAME}: {device.user.email}"
    )
    if StaticToken.objects.filter(device__user=device.user, device__confirmed=True).exists():
        return []
    return recovery_codes_generate(user=device.user, by=by, source=source)


@transaction.atomic
def totp_device_create_with_key(*, user: User, key_hex: str, by=None, source: str) -> TOTPDevice:
    """An authenticator app with a key chosen beforehand: only for the demo accounts, whose key is
    printed by `adolat load-demo`. Does nothing if the person already has one."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice(user=user, name=TOTP_NAME, key=key_hex, confirmed=True)
        device.full_clean()
        device.save()
        audit.record(
            instance=device, action="create", by=by, source=source, summary=f"{TOTP_NAME}: {user.email}"
        )
    return device


@transaction.atomic
def recovery_codes_generate(*, user: User, by: User, source: str = "web") -> list[str]:
    """Replace the person's recovery codes with RECOVERY_CODE_COUNT new ones, each valid once."""
    device = StaticDevice.objects.filter(user=user).order_by("pk").first()
    created = device is None
    if created:
        device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    device.token_set.all().delete()
    codes = []
    while len(codes) < RECOVERY_CODE_COUNT:
        code = StaticToken.random_token()
        if code not in codes:
            codes.append(code)
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    audit.record(
        instance=device,
        action="create" if created else "update",
        by=by,
        source=source,
        summary=f"{RECOVERY_NAME} ({len(codes)}): {user.email}",
    )
    return codes


def recovery_code_used(*, device: StaticDevice, by: User, source: str = "web") -> int:
    """Record that a recovery code was spent (django-otp deleted it); returns how many remain."""
    remaining = device.token_set.count()
    audit.record(
        instance=device,
        action="update",
        by=by,
        source=source,
        summary=f"{RECOVERY_NAME}: one used, {remaining} left: {device.user.email}",
    )
    return remaining


def passkey_added(*, credential, by: User, source: str = "web") -> None:
    """django-otp-webauthn created the credential; the audit log learns of it here."""
    audit.record(
        instance=credential,
        action="create",
        by=by,
        source=source,
        summary=f"Passkey: {credential.user.email}",
    )


def _device_delete(device, *, by: User, source: str) -> None:
    summary = f"{device.name or type(device).__name__}: {device.user.email}"
    audit.record(instance=device, action="delete", by=by, source=source, summary=summary)
    device.delete()


@transaction.atomic
def second_factor_remove(*, device, by: User, required: bool, source: str = "web") -> None:
    """Remove an authenticator app or a passkey. A person who must use a second factor keeps at
    least one; when the last one goes, the recovery codes go with it."""
    from .mfa import primary_devices_querysets

    user = device.user
    others = [
        qs.exclude(pk=device.pk) if isinstance(device, qs.model) else qs
        for qs in primary_devices_querysets(user)
    ]
    has_another = any(qs.exists() for qs in others)
    if required and not has_another:
        raise ValidationError(
            _("Your role requires a second factor: set up another one before removing this one.")
        )
    _device_delete(device, by=by, source=source)
    if not has_another:
        for static in StaticDevice.objects.filter(user=user):
            _device_delete(static, by=by, source=source)


@transaction.atomic
def user_email_change(*, user: User, email: str, by: User, source: str = "web") -> User:
    """Change the address a person signs in with and receives e-mail at."""
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
        raise ValidationError({"email": _("A user with this e-mail address already exists.")})
    before = user.email
    user.email = email
    user.full_clean(exclude=["password"])
    user.save(update_fields=["email"])
    audit.record(
        instance=user,
        action="update",
        by=by,
        source=source,
        changes=audit.diff({"email": before}, {"email": email}),
        summary=email,
    )
    return user
