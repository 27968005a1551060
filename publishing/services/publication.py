"""Articles, the platform's side: moderation outcomes, scheduled publishing, editors' actions."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from config.eventbus.outbox import current_event
from config.prepared import model_update, prepared
from publishing.models import Article, ArticleStatus, UnpublishReason
from publishing.services.articles import article_locked, status_move, take_offline
from publishing.services.flows import flow_live_due_move
from publishing.services.timeline import emit, live_data
from publishing.transitions import Action, transition_target

logger = logging.getLogger(__name__)

# A scheduled article this late is overdue: the beat or the worker is not keeping up.
OVERDUE_AFTER = timedelta(minutes=5)


class StaleEvent(Exception):
    """An event about another revision than the one the article is at: applying it would go backwards."""


def _pending(article_id: Any, revision: int, locked: Article | None = None) -> Article:
    article = article_locked(article_id) if locked is None else locked
    if revision != article.revision:
        raise StaleEvent(f"article {article.pk} is at revision {article.revision}, the event is about {revision}")
    return article


SLUG_TAKEN = "SELECT EXISTS (SELECT FROM publishing_article WHERE slug = %s AND id <> %s)"


def _slug_for(article: Article) -> str:
    base = slugify(article.title)[:100].strip("-") or "article"
    if prepared(SLUG_TAKEN, [base, article.pk]).fetchone()[0]:
        return f"{base}-{article.pk.hex[:8]}"
    return base


def _flow_of(article: Article) -> str | None:
    return None if current_event() else (article.correlation_id or None)


def _go_live(article: Article, now: datetime) -> None:
    article.live_revision = article.revision
    article.slug = article.slug or _slug_for(article)
    article.published_at = now
    article.unpublished_reason = ""
    status_move(article, ArticleStatus.PUBLISHED, now)
    model_update(article)
    # Under a handler the event inherits the approval's flow; from the scheduler, the submission's.
    emit("article.published", article=article, data=live_data(article), correlation_id=_flow_of(article))


def _verdict_record(article_id: Any, revision: int, reasons: list[dict], action: Action) -> Article:
    """A verdict that only moves the pending revision and keeps moderation's reasons."""
    article = _pending(article_id, revision)
    status_move(article, transition_target(article, action), timezone.now())
    article.reasons = reasons
    model_update(article)
    return article


@transaction.atomic
def article_review_start(*, article_id: Any, revision: int, reasons: list[dict]) -> Article:
    return _verdict_record(article_id, revision, reasons, Action.REVIEW)


@transaction.atomic
def article_approve(*, article_id: Any, revision: int, reasons: list[dict], now: datetime | None = None,
                    locked: Article | None = None) -> Article:
    """Publish the approved revision now, or schedule it when the author asked for a later time.

    `locked`: the article as the caller read it FOR UPDATE in this transaction (with its author and
    user), not read again.
    """
    now = now or timezone.now()
    article = _pending(article_id, revision, locked)
    article.reasons = reasons
    if article.publish_at and article.publish_at > now:
        status_move(article, transition_target(article, Action.SCHEDULE), now)
        model_update(article)
    else:
        transition_target(article, Action.APPROVE)
        _go_live(article, now)
    return article


@transaction.atomic
def article_reject(*, article_id: Any, revision: int, reasons: list[dict]) -> Article:
    return _verdict_record(article_id, revision, reasons, Action.REJECT)


@transaction.atomic
def article_take_down(*, article_id: Any, revision: int, reason: dict) -> Article:
    """Moderation removed the live content: readers get 410 Gone from now on.

    Only the revision the moderator saw live comes down: a takedown arriving after a later revision went
    live is about content readers no longer see (StaleEvent), and one arriving after the article went
    offline is refused by the state machine, so a repeated takedown changes nothing.
    """
    article = article_locked(article_id)
    if article.is_live and revision != article.live_revision:
        raise StaleEvent(f"article {article.pk} has revision {article.live_revision} live, "
                         f"the takedown is about revision {revision}")
    target = transition_target(article, Action.TAKE_DOWN)
    article.reasons = [reason]
    take_offline(article, target=target, reason=UnpublishReason.TAKEDOWN, now=timezone.now())
    return article


@transaction.atomic
def article_unpublish(*, article: Article) -> Article:
    """An editor takes a live article offline."""
    article = article_locked(article.pk)
    target = transition_target(article, Action.UNPUBLISH)
    take_offline(article, target=target, reason=UnpublishReason.WITHDRAWN, now=timezone.now())
    return article


@transaction.atomic
def article_reschedule(*, article: Article, publish_at: datetime, now: datetime | None = None) -> Article:
    """Move a scheduled article's time; a time already past publishes it at once."""
    now = now or timezone.now()
    article = article_locked(article.pk)
    transition_target(article, Action.RESCHEDULE)
    article.publish_at = publish_at
    model_update(article)
    flow_live_due_move(article=article)
    if publish_at <= now:
        transition_target(article, Action.PUBLISH_SCHEDULED)
        _go_live(article, now)
    return article


@transaction.atomic
def article_publish_scheduled(*, article: Article, now: datetime) -> Article:
    article = article_locked(article.pk)
    transition_target(article, Action.PUBLISH_SCHEDULED)
    if article.publish_at and now - article.publish_at > OVERDUE_AFTER:
        logger.warning("scheduled article %s published %s late", article.pk, now - article.publish_at)
    _go_live(article, now)
    return article


def articles_publish_due(*, now: datetime | None = None) -> list[Article]:
    """Publish every scheduled article whose time has come; one transaction each, so one failure stops no other."""
    now = now or timezone.now()
    due = Article.objects.filter(status=ArticleStatus.SCHEDULED, publish_at__lte=now).values_list("pk", flat=True)
    published = []
    for pk in list(due):
        try:
            published.append(article_publish_scheduled(article=Article(pk=pk), now=now))
        except Exception:  # noqa: BLE001 - logged loudly; the article stays scheduled and is flagged overdue
            logger.exception("scheduled article %s could not be published", pk)
    stuck = Article.objects.filter(status=ArticleStatus.SCHEDULED, publish_at__lt=now - OVERDUE_AFTER)
    for pk, publish_at in stuck.values_list("pk", "publish_at"):
        logger.error("scheduled article %s is overdue: due %s and still not live", pk, publish_at.isoformat())
    return published
