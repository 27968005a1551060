"""`AUTHOR_PASSWORD=... manage.py create_author USERNAME --email EMAIL` (or asked for at the terminal)."""
from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from config.passwords import password_read, password_refused
from publishing.services import author_create


class Command(BaseCommand):
    help = "Create an author account (and emit author.registered). The password comes from the environment or a prompt."

    def add_arguments(self, parser) -> None:
        parser.allow_abbrev = False  # or the old `--password VALUE` would pass as an abbreviated --password-env
        parser.add_argument("username")
        parser.add_argument("--email", required=True)
        parser.add_argument("--display-name", default="")
        parser.add_argument("--password-env", default="AUTHOR_PASSWORD", metavar="NAME",
                            help="environment variable holding the password (default AUTHOR_PASSWORD); "
                                 "unset, the password is asked for twice")

    def handle(self, *args, username: str, email: str, display_name: str, password_env: str, **options) -> None:
        if User.objects.filter(username=username).exists():
            raise CommandError(f"a user named {username!r} already exists")
        password = password_read(env_var=password_env)
        try:
            author = author_create(username=username, email=email, password=password, display_name=display_name)
        except ValidationError as exc:
            raise password_refused(exc) from None
        self.stdout.write(f"author {author.user.username} created (id {author.pk})")
