"""Configuration comes from the environment and bad values stop the process at start."""

import os
import subprocess
import sys

import pytest


def load_settings(**env) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL"}}
    base.update(env)
    code = (
        "import adolat.settings as s, json; db = s.DATABASES['default']; "
        "print(json.dumps({'db': db['ENGINE'], 'name': str(db['NAME']), "
        "'debug': s.DEBUG, 'key': s.SECRET_KEY, 'opts': db.get('OPTIONS', {})}))"
    )
    # A fresh interpreter, since settings are read once per process; the command is fixed.
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], env=base, capture_output=True, text=True, timeout=60
    )


def test_secret_key_is_required_without_debug(tmp_path):
    result = load_settings(DEBUG="0", ADOLAT_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_secret_key_can_come_from_a_file(tmp_path):
    (tmp_path / "key").write_text("from-a-file-secret\n")
    result = load_settings(DEBUG="0", SECRET_KEY_FILE=str(tmp_path / "key"), ADOLAT_VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert '"key": "from-a-file-secret"' in result.stdout


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "perhaps"}, "DEBUG"),
        ({"DATABASE_URL": "mysql://x@y/z", "SECRET_KEY": "k"}, "DATABASE_URL"),
        ({"ADOLAT_COUNTRIES": "Tajikistan", "SECRET_KEY": "k"}, "ADOLAT_COUNTRIES"),
        ({"SQLITE_BUSY_TIMEOUT": "soon", "SECRET_KEY": "k"}, "SQLITE_BUSY_TIMEOUT"),
        ({"LANGUAGE_CODE": "fr", "SECRET_KEY": "k"}, "LANGUAGE_CODE"),
    ],
)
def test_bad_values_fail_loudly_naming_the_variable(tmp_path, env, message):
    result = load_settings(ADOLAT_VAR_DIR=str(tmp_path), **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_embedded_sqlite_is_crash_safe_by_default(tmp_path):
    result = load_settings(DEBUG="1", ADOLAT_VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert '"db": "django.db.backends.sqlite3"' in result.stdout
    assert str(tmp_path / "adolat.sqlite3") in result.stdout
    for pragma in ("journal_mode=WAL", "synchronous=FULL"):
        assert pragma in result.stdout
    assert '"transaction_mode": "IMMEDIATE"' in result.stdout


def test_database_url_selects_postgresql_or_another_sqlite_file(tmp_path):
    pg = load_settings(SECRET_KEY="k", DATABASE_URL="postgres://u@127.0.0.1:5432/adolat")
    assert '"db": "django.db.backends.postgresql"' in pg.stdout
    other = load_settings(SECRET_KEY="k", DATABASE_URL=f"sqlite:///{tmp_path}/other.db")
    assert f"{tmp_path}/other.db" in other.stdout


def test_sqlite_connection_really_uses_wal_and_full_sync(db):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 2  # FULL
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 1000
