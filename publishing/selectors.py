"""Reads of the publishing service: querysets and descriptions, no side effects."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.timesince import timesince, timeuntil

from config.prepared import prepared_models
from publishing.models import WITH_AUTHOR, Article, ArticleStatus, Author, FlowStep, Revision, TimelineEntry
from publishing.services.flows import STUCK
from publishing.services.publication import OVERDUE_AFTER


def article_list_for(*, user: User) -> QuerySet[Article]:
    """Editors (staff) see every article; an author sees only their own."""
    articles = Article.objects.select_related("author__user")
    return articles if user.is_staff else articles.filter(author__user=user)


def author_of(*, user: User) -> Author | None:
    """The user's author profile, if any (every article written through the API asks), prepared."""
    found = prepared_models(Author, "user_id = %s", [user.pk])
    if found:
        Author.user.field.set_cached_value(found[0], user)
    return found[0] if found else None


def article_visible_to(*, user: User, article_id: Any) -> Article | None:
    """article_list_for's rule for one article, with its author and user: every request about an article
    reads it, so in one prepared statement."""
    where, params = "publishing_article.id = %s", [article_id]
    if not user.is_staff:
        where, params = f'{where} AND "author".user_id = %s', [article_id, user.pk]
    found = prepared_models(Article, where, params, related=WITH_AUTHOR)
    return found[0] if found else None


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


# --- the flow watch ------------------------------------------------------------------------------

_Step = FlowStep.Step
# A step is owed only while the article still stands where the step leads: a withdrawn submission owes
# no decision, an unpublished or replaced revision no indexing. The author's notice is owed regardless.
FLOW_STEP_OWED = (
    Q(step=_Step.DECISION, article__revision=F("revision"), article__status=ArticleStatus.SUBMITTED)
    | Q(step=_Step.LIVE, article__revision=F("revision"),
        article__status__in=[ArticleStatus.SUBMITTED, ArticleStatus.IN_REVIEW, ArticleStatus.SCHEDULED])
    | Q(step=_Step.INDEXED, article__live_revision=F("revision"))
    | Q(step=_Step.NOTIFIED)
)


def flow_steps_overdue(*, now: datetime | None = None) -> QuerySet[FlowStep]:
    """Steps still owed and past due: stuck."""
    return FlowStep.objects.filter(FLOW_STEP_OWED, met_at__isnull=True, due_at__lt=now or timezone.now())


def flow_steps_stuck(*, now: datetime | None = None) -> QuerySet[FlowStep]:
    """The stuck steps, longest overdue first, with their article and its last event (type and time)."""
    last = TimelineEntry.objects.filter(article=OuterRef("article")).exclude(type=STUCK).order_by("-time", "-id")
    return (
        flow_steps_overdue(now=now)
        .select_related("article")
        .annotate(last_event_type=Subquery(last.values("type")[:1]), last_event_time=Subquery(last.values("time")[:1]))
        .order_by("due_at", "id")
    )


def article_stuck_exists(*, now: datetime | None = None) -> Exists:
    """For annotating articles: True when one of its steps is stuck."""
    return Exists(flow_steps_overdue(now=now).filter(article=OuterRef("pk")))
