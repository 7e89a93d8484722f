"""A writer killed with SIGKILL at random moments, many times: after each kill the database is whole
and every write it acknowledged is there.

The writer is the real service (`recommendation_create`: the recommendation, its tags, its search
index and its audit entry in one transaction) in a child process on a real database: a SQLite
file (WAL, synchronous=FULL, as configured in settings), or, when DATABASE_URL names PostgreSQL, a
fresh PostgreSQL database. It appends each id to a file only after the transaction has committed,
so the file lists exactly the writes a caller could have been told "saved".

To keep the rounds cheap, one "fork server" process loads Django once and forks a writer per round;
the writer opens its own connection, so every round starts from whatever the last kill left on
disk (SQLite replays or discards its write-ahead log then). The writer is killed after a random
delay, mostly while a transaction is open or being committed.

ADOLAT_CRASH_ROUNDS sets the number of rounds (20 by default; CI runs more).
An interrupted import (one transaction for a whole file) has its own test:
adolat/recommendations/tests/test_import_interrupted.py.
"""

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

ROUNDS = int(os.environ.get("ADOLAT_CRASH_ROUNDS", "20"))

# The fork server: reads "<ack file>" lines on stdin, forks a writer for each, answers its pid, then
# the writer's wait status once it has died.
FORK_SERVER = r"""
import os, sys

import django

django.setup()
from adolat.recommendations.models import Country, Mechanism
from adolat.recommendations.services import RecommendationData, recommendation_create


def write_forever(ack_path):
    fd = os.open(ack_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    country = Country.objects.get_or_create(code="TJ", defaults={"name_en": "Tajikistan"})[0]
    upr = Mechanism.objects.get_or_create(code="UPR", defaults={"kind": "upr", "name_en": "UPR"})[0]
    open(ack_path + ".ready", "w").close()  # connected: the parent's random delay starts now
    n = 0
    while True:
        n += 1
        data = RecommendationData(
            country=country, mechanism=upr, text_en=f"Crash test {os.getpid()}-{n}", is_published=n % 2 == 0
        )
        rec = recommendation_create(data=data, source="command")
        # Acknowledged: the service's transaction has committed.
        os.write(fd, f"{rec.pk}\n".encode())


print("ready", flush=True)
for line in sys.stdin:
    pid = os.fork()
    if pid == 0:
        try:
            write_forever(line.strip())
        finally:
            os._exit(1)
    print(pid, flush=True)
    _, status = os.waitpid(pid, 0)
    print(status, flush=True)
"""


def _environment(database_url: str, tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "SQLITE_"))}
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY="test-only",
        DEBUG="1",
        ADOLAT_VAR_DIR=str(tmp_path / "var"),
        DJANGO_SETTINGS_MODULE="adolat.settings",
    )
    return env


class SQLiteTarget:
    def __init__(self, tmp_path: Path):
        self.path = tmp_path / "adolat.sqlite3"
        self.url = f"sqlite:///{self.path}"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def check(self) -> set[int]:
        """The database passes SQLite's own checks; returns the recommendation ids it holds."""
        db = sqlite3.connect(self.path)
        try:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert db.execute("PRAGMA foreign_key_check").fetchall() == []
            ids = {row[0] for row in db.execute("SELECT id FROM recommendations_recommendation")}
            audited = {
                int(row[0])
                for row in db.execute(
                    "SELECT object_id FROM lib_auditentry WHERE action = 'create' "
                    "AND object_type = 'recommendations.recommendation'"
                )
            }
            # One transaction per write: no recommendation without its audit entry, nor the reverse.
            assert ids == audited
            # It still takes writes (and the next round's writer takes many).
            db.execute("PRAGMA user_version = 1")
            db.commit()
        finally:
            db.close()
        return ids


class PostgresTarget:
    """A fresh database on the same server as DATABASE_URL, dropped afterwards."""

    def __init__(self, tmp_path: Path):
        conf = settings.DATABASES["default"]
        self.name = f"adolat_crash_{uuid.uuid4().hex[:12]}"
        self.conf = {k: conf[k] for k in ("HOST", "PORT", "USER", "PASSWORD")}
        user = f"{conf['USER']}:{conf['PASSWORD']}" if conf["PASSWORD"] else conf["USER"]
        self.url = f"postgres://{user}@{conf['HOST'] or 'localhost'}:{conf['PORT'] or 5432}/{self.name}"

    def _connect(self, dbname: str):
        import psycopg

        c = self.conf
        return psycopg.connect(
            dbname=dbname,
            host=c["HOST"] or None,
            port=c["PORT"] or None,
            user=c["USER"],
            password=c["PASSWORD"],
        )

    def __enter__(self):
        with self._connect("postgres") as db:
            db.autocommit = True
            db.execute(f'CREATE DATABASE "{self.name}"')
        return self

    def __exit__(self, *exc):
        with self._connect("postgres") as db:
            db.autocommit = True
            db.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def check(self) -> set[int]:
        with self._connect(self.name) as db:
            ids = {row[0] for row in db.execute("SELECT id FROM recommendations_recommendation")}
            audited = {
                int(row[0])
                for row in db.execute(
                    "SELECT object_id FROM lib_auditentry WHERE action = 'create' "
                    "AND object_type = 'recommendations.recommendation'"
                )
            }
            assert ids == audited
            # Usable: the indexes answer and a write goes through.
            assert db.execute("SELECT count(*) FROM recommendations_recommendation_themes").fetchone()
            db.execute("CREATE TEMPORARY TABLE crash_probe (x int)")
        return ids


@pytest.fixture
def target(tmp_path):
    postgres = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    with (PostgresTarget if postgres else SQLiteTarget)(tmp_path) as t:
        yield t


def test_acknowledged_writes_survive_sigkill(tmp_path, target):
    env = _environment(target.url, tmp_path)
    migrated = subprocess.run(  # noqa: S603 — our own interpreter and arguments
        [sys.executable, "-m", "adolat.manage", "migrate", "--skip-checks", "-v", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrated.returncode == 0, migrated.stderr
    before = target.check()

    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", FORK_SERVER],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    rng = random.Random(int(os.environ.get("ADOLAT_CRASH_SEED", time.time_ns())))  # noqa: S311
    acknowledged: set[int] = set()
    survived = rounds_with_writes = 0
    try:
        assert server.stdout.readline().strip() == "ready"
        for round_ in range(ROUNDS):
            ack = tmp_path / f"ack-{round_}"
            server.stdin.write(f"{ack}\n")
            server.stdin.flush()
            pid = int(server.stdout.readline())
            # Every other round the delay starts once the writer has connected, the others once it
            # has acknowledged a first write (on a slow machine connecting can take longer than the
            # delay, and every kill would land before the first commit).
            wait_for = ack if round_ % 2 else Path(f"{ack}.ready")
            deadline = time.monotonic() + 60
            while not (wait_for.exists() and (wait_for != ack or wait_for.stat().st_size)):
                if time.monotonic() > deadline:
                    break
                time.sleep(0.01)
            # Let it write for a random while: from before its first commit to dozens of commits.
            time.sleep(rng.uniform(0.0, 0.6))
            os.kill(pid, signal.SIGKILL)
            status = int(server.stdout.readline())
            assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, (
                f"round {round_}: the writer stopped by itself (status {status}); see the server's stderr"
            )

            # Only whole lines: a write cut in the middle of its acknowledgement was not acknowledged.
            text = ack.read_text() if ack.exists() else ""
            acked = {int(line) for line in text.split("\n")[:-1]}
            acknowledged |= acked
            rounds_with_writes += bool(acked)
            present = target.check()
            lost = acknowledged - present
            assert not lost, f"round {round_}: acknowledged writes missing after SIGKILL: {sorted(lost)}"
            # At most one write committed without being acknowledged: the one in flight at the kill.
            assert len(present - before - acknowledged) <= round_ + 1
            survived += 1
    finally:
        if server.poll() is None:
            server.stdin.close()
            server.kill()
        server.wait(timeout=30)
    print(
        f"\ncrash test: {survived} SIGKILL rounds survived ({rounds_with_writes} killed mid-writing), "
        f"{len(acknowledged)} acknowledged writes present"
    )
    assert survived == ROUNDS
    # Most kills landed while the writer was writing, not before its first commit.
    assert rounds_with_writes >= ROUNDS // 2, f"only {rounds_with_writes} rounds wrote anything"
