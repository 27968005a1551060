"""Snapshot runs: a rebuild is answered in chunks by the worker, once, resuming where it stopped."""
from __future__ import annotations

import json
import threading
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.celery import app
from config.eventbus.envelope import utc_now_iso
from config.eventbus.models import OutboxMessage
from publishing.models import Article, SnapshotRun
from publishing.services import snapshot_chunk_send, snapshot_run_start, snapshot_runs_resume
from publishing.services import snapshots as snapshots_module
from publishing.tasks import resume_snapshot_runs, snapshot_run_continue
from publishing.tests.factories import article_in, event_raw

pytestmark = pytest.mark.django_db


def _reindex_raw(rebuild_id: str | None = None) -> bytes:
    return event_raw("search.reindex_requested", requested_at=utc_now_iso(), rebuild_id=rebuild_id or str(uuid.uuid4()))


def _snapshots() -> list[dict]:
    return [json.loads(row.body) for row in OutboxMessage.objects.filter(event_type="article.snapshot").order_by("id")]


def _live(count: int) -> list[Article]:
    """`count` live articles, and some that are not live around them."""
    article_in("draft"), article_in("unpublished"), article_in("rejected")
    return [article_in("published") for _ in range(count - 1)] + [article_in("in_review", live=True)]


@pytest.fixture
def delays(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """No worker: the run ids handed to Celery (on commit: run the work through `worked`) are recorded instead."""
    calls: list[int] = []
    monkeypatch.setattr(snapshot_run_continue, "delay", calls.append)
    return calls


def test_the_handler_records_the_run_and_sends_no_snapshot_itself(apply, delays, worked) -> None:
    live = _live(3)
    rebuild_id = str(uuid.uuid4())
    worked(lambda: apply(_reindex_raw(rebuild_id)))
    assert not _snapshots()
    run = SnapshotRun.objects.get()
    assert (str(run.rebuild_id), run.total, run.sent, run.last_article_id) == (rebuild_id, len(live), 0, None)
    assert not run.finished
    assert delays == [run.pk]  # the worker takes it from here, after the consumer's commit


def test_the_handler_does_the_same_work_for_one_live_article_as_for_many(apply, delays) -> None:
    """What keeps the consumer quick: its queries do not grow with the number of articles."""
    queries = []
    for count in (1, 40):
        _live(count)
        with CaptureQueriesContext(connection) as captured:
            apply(_reindex_raw())
        queries.append(len(captured))
    assert queries[0] == queries[1]
    assert not _snapshots()


def test_a_run_sends_one_snapshot_per_live_article_in_chunks_in_key_order() -> None:
    live = _live(7)
    rebuild_id = str(uuid.uuid4())
    run, started = snapshot_run_start(rebuild_id=rebuild_id, schedule=False)
    assert started and run.total == 7
    chunks = []
    while (progress := snapshot_chunk_send(run_id=run.pk, size=3)) is not None:
        chunks.append(progress.sent)
        if progress.done:
            break
    assert chunks == [3, 3, 1]
    sent = [event["data"] for event in _snapshots()]
    assert [d["article_id"] for d in sent] == sorted(str(a.pk) for a in live)
    assert {(d["rebuild_id"], d["rebuild_total"]) for d in sent} == {(rebuild_id, 7)}
    run.refresh_from_db()
    assert (run.sent, run.finished, str(run.last_article_id)) == (7, True, sent[-1]["article_id"])
    assert snapshot_chunk_send(run_id=run.pk, size=3) is None  # a finished run sends nothing more


def test_a_run_ending_on_a_full_chunk_finishes_on_the_next_empty_one() -> None:
    _live(4)
    run, _ = snapshot_run_start(rebuild_id=str(uuid.uuid4()), schedule=False)
    assert [snapshot_chunk_send(run_id=run.pk, size=2).done for _ in range(3)] == [False, False, True]
    assert len(_snapshots()) == 4


def test_each_chunk_task_queues_the_next_until_the_run_is_done(delays, worked, settings) -> None:
    settings.PUBLISHING_SNAPSHOTS = {**settings.PUBLISHING_SNAPSHOTS, "CHUNK_SIZE": 2}
    _live(3)
    run, _ = snapshot_run_start(rebuild_id=str(uuid.uuid4()), schedule=False)
    assert worked(lambda: snapshot_run_continue(run.pk)) == 2
    assert delays == [run.pk]
    assert worked(lambda: snapshot_run_continue(run.pk)) == 1
    assert delays == [run.pk]  # done: nothing more queued
    assert len(_snapshots()) == 3


def test_a_task_run_eagerly_goes_on_in_place_instead_of_nesting_a_call_per_chunk(delays, settings) -> None:
    settings.PUBLISHING_SNAPSHOTS = {**settings.PUBLISHING_SNAPSHOTS, "CHUNK_SIZE": 1}
    _live(5)
    run, _ = snapshot_run_start(rebuild_id=str(uuid.uuid4()), schedule=False)
    assert snapshot_run_continue.apply(args=[run.pk]).get() == 5
    assert delays == []


def test_a_run_interrupted_after_one_chunk_resumes_where_it_stopped(monkeypatch, settings, worked) -> None:
    settings.PUBLISHING_SNAPSHOTS = {**settings.PUBLISHING_SNAPSHOTS, "CHUNK_SIZE": 3}
    live = _live(8)
    run, _ = snapshot_run_start(rebuild_id=str(uuid.uuid4()), schedule=False)
    assert snapshot_chunk_send(run_id=run.pk).sent == 3

    # The worker dies halfway through the second chunk: its transaction, cursor included, never commits.
    real_live_data, calls = snapshots_module.live_data, []

    def crash_on_the_second(article: Article) -> dict:
        calls.append(article.pk)
        if len(calls) == 2:
            raise RuntimeError("worker lost")
        return real_live_data(article)

    monkeypatch.setattr(snapshots_module, "live_data", crash_on_the_second)
    with pytest.raises(RuntimeError):
        snapshot_chunk_send(run_id=run.pk)
    monkeypatch.setattr(snapshots_module, "live_data", real_live_data)
    assert len(_snapshots()) == 3
    run.refresh_from_db()
    assert run.sent == 3

    # Its task is gone too; a minute later beat finds the run quiet and the worker finishes it.
    SnapshotRun.objects.filter(pk=run.pk).update(advanced_at=timezone.now() - timedelta(minutes=2))
    assert worked(resume_snapshot_runs) == 1
    counts = Counter(event["data"]["article_id"] for event in _snapshots())
    assert counts == Counter({str(a.pk): 1 for a in live})
    run.refresh_from_db()
    assert (run.sent, run.finished) == (8, True)


def test_an_article_that_cannot_be_sent_is_left_out_and_the_run_goes_on(caplog) -> None:
    live = _live(3)
    broken = live[0]
    broken.revisions.all().delete()  # its live revision is gone: no snapshot can say what readers see
    run, _ = snapshot_run_start(rebuild_id=str(uuid.uuid4()), schedule=False)
    progress = snapshot_chunk_send(run_id=run.pk)
    assert progress.done and progress.sent == 2
    assert sorted(e["data"]["article_id"] for e in _snapshots()) == sorted(str(a.pk) for a in live[1:])
    assert f"left out article {broken.pk}" in caplog.text


def test_a_duplicate_request_starts_no_second_run(apply, delays, worked) -> None:
    live = _live(3)
    rebuild_id = str(uuid.uuid4())
    worked(lambda: apply(_reindex_raw(rebuild_id)))
    worked(lambda: apply(_reindex_raw(rebuild_id)))  # the same rebuild asked again under another event id (a replay)
    assert SnapshotRun.objects.count() == 1
    assert len(delays) == 1
    snapshot_run_continue(SnapshotRun.objects.get().pk)
    assert len(_snapshots()) == len(live)
    worked(lambda: apply(_reindex_raw(rebuild_id)))  # and once it is answered, too
    assert SnapshotRun.objects.count() == 1 and len(delays) == 1 and len(_snapshots()) == len(live)


def test_the_snapshots_stay_in_the_flow_of_the_request(apply_and_work, settings) -> None:
    settings.PUBLISHING_SNAPSHOTS = {**settings.PUBLISHING_SNAPSHOTS, "CHUNK_SIZE": 1}
    _live(2)
    raw = _reindex_raw()
    apply_and_work(raw)
    request = json.loads(raw)
    assert {(e["correlationid"], e["causationid"]) for e in _snapshots()} == {(request["correlationid"], request["id"])}


def test_beat_resumes_only_unfinished_runs_that_went_quiet(delays, worked) -> None:
    old = timezone.now() - timedelta(minutes=5)
    quiet = SnapshotRun.objects.create(total=1)
    SnapshotRun.objects.create(total=1)  # a chunk a moment ago: its worker is on it
    done = SnapshotRun.objects.create(total=1, finished_at=old)
    SnapshotRun.objects.filter(pk__in=[quiet.pk, done.pk]).update(advanced_at=old)
    assert worked(snapshot_runs_resume) == [quiet.pk]
    assert delays == [quiet.pk]


def test_beat_runs_the_resume_every_minute() -> None:
    app.loader.import_default_modules()
    entries = {entry["task"]: entry["schedule"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert entries["publishing.resume_snapshot_runs"] == 60.0
    assert set(entries) <= set(app.tasks)


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_work_one_run_at_once(delays) -> None:
    _live(2)
    run, _ = snapshot_run_start(rebuild_id=str(uuid.uuid4()), schedule=False)
    holding, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        try:
            with transaction.atomic():
                SnapshotRun.objects.select_for_update().get(pk=run.pk)
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert holding.wait(10)
        assert snapshot_chunk_send(run_id=run.pk) is None
        assert snapshot_run_continue(run.pk) == 0 and delays == []  # it leaves the run to its holder
    finally:
        release.set()
        thread.join(10)
    assert not _snapshots()
    assert snapshot_run_continue(run.pk) == 2


def test_snapshot_articles_by_hand_sends_every_chunk_at_once(capsys, settings) -> None:
    settings.PUBLISHING_SNAPSHOTS = {**settings.PUBLISHING_SNAPSHOTS, "CHUNK_SIZE": 2}
    live = _live(3)
    call_command("snapshot_articles")
    assert [e["data"]["article_id"] for e in _snapshots()] == sorted(str(a.pk) for a in live)
    assert not any("rebuild_id" in e["data"] for e in _snapshots())  # by hand: no rebuild to count towards
    assert capsys.readouterr().out.startswith("3 article.snapshot event(s) written to the outbox")


def test_snapshot_articles_answers_a_rebuild_once(capsys) -> None:
    _live(2)
    rebuild_id = uuid.uuid4()
    call_command("snapshot_articles", "--rebuild-id", str(rebuild_id))
    call_command("snapshot_articles", "--rebuild-id", str(rebuild_id))
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("2 article.snapshot") and out[1].startswith("0 article.snapshot")
    assert {(e["data"]["rebuild_id"], e["data"]["rebuild_total"]) for e in _snapshots()} == {(str(rebuild_id), 2)}
