"""Shared test fixtures: named users per role, as the product's people are.

administrator   Executive Office (coordinating body), role administrator
coordinator     Executive Office, role coordinator
focal_point     Ministry of Justice, role focal point
cso_contributor civil-society coalition, role civil-society contributor
monitor         Ombudsman's office, role monitor
viewer          UN office, role viewer
outsider        an account with no membership at all
"""

import os
from pathlib import Path

import pytest

# Real public data for tests (../shared/data beside the repository; see its README). It is not
# shipped with the product. Tests that need it skip where it is absent, except in CI, where a
# missing folder must fail rather than silently test less.
SHARED_DATA = Path(
    os.environ.get("ADOLAT_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)
needs_shared_data = pytest.mark.skipif(
    not SHARED_DATA.is_dir() and not os.environ.get("CI"),
    reason=f"the shared sample data folder {SHARED_DATA} is absent (it sits next to the repository)",
)

PASSWORD = "correct horse battery staple 42"  # noqa: S105 — test accounts only


@pytest.fixture(scope="session", autouse=True)
def _plain_http():
    """The test client and the live server speak plain HTTP, which production redirects to HTTPS.
    Set for the whole session: the live server reads it once, when it starts."""
    from django.conf import settings

    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture(autouse=True)
def _plain_static_storage(settings, tmp_path_factory):
    """Tests render templates without running collectstatic: serve static files from the apps."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    # Argon2 is deliberately slow; tests that are not about hashing use a fast hasher
    # (adolat/accounts/tests/test_passwords.py checks the production configuration).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))
    # Background tasks run at once, inside the test's transaction.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _fresh_facet_index():
    """The facet index lives in the process and follows the database through its audit log; each
    test starts from a database of its own (rolled back), so from an empty index too."""
    from adolat.recommendations import facet_index

    facet_index.reset()
    yield
    facet_index.reset()


@pytest.fixture(autouse=True)
def _english():
    """Code run outside a request (services, importers, commands) speaks the active language, which
    is the instance's default (Tajik) unless something activates another. Tests read English unless
    they choose a language themselves (translation.override, the language cookie)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(scope="session", autouse=True)
def _english_for_wider_fixtures():
    """The same for module- and session-scoped fixtures, set up before any test's own."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _second_factor_for_test_logins(request, monkeypatch):
    """`Client.login`/`force_login` skip the sign-in pages, so they would leave an administrator or
    coordinator at the second step (adolat/accounts/mfa.py). Here they also verify the session,
    with a test device, as if the person had given their second factor. Tests of the sign-in itself
    request the `real_mfa` fixture to see the app as it is."""
    if "real_mfa" in request.fixturenames:
        return
    from django.test.client import ClientMixin

    original = ClientMixin._login

    def _login(self, user, backend=None):
        original(self, user, backend)
        verify_session_for_tests(self, user)

    monkeypatch.setattr(ClientMixin, "_login", _login)


@pytest.fixture
def real_mfa():
    """Request it to sign in test clients without the automatic second factor above."""


def verify_session_for_tests(client, user) -> None:
    """Mark the client's session as just signed in with the password and, when the person needs
    one, the second factor (a device of this helper's own, holding no codes)."""
    import time

    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice

    from adolat.accounts import mfa

    session = client.session
    session[mfa.PASSWORD_AT] = int(time.time())
    if mfa.mfa_required(user):
        device, _ = StaticDevice.objects.get_or_create(
            user=user, name="test session", defaults={"confirmed": True}
        )
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session[mfa.FACTOR_AT] = session[mfa.PASSWORD_AT]
    session.save()


@pytest.fixture
def client():
    """Django's test client reading English, so assertions can quote the English UI; tests about
    languages set the language cookie or use a client of their own."""
    from django.test import Client

    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def admin_client(admin_user):
    from django.test import Client

    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(admin_user)
    return c


ROLE_USERS = ("administrator", "coordinator", "focal_point", "cso_contributor", "monitor", "viewer")


@pytest.fixture
def orgs(db):
    from adolat.accounts.models import Organisation

    kinds = Organisation.Kind
    return {
        "eop": Organisation.objects.create(
            kind=kinds.COORDINATING,
            name_en="Executive Office of the President",
            name_ru="Исполнительный аппарат Президента",
            name_tg="Дастгоҳи иҷроияи Президенти Ҷумҳурии Тоҷикистон",
        ),
        "justice": Organisation.objects.create(
            kind=kinds.STATE_BODY,
            name_en="Ministry of Justice",
            name_ru="Министерство юстиции",
            name_tg="Вазорати адлия",
        ),
        "cso": Organisation.objects.create(
            kind=kinds.CSO,
            name_en="Civil Society Coalition against Torture",
            name_ru="Коалиция гражданского общества против пыток",
            name_tg="Эътилофи ҷомеаи шаҳрвандӣ зидди шиканҷа",
        ),
        "ombudsman": Organisation.objects.create(
            kind=kinds.NHRI,
            name_en="Human Rights Commissioner",
            name_ru="Уполномоченный по правам человека",
            name_tg="Ваколатдор оид ба ҳуқуқи инсон",
        ),
        "un": Organisation.objects.create(
            kind=kinds.INTERNATIONAL, name_en="OHCHR Regional Office for Central Asia"
        ),
    }


@pytest.fixture
def users(orgs):
    from adolat.accounts.models import Membership, User

    placement = {
        "administrator": "eop",
        "coordinator": "eop",
        "focal_point": "justice",
        "cso_contributor": "cso",
        "monitor": "ombudsman",
        "viewer": "un",
    }
    out = {}
    for role, org in placement.items():
        user = User.objects.create_user(
            f"{role}@example.org", PASSWORD, full_name=role.replace("_", " ").title()
        )
        Membership.objects.create(user=user, organisation=orgs[org], role=role)
        out[role] = user
    out["outsider"] = User.objects.create_user("outsider@example.org", PASSWORD)
    return out


@pytest.fixture
def make_recommendation(db):
    """Create a recommendation through the service, as an importer would."""
    from adolat.recommendations.models import Country, Mechanism
    from adolat.recommendations.services import RecommendationData, recommendation_create

    def make(text_en="Ratify the Optional Protocol to the Convention against Torture", **kwargs):
        country, _ = Country.objects.get_or_create(code="TJ", defaults={"name_en": "Tajikistan"})
        mechanism = (
            kwargs.pop("mechanism", None)
            or Mechanism.objects.get_or_create(
                code="UPR", defaults={"kind": "upr", "name_en": "Universal Periodic Review"}
            )[0]
        )
        data = RecommendationData(country=country, mechanism=mechanism, text_en=text_en, **kwargs)
        return recommendation_create(data=data, source="command")

    return make
