"""An import killed half-way (kill -9) leaves the database as it was: the whole file is one
transaction. Run for real: `adolat import` in a child process on a SQLite file, killed while it
holds a hundred records it has not committed."""

import csv
import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from adolat.conftest import SHARED_DATA, needs_shared_data

RAW_EXPORT = SHARED_DATA / "upr-info" / "upr-info-export-sessions-10-13.csv"
TAJIK_UTF8 = SHARED_DATA / "upr-info" / "tajikistan-2011-upr-info-utf8.csv"
TABLES = ("recommendations_recommendation", "recommendations_sourcedocument", "lib_auditentry")

# The child: `adolat import ARGS`, its writer made to stop (and signal that it did) once it has
# written ROWS records, as a slow disk or a long file would keep it there.
CHILD = """
import sys, time
from pathlib import Path

import django

django.setup()
from django.core.management import call_command
from adolat.recommendations import services
from adolat.recommendations.importers import writer

marker, rows = Path(sys.argv[1]), int(sys.argv[2])
writer.WRITE_CHUNK = 25  # records are written in chunks: several before the stop
create = services.recommendations_bulk_create
written = []


def create_then_wait(**kwargs):
    result = create(**kwargs)
    written.extend(rec.pk for rec in result)
    if len(written) >= rows:
        marker.write_text(str(len(written)))
        time.sleep(600)
    return result


services.recommendations_bulk_create = create_then_wait
call_command(*sys.argv[3:])
"""


def environment(tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "SQLITE_"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'adolat.sqlite3'}",
        SECRET_KEY="test-only",
        ADOLAT_VAR_DIR=str(tmp_path / "var"),
        DJANGO_SETTINGS_MODULE="adolat.settings",
    )
    return env


def adolat(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 — our own interpreter and arguments
        [sys.executable, "-m", "adolat.manage", *args], env=env, capture_output=True, text=True, timeout=300
    )


def counts(tmp_path: Path) -> dict[str, int]:
    with sqlite3.connect(tmp_path / "adolat.sqlite3") as db:
        return {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES}  # noqa: S608


@needs_shared_data
@pytest.mark.parametrize("country", ["Algeria", "Tajikistan"])
def test_killing_an_import_midway_leaves_the_database_as_it_was(tmp_path, country):
    env = environment(tmp_path)
    assert adolat(env, "migrate", "-v", "0").returncode == 0
    # Something to keep: the Tajik rows imported before. (For Tajikistan the killed import is a
    # re-import of a bigger file about the same state.)
    done = adolat(env, "import", str(TAJIK_UTF8), "--country", "TJ", "--json")
    assert done.returncode == 0, done.stderr
    before = counts(tmp_path)
    assert before["recommendations_recommendation"] == 150

    marker = tmp_path / "written"
    rows = 100
    args = ["import", str(RAW_EXPORT), "--country", country]
    if country == "Tajikistan":
        # The creation path for the state already there: an export whose every text is new.
        export = list(csv.DictReader(io.StringIO(TAJIK_UTF8.read_text(encoding="utf-8"))))
        with (tmp_path / "export.csv").open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(export[0]))
            writer.writeheader()
            writer.writerows({**row, "Text": "Revised: " + row["Text"]} for row in export)
        args[1] = str(tmp_path / "export.csv")
    child = subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", CHILD, str(marker), str(rows), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "the import never got half-way"
            time.sleep(0.05)
        assert int(marker.read_text()) == rows
        os.kill(child.pid, signal.SIGKILL)
    finally:
        if child.poll() is None:
            child.kill()
        child.communicate()
    assert child.returncode == -signal.SIGKILL

    assert counts(tmp_path) == before
    # The database is whole: the same import, not interrupted, goes through.
    finished = adolat(env, *args, "--json")
    assert finished.returncode == 0, finished.stderr
    assert counts(tmp_path)["recommendations_recommendation"] > before["recommendations_recommendation"]
