"""``manage.py backup`` and ``restore``: real round trips on SQLite and PostgreSQL, run as an operator would.

Every command runs in a ``manage.py`` subprocess on the production settings, against databases
made for the test: a source migrated and filled with the desk's real services (a published and a
retracted verdict with their history, a snapshot of known bytes), and empty targets.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest
from django.conf import settings

from factcheck.backup import _atomic_file

ROOT = Path(__file__).resolve().parent.parent.parent
BODY = bytes(range(256)) * 64 + "<p>Le pont a coûté 40 millions ✓</p>".encode()
BODY_SHA = hashlib.sha256(BODY).hexdigest()

FILL = f"""
import gzip, hashlib
from claims.models import Snapshot
from tests.factories import CitationFactory
from tests.reviews.desk import claim_in_state, desk

BODY = bytes.fromhex({BODY.hex()!r})
team = desk()
published = claim_in_state("published", team, text="The bridge cost 40 million euros.")
claim_in_state("retracted", team, text="Unemployment halved in a year.")
claim_in_state("dismissed", team)
claim_in_state("new", team, text="Une affirmation en français, avec des accents : é, ç, ✓.", language="fr")
source = CitationFactory(claim=published).source
Snapshot.objects.create(
    source=source, http_status=200, final_url=source.canonical_url, content_type="text/html",
    headers={{"content-type": "text/html"}}, raw_gzip=gzip.compress(BODY), raw_size=len(BODY),
    sha256=hashlib.sha256(BODY).hexdigest(), title="The bridge",
)
"""

# Every row of every table of the project's models (and users), bytes as their sha256.
DUMP = """
import hashlib, json
from django.apps import apps
from django.contrib.auth import get_user_model
from claims.models import Snapshot

def plain(value):
    if isinstance(value, (bytes, memoryview)):
        return "sha256:" + hashlib.sha256(bytes(value)).hexdigest()
    return value if isinstance(value, (int, float, str, bool, list, dict, type(None))) else str(value)

models = [*apps.get_app_config("claims").get_models(include_auto_created=True),
          *apps.get_app_config("reviews").get_models(include_auto_created=True), get_user_model()]
tables = {m._meta.db_table: [{k: plain(v) for k, v in row.items()} for row in m._base_manager.order_by("pk").values()]
          for m in models}
snapshots = [[s.pk, hashlib.sha256(s.raw).hexdigest()] for s in Snapshot.objects.order_by("pk")]
print(json.dumps({"tables": tables, "snapshots": snapshots}, sort_keys=True))
"""


def manage(database_url: str, *args: str, ok: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
    """``manage.py ARGS`` on the production settings against ``database_url``."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST_", "CELERY_", "FETCH_", "DATABASE_", "VAR_DIR", "TEST_"))
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="factcheck.settings",
        DATABASE_URL=database_url,
        DATABASE_POOL="false",
        VAR_DIR=os.environ["VAR_DIR"],
        CELERY_BROKER_URL="memory://localhost/",
        LOG_LEVEL="WARNING",
    )
    environment.update(env)
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if ok:
        assert done.returncode == 0, f"manage.py {args[0]} failed:\n{done.stdout}\n{done.stderr}"
    else:
        assert done.returncode != 0, f"manage.py {args[0]} should have failed:\n{done.stdout}"
    return done


def shell_json(database_url: str, code: str) -> object:
    """What ``code`` prints as JSON on its last line (the shell may print a line of its own first)."""
    return json.loads(manage(database_url, "shell", "-c", code).stdout.strip().splitlines()[-1])


def dump(database_url: str) -> dict:
    return shell_json(database_url, DUMP)


def table_names(database_url: str) -> list[str]:
    code = "import json; from django.db import connection; print(json.dumps(connection.introspection.table_names()))"
    return shell_json(database_url, code)


@dataclass
class Source:
    url: str
    contents: dict  # DUMP of the source


def source_fill(url: str) -> Source:
    manage(url, "migrate", "--noinput", "-v", "0")
    manage(url, "shell", "-c", FILL)
    contents = dump(url)
    tables = contents["tables"]
    assert contents["snapshots"][0][1] == BODY_SHA
    assert any(v["published_at"] for v in tables["reviews_verdict"])
    assert len(tables["claims_claim"]) == 4 and len(tables["reviews_workflowevent"]) >= 6
    assert tables["reviews_verdictversion"] and tables["auth_user"]
    return Source(url, contents)


def assert_round_trip(source: Source, target_url: str, archive: Path) -> None:
    backup = manage(source.url, "backup", str(archive))
    assert f"Wrote {archive}" in backup.stdout
    assert not [p.name for p in archive.parent.iterdir() if p.name.startswith(".")], "temporary files left behind"
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
    assert names[0] == "manifest.json" and manifest["database"] in names
    assert manifest["row_counts"]["claims_snapshot"] == 1
    assert manifest["row_counts"]["claims_claim"] == 4
    assert "0007_writers" in manifest["migrations"]["reviews"]

    restore = manage(target_url, "restore", str(archive))
    assert "1 snapshots" in restore.stdout
    assert f"{len(manifest['row_counts'])} tables, {sum(manifest['row_counts'].values())} rows" in restore.stdout
    assert "migrate" not in restore.stdout  # nothing pending for an archive of this code

    restored = dump(target_url)
    assert restored == source.contents  # claims, verdicts, their versions and events, users: every row
    assert restored["snapshots"][0][1] == BODY_SHA
    manage(target_url, "migrate", "--check")  # a no-op: the archive's migrations are this code's


def tampered(archive: Path, dest: Path) -> Path:
    """A copy of the (uncompressed) archive with one byte of the database member changed."""
    data = bytearray(archive.read_bytes())
    with tarfile.open(archive) as tar:
        member = next(m for m in tar if m.name.startswith("database."))
    data[member.offset_data + member.size // 2] ^= 0xFF
    dest.write_bytes(data)
    return dest


# --------------------------------------------------------------------------- SQLite


@pytest.fixture(scope="module")
def sqlite_source(tmp_path_factory) -> Source:
    return source_fill(f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'source.sqlite3'}")


@pytest.fixture(scope="module")
def sqlite_archive(sqlite_source, tmp_path_factory) -> Path:
    """An uncompressed archive of the SQLite source."""
    archive = tmp_path_factory.mktemp("sqlite-archive") / "backup.tar"
    manage(sqlite_source.url, "backup", str(archive))
    return archive


def test_sqlite_round_trip(sqlite_source, tmp_path):
    target = tmp_path / "restored.sqlite3"
    (tmp_path / "archives").mkdir()
    assert_round_trip(sqlite_source, f"sqlite:///{target}", tmp_path / "archives" / "backup.tar.gz")
    with gzip.open(tmp_path / "archives" / "backup.tar.gz") as compressed:
        assert compressed.read(1)  # .gz names get a gzip archive


def test_restore_refuses_a_non_empty_database_and_changes_nothing(sqlite_source, sqlite_archive):
    refused = manage(sqlite_source.url, "restore", str(sqlite_archive), ok=False)
    assert "CommandError" in refused.stderr and "is not empty" in refused.stderr
    assert dump(sqlite_source.url) == sqlite_source.contents


def test_restore_refuses_a_tampered_archive_before_touching_the_database(sqlite_archive, tmp_path):
    target = tmp_path / "target.sqlite3"
    refused = manage(f"sqlite:///{target}", "restore", str(tampered(sqlite_archive, tmp_path / "bad.tar")), ok=False)
    assert "is damaged: the sha256 of database.sqlite3 does not match the manifest" in refused.stderr
    assert not target.exists()


def test_restore_refuses_a_truncated_archive(sqlite_archive, tmp_path):
    cut = tmp_path / "cut.tar"
    cut.write_bytes(sqlite_archive.read_bytes()[: sqlite_archive.stat().st_size // 2])
    target = tmp_path / "target.sqlite3"
    refused = manage(f"sqlite:///{target}", "restore", str(cut), ok=False)
    assert "CommandError" in refused.stderr and "damaged or truncated" in refused.stderr
    assert not target.exists()


def test_missing_files_are_clear_errors(sqlite_source, tmp_path):
    target = tmp_path / "target.sqlite3"
    missing = manage(f"sqlite:///{target}", "restore", str(tmp_path / "nope.tar.gz"), ok=False)
    assert f"CommandError: No archive at {tmp_path / 'nope.tar.gz'}" in missing.stderr
    assert not target.exists()
    nowhere = manage(sqlite_source.url, "backup", str(tmp_path / "no-such-dir" / "b.tar"), ok=False)
    assert "the directory" in nowhere.stderr and "does not exist" in nowhere.stderr


def test_an_interrupted_write_leaves_no_archive_and_the_earlier_one_intact(tmp_path):
    archive = tmp_path / "backup.tar"
    archive.write_bytes(b"yesterday's archive")
    with pytest.raises(KeyboardInterrupt), _atomic_file(archive) as out:
        out.write(b"half an archive")
        raise KeyboardInterrupt
    assert archive.read_bytes() == b"yesterday's archive"
    assert [p.name for p in tmp_path.iterdir()] == ["backup.tar"]


# --------------------------------------------------------------------------- PostgreSQL


class PostgresServer:
    """Databases of their own on the test server, dropped at the end."""

    def __init__(self) -> None:
        self.parsed = urlparse(settings.TEST_DATABASE_URL)
        self.created: list[str] = []

    def _admin(self):
        import psycopg

        return psycopg.connect(
            host=self.parsed.hostname or "127.0.0.1",
            port=self.parsed.port or 5432,
            user=self.parsed.username or "postgres",
            password=self.parsed.password,
            dbname="postgres",
            autocommit=True,
        )

    def create(self, role: str) -> str:
        name = f"fc_backup_{role}_{uuid.uuid4().hex[:10]}"
        with self._admin() as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return urlunparse(self.parsed._replace(path=f"/{name}"))

    def drop_all(self) -> None:
        with self._admin() as admin:
            for name in self.created:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer()
    yield server
    server.drop_all()


@pytest.fixture(scope="module")
def pg_source(postgres) -> Source:
    return source_fill(postgres.create("src"))


@pytest.mark.integration
def test_postgres_round_trip(pg_source, postgres, tmp_path):
    assert_round_trip(pg_source, postgres.create("dst"), tmp_path / "backup.tar")


@pytest.mark.integration
def test_postgres_restore_refuses_a_non_empty_database(pg_source, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    manage(pg_source.url, "backup", str(archive))
    refused = manage(pg_source.url, "restore", str(archive), ok=False)
    assert "is not empty" in refused.stderr and "nothing was changed" in refused.stderr
    assert dump(pg_source.url) == pg_source.contents


@pytest.mark.integration
def test_postgres_refuses_an_archive_of_another_database_vendor(sqlite_archive, postgres):
    target = postgres.create("dst")
    refused = manage(target, "restore", str(sqlite_archive), ok=False)
    assert "is a sqlite archive and this database is postgresql" in refused.stderr
    assert table_names(target) == []


@pytest.mark.integration
def test_postgres_missing_client_names_the_package(pg_source, tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    missing = manage(pg_source.url, "backup", str(tmp_path / "b.tar"), ok=False, PATH=str(empty))
    assert "pg_dump is not installed" in missing.stderr and "postgresql-client" in missing.stderr
    assert list(tmp_path.iterdir()) == [empty]


@pytest.mark.integration
def test_postgres_failed_dump_reports_stderr_and_leaves_the_earlier_archive(pg_source, tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "pg_dump").write_text('#!/bin/sh\necho "pg_dump: error: connection to server lost" >&2\nexit 1\n')
    (fake / "pg_dump").chmod(0o755)
    archive = tmp_path / "backup.tar"
    archive.write_bytes(b"yesterday's archive")
    failed = manage(pg_source.url, "backup", str(archive), ok=False, PATH=f"{fake}:{os.environ['PATH']}")
    assert "pg_dump failed (exit status 1): pg_dump: error: connection to server lost" in failed.stderr
    assert archive.read_bytes() == b"yesterday's archive"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backup.tar", "bin"]
