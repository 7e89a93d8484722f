"""Files uploaded for import go through the shared upload rules (adolat/lib/uploads.py): a refused
file is a form error and nothing is stored or queued."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from adolat.lib.tests.test_uploads import DOCX, XLS
from adolat.recommendations.models import ImportRun

pytestmark = pytest.mark.django_db
LIST = reverse("recommendations:import-list")


@pytest.fixture
def coordinator_client(client, users):
    client.force_login(users["coordinator"])
    return client


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("export.xlsx", DOCX, "The content of the file is not what its name (.xlsx) says"),
        (
            "export.csv",
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff",
            "is not what its name (.csv) says",
        ),
        ("export.xls", b"<html><body>not a spreadsheet</body></html>", "is not what its name (.xls) says"),
        ("export.exe", XLS, "Files of this kind cannot be imported."),
        ("export.csv", b"", "The submitted file is empty."),
    ],
)
def test_a_refused_file_is_a_form_error_and_nothing_is_stored(coordinator_client, name, content, message):
    response = coordinator_client.post(
        LIST, {"file": SimpleUploadedFile(name, content), "country": "TJ", "format": ""}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ImportRun.objects.exists()
    assert stored_files() == []


def test_the_import_limit_is_its_own_and_is_shown_on_the_form(coordinator_client, settings):
    settings.ADOLAT_MAX_IMPORT_SIZE = 2048
    assert "at most 2.0\xa0KB" in coordinator_client.get(LIST).content.decode()
    big = SimpleUploadedFile("export.csv", b"Recommendation,State\n" * 200)
    response = coordinator_client.post(LIST, {"file": big, "country": "TJ", "format": ""})
    assert response.status_code == 400
    assert "The file is too large: the largest file accepted is 2.0\xa0KB." in response.content.decode()
    assert not ImportRun.objects.exists()
