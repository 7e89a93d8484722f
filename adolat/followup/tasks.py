"""Background work of the follow-up (django-tasks): the daily reminders run by the worker.

`send_reminders.enqueue()` queues a run; the database backend's worker (`adolat db_worker`)
executes it. Arguments and results are JSON, so the date travels as text.
"""

from datetime import date

from django_tasks import task


@task()
def send_reminders(today: str | None = None, dry_run: bool = False) -> dict:
    """`adolat send-reminders` as a task: `today` as YYYY-MM-DD (default: today in TIME_ZONE).
    Returns how many messages were sent (or would be, with `dry_run`) and how many e-mails failed."""
    from . import reminders

    messages = reminders.send_reminders(today=date.fromisoformat(today) if today else None, dry_run=dry_run)
    return {
        "messages": len(messages),
        "emails_failed": 0 if dry_run else sum(1 for m in messages if not m.emailed),
    }
