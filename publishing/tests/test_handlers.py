"""Incoming events, applied as the consumer applies them (JSON bytes through message_apply)."""
from __future__ import annotations

import json
import logging
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from config.eventbus.envelope import Event, utc_now_iso
from config.eventbus.models import OutboxMessage
from config.testing import statements_seen
from publishing.models import Article, TimelineEntry
from publishing.services import article_submit, article_unpublish, article_update, timeline_note
from publishing.tests.factories import article_in, event_raw, indexed_raw, moderation_raw, notice_raw

pytestmark = pytest.mark.django_db


def _outbox(event_type: str) -> list[dict]:
    return [json.loads(row.body) for row in OutboxMessage.objects.filter(event_type=event_type).order_by("id")]


def _state(article: Article) -> tuple:
    a = Article.objects.get(pk=article.pk)
    return a.status, a.revision, a.live_revision, a.reasons, a.published_at, OutboxMessage.objects.count()


def test_review_requested_puts_the_article_in_review(article, apply) -> None:
    article_submit(article=article)
    apply(moderation_raw("moderation.review_requested", Article.objects.get(pk=article.pk)))
    after = Article.objects.get(pk=article.pk)
    assert after.status == "in_review" and after.reasons[0]["code"] == "links.many"


def test_approved_publishes_now_and_emits_article_published(article, apply) -> None:
    submitted = article_submit(article=article)
    raw = moderation_raw("moderation.approved", submitted)
    apply(raw)
    after = Article.objects.get(pk=article.pk)
    assert (after.status, after.live_revision) == ("published", 1) and after.slug
    [event] = _outbox("article.published")
    assert event["data"]["url"] == f"/articles/{after.slug}/" and event["data"]["revision"] == 1
    # The publication stays in the flow of the approval and names it as its cause.
    approval = json.loads(raw)
    assert (event["correlationid"], event["causationid"]) == (approval["correlationid"], approval["id"])


def test_an_approval_reads_its_article_once_locked_for_the_timeline_and_the_publication(article, apply) -> None:
    raw = moderation_raw("moderation.approved", article_submit(article=article))
    with statements_seen() as seen:
        apply(raw)
    reads = [sql for sql in seen if sql.startswith('SELECT "publishing_article"."id"')]
    assert len(reads) == 1 and reads[0].endswith("FOR UPDATE OF publishing_article")
    assert Article.objects.get(pk=article.pk).status == "published"


def test_approved_with_a_future_publish_at_schedules(author, apply) -> None:
    article = article_in("in_review", author=author, publish_at=timezone.now() + timedelta(hours=2))
    apply(moderation_raw("moderation.approved", article))
    assert Article.objects.get(pk=article.pk).status == "scheduled"
    assert not _outbox("article.published")


def test_rejected_records_the_reasons(article, apply) -> None:
    submitted = article_submit(article=article)
    apply(moderation_raw("moderation.rejected", submitted))
    after = Article.objects.get(pk=article.pk)
    assert after.status == "rejected" and after.reasons == [{"code": "spam", "message": "Looks like spam."}]


def test_takedown_unpublishes_with_reason_takedown(apply) -> None:
    article = article_in("published")
    apply(moderation_raw("moderation.takedown", article))
    after = Article.objects.get(pk=article.pk)
    assert (after.status, after.live_revision) == ("unpublished", None)
    assert _outbox("article.unpublished")[0]["data"]["reason"] == "takedown"


@pytest.mark.parametrize("event_type", ["moderation.approved", "moderation.rejected", "moderation.review_requested"])
def test_a_duplicate_changes_nothing(article, apply, event_type: str) -> None:
    submitted = article_submit(article=article)
    raw = moderation_raw(event_type, submitted)
    apply(raw)
    before = _state(article)
    assert apply(raw).kind == "duplicate"
    assert _state(article) == before


@pytest.mark.parametrize("event_type", ["moderation.approved", "moderation.rejected", "moderation.review_requested"])
def test_an_event_about_an_older_revision_changes_nothing(article, apply, event_type: str) -> None:
    article_submit(article=article)
    stale = moderation_raw(event_type, Article.objects.get(pk=article.pk), revision=1)
    # The author withdrew and resubmitted: revision 2 is the one under review now.
    from publishing.services import article_withdraw

    article_withdraw(article=article)
    article_submit(article=article)
    before = _state(article)
    assert apply(stale).kind == "applied"
    assert _state(article) == before


def test_a_late_review_request_does_not_pull_a_published_article_back(article, apply) -> None:
    submitted = article_submit(article=article)
    queued = moderation_raw("moderation.review_requested", submitted)
    apply(moderation_raw("moderation.approved", submitted))
    before = _state(article)
    apply(queued)
    assert _state(article) == before


def test_a_takedown_of_revision_1_arriving_after_revision_2_went_live_leaves_revision_2_live(apply, caplog) -> None:
    article = article_in("published")
    late = moderation_raw("moderation.takedown", article)  # the moderator saw revision 1 live
    article = article_submit(article=article_update(article=article, based_on=article.updated_at, body="Fixed."))
    apply(moderation_raw("moderation.approved", article))
    before = _state(article)
    with caplog.at_level(logging.INFO, logger="publishing.handlers"):
        assert apply(late).kind == "applied"
    assert _state(article) == before
    assert Article.objects.get(pk=article.pk).live_revision == 2
    assert not _outbox("article.unpublished")
    assert "ignored moderation.takedown" in caplog.text and "revision 2 live" in caplog.text
    # Delivered again under another id (a replay), it is still ignored.
    again = json.loads(late) | {"id": str(uuid.uuid4())}
    apply(json.dumps(again).encode())
    assert _state(article) == before


@pytest.mark.parametrize("pending", [False, True], ids=["nothing pending", "next revision in review"])
def test_a_takedown_of_the_live_revision_takes_it_down(apply, pending: bool) -> None:
    article = article_in("published")
    article = article_submit(article=article_update(article=article, based_on=article.updated_at, body="Fixed."))
    apply(moderation_raw("moderation.approved", article))
    if pending:
        live = Article.objects.get(pk=article.pk)
        article_submit(article=article_update(article=live, based_on=live.updated_at, body="Third."))
    apply(moderation_raw("moderation.takedown", Article.objects.get(pk=article.pk), revision=2))
    after = Article.objects.get(pk=article.pk)
    assert (after.status, after.live_revision, after.unpublished_reason) == ("unpublished", None, "takedown")
    [unpublished] = _outbox("article.unpublished")
    assert (unpublished["data"]["revision"], unpublished["data"]["reason"]) == (2, "takedown")
    assert TimelineEntry.objects.get(article=article, type="moderation.takedown").revision == 2


def test_a_second_takedown_changes_nothing(apply) -> None:
    article = article_in("published")
    apply(moderation_raw("moderation.takedown", article))
    before = _state(article)
    apply(moderation_raw("moderation.takedown", article))
    assert _state(article) == before


def test_a_live_article_stays_live_while_its_next_revision_is_reviewed(apply) -> None:
    article = article_in("published")
    article = article_update(article=article, based_on=article.updated_at, body="Second thoughts.")
    article = article_submit(article=article)
    apply(moderation_raw("moderation.review_requested", article))
    after = Article.objects.get(pk=article.pk)
    assert (after.status, after.revision, after.live_revision) == ("in_review", 2, 1)
    apply(moderation_raw("moderation.approved", after))
    assert Article.objects.get(pk=article.pk).live_revision == 2


def test_events_about_unknown_articles_are_acked_and_ignored(apply) -> None:
    ghost = Article(pk=uuid.uuid4(), revision=1)
    assert apply(moderation_raw("moderation.approved", ghost)).kind == "applied"
    assert not TimelineEntry.objects.exists()


def _reindex_raw(rebuild_id: str | None = None) -> bytes:
    return event_raw("search.reindex_requested", requested_at=utc_now_iso(), rebuild_id=rebuild_id or str(uuid.uuid4()))


def test_reindex_request_answers_one_snapshot_per_live_article(apply_and_work) -> None:
    live = [article_in("published"), article_in("in_review", live=True)]
    article_in("draft"), article_in("unpublished")
    apply_and_work(_reindex_raw())
    snapshots = _outbox("article.snapshot")
    assert sorted(s["data"]["article_id"] for s in snapshots) == sorted(str(a.pk) for a in live)
    assert all(s["data"]["revision"] == 1 for s in snapshots)


def test_each_snapshot_of_a_rebuild_carries_its_id_and_the_number_of_live_articles(apply_and_work, settings) -> None:
    settings.PUBLISHING_SNAPSHOTS = {**settings.PUBLISHING_SNAPSHOTS, "CHUNK_SIZE": 2}  # three chunks, three tasks
    live = [article_in("published"), article_in("in_review", live=True), article_in("published"),
            article_in("published"), article_in("published")]
    article_in("draft"), article_in("unpublished")
    rebuild_id = str(uuid.uuid4())
    apply_and_work(_reindex_raw(rebuild_id))
    data = [json.loads(row.body)["data"] for row in OutboxMessage.objects.filter(event_type="article.snapshot")]
    assert sorted(d["article_id"] for d in data) == sorted(str(a.pk) for a in live)
    assert all((d["rebuild_id"], d["rebuild_total"]) == (rebuild_id, len(live)) for d in data)


def test_two_rebuilds_are_told_apart_by_their_ids(apply_and_work) -> None:
    article_in("published")
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    apply_and_work(_reindex_raw(first))
    article_in("published")
    apply_and_work(_reindex_raw(second))
    sent = [(s["data"]["rebuild_id"], s["data"]["rebuild_total"]) for s in _outbox("article.snapshot")]
    assert sent == [(first, 1), (second, 2), (second, 2)]


def test_a_reindex_with_nothing_live_sends_no_snapshot(apply_and_work) -> None:
    article_in("draft")
    apply_and_work(_reindex_raw())
    assert not _outbox("article.snapshot")


def test_a_publication_after_an_unpublish_carries_its_own_later_published_at(article, apply, apply_and_work) -> None:
    apply(moderation_raw("moderation.approved", article_submit(article=article)))
    article_unpublish(article=Article.objects.get(pk=article.pk))
    apply(moderation_raw("moderation.approved", article_submit(article=Article.objects.get(pk=article.pk))))
    first, again = (parse_datetime(e["data"]["published_at"]) for e in _outbox("article.published"))
    [unpublished] = _outbox("article.unpublished")
    assert first < parse_datetime(unpublished["data"]["unpublished_at"]) < again
    assert Article.objects.get(pk=article.pk).published_at == again
    # A rebuild afterwards sends the time of the publication that is live now.
    apply_and_work(_reindex_raw())
    [snapshot] = _outbox("article.snapshot")
    assert (snapshot["data"]["revision"], parse_datetime(snapshot["data"]["published_at"])) == (2, again)


def test_a_takedown_then_a_new_approval_moves_published_at_forward(article, apply) -> None:
    apply(moderation_raw("moderation.approved", article_submit(article=article)))
    apply(moderation_raw("moderation.takedown", Article.objects.get(pk=article.pk)))
    apply(moderation_raw("moderation.approved", article_submit(article=Article.objects.get(pk=article.pk))))
    first, again = (parse_datetime(e["data"]["published_at"]) for e in _outbox("article.published"))
    assert first < parse_datetime(_outbox("article.unpublished")[0]["data"]["unpublished_at"]) < again

def test_the_timeline_collects_events_from_all_four_exchanges_in_order(article, apply) -> None:
    submitted = article_submit(article=article)
    correlation = _outbox("article.submitted")[0]["correlationid"]
    article_id = str(article.pk)
    apply(moderation_raw("moderation.review_requested", submitted, correlation=correlation))
    apply(moderation_raw("moderation.approved", submitted, correlation=correlation))
    published = _outbox("article.published")[0]
    apply(event_raw("search.indexed", correlation=correlation, article_id=article_id, revision=1, indexed_at=utc_now_iso()))
    apply(event_raw("notification.sent", correlation=correlation, notification_id=str(uuid.uuid4()), article_id=article_id,
                    channel="email", recipient="a***@example.com", event_id=published["id"], sent_at=utc_now_iso()))
    apply(event_raw("notification.failed", correlation=correlation, notification_id=str(uuid.uuid4()), article_id=article_id,
                    channel="webhook", recipient="https://h***", event_id=published["id"], failed_at=utc_now_iso(),
                    error="HTTP 500"))
    apply(event_raw("search.removed", correlation=correlation, article_id=article_id, removed_at=utc_now_iso()))
    entries = list(TimelineEntry.objects.filter(article=article).order_by("time", "id"))
    assert [e.type for e in entries] == [
        "article.submitted", "moderation.review_requested", "moderation.approved", "article.published",
        "search.indexed", "notification.sent", "notification.failed", "search.removed",
    ]
    assert {e.source for e in entries} == {"publishing", "moderation", "search_indexer", "notifications"}
    assert {e.correlation_id for e in entries} == {correlation}
    approved = entries[2]
    assert entries[3].causation_id == str(approved.event_id)


@pytest.mark.parametrize("event_type", ["search.indexed", "notification.sent"])
def test_a_notice_about_an_unknown_article_is_acked_and_ignored(apply, event_type: str) -> None:
    ghost = Article(pk=uuid.uuid4(), revision=1)
    raw = indexed_raw(ghost) if event_type == "search.indexed" else notice_raw(event_type, ghost, cause_id=str(uuid.uuid4()))
    assert apply(raw).kind == "applied"
    assert not TimelineEntry.objects.exists()


def test_a_notice_seen_twice_is_on_the_timeline_once(article) -> None:
    # The inbox stops a redelivery first; this is the statement's own guard, for when the inbox row is gone.
    event = Event.from_dict(json.loads(indexed_raw(article)))
    assert timeline_note(event=event) and timeline_note(event=event)
    assert list(TimelineEntry.objects.filter(article=article).values_list("type", flat=True)) == ["search.indexed"]
