"""`manage.py create_api_token USERNAME`: a moderator's token for the queue API, expiring like every token."""
from __future__ import annotations

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from knox.models import AuthToken

from config.authentication import tokens_expired_delete


class Command(BaseCommand):
    help = "Issue an API token (stored hashed; expires after API_TOKEN_TTL_SECONDS). Prints: token <token> expires <time>."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")

    def handle(self, *args, username: str, **options) -> None:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user named {username!r}")
        tokens_expired_delete(user=user)  # knox no longer does it per request (config.authentication)
        instance, token = AuthToken.objects.create(user=user)
        self.stdout.write(f"token {token} expires {instance.expiry.isoformat()}")
