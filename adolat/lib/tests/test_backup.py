"""`adolat backup` and `adolat restore`: consistent while the app writes, encrypted, verified.

The commands run as separate processes against instances of their own (ADOLAT_VAR_DIR, and for
PostgreSQL databases of their own), as an operator runs them; the encryption layer is also tested
directly.
"""

import io
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from adolat.lib import backup

PASSPHRASE = "a passphrase long enough 42"  # noqa: S105 — test only
ROOT = Path(__file__).resolve().parents[3]
ADOLAT = [sys.executable, str(ROOT / "manage.py")]
PG_SERVER = os.environ.get("ADOLAT_TEST_PG_SERVER", "postgres://postgres@127.0.0.1:5432")


# --- The encryption layer -------------------------------------------------------------------------


def seal(plain: bytes, passphrase: str = PASSPHRASE) -> bytes:
    out = io.BytesIO()
    writer = backup.EncryptingWriter(out, passphrase)
    writer.write(plain)
    writer.finish()
    return out.getvalue()


def unseal(sealed: bytes, passphrase: str = PASSPHRASE) -> bytes:
    reader = backup.DecryptingReader(io.BytesIO(sealed), passphrase)
    return io.BufferedReader(reader).read()


PLAIN = os.urandom(backup.CHUNK * 2 + 1000)  # three chunks


def test_what_is_sealed_opens_with_the_passphrase_and_hides_the_content():
    sealed = seal(PLAIN)
    assert unseal(sealed) == PLAIN
    assert PLAIN[:4096] not in sealed
    assert seal(PLAIN) != sealed, "a fresh salt and nonce each time"


def test_a_wrong_passphrase_is_named():
    with pytest.raises(backup.BackupError, match="passphrase is wrong"):
        unseal(seal(b"data"), "another passphrase 42")


@pytest.mark.parametrize("position", [0, 20, 40, 1000, backup.CHUNK + 60, -1])
def test_one_flipped_byte_anywhere_is_refused(position):
    sealed = bytearray(seal(PLAIN))
    sealed[position] ^= 0x01
    with pytest.raises(backup.BackupError):
        unseal(bytes(sealed))


def test_a_cut_off_or_extended_archive_is_refused():
    sealed = seal(PLAIN)
    last_chunk_starts = len(sealed) - (1000 + 16 + 5)
    with pytest.raises(backup.BackupError, match="incomplete"):
        unseal(sealed[:last_chunk_starts])
    with pytest.raises(backup.BackupError):
        unseal(sealed + sealed[-100:])


def test_there_is_no_backup_without_a_passphrase(monkeypatch, tmp_path):
    monkeypatch.delenv("ADOLAT_BACKUP_PASSPHRASE", raising=False)
    monkeypatch.delenv("ADOLAT_BACKUP_PASSPHRASE_FILE", raising=False)
    with pytest.raises(backup.BackupError, match="No passphrase"):
        backup.read_passphrase()
    secret = tmp_path / "passphrase"
    secret.write_text(PASSPHRASE + "\n")
    assert backup.read_passphrase(str(secret)) == PASSPHRASE
    monkeypatch.setenv("ADOLAT_BACKUP_PASSPHRASE_FILE", str(secret))
    assert backup.read_passphrase() == PASSPHRASE


# --- Whole instances, through the commands --------------------------------------------------------


def run(var_dir: Path, *args: str, database_url: str = "", passphrase: str = PASSPHRASE, check=False):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ADOLAT_BACKUP_PASSPHRASE_FILE")}
    env.update(
        SECRET_KEY="test",
        DEBUG="0",
        LANGUAGE_CODE="en",
        ADOLAT_VAR_DIR=str(var_dir),
        ADOLAT_BACKUP_PASSPHRASE=passphrase,
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    done = subprocess.run(  # noqa: S603
        [*ADOLAT, *args], env=env, capture_output=True, text=True, cwd=ROOT, check=False, timeout=600
    )
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture(scope="module")
def migrated_sqlite(tmp_path_factory) -> Path:
    """A migrated, empty SQLite database, made once and copied for each instance."""
    var = tmp_path_factory.mktemp("template")
    run(var, "migrate", "-v0", check=True)
    return var / "adolat.sqlite3"


def add_load_tables(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE load_a (id INTEGER PRIMARY KEY, payload TEXT)")
        conn.execute("CREATE TABLE load_b (id INTEGER PRIMARY KEY, a_id INTEGER)")


class Writer(threading.Thread):
    """Keeps writing, as the app would: each transaction adds a row to load_a and one to load_b,
    so a consistent copy always holds as many rows in one as in the other."""

    def __init__(self, write_one):
        super().__init__(daemon=True)
        self.write_one, self.stop, self.written, self.error = write_one, threading.Event(), 0, None

    def run(self):
        try:
            while not self.stop.is_set():
                self.write_one(self.written)
                self.written += 1
        except Exception as exc:  # reported by the test
            self.error = exc

    def __enter__(self):
        self.start()
        while self.written < 50 and self.error is None:
            time.sleep(0.01)
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.join()
        assert self.error is None, self.error


def sqlite_writer(db: Path) -> Writer:
    conn = sqlite3.connect(db, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")

    def write_one(n):
        with conn:
            cur = conn.execute("INSERT INTO load_a (payload) VALUES (?)", ("x" * 500,))
            conn.execute("INSERT INTO load_b (a_id) VALUES (?)", (cur.lastrowid,))

    return Writer(write_one)


def add_media(var: Path) -> bytes:
    content = os.urandom(70_000)
    folder = var / "media" / "evidence" / "2026" / "11"
    folder.mkdir(parents=True)
    (folder / "0123abcd.pdf").write_bytes(content)
    return content


@pytest.fixture
def sqlite_source(tmp_path, migrated_sqlite) -> Path:
    var = tmp_path / "source"
    var.mkdir()
    shutil.copy(migrated_sqlite, var / "adolat.sqlite3")
    add_load_tables(var / "adolat.sqlite3")
    return var


def counts(db: Path) -> tuple[int, int]:
    with sqlite3.connect(db) as conn:
        return tuple(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("load_a", "load_b"))  # noqa: S608


def test_a_backup_taken_while_the_app_writes_restores_whole_into_a_new_instance(tmp_path, sqlite_source):
    media = add_media(sqlite_source)
    archive = tmp_path / "instance.adolat-backup"
    with sqlite_writer(sqlite_source / "adolat.sqlite3") as writer:
        made = run(sqlite_source, "backup", str(archive))
        during = writer.written
    assert made.returncode == 0, made.stderr
    assert "Backup written" in made.stdout
    assert writer.written > during > 50, "the writer kept writing while the backup ran"
    assert oct(archive.stat().st_mode & 0o777) == "0o600"
    assert media not in archive.read_bytes()

    target = tmp_path / "target"
    restored = run(target, "restore", str(archive))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "Restored and verified" in restored.stdout
    a, b = counts(target / "adolat.sqlite3")
    assert a == b, "one consistent snapshot: every transaction is either whole or absent"
    assert 50 <= a <= writer.written
    assert (target / "media" / "evidence" / "2026" / "11" / "0123abcd.pdf").read_bytes() == media
    # The restored instance is a working one.
    assert run(target, "migrate", "--check").returncode == 0


@pytest.fixture(scope="module")
def in_use(tmp_path_factory, migrated_sqlite) -> Path:
    """An instance with data (rows and a file), backed up once for the tests of refusals."""
    var = tmp_path_factory.mktemp("in-use")
    shutil.copy(migrated_sqlite, var / "adolat.sqlite3")
    add_load_tables(var / "adolat.sqlite3")
    with sqlite3.connect(var / "adolat.sqlite3") as conn:
        conn.execute("INSERT INTO load_a (payload) VALUES ('kept')")
    add_media(var)
    run(var, "backup", str(var / "instance.adolat-backup"), check=True)
    return var


@pytest.fixture
def archive(in_use) -> Path:
    return in_use / "instance.adolat-backup"


def nothing_written(var: Path) -> bool:
    media = var / "media"
    return not (var / "adolat.sqlite3").exists() and not (media.exists() and any(media.rglob("*.*")))


def test_a_wrong_passphrase_writes_nothing(tmp_path, archive):
    target = tmp_path / "target"
    done = run(target, "restore", str(archive), passphrase="not the right passphrase")
    assert done.returncode == 1
    assert "The passphrase is wrong" in done.stderr
    assert nothing_written(target)


def test_a_tampered_archive_is_refused_before_anything_is_written(tmp_path, archive):
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0x40
    tampered = tmp_path / "tampered.adolat-backup"
    tampered.write_bytes(bytes(data))
    target = tmp_path / "target"
    done = run(target, "restore", str(tampered))
    assert done.returncode == 1
    assert "damaged or has been altered" in done.stderr
    assert nothing_written(target)


def tar_stream(archive: Path) -> bytes:
    """The tar stream inside an archive of the current format (decrypted, decompressed)."""
    import gzip

    return gzip.decompress(unseal(archive.read_bytes()))


def resealed(tar: bytes, tmp_path: Path, *, version: int, manifest_format: int | None = None) -> Path:
    """An archive holding `tar` as it is, under a header of `version`; the manifest's format
    rewritten when asked."""
    import json
    import tarfile

    if manifest_format is not None:
        out = io.BytesIO()
        with (
            tarfile.open(fileobj=io.BytesIO(tar), mode="r|") as old,
            tarfile.open(fileobj=out, mode="w|") as new,
        ):
            for member in old:
                data = old.extractfile(member).read()
                if member.name == backup.MANIFEST:
                    manifest = json.loads(data)
                    manifest["format"] = manifest_format
                    data = json.dumps(manifest).encode()
                    member.size = len(data)
                new.addfile(member, io.BytesIO(data))
        tar = out.getvalue()
    sealed = io.BytesIO()
    writer = backup.EncryptingWriter(sealed, PASSPHRASE, version=version)
    writer.write(tar)
    writer.finish()
    path = tmp_path / f"format-{version}.adolat-backup"
    path.write_bytes(sealed.getvalue())
    return path


def test_archives_are_compressed(archive, in_use):
    database = (in_use / "adolat.sqlite3").stat().st_size
    assert len(tar_stream(archive)) > database  # the database and the file, whole
    assert archive.stat().st_size < database / 2


def test_an_archive_of_the_first_format_uncompressed_still_restores(tmp_path, archive):
    older = resealed(tar_stream(archive), tmp_path, version=1, manifest_format=1)
    target = tmp_path / "target"
    done = run(target, "restore", str(older))
    assert done.returncode == 0, done.stdout + done.stderr
    assert counts(target / "adolat.sqlite3") == (1, 0)
    assert (target / "media" / "evidence" / "2026" / "11" / "0123abcd.pdf").exists()


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        (2, "damaged or has been altered"),  # a format 2 header over an uncompressed stream
        (1, "no manifest it can be checked against"),  # format 1 holding a manifest of format 2
        (3, "This backup has format 3"),
    ],
)
def test_an_archive_whose_content_is_not_what_its_format_says_is_refused(
    tmp_path, archive, version, expected
):
    wrong = resealed(tar_stream(archive), tmp_path, version=version)
    target = tmp_path / "target"
    done = run(target, "restore", str(wrong))
    assert done.returncode == 1
    assert expected in done.stderr
    assert nothing_written(target)


def test_restore_refuses_an_instance_in_use(tmp_path, archive, in_use):
    with sqlite3.connect(in_use / "adolat.sqlite3") as conn:
        conn.execute("INSERT INTO load_a (payload) VALUES ('written after the backup')")
    done = run(in_use, "restore", str(archive))
    assert done.returncode == 1
    assert "This instance is not empty" in done.stderr
    assert counts(in_use / "adolat.sqlite3") == (2, 0), "nothing was replaced"


def test_restore_refuses_a_database_with_work_in_it_even_without_files(tmp_path, archive, migrated_sqlite):
    var = tmp_path / "target"
    var.mkdir()
    shutil.copy(migrated_sqlite, var / "adolat.sqlite3")
    with sqlite3.connect(var / "adolat.sqlite3") as conn:
        conn.execute(
            "INSERT INTO accounts_organisation (kind, name_tg, name_ru, name_en, acronym, is_active) "
            "VALUES ('state_body', '', '', 'Ministry of Justice', '', 1)"
        )
    done = run(var, "restore", str(archive))
    assert done.returncode == 1
    assert "the table accounts_organisation holds rows" in done.stderr


def test_backup_refuses_to_run_without_a_passphrase(tmp_path, sqlite_source):
    done = run(sqlite_source, "backup", str(tmp_path / "b"), passphrase="")
    assert done.returncode == 1
    assert "No passphrase" in done.stderr
    assert not (tmp_path / "b").exists()


# --- PostgreSQL -----------------------------------------------------------------------------------


def _pg_available() -> bool:
    try:
        import psycopg

        psycopg.connect(f"{PG_SERVER}/postgres", connect_timeout=3).close()
    except Exception:
        return False
    return bool(shutil.which("pg_dump") and shutil.which("pg_restore"))


needs_postgresql = pytest.mark.skipif(
    not _pg_available() and not os.environ.get("CI"),
    reason=f"no PostgreSQL server at {PG_SERVER} (set ADOLAT_TEST_PG_SERVER) or no pg_dump",
)


@pytest.fixture
def pg_databases():
    import psycopg

    names = ("adolat_backup_src", "adolat_backup_dst")
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        for name in names:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name}")
    yield [f"{PG_SERVER}/{name}" for name in names]
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        for name in names:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@needs_postgresql
def test_postgresql_round_trip_while_the_app_writes(tmp_path, pg_databases):
    import psycopg

    source_url, target_url = pg_databases
    source = tmp_path / "source"
    run(source, "migrate", "-v0", database_url=source_url, check=True)
    media = add_media(source)
    with psycopg.connect(source_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE load_a (id serial PRIMARY KEY, payload text)")
        conn.execute("CREATE TABLE load_b (id serial PRIMARY KEY, a_id integer REFERENCES load_a)")
    writing = psycopg.connect(source_url)

    def write_one(n):
        with writing.transaction():
            a_id = writing.execute("INSERT INTO load_a (payload) VALUES ('x') RETURNING id").fetchone()[0]
            writing.execute("INSERT INTO load_b (a_id) VALUES (%s)", (a_id,))

    archive = tmp_path / "pg.adolat-backup"
    with Writer(write_one) as writer:
        made = run(source, "backup", str(archive), database_url=source_url)
        during = writer.written
    writing.close()
    assert made.returncode == 0, made.stderr
    assert writer.written > during

    target = tmp_path / "target"
    restored = run(target, "restore", str(archive), database_url=target_url)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "Restored and verified" in restored.stdout
    with psycopg.connect(target_url) as conn:
        a = conn.execute("SELECT COUNT(*) FROM load_a").fetchone()[0]
        b = conn.execute("SELECT COUNT(*) FROM load_b").fetchone()[0]
    assert a == b and 50 <= a <= writer.written
    assert (target / "media" / "evidence" / "2026" / "11" / "0123abcd.pdf").read_bytes() == media
    assert run(target, "migrate", "--check", database_url=target_url).returncode == 0

    again = run(target, "restore", str(archive), database_url=target_url)
    assert again.returncode == 1 and "This instance is not empty" in again.stderr
