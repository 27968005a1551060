"""`manage.py snapshot_articles`: answer a reindex by hand (what search.reindex_requested does on the bus)."""
from __future__ import annotations

from django.core.management.base import BaseCommand

from publishing.services import articles_snapshot


class Command(BaseCommand):
    help = "Emit one article.snapshot per live article, so the search index can rebuild itself."

    def handle(self, *args, **options) -> None:
        count = articles_snapshot()
        self.stdout.write(f"{count} article.snapshot event(s) written to the outbox")
