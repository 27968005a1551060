"""Snapshots of every live article (article.snapshot), so a read model (the search index) can rebuild itself.

A run goes out in chunks, each in its own transaction, by the worker: answering a rebuild never holds
the consumer (and its AMQP heartbeats) for as long as there are articles.
"""
from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from config.eventbus.contracts import ContractViolation
from config.eventbus.envelope import Event
from config.eventbus.outbox import current_event, handling
from publishing.models import Article, Revision, SnapshotRun
from publishing.services.timeline import emit, live_data

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SnapshotProgress:
    """What one chunk did: the run after it, and how many snapshots it wrote."""

    run: SnapshotRun
    sent: int

    @property
    def done(self) -> bool:
        return self.run.finished


def _live() -> QuerySet[Article]:
    return Article.objects.filter(live_revision__isnull=False)


def _cause() -> dict:
    event = current_event()
    return {key: value for key, value in event.to_dict().items() if key != "data"} if event else {}


@transaction.atomic
def snapshot_run_start(*, rebuild_id: str | None = None, schedule: bool = True) -> tuple[SnapshotRun, bool]:
    """Record a run with the number of live articles now, and (on commit) hand it to the worker.

    Sends nothing itself. A rebuild is answered once: a request with a `rebuild_id` that has a run
    already (a duplicate, a replay) returns that run and False, and schedules nothing.

    `total` is fixed now while the chunks read the articles as they are when each is written, so each
    article published or unpublished during the run makes the count and the snapshots disagree by one:
    the indexer then switches a little early (the last snapshots still arrive and land in the new index)
    or after its quiet period; either article reaches it by its own article.published/unpublished.
    """
    fields = {"total": _live().count(), "cause": _cause()}
    if rebuild_id is None:
        run, created = SnapshotRun.objects.create(**fields), True
    else:
        run, created = SnapshotRun.objects.get_or_create(rebuild_id=rebuild_id, defaults=fields)
    if created and schedule:
        snapshot_run_schedule(run_id=run.pk)
    return run, created


def snapshot_run_schedule(*, run_id: int) -> None:
    """Queue the run's next chunk once the caller's transaction commits (at once outside one)."""
    from publishing.tasks import snapshot_run_continue  # tasks call services: import here to avoid the cycle

    # robust: a broker hiccup must not undo the committed run; beat resumes it (snapshot_runs_resume).
    transaction.on_commit(lambda: snapshot_run_continue.delay(run_id), robust=True)


@transaction.atomic
def snapshot_chunk_send(*, run_id: int, size: int | None = None, skip_locked: bool = True) -> SnapshotProgress | None:
    """Write the next chunk of the run's snapshots and move its cursor past them, in one transaction.

    None when there is nothing to do here: the run is finished or unknown, or (with `skip_locked`)
    another worker is writing a chunk of it right now, so two never work one run at once.
    """
    size = size or settings.PUBLISHING_SNAPSHOTS["CHUNK_SIZE"]
    run = SnapshotRun.objects.select_for_update(skip_locked=skip_locked).filter(pk=run_id, finished_at=None).first()
    if run is None:
        return None
    # Keyset pagination: the primary key index finds where the chunk starts, however far the run is.
    articles = _live().select_related("author__user").order_by("pk")
    if run.last_article_id is not None:
        articles = articles.filter(pk__gt=run.last_article_id)
    chunk = list(articles[:size])
    # By hand (no rebuild_id) neither field is sent: a count nobody can tell apart from another rebuild's
    # would make the indexer switch too early.
    extra = {"rebuild_id": str(run.rebuild_id), "rebuild_total": run.total} if run.rebuild_id else {}
    flow = handling(Event.from_dict({**run.cause, "data": {}})) if run.cause else contextlib.nullcontext()
    with flow:
        sent = sum(_snapshot_send(run, article, extra) for article in chunk)
    if chunk:
        run.last_article_id = chunk[-1].pk
        run.sent += sent
    if len(chunk) < size:
        run.finished_at = timezone.now()
        logger.info("%s finished: %d article.snapshot events sent, %d announced", run, run.sent, run.total)
    run.save(update_fields=["last_article_id", "sent", "advanced_at", "finished_at"])
    return SnapshotProgress(run=run, sent=sent)


def _snapshot_send(run: SnapshotRun, article: Article, extra: dict) -> bool:
    # An article that cannot be sent (its live revision is missing, or it breaks the contract) would fail
    # every retry of its chunk and hold up the whole rebuild: it is left out, loudly. Both fail before
    # anything is written, so the chunk's transaction goes on; any other error fails the chunk, to be retried.
    try:
        emit("article.snapshot", article=article, data=live_data(article) | extra)
    except (Revision.DoesNotExist, ContractViolation) as exc:
        logger.error("%s left out article %s: %s: %s", run, article.pk, type(exc).__name__, exc)
        return False
    return True


def snapshot_runs_resume(*, now: datetime | None = None) -> list[int]:
    """Beat: queue the next chunk of every unfinished run that went quiet (its task was lost)."""
    quiet_since = (now or timezone.now()) - timedelta(seconds=settings.PUBLISHING_SNAPSHOTS["RESUME_AFTER_SECONDS"])
    stalled = list(SnapshotRun.objects.filter(finished_at=None, advanced_at__lt=quiet_since)
                   .order_by("pk").values_list("pk", "advanced_at"))
    for run_id, advanced_at in stalled:
        logger.warning("snapshot run %s has sent nothing since %s: resuming it", run_id, advanced_at.isoformat())
        snapshot_run_schedule(run_id=run_id)
    return [run_id for run_id, _ in stalled]


def articles_snapshot(*, rebuild_id: str | None = None) -> SnapshotProgress:
    """By hand (`manage.py snapshot_articles`): start the run, or go on with the rebuild's, and send it all now.

    Chunk by chunk as the worker does, but waiting for a worker that holds the run rather than skipping
    it. Returns the run and how many snapshots this call sent (none when the rebuild's run finished before).
    """
    run, _ = snapshot_run_start(rebuild_id=rebuild_id, schedule=False)
    sent = 0
    while (step := snapshot_chunk_send(run_id=run.pk, skip_locked=False)) is not None:
        run, sent = step.run, sent + step.sent
        if step.done:
            break
    return SnapshotProgress(run=run, sent=sent)
