"""Who may do what, by role. Each sensitive noun has its own gate in its app; these are the
role checks they share."""

from .mfa import is_verified
from .models import Role

STATE_EDITORS = (Role.ADMINISTRATOR, Role.COORDINATOR)


def is_member(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and (user.is_superuser or user.roles()))


def can_see_unpublished_recommendations(user) -> bool:
    """Coordinators prepare recommendations before they are published; administrators too."""
    return bool(user and user.is_authenticated and user.has_role(*STATE_EDITORS))


def can_edit_translations(user) -> bool:
    """Used by django-rosetta: administrators correct UI translations in the running app, in a
    session verified with the second factor."""
    return bool(user and user.is_authenticated and user.has_role(Role.ADMINISTRATOR) and is_verified(user))


def can_use_admin(user) -> bool:
    """The administration: staff and administrators, in a session verified with the second factor."""
    return bool(
        user
        and user.is_authenticated
        and user.is_active
        and (user.is_staff or user.has_role(Role.ADMINISTRATOR))
        and is_verified(user)
    )
