"""`manage.py snapshot_articles`: answer a reindex by hand (what search.reindex_requested does on the bus)."""
from __future__ import annotations

import uuid

from django.core.management.base import BaseCommand, CommandParser

from publishing.services import articles_snapshot


class Command(BaseCommand):
    help = ("Emit one article.snapshot per live article, so the search index can rebuild itself. Runs the chunks "
            "here and now; a rebuild that has a run already (answered on the bus) is continued, never sent twice.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rebuild-id", type=uuid.UUID, default=None,
                            help="the rebuild_id of the search.reindex_requested to answer: each snapshot then "
                                 "carries it and rebuild_total, so the indexer switches once all arrived")

    def handle(self, *args, **options) -> None:
        rebuild_id = options["rebuild_id"]
        progress = articles_snapshot(rebuild_id=str(rebuild_id) if rebuild_id else None)
        run = progress.run
        self.stdout.write(f"{progress.sent} article.snapshot event(s) written to the outbox; "
                          f"{run} has sent {run.sent} for {run.total} live article(s) at its start")
