"""No lost updates in the administration: a change form saved after someone else changed the
record is refused, naming what they changed; saving again keeps one's values on purpose."""

import re

import pytest
from django.urls import reverse

from adolat.lib.models import AuditEntry

pytestmark = pytest.mark.django_db


def _data(org, **changes):
    return {
        "kind": org.kind,
        "name_en": org.name_en,
        "name_ru": org.name_ru,
        "name_tg": org.name_tg,
        "acronym": "",
        "parent": "",
        "is_active": "on",
        **changes,
    }


def _token(page: str) -> str:
    return re.search(r'name="_audit_token" value="(\d+)"', page).group(1)


def test_the_second_of_two_admin_saves_is_refused_and_the_first_kept(client, users, orgs):
    from django.test import Client

    org = orgs["justice"]
    url = reverse("admin:accounts_organisation_change", args=[org.pk])
    first, second = Client(HTTP_ACCEPT_LANGUAGE="en"), client
    first.force_login(users["administrator"])
    second.force_login(users["administrator"])
    token_first = _token(first.get(url).content.decode())
    token_second = _token(second.get(url).content.decode())
    assert (
        first.post(
            url, {**_data(org, name_en="Ministry of Justice (first)"), "_audit_token": token_first}
        ).status_code
        == 302
    )

    response = second.post(
        url, {**_data(org, name_en="Ministry of Justice (second)"), "_audit_token": token_second}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Someone else changed this record while you were editing it" in page
    assert "(name (English))" in page  # what they changed, by its translated name
    assert "Ministry of Justice (second)" in page  # the person's value is kept in the form
    org.refresh_from_db()
    assert org.name_en == "Ministry of Justice (first)"

    # The refused form carries the current token: saving again replaces the value on purpose.
    again = second.post(
        url, {**_data(org, name_en="Ministry of Justice (second)"), "_audit_token": _token(page)}
    )
    assert again.status_code == 302
    org.refresh_from_db()
    assert org.name_en == "Ministry of Justice (second)"
    assert AuditEntry.objects.filter(object_type="accounts.organisation", object_id=str(org.pk)).count() == 2
