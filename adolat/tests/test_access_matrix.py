"""Who may open which page: every page × anonymous, each role and an outsider.

The matrix must name every URL of Adolat's own apps (see test_every_url_is_in_the_matrix), so a new
view cannot land without deciding who may see it.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from adolat.accounts.services import api_token_create
from adolat.conftest import ROLE_USERS

WHO = ("anonymous", *ROLE_USERS, "outsider")
EVERYONE = dict.fromkeys(WHO, 200)


def signed_in(status_for_members: int, anonymous: int = 302) -> dict[str, int]:
    return {who: (anonymous if who == "anonymous" else status_for_members) for who in WHO}


def only(allowed: tuple[str, ...], *, yes: int = 200, no: int = 404, anonymous: int | None = None) -> dict:
    out = {who: (yes if who in allowed else no) for who in WHO}
    if anonymous is not None:
        out["anonymous"] = anonymous
    return out


# page name → (how to build its URL from the objects, expected status per person)
MATRIX = {
    "recommendations:list": (lambda o: reverse("recommendations:list"), EVERYONE),
    "recommendations:detail (published)": (
        lambda o: reverse("recommendations:detail", args=[o["published"].pk]),
        EVERYONE,
    ),
    "recommendations:detail (unpublished)": (
        lambda o: reverse("recommendations:detail", args=[o["draft"].pk]),
        only(("administrator", "coordinator")),
    ),
    "recommendations:detail (missing)": (
        lambda o: reverse("recommendations:detail", args=[987654]),
        dict.fromkeys(WHO, 404),
    ),
    "accounts:login": (lambda o: reverse("accounts:login"), signed_in(302, anonymous=200)),
    "accounts:logout": (lambda o: reverse("accounts:logout"), dict.fromkeys(WHO, 405)),  # POST only
    "accounts:account": (lambda o: reverse("accounts:account"), signed_in(200)),
    "accounts:password-change": (lambda o: reverse("accounts:password-change"), signed_in(200)),
    "accounts:token-revoke (another user's token)": (
        lambda o: reverse("accounts:token-revoke", args=[o["token"].pk]),
        signed_in(404),
    ),
    "admin:index": (lambda o: reverse("admin:index"), only(("administrator",), no=302, anonymous=302)),
    "rosetta-file-list": (
        lambda o: reverse("rosetta-file-list", kwargs={"po_filter": "project"}),
        only(("administrator",), no=302, anonymous=302),
    ),
    "set_language": (lambda o: reverse("set_language"), dict.fromkeys(WHO, 302)),  # GET just redirects back
    "healthz": (lambda o: reverse("healthz"), EVERYONE),
}


@pytest.fixture
def objects(users, make_recommendation):
    from adolat.accounts.models import User

    owner = User.objects.create_user("token.owner@example.org", "another long password 1")
    token, _secret = api_token_create(user=owner, name="owner's script")
    return {
        "published": make_recommendation(is_published=True),
        "draft": make_recommendation(text_en="Not yet published", is_published=False),
        "token": token,
    }


CASES = [(page, who) for page in MATRIX for who in WHO]


@pytest.mark.django_db
@pytest.mark.parametrize(("page", "who"), CASES, ids=[f"{p}|{w}" for p, w in CASES])
def test_access(client, users, objects, page, who):
    build, expected = MATRIX[page]
    if who != "anonymous":
        client.force_login(users[who])
    response = client.get(build(objects))
    assert response.status_code == expected[who], f"{page} as {who}"


def _own_url_names(resolver=None, prefix="") -> set[str]:
    names = set()
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace
            if ns in ("admin", "api-v1"):
                continue  # the admin site has its own gate; the API has its own tests (adolat/api/tests)
            names |= _own_url_names(entry, f"{prefix}{ns}:" if ns else prefix)
        elif isinstance(entry, URLPattern) and entry.name:
            if entry.name.startswith("rosetta") and entry.name != "rosetta-file-list":
                continue  # django-rosetta's pages share one access function, tested through its index
            names.add(prefix + entry.name)
    return names


def test_every_url_is_in_the_matrix():
    covered = {page.split(" (")[0] for page in MATRIX}
    missing = _own_url_names() - covered
    assert not missing, f"pages without an access rule in the matrix: {sorted(missing)}"
