"""Refused accesses in the audit log.

The gates answer 404 for "missing or not yours" and 403 for "your role may not"; when that
answer goes to a signed-in person (or an API token's owner), the refusal is recorded: who, which
view (its URL name and path; ids are not personal data) and the status. Anonymous refusals are not
recorded: anybody could fill the log with them.
"""

import logging

from django.contrib.auth import get_user_model
from django.db import DatabaseError

from . import audit

logger = logging.getLogger(__name__)

REFUSALS = {403, 404}


def _person(request):
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    auth = getattr(request, "auth", None)  # django-ninja's token authentication
    return auth if isinstance(auth, get_user_model()) else None


class RefusalAuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        # Only refusals by a view (a URL that exists), not a mistyped address.
        if response.status_code in REFUSALS and match is not None:
            person = _person(request)
            if person is not None:
                try:
                    audit.record_event(
                        action="refused",
                        object_type="request",
                        object_id=match.view_name,
                        by=person,
                        source="api" if match.view_name.startswith("api") else "web",
                        summary=f"{request.method} {request.path}",
                        changes={"status": [None, response.status_code]},
                    )
                except DatabaseError:
                    # The answer still goes out; the failure is logged (no personal data in it).
                    logger.exception("Could not record a refused access in the audit log")
        return response
