"""Backup and restore of the whole desk as one archive file (``manage.py backup`` / ``restore``).

An archive is a tar file (gzip-compressed when its name ends with ``.gz`` or ``.tgz``) holding
``manifest.json`` and the database: ``database.pgdump`` (``pg_dump --format=custom``) on
PostgreSQL, ``database.sqlite3`` (a copy made with SQLite's backup API) on SQLite. Snapshots of
cited pages live in the database (``Snapshot.raw_gzip``), and no model has a FileField, so
there is nothing else to archive: ``backup_write`` refuses to run if a FileField ever appears,
rather than write an archive without its files.

The manifest records when and from what the archive was made, the migrations applied, the row
count of every table of the project's models, and the sha256 of every other member. The
counts are taken from the same snapshot of the database as the dump, so ``backup_restore`` can
insist that the restored database holds exactly as many rows.

This module sits below the apps (see ``.importlinter``): it finds their models through
``django.apps``, never by importing them.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import django
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import Error as DatabaseError
from django.db import connection, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PG_MEMBER = "database.pgdump"
SQLITE_MEMBER = "database.sqlite3"
PROJECT_APPS = ("claims", "reviews")
CLIENT_PACKAGE = "postgresql-client"
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
STDERR_TAIL = 4000
# libpq environment variables for the connection OPTIONS that pg_dump and pg_restore must share.
PG_OPTION_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class Manifest:
    """What ``manifest.json`` says about an archive."""

    vendor: str
    database: str  # the member holding the database
    migrations: dict[str, list[str]]
    row_counts: dict[str, int]
    members: dict[str, dict[str, Any]]  # name -> {"sha256": ..., "size": ...}
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    django_version: str = django.get_version()
    format_version: int = FORMAT_VERSION

    @property
    def rows(self) -> int:
        return sum(self.row_counts.values())

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        try:
            data = json.loads(raw)
            version = data["format_version"]
            if not isinstance(version, int) or version > FORMAT_VERSION:
                raise BackupError(
                    f"The archive has format version {version}; this code reads up to {FORMAT_VERSION}. "
                    "Restore it with the newer code that wrote it."
                )
            return cls(
                vendor=str(data["vendor"]),
                database=str(data["database"]),
                migrations={str(app): [str(n) for n in names] for app, names in data["migrations"].items()},
                row_counts={str(table): int(count) for table, count in data["row_counts"].items()},
                members={str(name): dict(info) for name, info in data["members"].items()},
                created_at=str(data["created_at"]),
                django_version=str(data["django_version"]),
                format_version=version,
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BackupError(f"{MANIFEST} is damaged or not a factcheck manifest: {exc!r}") from exc


@dataclass(frozen=True)
class Summary:
    """What a restore brought back."""

    manifest: Manifest
    tables: int
    rows: int
    snapshots: int
    pending_migrations: list[str]  # this code's migrations the archive did not have applied
    unknown_migrations: list[str]  # the archive's migrations this code does not know


# --------------------------------------------------------------------------- backup


def backup_write(path: str | os.PathLike[str]) -> Manifest:
    """Write an archive of the default database to ``path``; only a complete archive ever appears there."""
    target = Path(path)
    directory = target.parent
    if target.is_dir():
        raise BackupError(f"{target} is a directory: give the archive's file name.")
    if not directory.is_dir():
        raise BackupError(f"Cannot write {target}: the directory {directory} does not exist.")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise BackupError(f"Cannot write {target}: the directory {directory} is not writable.")
    _refuse_file_fields()
    vendor = connection.vendor
    with _database_errors(), tempfile.TemporaryDirectory(dir=directory, prefix=f".{target.name}.") as work:
        if vendor == "postgresql":
            dump = Path(work) / PG_MEMBER
            migrations, counts = _pg_dump(dump)
        elif vendor == "sqlite":
            dump = Path(work) / SQLITE_MEMBER
            migrations, counts = _sqlite_copy(dump)
        else:
            raise BackupError(f"Backup supports PostgreSQL and SQLite, not {vendor}.")
        manifest = Manifest(
            vendor=vendor,
            database=dump.name,
            migrations=migrations,
            row_counts=counts,
            members={dump.name: {"sha256": _sha256_file(dump), "size": dump.stat().st_size}},
        )
        with _atomic_file(target) as out:
            mode = "w:gz" if target.name.endswith((".gz", ".tgz")) else "w"
            with tarfile.open(fileobj=out, mode=mode) as tar:
                _tar_add_bytes(tar, MANIFEST, manifest.to_json())
                info = tar.gettarinfo(str(dump), arcname=dump.name)
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                info.mode = 0o600
                with dump.open("rb") as member:
                    tar.addfile(info, member)
    return manifest


def _refuse_file_fields() -> None:
    fields = [
        f"{model._meta.label}.{f.name}"
        for model in _project_models()
        for f in model._meta.get_fields()
        if isinstance(f, models.FileField)
    ]
    if fields:
        raise BackupError(f"Backup does not archive uploaded files yet, and these fields hold some: {fields}.")


def _pg_dump(dump: Path) -> tuple[dict[str, list[str]], dict[str, int]]:
    """Dump the database from an exported snapshot, and count its rows in that same snapshot."""
    binary = _pg_binary("pg_dump")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        migrations = _applied_migrations(cursor)
        counts = _row_counts(cursor, _tables_to_count(), connection.ops.quote_name)
        args = [binary, "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}"]
        name = str(settings.DATABASES["default"]["NAME"])
        _run([*args, f"--file={dump}", *_pg_connection_args(), "--dbname", name], what="pg_dump")
    return migrations, counts


def _sqlite_copy(copy: Path) -> tuple[dict[str, list[str]], dict[str, int]]:
    """Copy the database with SQLite's backup API (consistent while the app writes), then count the copy."""
    name = _sqlite_path()
    if not name.is_file():
        raise BackupError(f"The SQLite database {name} does not exist.")
    source = sqlite3.connect(name, timeout=float(settings.DATABASES["default"].get("OPTIONS", {}).get("timeout", 20)))
    try:
        dest = sqlite3.connect(copy)
        try:
            source.backup(dest)  # one step: a single read transaction, so one consistent state
            dest.execute("PRAGMA journal_mode=DELETE")  # a self-contained file, without -wal
            cursor = dest.cursor()
            migrations = _applied_migrations(cursor)
            counts = _row_counts(cursor, _tables_to_count(), _sqlite_quote)
        finally:
            dest.close()
    except sqlite3.Error as exc:
        raise BackupError(f"Copying the SQLite database {name} failed: {exc}") from exc
    finally:
        source.close()
    return migrations, counts


def _applied_migrations(cursor: Any) -> dict[str, list[str]]:
    """The recorder's table, read through ``cursor`` so that it sees the same state as the dump."""
    table = MigrationRecorder.Migration._meta.db_table
    try:
        cursor.execute(f"SELECT app, name FROM {table} ORDER BY app, name")  # noqa: S608 - Django's own table
    except Exception as exc:
        raise BackupError(f"The database has no {table} table: run `manage.py migrate` first.") from exc
    applied: dict[str, list[str]] = {}
    for app, name in cursor.fetchall():
        applied.setdefault(app, []).append(name)
    return applied


# --------------------------------------------------------------------------- restore


def backup_restore(path: str | os.PathLike[str]) -> Summary:
    """Restore the archive at ``path`` into the default database, which must be empty."""
    source = Path(path)
    if not source.is_file():
        raise BackupError(f"No archive at {source}." if not source.exists() else f"{source} is not a file.")
    if not os.access(source, os.R_OK):
        raise BackupError(f"Cannot read {source}: permission denied.")
    with _database_errors(), tempfile.TemporaryDirectory(prefix="factcheck-restore-") as work:
        manifest, extracted = _archive_unpack(source, Path(work))
        vendor = connection.vendor
        if manifest.vendor != vendor:
            raise BackupError(
                f"{source} is a {manifest.vendor} archive and this database is {vendor}: restore it into a "
                f"{manifest.vendor} database (set DATABASE_URL)."
            )
        _refuse_non_empty()
        if vendor == "postgresql":
            _pg_restore(extracted[manifest.database])
        else:
            _sqlite_restore(extracted[manifest.database])
        return _restore_check(manifest)


def _archive_unpack(source: Path, work: Path) -> tuple[Manifest, dict[str, Path]]:
    """Read the manifest and unpack every member into ``work``, refusing anything the manifest does not vouch for."""
    raw_manifest: bytes | None = None
    found: dict[str, tuple[Path, str]] = {}
    try:
        with tarfile.open(source, mode="r:*") as tar:
            for member in tar:
                if not member.isfile():
                    raise BackupError(f"{source} holds {member.name!r}, which is not a regular file.")
                if member.name in found or (member.name == MANIFEST and raw_manifest is not None):
                    raise BackupError(f"{source} holds {member.name!r} twice.")
                stream = tar.extractfile(member)
                assert stream is not None
                if member.name == MANIFEST:
                    raw_manifest = stream.read(MAX_MANIFEST_BYTES + 1)
                    if len(raw_manifest) > MAX_MANIFEST_BYTES:
                        raise BackupError(f"{MANIFEST} in {source} is implausibly large.")
                    continue
                local = work / f"member-{len(found)}"  # never the member's own name: no path tricks
                with local.open("wb") as out:
                    found[member.name] = (local, _copy_hashing(stream, out))
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise BackupError(f"{source} is not a readable archive (damaged or truncated?): {exc}") from exc
    if raw_manifest is None:
        raise BackupError(f"{source} has no {MANIFEST}: it is not a factcheck backup.")
    manifest = Manifest.from_json(raw_manifest)
    unexpected = sorted(set(found) - set(manifest.members))
    missing = sorted(set(manifest.members) - set(found))
    if unexpected or missing:
        raise BackupError(f"{source} does not match its manifest: unexpected {unexpected}, missing {missing}.")
    for name, (_, digest) in found.items():
        if digest != manifest.members[name].get("sha256"):
            raise BackupError(f"{source} is damaged: the sha256 of {name} does not match the manifest.")
    if manifest.database not in found:
        raise BackupError(f"{source}'s manifest names no database member.")
    return manifest, {name: local for name, (local, _) in found.items()}


def _refuse_non_empty() -> None:
    tables = sorted(connection.introspection.table_names())
    if tables:
        shown = ", ".join(tables[:5]) + (", …" if len(tables) > 5 else "")
        raise BackupError(
            f"The database {_database_label()} is not empty ({len(tables)} tables: {shown}). "
            "Restore only into a new, empty database; nothing was changed."
        )


def _pg_restore(dump: Path) -> None:
    """Everything or nothing: one transaction, stopping at the first error."""
    binary = _pg_binary("pg_restore")
    # Only an extension's owner may comment on it: leave those comments out, so that a non-superuser can restore.
    listing = _run([binary, "--list", str(dump)], what="pg_restore --list")
    kept = [line for line in listing.splitlines() if " COMMENT - EXTENSION " not in line]
    toc = dump.with_suffix(".list")
    toc.write_text("\n".join(kept) + "\n")
    args = [binary, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", f"--use-list={toc}"]
    name = str(settings.DATABASES["default"]["NAME"])
    _run([*args, *_pg_connection_args(), "-d", name, str(dump)], what="pg_restore")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # pg_restore brings no planner statistics


def _sqlite_restore(copy: Path) -> None:
    target = _sqlite_path()
    connection.close()  # the emptiness check opened it; the backup API writes the file on its own connection
    try:
        source = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
        try:
            dest = sqlite3.connect(target, timeout=20)
            try:
                source.backup(dest)  # one step: one write transaction on the target
            finally:
                dest.close()
        finally:
            source.close()
    except sqlite3.Error as exc:
        raise BackupError(f"Restoring into the SQLite database {target} failed: {exc}") from exc


def _restore_check(manifest: Manifest) -> Summary:
    """Count the restored rows against the manifest, and compare the migrations with this code's."""
    present = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        counts = _row_counts(cursor, [t for t in manifest.row_counts if t in present], connection.ops.quote_name)
    wrong = {
        table: (expected, counts.get(table))
        for table, expected in manifest.row_counts.items()
        if counts.get(table) != expected
    }
    if wrong:
        details = ", ".join(f"{table}: {got} rows, manifest {expected}" for table, (expected, got) in wrong.items())
        raise BackupError(f"The restored database does not match the archive's row counts ({details}).")
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    known = set(executor.loader.disk_migrations)
    snapshot_table = apps.get_model("claims", "Snapshot")._meta.db_table
    return Summary(
        manifest=manifest,
        tables=len(manifest.row_counts),
        rows=manifest.rows,
        snapshots=manifest.row_counts.get(snapshot_table, 0),
        pending_migrations=[f"{m.app_label}.{m.name}" for m, _ in plan],
        unknown_migrations=[
            f"{app}.{name}"
            for app, names in manifest.migrations.items()
            for name in names
            if app in apps.app_configs and (app, name) not in known
        ],
    )


# --------------------------------------------------------------------------- shared


def _project_models() -> list[type[models.Model]]:
    found: list[type[models.Model]] = []
    for label in PROJECT_APPS:
        found.extend(apps.get_app_config(label).get_models(include_auto_created=True))
    found.append(get_user_model())
    return [m for m in found if m._meta.managed and not m._meta.proxy]


def _tables_to_count() -> list[str]:
    tables = sorted({model._meta.db_table for model in _project_models()})
    missing = sorted(set(tables) - set(connection.introspection.table_names()))
    if missing:
        raise BackupError(f"The database lacks tables of this code ({', '.join(missing)}): run `manage.py migrate`.")
    return tables


def _row_counts(cursor: Any, tables: list[str], quote: Any) -> dict[str, int]:
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 - table names come from the models
        counts[table] = int(cursor.fetchone()[0])
    return counts


def _sqlite_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_path() -> Path:
    name = str(settings.DATABASES["default"]["NAME"])
    if not name or name == ":memory:" or name.startswith("file:"):
        raise BackupError(f"Backup and restore need an SQLite database file, not {name!r}.")
    return Path(name)


def _database_label() -> str:
    conf = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        return str(conf["NAME"])
    return f"{conf['NAME']} on {conf.get('HOST') or 'localhost'}:{conf.get('PORT') or 5432}"


@contextlib.contextmanager
def _database_errors() -> Iterator[None]:
    try:
        yield
    except DatabaseError as exc:
        raise BackupError(f"Database error on {_database_label()}: {str(exc).strip() or exc!r}") from exc


def _pg_binary(name: str) -> str:
    binary = shutil.which(name)
    if binary is None:
        raise BackupError(f"{name} is not installed (or not on PATH): install the {CLIENT_PACKAGE} package.")
    return binary


def _pg_connection_args() -> list[str]:
    """libpq arguments for the default database's server; the password travels in PGPASSWORD (``_pg_env``)."""
    conf = settings.DATABASES["default"]
    args = []
    if conf.get("HOST"):
        args += ["--host", str(conf["HOST"])]
    if conf.get("PORT"):
        args += ["--port", str(conf["PORT"])]
    if conf.get("USER"):
        args += ["--username", str(conf["USER"])]
    return [*args, "--no-password"]


def _pg_env() -> dict[str, str]:
    conf = settings.DATABASES["default"]
    env = dict(os.environ)
    if conf.get("PASSWORD"):
        env["PGPASSWORD"] = str(conf["PASSWORD"])
    for option, variable in PG_OPTION_ENV.items():
        value = (conf.get("OPTIONS") or {}).get(option)
        if value is not None:
            env[variable] = str(value)
    return env


def _run(args: list[str], what: str) -> str:
    try:
        done = subprocess.run(args, env=_pg_env(), capture_output=True, text=True, check=False)
    except OSError as exc:
        raise BackupError(f"{what} could not be started: {exc}") from exc
    if done.returncode != 0:
        stderr = done.stderr.strip()[-STDERR_TAIL:] or "(no output)"
        raise BackupError(f"{what} failed (exit status {done.returncode}): {stderr}")
    return done.stdout


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_hashing(source: IO[bytes], out: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: source.read(1 << 20), b""):
        digest.update(chunk)
        out.write(chunk)
    return digest.hexdigest()


def _tar_add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(UTC).timestamp())
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


@contextlib.contextmanager
def _atomic_file(target: Path) -> Iterator[IO[bytes]]:
    """A temporary file beside ``target``, renamed onto it only once completely written and synced."""
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
