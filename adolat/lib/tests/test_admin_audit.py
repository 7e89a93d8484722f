"""Changes made in the administration are recorded like any other, and the log is read-only."""

import pytest
from django.urls import reverse

from adolat.accounts.models import Organisation
from adolat.lib.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_an_organisation_edited_in_the_admin_is_recorded_with_before_and_after(client, users, orgs):
    client.force_login(users["administrator"])
    org = orgs["justice"]
    url = reverse("admin:accounts_organisation_change", args=[org.pk])
    data = {
        "kind": org.kind,
        "name_en": "Ministry of Justice of the Republic of Tajikistan",
        "name_ru": org.name_ru,
        "name_tg": org.name_tg,
        "acronym": "",
        "parent": "",
        "is_active": "on",
    }
    assert client.post(url, data).status_code == 302
    entry = AuditEntry.objects.get(
        object_type="accounts.organisation", object_id=str(org.pk), action="update"
    )
    assert entry.actor == users["administrator"]
    assert entry.source == "admin"
    assert entry.changes == {
        "name_en": ["Ministry of Justice", "Ministry of Justice of the Republic of Tajikistan"]
    }


def test_a_deletion_in_the_admin_is_recorded(client, users):
    client.force_login(users["administrator"])
    org = Organisation.objects.create(kind="cso", name_en="Short-lived NGO")
    url = reverse("admin:accounts_organisation_delete", args=[org.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert AuditEntry.objects.filter(
        object_type="accounts.organisation", object_id=str(org.pk), action="delete"
    ).exists()


def test_a_user_edited_in_the_admin_is_recorded_without_the_password_hash(client, users):
    client.force_login(users["administrator"])
    user = users["viewer"]
    url = reverse("admin:accounts_user_change", args=[user.pk])
    data = {
        "email": user.email,
        "full_name": "Renamed Viewer",
        "language": "ru",
        "is_active": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }
    client.post(url, data)
    entry = AuditEntry.objects.filter(
        object_type="accounts.user", object_id=str(user.pk), action="update"
    ).first()
    assert entry is not None
    assert entry.changes["full_name"] == ["Viewer", "Renamed Viewer"]
    assert user.password not in str(entry.changes)


def test_the_audit_log_cannot_be_edited_or_deleted_in_the_admin(client, users, orgs):
    client.force_login(users["administrator"])
    entry = AuditEntry.objects.create(source="system", action="create", object_type="x", object_id="1")
    assert client.get(reverse("admin:lib_auditentry_changelist")).status_code == 200
    assert (
        client.post(reverse("admin:lib_auditentry_delete", args=[entry.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
