"""``manage.py restore FILE``: an archive of ``manage.py backup`` into an empty database."""

from django.core.management.base import BaseCommand, CommandError

from factcheck.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore an archive written by `manage.py backup` into the database named by DATABASE_URL, which must be "
        "new and empty (the restore refuses otherwise and changes nothing), of the archive's kind (PostgreSQL or "
        "SQLite). Every member's sha256 is checked first, and the restored row counts against the archive's. "
        "PostgreSQL needs pg_restore (package postgresql-client). Restoring an archive made by older code into "
        "newer code needs `manage.py migrate` afterwards; for an archive of the same code version it is a no-op."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE", help="The archive to restore.")

    def handle(self, *args, file: str, **options):
        try:
            summary = backup_restore(file)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = summary.manifest
        self.stdout.write(
            f"Restored {file} (made {manifest.created_at} with Django {manifest.django_version}): "
            f"{summary.tables} tables, {summary.rows} rows, {summary.snapshots} snapshots."
        )
        if summary.pending_migrations:
            self.stdout.write(
                self.style.WARNING(
                    f"The archive predates {len(summary.pending_migrations)} migrations of this code "
                    f"({', '.join(summary.pending_migrations)}): run `manage.py migrate` now."
                )
            )
        if summary.unknown_migrations:
            self.stdout.write(
                self.style.WARNING(
                    f"The archive has migrations this code does not know ({', '.join(summary.unknown_migrations)}): "
                    "it was made by newer code; run that code against this database."
                )
            )
