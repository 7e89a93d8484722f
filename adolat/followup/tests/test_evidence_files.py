"""Attached files: refused cleanly through the page, stored without metadata under a generated
name, and handed out only as downloads through the report's own gate."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from adolat.followup import services
from adolat.followup.models import Evidence
from adolat.lib.tests.test_uploads import SECRET, pdf

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        c.force_login(user)
    return c


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def draft(assignment, make_report):
    return make_report(assignment, "draft")


def attach(report, by, name="Draft law, final (2).pdf", content=None):
    return services.evidence_add(
        report=report, file=SimpleUploadedFile(name, content or pdf()), description="", by=by
    )


def test_a_refused_file_is_a_form_error_and_nothing_is_written(users, draft):
    url = reverse("followup:evidence-add", args=[draft.pk])
    for name, content, message in [
        (
            "invoice.pdf",
            b"MZ\x90\x00 an executable",
            "The content of the file is not what its name (.pdf) says",
        ),
        ("page.html", b"<script>alert(1)</script>", "Files of this type cannot be attached."),
    ]:
        response = client_for(users["focal_point"]).post(url, {"file": SimpleUploadedFile(name, content)})
        assert response.status_code == 400
        assert message in response.content.decode()
    assert not Evidence.objects.exists()
    assert stored_files() == []


def test_the_file_is_a_download_without_its_metadata_under_the_uploaders_name(users, draft):
    evidence = attach(draft, users["focal_point"])
    assert "Draft law" not in evidence.file.name
    response = client_for(users["focal_point"]).get(reverse("followup:evidence-file", args=[evidence.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="Draft law, final (2).pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    body = b"".join(response.streaming_content)
    assert body.startswith(b"%PDF-") and SECRET not in body


def test_the_report_page_links_to_the_download_never_to_the_stored_file(users, draft):
    evidence = attach(draft, users["focal_point"])
    page = client_for(users["focal_point"]).get(reverse("followup:report-detail", args=[draft.pk]))
    html = page.content.decode()
    assert reverse("followup:evidence-file", args=[evidence.pk]) in html
    assert evidence.file.name not in html


def test_only_those_who_may_see_the_report_may_download_its_files(users, draft):
    evidence = attach(draft, users["focal_point"])
    url = reverse("followup:evidence-file", args=[evidence.pk])
    assert client_for(users["focal_point"]).get(url).status_code == 200
    for who in ("cso_contributor", "viewer", "outsider"):
        assert client_for(users[who]).get(url).status_code == 404, who
    assert client_for(None).get(url).status_code == 404
    assert (
        client_for(users["focal_point"]).get(reverse("followup:evidence-file", args=[987654])).status_code
        == 404
    )


def test_a_link_is_not_a_file_to_download(users, draft):
    link = services.evidence_add(report=draft, url="https://example.org/law", by=users["focal_point"])
    url = reverse("followup:evidence-file", args=[link.pk])
    assert client_for(users["focal_point"]).get(url).status_code == 404


def test_no_address_serves_the_uploaded_files_directly(users, draft):
    evidence = attach(draft, users["focal_point"])
    c = client_for(users["focal_point"])
    for path in (
        f"/{evidence.file.name}",
        f"/media/{evidence.file.name}",
        f"{settings.MEDIA_URL}{evidence.file.name}",
    ):
        assert c.get(path if path.startswith("/") else f"/{path}").status_code == 404, path
