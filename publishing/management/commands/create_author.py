"""`manage.py create_author USERNAME --email EMAIL --password PASSWORD`."""
from __future__ import annotations

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError

from publishing.services import author_create


class Command(BaseCommand):
    help = "Create an author account (and emit author.registered)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--display-name", default="")

    def handle(self, *args, username: str, email: str, password: str, display_name: str, **options) -> None:
        if User.objects.filter(username=username).exists():
            raise CommandError(f"a user named {username!r} already exists")
        author = author_create(username=username, email=email, password=password, display_name=display_name)
        self.stdout.write(f"author {author.user.username} created (id {author.pk})")
