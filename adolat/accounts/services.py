"""Writes for accounts: users, memberships and API tokens."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from adolat.lib import audit

from .models import ApiToken, Membership, Organisation, User


@transaction.atomic
def user_create(
    *, email: str, password: str | None, full_name: str = "", language: str = "tg", by=None, source: str
) -> User:
    """Create a user; the password must pass the configured validators (12+ characters, not common)."""
    email = User.objects.normalize_email(email).lower()
    user = User(email=email, full_name=full_name, language=language)
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("A user with this e-mail address already exists.")})
    user.full_clean(exclude=["password"])
    if password is not None:
        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit.record(instance=user, action="create", by=by, source=source, summary=email)
    return user


@transaction.atomic
def organisation_create(
    *,
    kind: str,
    name_en: str = "",
    name_ru: str = "",
    name_tg: str = "",
    acronym: str = "",
    parent=None,
    by=None,
    source: str,
) -> Organisation:
    """Create an organisation; it needs a name in at least one language."""
    org = Organisation(
        kind=kind, name_en=name_en, name_ru=name_ru, name_tg=name_tg, acronym=acronym, parent=parent
    )
    org.full_clean()
    org.save()
    audit.record(
        instance=org,
        action="create",
        by=by,
        source=source,
        changes=audit.diff(
            {},
            {
                "kind": kind,
                "name_en": name_en,
                "name_ru": name_ru,
                "name_tg": name_tg,
                "acronym": acronym,
                "parent": parent,
            },
        ),
        summary=name_en or name_ru or name_tg,
    )
    return org


@transaction.atomic
def membership_grant(
    *, user: User, organisation: Organisation, role: str, by=None, source: str
) -> Membership:
    membership, created = Membership.objects.get_or_create(user=user, organisation=organisation, role=role)
    if created:
        membership.full_clean()
        audit.record(
            instance=membership,
            action="create",
            by=by,
            source=source,
            changes={"user": [None, user.pk], "organisation": [None, organisation.pk], "role": [None, role]},
        )
    return membership


@transaction.atomic
def api_token_create(*, user: User, name: str, source: str = "web") -> tuple[ApiToken, str]:
    """Create a token and return it with its secret, which is never stored nor shown again."""
    raw, key_hash = ApiToken.generate()
    token = ApiToken(user=user, name=name.strip(), key_hash=key_hash, hint=raw[:10])
    token.full_clean()
    token.save()
    audit.record(instance=token, action="create", by=user, source=source, summary=token.name)
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken, by: User, source: str = "web") -> ApiToken:
    if token.revoked is None:
        token.revoked = timezone.now()
        token.save(update_fields=["revoked"])
        audit.record(instance=token, action="revoke", by=by, source=source, summary=token.name)
    return token
