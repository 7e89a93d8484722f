from django.conf import settings

from .permissions import can_edit_translations, can_use_admin


def permissions(request):
    """What the navigation offers; computed lazily so anonymous pages cost no query."""
    user = getattr(request, "user", None)
    return {
        "nav_can_use_admin": lambda: can_use_admin(user),
        "nav_can_edit_translations": lambda: can_edit_translations(user),
        # Each language named in itself, whatever the page's language.
        "ui_languages": settings.LANGUAGES,
    }
