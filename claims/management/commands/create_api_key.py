from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from claims.intake.keys import api_key_create, api_scopes
from claims.intake.validation import InvalidInput


class Command(BaseCommand):
    help = "Create an API key. The key is printed alone on the last line; it is not stored and cannot be shown again."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="What the key is for, e.g. 'partner newsroom'.")
        parser.add_argument("--scopes", required=True, help=f"Comma-separated, from: {', '.join(api_scopes())}.")
        parser.add_argument("--user", help="Username the key acts as (needed for user-bound scopes such as review).")

    def handle(self, *args, name: str, scopes: str, user: str | None, **options):
        owner = None
        if user:
            try:
                owner = get_user_model().objects.get_by_natural_key(user)
            except get_user_model().DoesNotExist as exc:
                raise CommandError(f"No user named {user!r}.") from exc
        try:
            key, raw = api_key_create(name=name, scopes=[s.strip() for s in scopes.split(",") if s.strip()], user=owner)
        except InvalidInput as exc:
            raise CommandError("; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.fields.items())) from exc
        self.stderr.write(f"Created key {key.name!r} ({key.prefix}) with scopes {', '.join(key.scopes)}.")
        self.stdout.write(raw)
