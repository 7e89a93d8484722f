"""Encrypted, consistent backups of a whole instance and their verified restore.

An archive is a tar stream (the database, every file under MEDIA_ROOT and manifest.json),
compressed with gzip (format 2; format 1 archives, uncompressed, are still restored), encrypted in
1 MiB chunks with AES-256-GCM under a key derived by scrypt from a passphrase:

    header   b"ADOLATBK" | version (1) | salt (16) | log2(N), r, p of scrypt (3) | nonce prefix (4)
    chunk    length of ciphertext (4, big-endian) | last-chunk flag (1) | ciphertext + tag

Each chunk's nonce is the prefix followed by its 8-byte sequence number, and the header and the
last-chunk flag are authenticated with it, so a flipped byte, a reordered, dropped or appended chunk
or a cut-off archive fails to decrypt. The manifest also holds the SHA-256 of every file, the row
count of every table and the migration state, which `restore` checks before and after writing.

The database is copied while the app keeps running: SQLite through its online backup API into a
temporary file (one read snapshot), PostgreSQL with `pg_dump --format=custom` inside an exported
snapshot, in which the row counts are taken too. Nothing is held whole in memory.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import hashlib
import io
import json
import os
import shutil
import sqlite3
import struct
import subprocess  # noqa: S404 — pg_dump / pg_restore, with argument lists, never a shell
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from django.conf import settings
from django.db import DatabaseError, connections
from django.utils import timezone
from django.utils.translation import gettext as _

FORMAT_VERSION = 2
# The formats `restore` reads: 1, the tar stream as it is; 2, the tar stream compressed with gzip.
READABLE_VERSIONS = (1, 2)
# zlib's level for the tar stream: most of a database's size goes for a fraction of level 9's time.
COMPRESSION_LEVEL = 6
MAGIC = b"ADOLATBK"
CHUNK = 1024 * 1024
SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P = 15, 8, 1
MIN_PASSPHRASE = 12
MANIFEST = "manifest.json"
SQLITE_NAME = "database.sqlite3"
PG_NAME = "database.pgdump"
MEDIA_PREFIX = "media/"
# Rows in any of these tables mean the instance is in use and a restore would overwrite real work.
KEY_TABLES = (
    "accounts_user",
    "accounts_organisation",
    "recommendations_recommendation",
    "followup_assignment",
    "followup_progressreport",
    "lib_auditentry",
)

_HEADER = struct.Struct(">8sB16sBBB4s")


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is translated and says why."""


# --- Passphrase and key ---------------------------------------------------------------------------


def read_passphrase(passphrase_file: str | None = None) -> str:
    """From --passphrase-file, else ADOLAT_BACKUP_PASSPHRASE or ADOLAT_BACKUP_PASSPHRASE_FILE."""
    if passphrase_file:
        try:
            value = Path(passphrase_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise BackupError(
                _("The passphrase file %(path)s cannot be read: %(error)s")
                % {"path": passphrase_file, "error": exc.strerror}
            ) from None
    else:
        import environ

        try:
            value = environ.FileAwareEnv().str("ADOLAT_BACKUP_PASSPHRASE", default="")
        except Exception as exc:  # a _FILE variable naming a missing file
            raise BackupError(
                _("ADOLAT_BACKUP_PASSPHRASE_FILE cannot be read: %(error)s") % {"error": exc}
            ) from None
    value = value.strip("\r\n")
    if not value:
        raise BackupError(
            _(
                "No passphrase: set ADOLAT_BACKUP_PASSPHRASE or ADOLAT_BACKUP_PASSPHRASE_FILE, or give "
                "--passphrase-file. Backups are always encrypted."
            )
        )
    return value


def _derive_key(passphrase: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    if not (10 <= log2_n <= 22 and 1 <= r <= 32 and 1 <= p <= 16):
        raise BackupError(_("This file is not an Adolat backup, or it is damaged."))
    return Scrypt(salt=salt, length=32, n=2**log2_n, r=r, p=p).derive(passphrase.encode("utf-8"))


# --- Encrypted stream -----------------------------------------------------------------------------


class EncryptingWriter(io.RawIOBase):
    """A write-only stream that encrypts what is written to `raw` chunk by chunk."""

    def __init__(self, raw, passphrase: str, version: int = FORMAT_VERSION):
        super().__init__()
        salt, prefix = os.urandom(16), os.urandom(4)
        self._header = _HEADER.pack(MAGIC, version, salt, SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P, prefix)
        self._aead = AESGCM(_derive_key(passphrase, salt, SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P))
        self._prefix, self._raw, self._buffer, self._counter = prefix, raw, bytearray(), 0
        raw.write(self._header)

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._buffer += data
        while len(self._buffer) >= CHUNK:
            self._emit(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]
        return len(data)

    def _emit(self, plain: bytes, *, last: bool) -> None:
        flag = b"\x01" if last else b"\x00"
        nonce = self._prefix + self._counter.to_bytes(8, "big")
        sealed = self._aead.encrypt(nonce, plain, self._header + flag)
        self._raw.write(len(sealed).to_bytes(4, "big") + flag + sealed)
        self._counter += 1

    def finish(self) -> None:
        self._emit(bytes(self._buffer), last=True)
        self._buffer.clear()


class DecryptingReader(io.RawIOBase):
    """A read-only stream of the plaintext; raises BackupError at the first chunk that fails."""

    def __init__(self, raw, passphrase: str):
        super().__init__()
        header = raw.read(_HEADER.size)
        if len(header) != _HEADER.size or not header.startswith(MAGIC):
            raise BackupError(_("This file is not an Adolat backup, or it is damaged."))
        _magic, version, salt, log2_n, r, p, prefix = _HEADER.unpack(header)
        if version not in READABLE_VERSIONS:
            raise BackupError(
                _("This backup has format %(version)s, which this version of Adolat cannot read.")
                % {"version": version}
            )
        self._aead = AESGCM(_derive_key(passphrase, salt, log2_n, r, p))
        self._header, self._prefix, self._raw = header, prefix, raw
        self._counter, self._plain, self._done = 0, b"", False
        self.version = version  # the archive's format (the header is authenticated with each chunk)

    def readable(self) -> bool:
        return True

    def _next_chunk(self) -> None:
        head = self._raw.read(5)
        if len(head) != 5:
            raise BackupError(_("The backup is incomplete: it ends before its last part."))
        length, flag = int.from_bytes(head[:4], "big"), head[4:5]
        if length > CHUNK + 16 or flag not in (b"\x00", b"\x01"):
            raise BackupError(_("The backup is damaged or has been altered."))
        sealed = self._raw.read(length)
        nonce = self._prefix + self._counter.to_bytes(8, "big")
        try:
            self._plain = self._aead.decrypt(nonce, sealed, self._header + flag)
        except InvalidTag:
            if self._counter == 0:
                raise BackupError(
                    _("The passphrase is wrong, or the backup is damaged or has been altered.")
                ) from None
            raise BackupError(_("The backup is damaged or has been altered.")) from None
        self._counter += 1
        if flag == b"\x01":
            if self._raw.read(1):
                raise BackupError(_("The backup is damaged or has been altered."))
            self._done = True

    def readinto(self, buffer) -> int:
        while not self._plain and not self._done:
            self._next_chunk()
        n = min(len(buffer), len(self._plain))
        buffer[:n] = self._plain[:n]
        self._plain = self._plain[n:]
        return n


# --- Reading the database -------------------------------------------------------------------------


def _vendor(alias: str = "default") -> str:
    return connections[alias].vendor


def _sqlite_path(alias: str = "default") -> Path:
    return Path(settings.DATABASES[alias]["NAME"])


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    )
    return [name for (name,) in rows]


def _sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    # Table names come from the database's own catalogue; quoted as identifiers.
    return {
        t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]  # noqa: S608
        for t in _sqlite_tables(conn)
    }


def _sqlite_migrations(conn: sqlite3.Connection) -> list[list[str]]:
    if "django_migrations" not in _sqlite_tables(conn):
        return []
    return [list(r) for r in conn.execute("SELECT app, name FROM django_migrations ORDER BY app, name")]


def _sqlite_integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return ", ".join(r[0] for r in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()


def _django_counts(alias: str = "default") -> dict[str, int]:
    connection = connections[alias]
    with connection.cursor() as cursor:
        names = sorted(connection.introspection.table_names(cursor))
        counts = {}
        for name in names:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(name)}")  # noqa: S608
            counts[name] = cursor.fetchone()[0]
    return counts


def _django_migrations(alias: str = "default") -> list[list[str]]:
    connection = connections[alias]
    with connection.cursor() as cursor:
        if "django_migrations" not in connection.introspection.table_names(cursor):
            return []
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        return [list(r) for r in cursor.fetchall()]


def _pg_environment(alias: str = "default") -> dict[str, str]:
    db = settings.DATABASES[alias]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if db.get(key):
            env[var] = str(db[key])
    env["PGDATABASE"] = db["NAME"]
    return env


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(
            _(
                "%(tool)s is not installed: it is needed to back up and restore PostgreSQL. Install "
                "the PostgreSQL client tools (e.g. the postgresql-client package) of the server's "
                "version or newer."
            )
            % {"tool": name}
        )
    return found


def _run_pg(args: list[str], alias: str) -> None:
    done = subprocess.run(  # noqa: S603 — a fixed tool with an argument list
        args, env=_pg_environment(alias), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BackupError(
            _("%(tool)s failed: %(error)s")
            % {"tool": Path(args[0]).name, "error": done.stderr.strip()[-2000:]}
        )


# --- Backup ---------------------------------------------------------------------------------------


@dataclass
class Summary:
    path: Path
    vendor: str
    tables: dict[str, int]
    files: int
    bytes: int
    problems: list[str] = field(default_factory=list)


class _HashingReader:
    def __init__(self, raw):
        self.raw, self.sha = raw, hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.sha.update(data)
        return data


def _add_file(tar: tarfile.TarFile, source: Path, arcname: str, files: dict) -> None:
    with open(source, "rb") as handle:
        info = tar.gettarinfo(fileobj=handle, arcname=arcname)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mode = 0o600
        reader = _HashingReader(handle)
        tar.addfile(info, reader)
    files[arcname] = {"sha256": reader.sha.hexdigest(), "size": info.size}


def _media_files(root: Path) -> Iterator[tuple[Path, str]]:
    if not root.is_dir():
        return
    for directory, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(directory) / name
            if path.is_file() and not path.is_symlink():
                yield path, MEDIA_PREFIX + path.relative_to(root).as_posix()


@contextlib.contextmanager
def _database_snapshot(alias: str, workdir: Path) -> Iterator[tuple[Path, str, dict, list]]:
    """The database copied to a file in `workdir`, with its row counts and migrations, all from
    one consistent snapshot taken while others keep writing."""
    vendor = _vendor(alias)
    if vendor == "sqlite":
        target = workdir / SQLITE_NAME
        if not _sqlite_path(alias).is_file():
            raise BackupError(_("There is no database at %(path)s.") % {"path": _sqlite_path(alias)})
        copy = sqlite3.connect(target)
        try:
            source = sqlite3.connect(f"file:{_sqlite_path(alias)}?mode=ro", uri=True, timeout=60)
            try:
                # pages=-1: the whole database in one step, under one read snapshot (WAL lets the
                # app keep writing meanwhile); page by page, concurrent writes restart the copy.
                source.backup(copy, pages=-1)
            finally:
                source.close()
        except sqlite3.Error as exc:
            copy.close()
            raise BackupError(_("The database cannot be read: %(error)s") % {"error": exc}) from None
        try:
            copy.execute("PRAGMA journal_mode=DELETE")
            integrity = ", ".join(r[0] for r in copy.execute("PRAGMA integrity_check"))
            if integrity != "ok":
                raise BackupError(
                    _("The database fails its integrity check: %(result)s") % {"result": integrity}
                )
            counts, migrations = _sqlite_counts(copy), _sqlite_migrations(copy)
        finally:
            copy.close()
        yield target, vendor, counts, migrations
        return
    if vendor != "postgresql":
        raise BackupError(_("Only SQLite and PostgreSQL databases can be backed up."))
    pg_dump = _pg_tool("pg_dump")
    target = workdir / PG_NAME
    connection = connections[alias]
    connection.ensure_connection()
    # One repeatable-read transaction exports its snapshot to pg_dump and counts rows in it.
    previous_autocommit = connection.get_autocommit()
    connection.set_autocommit(False)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            _run_pg(
                [
                    pg_dump,
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    f"--file={target}",
                ],
                alias,
            )
        counts, migrations = _django_counts(alias), _django_migrations(alias)
    finally:
        connection.rollback()
        connection.set_autocommit(previous_autocommit)
    yield target, vendor, counts, migrations


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("adolat")
    except PackageNotFoundError:
        return "unknown"


def default_name() -> str:
    return f"adolat-{timezone.now():%Y%m%d-%H%M%S}.adolat-backup"


def create(path: str | Path, *, passphrase: str, alias: str = "default") -> Summary:
    """Write an encrypted backup of the database and MEDIA_ROOT to `path` (a file, or a folder to
    put a dated file in). The file appears only once complete."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise BackupError(
            _("The passphrase is too short: use at least %(n)s characters.") % {"n": MIN_PASSPHRASE}
        )
    path = Path(path)
    if path.is_dir():
        path = path / default_name()
    if path.exists():
        raise BackupError(_("%(path)s already exists; choose another name.") % {"path": path})
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    files: dict[str, dict] = {}
    with (
        tempfile.TemporaryDirectory(prefix="adolat-backup-", dir=path.parent) as work,
        _database_snapshot(alias, Path(work)) as (db_file, vendor, counts, migrations),
    ):
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as raw:
                sealed = EncryptingWriter(raw, passphrase)
                # mtime 0: the archive says when it was made in its manifest only.
                with (
                    gzip.GzipFile(
                        fileobj=sealed, mode="wb", compresslevel=COMPRESSION_LEVEL, mtime=0
                    ) as packed,
                    tarfile.open(fileobj=packed, mode="w|", format=tarfile.PAX_FORMAT) as tar,
                ):
                    _add_file(tar, db_file, db_file.name, files)
                    db_file.unlink()
                    for source, arcname in _media_files(Path(settings.MEDIA_ROOT)):
                        _add_file(tar, source, arcname, files)
                    manifest = {
                        "format": FORMAT_VERSION,
                        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                        "adolat_version": _version(),
                        "database": {"vendor": vendor, "file": db_file.name},
                        "tables": counts,
                        "migrations": migrations,
                        "files": files,
                    }
                    data = json.dumps(manifest, indent=1, sort_keys=True).encode()
                    info = tarfile.TarInfo(MANIFEST)
                    info.size, info.mode = len(data), 0o600
                    tar.addfile(info, io.BytesIO(data))
                sealed.finish()
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(partial, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
            raise
    total = path.stat().st_size
    media = sum(1 for name in files if name.startswith(MEDIA_PREFIX))
    return Summary(path=path, vendor=vendor, tables=counts, files=media, bytes=total)


# --- Restore --------------------------------------------------------------------------------------


def _safe_member(name: str) -> bool:
    pure = PurePosixPath(name)
    return (
        not pure.is_absolute()
        and ".." not in pure.parts
        and (name in (MANIFEST, SQLITE_NAME, PG_NAME) or name.startswith(MEDIA_PREFIX))
    )


# What reading a damaged archive raises (gzip.BadGzipFile is an OSError; other OSErrors, a full
# disk, are not the archive's fault and are raised as they are).
_DAMAGED = (
    tarfile.TarError,
    json.JSONDecodeError,
    UnicodeDecodeError,
    EOFError,
    zlib.error,
    gzip.BadGzipFile,
)


def _unpack(archive: Path, passphrase: str, staging: Path) -> dict:
    """Decrypt and unpack into `staging`; the manifest, once every file matches it."""
    seen: dict[str, dict] = {}
    manifest = None
    try:
        with open(archive, "rb") as raw:
            decrypted = DecryptingReader(raw, passphrase)
            version = decrypted.version
            reader = io.BufferedReader(decrypted, buffer_size=CHUNK)
            plain = gzip.GzipFile(fileobj=reader, mode="rb") if version >= 2 else reader
            with tarfile.open(fileobj=plain, mode="r|") as tar:
                for member in tar:
                    if not member.isfile() or not _safe_member(member.name) or member.name in seen:
                        raise BackupError(_("The backup is damaged or has been altered."))
                    source = tar.extractfile(member)
                    if member.name == MANIFEST:
                        manifest = json.loads(source.read(64 * 1024 * 1024))
                        continue
                    target = staging / member.name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    sha = hashlib.sha256()
                    with open(target, "wb") as out:
                        while block := source.read(CHUNK):
                            sha.update(block)
                            out.write(block)
                    seen[member.name] = {"sha256": sha.hexdigest(), "size": member.size}
            # Read to the end, so that a cut-off or extended archive is noticed too (and the end of
            # the compressed stream, where gzip checks what it gave).
            while plain.read(CHUNK):
                pass
            while reader.read(CHUNK):
                pass
    except _DAMAGED:
        raise BackupError(_("The backup is damaged or has been altered.")) from None
    if not isinstance(manifest, dict) or manifest.get("format") != version:
        raise BackupError(_("The backup has no manifest it can be checked against."))
    if manifest.get("files") != seen:
        raise BackupError(_("The files in the backup do not match their checksums in its manifest."))
    return manifest


def _instance_is_empty(alias: str) -> list[str]:
    """Why the instance is not empty; empty means: no key table holds a row and MEDIA_ROOT holds
    no file. (Tables created by `migrate` with the shipped vocabularies do not count.)"""
    reasons = []
    connection = connections[alias]
    if connection.vendor == "sqlite" and not _sqlite_path(alias).exists():
        tables: set[str] = set()
    else:
        with connection.cursor() as cursor:
            tables = set(connection.introspection.table_names(cursor))
            for table in KEY_TABLES:
                if table in tables:
                    cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")  # noqa: S608
                    if cursor.fetchone():
                        reasons.append(_("the table %(table)s holds rows") % {"table": table})
    if any(True for _file in _media_files(Path(settings.MEDIA_ROOT))):
        reasons.append(_("%(path)s holds files") % {"path": settings.MEDIA_ROOT})
    return reasons


def _install_sqlite(staged: Path, alias: str) -> None:
    target = _sqlite_path(alias)
    connections[alias].close()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=".restore-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out, open(staged, "rb") as source:
            shutil.copyfileobj(source, out, CHUNK)
            out.flush()
            os.fsync(out.fileno())
        for suffix in ("-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                Path(f"{target}{suffix}").unlink()
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _install_postgresql(staged: Path, alias: str) -> None:
    pg_restore = _pg_tool("pg_restore")
    connection = connections[alias]
    with connection.cursor() as cursor:
        has_tables = bool(connection.introspection.table_names(cursor))
    connection.close()
    args = [pg_restore, "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error"]
    if has_tables:  # a migrated but empty instance: its tables are replaced by the backup's
        args += ["--clean", "--if-exists"]
    _run_pg([*args, f"--dbname={settings.DATABASES[alias]['NAME']}", str(staged)], alias)


def _install_media(staging: Path) -> None:
    root = Path(settings.MEDIA_ROOT)
    source_root = staging / "media"
    for source, _arcname in _media_files(source_root):
        target = root / source.relative_to(source_root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(source, target)


def restore(
    path: str | Path,
    *,
    passphrase: str,
    alias: str = "default",
    progress: Callable[[str], None] = lambda _message: None,
) -> Summary:
    """Restore a backup into an empty instance and verify it. Nothing is written to the database
    or MEDIA_ROOT before the whole archive has decrypted and every checksum matched."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(_("%(path)s is not a file.") % {"path": path})
    try:
        reasons = _instance_is_empty(alias)
    except DatabaseError as exc:
        raise BackupError(_("The database cannot be reached: %(error)s") % {"error": exc}) from None
    if reasons:
        raise BackupError(
            _("This instance is not empty (%(reasons)s); restore only into a new, empty instance.")
            % {"reasons": "; ".join(reasons)}
        )
    vendor = _vendor(alias)
    staging_parent = Path(settings.MEDIA_ROOT).parent
    staging_parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="adolat-restore-", dir=staging_parent) as work:
        staging = Path(work)
        progress(_("Decrypting and checking %(path)s…") % {"path": path})
        manifest = _unpack(path, passphrase, staging)
        db = manifest["database"]
        if db.get("vendor") != vendor:
            raise BackupError(
                _("The backup is of a %(backup)s database; this instance uses %(instance)s.")
                % {"backup": db.get("vendor"), "instance": vendor}
            )
        staged_db = staging / db["file"]
        if vendor == "sqlite":
            # Its checksum matched, and the copy passed the integrity check when it was backed up;
            # verify() checks the installed file again.
            progress(_("Restoring the database…"))
            _install_sqlite(staged_db, alias)
        else:
            progress(_("Restoring the database…"))
            _install_postgresql(staged_db, alias)
        progress(_("Restoring the files…"))
        _install_media(staging)
    progress(_("Verifying…"))
    return verify(manifest, path=path, alias=alias)


def verify(manifest: dict, *, path: Path, alias: str = "default") -> Summary:
    """Compare the restored instance with the manifest: database integrity, row counts per table,
    migrations, and the checksum of every file under MEDIA_ROOT."""
    problems = []
    vendor = _vendor(alias)
    connections[alias].close()
    if vendor == "sqlite":
        result = _sqlite_integrity(_sqlite_path(alias))
        if result != "ok":
            problems.append(_("integrity check: %(result)s") % {"result": result})
    if vendor == "sqlite":
        conn = sqlite3.connect(_sqlite_path(alias))
        try:
            counts, migrations = _sqlite_counts(conn), _sqlite_migrations(conn)
        finally:
            conn.close()
    else:
        counts, migrations = _django_counts(alias), _django_migrations(alias)
        # pg_restore re-creates every constraint, checking the rows; none may be left unchecked.
        with connections[alias].cursor() as cursor:
            cursor.execute(
                "SELECT conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
                "WHERE n.nspname = current_schema() AND NOT c.convalidated"
            )
            unchecked = [name for (name,) in cursor.fetchall()]
        if unchecked:
            problems.append(
                _("constraints not validated: %(names)s") % {"names": ", ".join(sorted(unchecked))}
            )
    for table, expected in sorted(manifest["tables"].items()):
        found = counts.get(table)
        if found != expected:
            problems.append(
                _("table %(table)s: %(found)s rows, the backup has %(expected)s")
                % {"table": table, "found": "—" if found is None else found, "expected": expected}
            )
    if migrations != manifest["migrations"]:
        problems.append(_("the applied migrations differ from the backup's"))
    media = {name: meta for name, meta in manifest["files"].items() if name.startswith(MEDIA_PREFIX)}
    root = Path(settings.MEDIA_ROOT)
    for name, meta in sorted(media.items()):
        target = root / name[len(MEDIA_PREFIX) :]
        if not target.is_file() or _sha256(target) != meta["sha256"]:
            problems.append(_("file %(name)s is missing or differs") % {"name": name})
    return Summary(
        path=path,
        vendor=vendor,
        tables=counts,
        files=len(media),
        bytes=path.stat().st_size,
        problems=problems,
    )


def _sha256(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK):
            sha.update(block)
    return sha.hexdigest()
