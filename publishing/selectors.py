"""Reads of the publishing service: querysets and descriptions, no side effects."""
from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.timesince import timesince, timeuntil

from publishing.models import Article, ArticleStatus, Revision, TimelineEntry
from publishing.services.publication import OVERDUE_AFTER


def article_list_for(*, user: User) -> QuerySet[Article]:
    """Editors (staff) see every article; an author sees only their own."""
    articles = Article.objects.select_related("author__user")
    return articles if user.is_staff else articles.filter(author__user=user)


def revisions_live(*, limit: int) -> QuerySet[Revision]:
    """What readers see, newest first: the live revision of each live article, never the working copy."""
    return (
        Revision.objects.filter(article__live_revision=F("number"))
        .select_related("article__author")
        .order_by("-article__published_at")[:limit]
    )


def article_live_revision(*, article: Article) -> Revision:
    return article.revisions.get(number=article.live_revision)


def articles_overdue(*, now: datetime | None = None) -> QuerySet[Article]:
    """Scheduled articles whose time passed more than OVERDUE_AFTER ago: the scheduler is not keeping up."""
    now = now or timezone.now()
    return Article.objects.filter(status=ArticleStatus.SCHEDULED, publish_at__lt=now - OVERDUE_AFTER)


def article_is_overdue(*, article: Article, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return bool(article.status == ArticleStatus.SCHEDULED and article.publish_at
                and article.publish_at < now - OVERDUE_AFTER)


def timeline_for(*, article: Article) -> QuerySet[TimelineEntry]:
    return TimelineEntry.objects.filter(article=article).order_by("time", "id")


def _ago(moment: datetime, now: datetime) -> str:
    if (now - moment).total_seconds() < 60:
        return "just now"
    return timesince(moment, now, depth=1).replace("\xa0", " ") + " ago"


def article_stands(*, article: Article, now: datetime | None = None) -> str:
    """Where the article is and since when, in words an author understands at a glance."""
    now = now or timezone.now()
    since = _ago(article.status_changed_at, now)
    status = article.status
    if status == ArticleStatus.DRAFT:
        text = f"draft, last edited {_ago(article.updated_at, now)}"
    elif status == ArticleStatus.SUBMITTED:
        text = f"submitted {since}, waiting for moderation"
    elif status == ArticleStatus.IN_REVIEW:
        text = f"in review, queued {since}"
    elif status == ArticleStatus.SCHEDULED:
        if article_is_overdue(article=article, now=now):
            text = f"approved, overdue: was scheduled for {_ago(article.publish_at, now)}"
        else:
            text = f"approved {since}, goes live in {timeuntil(article.publish_at, now, depth=1)}".replace("\xa0", " ")
    elif status == ArticleStatus.PUBLISHED:
        text = f"published {_ago(article.published_at or article.status_changed_at, now)}"
    elif status == ArticleStatus.REJECTED:
        messages = "; ".join(reason.get("message") or reason.get("code", "") for reason in article.reasons)
        text = f"rejected {since}" + (f": {messages}" if messages else "")
    else:
        why = f" ({article.get_unpublished_reason_display()})" if article.unpublished_reason else ""
        text = f"unpublished{why} {since}"
    if article.is_live and status in (ArticleStatus.SUBMITTED, ArticleStatus.IN_REVIEW, ArticleStatus.SCHEDULED):
        text += f"; revision {article.live_revision} stays live meanwhile"
    return text
