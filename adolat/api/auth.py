"""Who is calling the API.

Three ways in, tried in this order by every read endpoint (`READ`):

1. `Authorization: Bearer <token>`, a personal ApiToken. A header that is present but not a
   valid, unrevoked token is refused with 401: falling back to anonymous would hide a revoked or
   mistyped token behind a silently shorter list.
2. The browser's Django session, for pages that call the API with the signed-in user's cookie.
3. Nobody: anonymous callers see what the public sees (published records only).

Each resolves to a user (or AnonymousUser) in `request.auth`; endpoints pass it to the same
selectors the pages use, which decide what that user may see.

Write endpoints, when they come, take `TOKEN` alone: a token is not sent by the browser on its own,
so it needs no CSRF protection, and anonymous writes are refused with 401.
"""

from datetime import timedelta

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, SessionAuth

from adolat.accounts.models import ApiToken

# `last_used` tells a person which tokens are still in use. Minute precision is plenty, and writing
# it on every request would turn each read into a write (and, on SQLite, a lock).
LAST_USED_RESOLUTION = timedelta(minutes=1)


def touch_last_used(token: ApiToken) -> None:
    """Record that `token` was used, at most once per LAST_USED_RESOLUTION.

    Bookkeeping rather than a change of the token, so it is neither validated nor audited; the
    conditional UPDATE keeps concurrent requests from writing more than once."""
    now = timezone.now()
    if token.last_used is not None and now - token.last_used < LAST_USED_RESOLUTION:
        return
    ApiToken.objects.filter(pk=token.pk).exclude(last_used__gte=now - LAST_USED_RESOLUTION).update(
        last_used=now
    )
    token.last_used = now


class InvalidToken(AuthenticationError):
    def __init__(self, message: str):
        super().__init__(status_code=401, message=message)


class BearerToken(HttpBearer):
    """A personal API token (accounts.ApiToken). Absent header: not this method, try the next.
    Present but wrong in any way: 401."""

    openapi_bearerFormat = "adl_…"  # camelCase: ninja copies openapi_* attributes as they are
    openapi_description = (
        "A personal API token, created on the account page; it acts as its owner and can be revoked."
    )

    def __call__(self, request):
        header = request.headers.get(self.header)
        if header is None:
            return None
        scheme, _sep, raw = header.strip().partition(" ")
        if scheme.lower() != self.openapi_scheme or not raw.strip():
            raise InvalidToken(_("Send the API token as “Authorization: Bearer <token>”."))
        return self.authenticate(request, raw.strip())

    def authenticate(self, request, token):
        api_token = ApiToken.lookup(token)
        if api_token is None:
            raise InvalidToken(_("This API token is not valid or has been revoked."))
        touch_last_used(api_token)
        # The token's owner is the caller for everything downstream (audit, permissions), even if
        # the same browser also holds a session for someone else.
        request.user = api_token.user
        return api_token.user


class BrowserSession(SessionAuth):
    """The signed-in user of the Django session cookie. ninja checks the CSRF token on unsafe
    methods for cookie authentication, so a later write endpoint may accept it too."""

    openapi_description = "The session cookie of a user signed in to Adolat in this browser."


def anonymous(request):
    """Last resort of READ: the public. Not a security scheme, so it is absent from the OpenAPI
    document, which instead marks the other schemes optional (an empty requirement)."""
    return AnonymousUser()


TOKEN = [BearerToken()]
READ = [BearerToken(), BrowserSession(), anonymous]

# For the operation's `openapi_extra`: `{}` among the requirements says "or no credentials".
OPTIONAL = {"security": [{}]}
