"""Articles, the author's side: create, edit, submit, withdraw, delete."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from config.prepared import model_update, models_insert, prepared_models
from publishing.models import WITH_AUTHOR, Article, ArticleStatus, Author, Revision, UnpublishReason
from publishing.rendering import revision_html
from publishing.services.timeline import emit, iso, revision_data
from publishing.transitions import Action, transition_target


class StaleUpdate(Exception):
    """An edit based on an older version of the article than the stored one (lost-update protection)."""


class NothingToSubmit(Exception):
    """The working copy is what readers already see, or what moderation is already reviewing."""


# What a revision freezes and moderation reads: a submission that changes none of these has nothing to review.
CONTENT = ("title", "summary", "body", "tags")
PENDING = (ArticleStatus.SUBMITTED, ArticleStatus.IN_REVIEW, ArticleStatus.SCHEDULED)


LOCKED = "publishing_article.id = %s FOR UPDATE"


def article_locked(article_id: Any) -> Article:
    """The article, its row locked (and its author's rows, as select_for_update() locks every table it reads),
    with its author and user: every write and every verdict starts here, so in one prepared statement."""
    found = prepared_models(Article, LOCKED, [Article._meta.pk.to_python(article_id)], related=WITH_AUTHOR)
    if not found:
        raise Article.DoesNotExist(f"no article {article_id}")
    return found[0]


def status_move(article: Article, status: str, now: datetime) -> None:
    article.status = status
    article.status_changed_at = now


@transaction.atomic
def article_create(*, author: Author, title: str, summary: str = "", body: str = "", tags: list[str] | None = None,
                   publish_at: datetime | None = None) -> Article:
    article = Article(author=author, title=title, summary=summary, body=body, tags=tags or [], publish_at=publish_at)
    return models_insert([article])[0]


EDITABLE = ("title", "summary", "body", "tags", "publish_at")


@transaction.atomic
def article_update(*, article: Article, based_on: datetime, **changes: Any) -> Article:
    """Edit the working copy; refused when `based_on` is not the stored `updated_at` (someone edited since)."""
    article = article_locked(article.pk)
    if article.updated_at != based_on:
        raise StaleUpdate(
            f"the article changed at {iso(article.updated_at)}, after the version your edit is based on "
            f"({iso(based_on)}); load it again and reapply your edit"
        )
    target = transition_target(article, Action.EDIT)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    for field, value in changes.items():
        setattr(article, field, value)
    if target != article.status:
        status_move(article, target, timezone.now())
    model_update(article)
    return article


@transaction.atomic
def article_submit(*, article: Article) -> Article:
    """Freeze the current content as the next revision and ask moderation to review it."""
    article = article_locked(article.pk)
    target = transition_target(article, Action.SUBMIT)
    same = _unchanged_revision(article)
    if same is not None:
        where = "live" if same.number == article.live_revision else ArticleStatus(article.status).label.lower()
        raise NothingToSubmit(f"nothing to submit: revision {same.number} is {where} with the same title, summary, "
                              "body and tags; edit the article before submitting it again")
    now = timezone.now()
    article.revision += 1
    status_move(article, target, now)
    article.reasons = []
    # Each submission starts its own flow through the services: one correlation id follows it everywhere.
    article.correlation_id = str(uuid.uuid4())
    model_update(article)
    revision = revision_create(article=article, submitted_at=now)
    data = {**revision_data(article, revision), "submitted_at": iso(now)}
    emit("article.submitted", article=article, data=data, correlation_id=article.correlation_id)
    return article


def _unchanged_revision(article: Article) -> Revision | None:
    """The live or pending revision whose content the working copy still is, if any.

    The state machine refuses a submission while a revision is pending, so today only the live one can
    match; the pending one is compared too so that stays true if the states ever allow it.
    """
    numbers = [n for n in (article.live_revision, article.revision if article.status in PENDING else None) if n]
    if not numbers:  # a first submission
        return None
    working = [getattr(article, field) for field in CONTENT]
    for revision in prepared_models(Revision, "article_id = %s AND number = ANY(%s) ORDER BY number DESC",
                                    [article.pk, numbers]):
        if [getattr(revision, field) for field in CONTENT] == working:
            return revision
    return None


def revision_create(*, article: Article, submitted_at: datetime) -> Revision:
    """Freeze the article's content as its revision `article.revision`, with the HTML readers will see.

    The Markdown is rendered here, once per revision, and never on a reader's request.
    """
    return Revision.objects.create(
        article=article, number=article.revision, title=article.title, summary=article.summary,
        body=article.body, tags=article.tags, submitted_at=submitted_at,
        **revision_html(summary=article.summary, body=article.body),
    )


def take_offline(article: Article, *, target: str, reason: str, now: datetime) -> None:
    """Readers stop seeing the article; the other services hear why."""
    revision = article.live_revision
    article.live_revision = None
    article.unpublished_reason = reason
    status_move(article, target, now)
    model_update(article)
    emit("article.unpublished", article=article, data={"revision": revision, "reason": reason, "unpublished_at": iso(now)})


@transaction.atomic
def article_withdraw(*, article: Article) -> Article:
    """Pull a pending revision back from moderation, or, when nothing is pending, take the live article offline."""
    article = article_locked(article.pk)
    target = transition_target(article, Action.WITHDRAW)
    now = timezone.now()
    if article.status == ArticleStatus.PUBLISHED:
        take_offline(article, target=target, reason=UnpublishReason.WITHDRAWN, now=now)
    else:
        status_move(article, target, now)
        model_update(article)
    return article


@transaction.atomic
def article_delete(*, article: Article) -> None:
    article = article_locked(article.pk)
    transition_target(article, Action.DELETE)
    if article.is_live:
        take_offline(article, target=ArticleStatus.UNPUBLISHED, reason=UnpublishReason.DELETED, now=timezone.now())
    article.delete()
