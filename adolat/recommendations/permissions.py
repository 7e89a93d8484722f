"""Who may do what with recommendations."""

from django.http import Http404

from adolat.accounts.permissions import STATE_EDITORS


def can_import(user) -> bool:
    """Coordinators and administrators bring recommendations in from files."""
    return bool(user and user.is_authenticated and user.has_role(*STATE_EDITORS))


def get_import_run_for_user(user, pk):
    """The gate for an import: its uploader's colleagues with the right to import see it; everyone
    else gets the same 404 as for an import that does not exist."""
    from .models import ImportRun

    if not can_import(user):
        raise Http404
    run = ImportRun.objects.select_related("created_by", "country").filter(pk=pk).first()
    if run is None:
        raise Http404
    return run
