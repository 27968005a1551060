"""`manage.py create_moderator USERNAME --email EMAIL --password PASSWORD`."""
from __future__ import annotations

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError

from moderation.services import moderator_create


class Command(BaseCommand):
    help = "Create a moderator: a staff user in the moderators group (the review queue and the admin)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)

    def handle(self, *args, username: str, email: str, password: str, **options) -> None:
        if User.objects.filter(username=username).exists():
            raise CommandError(f"a user named {username!r} already exists")
        user = moderator_create(username=username, email=email, password=password)
        self.stdout.write(f"moderator {user.username} created (id {user.pk})")
