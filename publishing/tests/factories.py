from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import factory
from django.contrib.auth.models import User
from django.utils import timezone

from config.eventbus.contracts import dataschema_of
from config.eventbus.envelope import Event, utc_now_iso
from publishing.models import Article, ArticleStatus, Author, TimelineEntry
from publishing.services import revision_create

PRODUCERS = {"moderation": "moderation", "search": "search_indexer", "notification": "notifications"}


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("correct-horse-42")


class AuthorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Author

    user = factory.SubFactory(UserFactory)
    display_name = factory.Faker("name")


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article

    author = factory.SubFactory(AuthorFactory)
    title = factory.Sequence(lambda n: f"Article {n}")
    summary = "A summary."
    body = "Some *markdown*."
    tags = ["news"]


def article_in(status: str, *, live: bool | None = None, **fields: Any) -> Article:
    """An article at revision 1 in `status`, as if it got there through the services.

    `live` defaults to what the status implies; pass True for a live article whose newer revision is pending.
    """
    live = status == ArticleStatus.PUBLISHED if live is None else live
    now = timezone.now()
    article = ArticleFactory(status=status, revision=1, **fields)
    revision_create(article=article, submitted_at=now)
    if live:
        article.live_revision, article.slug, article.published_at = 1, f"slug-{article.pk.hex[:12]}", now
        article.save()
    return article


def event_raw(event_type: str, *, correlation: str | None = None, **data: Any) -> bytes:
    """An incoming event as the consumer gets it off the wire: JSON bytes of a CloudEvents envelope."""
    source = PRODUCERS[event_type.split(".")[0]]
    event = Event(type=event_type, source=source, subject=f"article/{data.get('article_id')}", data=data,
                  correlationid=correlation or str(uuid.uuid4()), dataschema=dataschema_of(event_type))
    return event.to_json().encode()


def moderation_raw(event_type: str, article: Article, *, revision: int | None = None, **extra: Any) -> bytes:
    """moderation.approved / rejected / review_requested / takedown about `article`, valid by contract."""
    data: dict[str, Any] = {"article_id": str(article.pk)}
    decided_by = {"kind": "moderator", "id": str(uuid.uuid4()), "name": "Mo"}
    if event_type == "moderation.takedown":
        # A takedown is about the revision readers see, not the one under review.
        live = article.live_revision or article.revision
        data |= {"revision": live if revision is None else revision, "reason": {"code": "legal", "message": "Court order."},
                 "decided_by": decided_by, "decided_at": utc_now_iso()}
    else:
        data |= {"revision": article.revision if revision is None else revision, "score": 0.5, "reasons": []}
        if event_type == "moderation.review_requested":
            data |= {"queued_at": utc_now_iso(), "reasons": [{"code": "links.many", "message": "Many links."}]}
        else:
            data |= {"decided_by": decided_by, "decided_at": utc_now_iso()}
        if event_type == "moderation.rejected":
            data["reasons"] = [{"code": "spam", "message": "Looks like spam."}]
    return event_raw(event_type, **(data | extra))


def indexed_raw(article: Article, *, revision: int = 1) -> bytes:
    return event_raw("search.indexed", article_id=str(article.pk), revision=revision, indexed_at=utc_now_iso())


def notice_raw(event_type: str, article: Article, *, cause_id: str, channel: str = "email") -> bytes:
    """notification.sent / failed about the notification caused by event `cause_id`, by contract."""
    data: dict[str, Any] = {"notification_id": str(uuid.uuid4()), "article_id": str(article.pk), "channel": channel,
                            "recipient": "a***@example.com", "event_id": cause_id}
    if event_type == "notification.sent":
        data |= {"sent_at": utc_now_iso(), "error": None}
    else:
        data |= {"failed_at": utc_now_iso(), "error": "SMTPRecipientsRefused"}
    return event_raw(event_type, **data)


SOURCES = {"article": "publishing", "flow": "publishing", **PRODUCERS}


def timeline_entry(article: Article, event_type: str, *, cause: TimelineEntry | None = None, at: float = 0.0,
                   arrived_after: float = 0.5, revision: int | None = 1, summary: str = "",
                   **data: Any) -> TimelineEntry:
    """A timeline entry `at` seconds after the article was created, caused by `cause`, recorded by publishing
    `arrived_after` seconds after it happened (a late arrival: one that was retried or replayed)."""
    time = article.created_at + timedelta(seconds=at)
    entry = TimelineEntry.objects.create(
        article=article, event_id=uuid.uuid4(), time=time, source=SOURCES[event_type.split(".")[0]], type=event_type,
        revision=revision, correlation_id=article.correlation_id or str(uuid.uuid4()),
        causation_id=str(cause.event_id) if cause else "", summary=summary,
        data={**({"revision": revision} if revision is not None else {}), **data})
    TimelineEntry.objects.filter(pk=entry.pk).update(recorded_at=time + timedelta(seconds=arrived_after))
    entry.refresh_from_db()
    return entry
