from django.core.management.base import BaseCommand, CommandError

from reviews.choices import Role
from reviews.people import user_add


class Command(BaseCommand):
    help = "Create or update a desk member with one role and their working languages."
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--languages", default="", help="Comma-separated language tags, e.g. en,fr (empty: any).")
        parser.add_argument(
            "--password-stdin", action="store_true", help="Read the password from the first line of standard input."
        )

    def handle(self, *args, username: str, role: str, languages: str, password_stdin: bool, **options):
        username = username.strip()
        if not username:
            raise CommandError("Give a username.")
        password = None
        if password_stdin:
            stdin = options.get("stdin") or self._stdin()
            password = stdin.readline().rstrip("\r\n")
            if not password:
                raise CommandError("--password-stdin was given but standard input held no password.")
        try:
            user = user_add(username, role, languages.split(","), password)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{user.get_username()}: {role}, languages: {languages or 'any'}.")
        if not user.has_usable_password():
            self.stdout.write(
                "This user has no usable password: run again with --password-stdin, or use changepassword."
            )

    @staticmethod
    def _stdin():
        import sys

        return sys.stdin
