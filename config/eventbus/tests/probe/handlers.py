"""Probe handlers: `article.submitted` records an effect, or fails when its title says so.

Titles: "fail-always" always fails; "fail-N" fails the first N attempts, then applies;
"crash" kills the consumer process every time; "slow-N" takes N milliseconds.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable

import psycopg
from django.db import connection

from config.eventbus.envelope import Event
from config.eventbus.ordering import revision_advance
from config.eventbus.registry import database_dsn
from config.eventbus.tests.probe.models import Effect


class ProbeFailure(RuntimeError):
    pass


def _note_failure(event: Event) -> None:
    # On its own connection: the handler's transaction is about to roll back.
    with psycopg.connect(database_dsn(), autocommit=True) as conn:
        conn.execute("INSERT INTO probe_failure (event_id, attempted_at) VALUES (%s, now())", [event.id])


def on_article_submitted(event: Event) -> None:
    title = event.data["title"]
    if title == "crash":
        os._exit(3)  # what a segfault or the OOM killer does: no exception, no rollback handler
    if title.startswith("slow-"):
        time.sleep(int(title.rsplit("-", 1)[-1]) / 1000)
    if title.startswith("fail"):
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM probe_failure WHERE event_id = %s", [event.id])
            failed_before = cursor.fetchone()[0]
        if title == "fail-always" or failed_before < int(title.rsplit("-", 1)[-1]):
            _note_failure(event)
            raise ProbeFailure(f"probe told to fail: {title}")
    if not revision_advance(stream=f"article:{event.data['article_id']}", revision=event.data["revision"]):
        return
    Effect.objects.create(
        event_id=event.id,
        event_type=event.type,
        subject=event.subject,
        revision=event.data["revision"],
        correlation_id=event.correlationid,
    )


def on_article_published(event: Event) -> None:
    Effect.objects.create(event_id=event.id, event_type=event.type, subject=event.subject,
                          revision=event.data["revision"], correlation_id=event.correlationid)


EVENT_HANDLERS: dict[str, Callable[[Event], None]] = {
    "article.submitted": on_article_submitted,
    "article.published": on_article_published,
}
