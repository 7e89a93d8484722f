"""Importing through the web: upload, check, confirm, progress and history."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from adolat.recommendations.models import ImportRun, Recommendation

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo" / "tajikistan-2011-upr-info-utf8.csv"
LIST = reverse("recommendations:import-list")

pytestmark = pytest.mark.django_db


def upload(client, content: bytes, name="export.csv", **fields):
    data = {"file": SimpleUploadedFile(name, content), "country": "TJ", "format": "", **fields}
    return client.post(LIST, data)


@pytest.fixture
def coordinator_client(client, users):
    client.force_login(users["coordinator"])
    return client


def test_upload_is_checked_first_and_imports_nothing_until_confirmed(
    coordinator_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(coordinator_client, DEMO.read_bytes(), name="tajikistan.csv")
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "recommendations:import-detail", args=[run.pk]
    )
    run.refresh_from_db()
    assert run.state == ImportRun.State.CHECKED
    assert run.preview["created"] == 150 and run.preview["errors"] == []
    assert Recommendation.objects.count() == 0
    page = coordinator_client.get(response.url).content.decode()
    assert "What the import would do" in page and "Confirm the import" in page

    with django_capture_on_commit_callbacks(execute=True):
        assert (
            coordinator_client.post(reverse("recommendations:import-confirm", args=[run.pk])).status_code
            == 302
        )
    run.refresh_from_db()
    assert run.state == ImportRun.State.DONE
    assert run.result["created"] == 150
    assert Recommendation.objects.count() == 150
    history = coordinator_client.get(LIST).content.decode()
    assert "tajikistan.csv" in history and "150 new" in history


def test_a_file_with_errors_cannot_be_confirmed_and_lists_every_error(
    coordinator_client, django_capture_on_commit_callbacks
):
    bad = DEMO.read_bytes().replace(b",Brazil,", b",Atlantis,", 1)
    with django_capture_on_commit_callbacks(execute=True):
        upload(coordinator_client, bad)
    run = ImportRun.objects.get()
    assert run.state == ImportRun.State.CHECKED
    assert any("Atlantis" in e["message"] for e in run.preview["errors"])
    page = coordinator_client.get(reverse("recommendations:import-detail", args=[run.pk])).content.decode()
    assert "Atlantis" in page and "Confirm the import" not in page
    with django_capture_on_commit_callbacks(execute=True):
        coordinator_client.post(reverse("recommendations:import-confirm", args=[run.pk]))
    assert Recommendation.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "content"),
    [("virus.exe", b"MZ\x90\x00"), ("table.xlsx", b"not a zip at all"), ("notes.csv", b"a,b\x00c\n")],
)
def test_files_of_the_wrong_kind_are_refused_with_a_clear_message(coordinator_client, name, content):
    response = upload(coordinator_client, content, name=name)
    assert response.status_code == 400
    assert not ImportRun.objects.exists()
    errors = " ".join(response.context["form"].errors["file"])
    assert "cannot be imported" in errors or "is not what its name" in errors


def test_cancel_discards_a_checked_import(coordinator_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        upload(coordinator_client, DEMO.read_bytes())
    run = ImportRun.objects.get()
    assert coordinator_client.post(reverse("recommendations:import-cancel", args=[run.pk])).status_code == 302
    run.refresh_from_db()
    assert run.state == ImportRun.State.CANCELLED
    with django_capture_on_commit_callbacks(execute=True):
        coordinator_client.post(reverse("recommendations:import-confirm", args=[run.pk]))
    assert Recommendation.objects.count() == 0


def test_progress_partial_while_running_and_refresh_when_done(coordinator_client, users):
    from django.core.files.base import ContentFile

    from adolat.recommendations.models import Country
    from adolat.recommendations.tasks import PROGRESS_KEY

    country, _ = Country.objects.get_or_create(code="TJ", defaults={"name_en": "Tajikistan"})
    run = ImportRun(
        created_by=users["coordinator"], filename="x.csv", country=country, state=ImportRun.State.IMPORTING
    )
    run.file.save("upload", ContentFile(b"x"), save=False)
    run.save()
    from django.core.cache import cache

    cache.set(PROGRESS_KEY.format(pk=run.pk), (40, 160))
    url = reverse("recommendations:import-detail", args=[run.pk])
    partial = coordinator_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and 'value="40"' in partial and "40 of 160" in partial
    run.state = ImportRun.State.DONE
    run.result = {"created": 160, "updated": 0, "unchanged": 0, "skipped": 0, "errors": []}
    run.save()
    assert coordinator_client.get(url, HTTP_HX_REQUEST="true")["HX-Refresh"] == "true"


@pytest.mark.parametrize("role", ["focal_point", "cso_contributor", "monitor", "viewer", "outsider"])
def test_only_coordinators_and_administrators_import(client, users, role, django_capture_on_commit_callbacks):
    client.force_login(users["coordinator"])
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, DEMO.read_bytes())
    run = ImportRun.objects.get()
    client.force_login(users[role])
    assert client.get(LIST).status_code == 403
    assert client.get(reverse("recommendations:import-detail", args=[run.pk])).status_code == 404
    assert client.post(reverse("recommendations:import-confirm", args=[run.pk])).status_code == 404


def test_a_coordinator_merges_or_keeps_apart_near_matches_found_by_an_import(coordinator_client, users):
    from adolat.recommendations.importers import run_import
    from adolat.recommendations.models import NearMatch

    header = b"To,Text,From,Response,Issue,Session\n"
    text = b"Ratify the Optional Protocol to the Convention against Torture"
    tail = b",Brazil,Accepted,Torture and other CID treatment,12\n"
    first = header + b"Tajikistan," + text + tail
    second = header + b"Tajikistan," + text + b" promptly" + tail
    for data in (first, second):
        summary = run_import(data, filename="x.csv", country="TJ", publish=True)
        assert summary.errors == []
    match = NearMatch.objects.get()
    page = coordinator_client.get(reverse("recommendations:near-matches")).content.decode()
    assert "promptly" in page and "Same recommendation: merge" in page

    response = coordinator_client.post(
        reverse("recommendations:near-match-decide", args=[match.pk]), {"decision": "merge"}
    )
    assert response.status_code == 302
    assert Recommendation.objects.count() == 1
    match.refresh_from_db()
    assert match.state == NearMatch.State.CONFIRMED
    assert (
        "Nothing to decide"
        in coordinator_client.get(reverse("recommendations:near-matches")).content.decode()
    )


def test_only_coordinators_decide_near_matches(client, users):
    client.force_login(users["focal_point"])
    assert client.get(reverse("recommendations:near-matches")).status_code == 403
    assert (
        client.post(reverse("recommendations:near-match-decide", args=[1]), {"decision": "merge"}).status_code
        == 403
    )
