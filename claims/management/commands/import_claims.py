import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from claims.intake.importing import rows_from_file
from claims.intake.services import claims_import
from claims.intake.validation import InvalidInput


class Command(BaseCommand):
    help = "Import claims from a CSV or JSON file; prints a per-row report as JSON lines."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path to a .csv or .json file ('-' for standard input, CSV or JSON).")

    def handle(self, *args, file: str, **options):
        if file == "-":
            import sys

            data, name = sys.stdin.buffer.read(), ""
        else:
            path = Path(file)
            if not path.is_file():
                raise CommandError(f"No such file: {file}")
            data, name = path.read_bytes(), path.name
        try:
            rows = rows_from_file(data, name=name)
        except InvalidInput as exc:
            raise CommandError(" ".join(" ".join(map(str, msgs)) for msgs in exc.fields.values())) from exc
        reports = claims_import(rows)
        for report in reports:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
        counts = {status: sum(r.status == status for r in reports) for status in ("created", "duplicate", "error")}
        self.stderr.write(
            f"{len(reports)} rows: {counts['created']} created, {counts['duplicate']} duplicates, {counts['error']} errors"
        )
