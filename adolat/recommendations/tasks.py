"""Background work of the recommendations app: checking and importing an uploaded file.

Progress is written to Django's cache, not to the database: the import holds one transaction for
the whole file, so nothing it writes to the database is visible to the page until it ends.
"""

from django.core.cache import cache
from django.utils import timezone
from django_tasks import task

PROGRESS_KEY = "import-progress:{pk}"


def progress_of(run) -> tuple[int, int]:
    return cache.get(PROGRESS_KEY.format(pk=run.pk), (0, 0))


def _reporter(run):
    key = PROGRESS_KEY.format(pk=run.pk)

    def report(done: int, total: int) -> None:
        cache.set(key, (done, total), timeout=24 * 3600)

    return report


def _run(run, *, dry_run: bool):
    from .importers import ImporterError, run_import

    options = run.options or {}
    with run.file.open("rb") as fh:
        data = fh.read()
    try:
        summary = run_import(
            data,
            filename=run.filename,
            format=run.format or None,
            country=run.country_id,
            document=options.get("document") or None,
            mapping=options.get("mapping") or None,
            dry_run=dry_run,
            skip_invalid=bool(options.get("skip_invalid")),
            publish=bool(options.get("publish")),
            by=run.created_by,
            progress=_reporter(run),
        )
    except ImporterError as exc:
        return {
            "created": 0,
            "updated": 0,
            "unchanged": 0,
            "skipped": 0,
            "errors": [{"row": None, "message": str(exc)}],
        }
    return summary.as_dict()


@task()
def check_import(run_id: int) -> None:
    """Dry run: everything an import would do, then rolled back; the summary is the preview."""
    from .models import ImportRun

    run = ImportRun.objects.get(pk=run_id)
    if run.state != ImportRun.State.CHECKING:
        return
    try:
        preview = _run(run, dry_run=True)
    except Exception:
        ImportRun.objects.filter(pk=run.pk).update(state=ImportRun.State.FAILED, finished=timezone.now())
        raise
    ImportRun.objects.filter(pk=run.pk, state=ImportRun.State.CHECKING).update(
        preview=preview, state=ImportRun.State.CHECKED
    )


@task()
def execute_import(run_id: int) -> None:
    from .models import ImportRun

    run = ImportRun.objects.get(pk=run_id)
    if run.state != ImportRun.State.IMPORTING:
        return
    try:
        result = _run(run, dry_run=False)
    except Exception:
        ImportRun.objects.filter(pk=run.pk).update(state=ImportRun.State.FAILED, finished=timezone.now())
        raise
    wrote = result["created"] or result["updated"]
    state = ImportRun.State.DONE if (wrote or not result["errors"]) else ImportRun.State.FAILED
    ImportRun.objects.filter(pk=run.pk).update(result=result, state=state, finished=timezone.now())
