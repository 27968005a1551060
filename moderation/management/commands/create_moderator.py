"""`MODERATOR_PASSWORD=... manage.py create_moderator USERNAME --email EMAIL` (or asked for at the terminal)."""
from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from config.passwords import password_read, password_refused
from moderation.services import moderation_admin_grant, moderator_create


class Command(BaseCommand):
    help = ("Create a moderator: a staff user in the moderators group (the review queue and the admin). "
            "The password comes from the environment or a prompt.")

    def add_arguments(self, parser) -> None:
        parser.allow_abbrev = False  # or the old `--password VALUE` would pass as an abbreviated --password-env
        parser.add_argument("username")
        parser.add_argument("--email", required=True)
        parser.add_argument("--password-env", default="MODERATOR_PASSWORD", metavar="NAME",
                            help="environment variable holding the password (default MODERATOR_PASSWORD); "
                                 "unset, the password is asked for twice")
        parser.add_argument("--admin", action="store_true",
                            help="also a moderation admin: may edit the rules, thresholds and reason codes")

    def handle(self, *args, username: str, email: str, password_env: str, **options) -> None:
        if User.objects.filter(username=username).exists():
            raise CommandError(f"a user named {username!r} already exists")
        password = password_read(env_var=password_env)
        try:
            user = moderator_create(username=username, email=email, password=password)
        except ValidationError as exc:
            raise password_refused(exc) from None
        if options["admin"]:
            moderation_admin_grant(user=user)
        self.stdout.write(f"moderator {user.username} created (id {user.pk})")
