"""Configuration comes from the environment and bad values stop the process at start."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

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


# --- Secure defaults (adolat/accounts/security.py; README "Configuration") -----------------------

PRODUCTION = {"DEBUG": "0", "SECRET_KEY": "k" * 50, "ALLOWED_HOSTS": "example.org"}


def settings_values(names: list[str], **env) -> dict:
    base = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL"}}
    base.update(env)
    code = (
        "import adolat.settings as s, json, sys; "
        "print(json.dumps({n: getattr(s, n, None) for n in sys.argv[1:]}, default=str))"
    )
    result = subprocess.run(  # noqa: S603 — a fresh interpreter, the command is fixed
        [sys.executable, "-c", code, *names], env=base, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_check_passes_with_only_debug_secret_key_and_allowed_hosts(tmp_path):
    """`adolat check --deploy --fail-level WARNING` with nothing else set: production is the default."""
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    env.update(DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50)[:50], ALLOWED_HOSTS="example.org")
    adolat = Path(sys.executable).with_name("adolat")
    result = subprocess.run(  # noqa: S603 — the product's own command
        [str(adolat), "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_defaults_are_secure():
    values = settings_values(
        [
            "SECURE_SSL_REDIRECT",
            "SECURE_HSTS_SECONDS",
            "SECURE_HSTS_INCLUDE_SUBDOMAINS",
            "SESSION_COOKIE_NAME",
            "CSRF_COOKIE_NAME",
            "SESSION_COOKIE_SECURE",
            "CSRF_COOKIE_SECURE",
            "SITE_URL",
            "AXES_FAILURE_LIMIT",
            "AXES_COOLOFF_TIME",
            "SESSION_IDLE_SECONDS",
            "SESSION_MAX_AGE_SECONDS",
        ],
        **PRODUCTION,
    )
    assert values == {
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SESSION_COOKIE_NAME": "__Host-sessionid",
        "CSRF_COOKIE_NAME": "__Host-csrftoken",
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SITE_URL": "https://example.org",
        "AXES_FAILURE_LIMIT": 5,
        "AXES_COOLOFF_TIME": "0:15:00",
        "SESSION_IDLE_SECONDS": 3600,
        "SESSION_MAX_AGE_SECONDS": 12 * 3600,
    }


def test_debug_mode_uses_plain_http_and_plain_cookie_names(tmp_path):
    values = settings_values(
        ["SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SESSION_COOKIE_NAME", "SESSION_COOKIE_SECURE"],
        DEBUG="1",
        ADOLAT_VAR_DIR=str(tmp_path),
    )
    assert values == {
        "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 0,
        "SESSION_COOKIE_NAME": "sessionid",
        "SESSION_COOKIE_SECURE": False,
    }


def test_security_settings_come_from_the_environment():
    values = settings_values(
        [
            "SECURE_SSL_REDIRECT",
            "SECURE_PROXY_SSL_HEADER",
            "SECURE_HSTS_PRELOAD",
            "AXES_FAILURE_LIMIT",
            "AXES_COOLOFF_TIME",
            "AXES_LOCKOUT_PARAMETERS",
            "SESSION_IDLE_SECONDS",
            "SESSION_MAX_AGE_SECONDS",
        ],
        **PRODUCTION,
        SECURE_SSL_REDIRECT="0",
        SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto",
        SECURE_HSTS_PRELOAD="0",
        LOGIN_FAILURE_LIMIT="10",
        LOGIN_COOLOFF_MINUTES="60",
        LOGIN_LOCKOUT_BY="username",
        SESSION_IDLE_MINUTES="20",
        SESSION_MAX_HOURS="8",
    )
    assert values == {
        "SECURE_SSL_REDIRECT": False,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SECURE_HSTS_PRELOAD": False,
        "AXES_FAILURE_LIMIT": 10,
        "AXES_COOLOFF_TIME": "1:00:00",
        "AXES_LOCKOUT_PARAMETERS": ["username"],
        "SESSION_IDLE_SECONDS": 20 * 60,
        "SESSION_MAX_AGE_SECONDS": 8 * 3600,
    }


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"LOGIN_LOCKOUT_BY": "everything"}, "LOGIN_LOCKOUT_BY"),
        ({"LOGIN_FAILURE_LIMIT": "0"}, "LOGIN_FAILURE_LIMIT"),
        ({"SESSION_IDLE_MINUTES": "soon"}, "SESSION_IDLE_MINUTES"),
        ({"SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto: https"}, "SECURE_PROXY_SSL_HEADER"),
        ({"SECURE_SSL_REDIRECT": "maybe"}, "SECURE_SSL_REDIRECT"),
    ],
)
def test_bad_security_values_fail_loudly(tmp_path, env, message):
    result = load_settings(SECRET_KEY="k", ADOLAT_VAR_DIR=str(tmp_path), **env)
    assert result.returncode != 0
    assert message in result.stderr
