"""Signing in, password change and personal API tokens."""

import pytest
from django.urls import reverse

from adolat.accounts.models import ApiToken
from adolat.conftest import PASSWORD
from adolat.lib.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_sign_in_with_email_in_any_case(client, users):
    response = client.post(
        reverse("accounts:login"), {"username": "Viewer@Example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("accounts:account")).status_code == 200


def test_wrong_password_and_unknown_account_get_the_same_answer(client, users):
    url = reverse("accounts:login")
    wrong = client.post(
        url,
        {"username": "coordinator@example.org", "password": "not the password at all"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    unknown = client.post(
        url,
        {"username": "nobody@example.org", "password": "not the password at all"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert wrong.status_code == unknown.status_code == 200
    assert "The e-mail address or the password is not correct." in wrong.content.decode()
    assert wrong.context["form"].errors == unknown.context["form"].errors


def test_sign_out_is_a_post(client, users):
    client.force_login(users["viewer"])
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(reverse("accounts:account")).status_code == 302


def test_account_lists_memberships(client, users):
    client.force_login(users["focal_point"])
    body = client.get(reverse("accounts:account"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Ministry of Justice" in body
    assert "focal point" in body


def test_password_change_rejects_a_short_password(client, users):
    client.force_login(users["viewer"])
    response = client.post(
        reverse("accounts:password-change"),
        {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "at least 12 characters" in response.content.decode()
    users["viewer"].refresh_from_db()
    assert users["viewer"].check_password(PASSWORD)


def test_password_change_works(client, users):
    client.force_login(users["viewer"])
    new = "a much longer passphrase 2026"
    response = client.post(
        reverse("accounts:password-change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    users["viewer"].refresh_from_db()
    assert users["viewer"].check_password(new)


class TestTokens:
    def test_token_secret_is_shown_once_and_only_its_hash_is_stored(self, client, users):
        client.force_login(users["coordinator"])
        response = client.post(reverse("accounts:account"), {"name": "statistics script"})
        secret = response.context["new_secret"]
        assert secret.startswith("adl_") and secret in response.content.decode()
        assert response["Cache-Control"] == "no-store"
        token = ApiToken.objects.get(user=users["coordinator"])
        assert secret not in (token.key_hash, token.hint) and token.hint == secret[:10]
        assert ApiToken.lookup(secret) == token
        assert secret not in client.get(reverse("accounts:account")).content.decode()

    def test_revoke_asks_first_then_revokes_and_records_it(self, client, users):
        client.force_login(users["coordinator"])
        secret = client.post(reverse("accounts:account"), {"name": "script"}).context["new_secret"]
        token = ApiToken.objects.get()
        url = reverse("accounts:token-revoke", args=[token.pk])
        assert client.get(url).status_code == 200  # the question
        token.refresh_from_db()
        assert token.revoked is None
        assert client.post(url).status_code == 302
        token.refresh_from_db()
        assert token.revoked is not None
        assert ApiToken.lookup(secret) is None
        assert AuditEntry.objects.filter(object_type="accounts.apitoken", action="revoke").count() == 1

    def test_nobody_can_revoke_another_users_token(self, client, users):
        client.force_login(users["coordinator"])
        client.post(reverse("accounts:account"), {"name": "script"})
        token = ApiToken.objects.get()
        client.force_login(users["administrator"])
        assert client.post(reverse("accounts:token-revoke", args=[token.pk])).status_code == 404
        token.refresh_from_db()
        assert token.revoked is None

    def test_empty_token_name_is_refused(self, client, users):
        client.force_login(users["viewer"])
        response = client.post(reverse("accounts:account"), {"name": "  "})
        assert response.context["new_secret"] is None
        assert not ApiToken.objects.exists()
