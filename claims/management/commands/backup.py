"""``manage.py backup FILE``: the whole database in one archive file (see ``factcheck.backup``)."""

from django.core.management.base import BaseCommand, CommandError

from factcheck.backup import BackupError, backup_write


class Command(BaseCommand):
    help = (
        "Write a backup of the database named by DATABASE_URL to FILE: one tar archive (gzip-compressed when FILE "
        "ends with .gz) holding manifest.json and a pg_dump (PostgreSQL) or a consistent SQLite copy. Safe while "
        "the app runs. The archive is written beside FILE and renamed onto it when complete, replacing any "
        "earlier FILE. It holds password and key hashes: keep it private. Restore with `manage.py restore FILE`."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE", help="The archive to write, e.g. backup-2024-05-01.tar.gz.")

    def handle(self, *args, file: str, **options):
        try:
            manifest = backup_write(file)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        migrations = sum(len(names) for names in manifest.migrations.values())
        self.stdout.write(
            f"Wrote {file}: {manifest.vendor}, {len(manifest.row_counts)} tables, {manifest.rows} rows, "
            f"{migrations} migrations applied."
        )
