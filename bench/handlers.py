"""The benchmark's handler: the same three statements the raw baseline runs, through the bus.

Both sides do identical handler work, so the ratio measures what the bus adds (envelope checks,
inbox, transaction handling, acks, logging), not the difference between the ORM and raw SQL: the
effect is written on the psycopg connection under Django's, in the transaction the bus opened.
"""
from __future__ import annotations

from collections.abc import Callable

from django.db import connection

from config.eventbus.envelope import Event
from config.eventbus.ordering import revision_advance

EFFECT = ("INSERT INTO probe_effect (event_id, event_type, subject, revision, correlation_id, applied_at) "
          "VALUES (%s, %s, %s, %s, %s, now())")


def on_article_submitted(event: Event) -> None:
    data = event.data
    if not revision_advance(stream=f"article:{data['article_id']}", revision=data["revision"]):
        return
    connection.connection.execute(EFFECT, [event.id, event.type, event.subject, data["revision"], event.correlationid])


EVENT_HANDLERS: dict[str, Callable[[Event], None]] = {"article.submitted": on_article_submitted}
