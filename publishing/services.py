"""Writes of the publishing service: every state change and the events it causes commit together."""
from __future__ import annotations

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from config.eventbus.outbox import publish
from publishing.models import Article, ArticleStatus, Author, Revision

AUTHORS_GROUP = "authors"
SUBMITTABLE = {ArticleStatus.DRAFT, ArticleStatus.REJECTED, ArticleStatus.PUBLISHED, ArticleStatus.UNPUBLISHED}


class TransitionNotAllowed(Exception):
    """The article's state does not allow this action; the message says why."""


def _author_data(author: Author) -> dict:
    return {"id": str(author.pk), "username": author.user.username, "display_name": author.display_name}


@transaction.atomic
def author_create(*, username: str, email: str, password: str, display_name: str = "") -> Author:
    user = User.objects.create_user(username=username, email=email, password=password)
    user.groups.add(Group.objects.get_or_create(name=AUTHORS_GROUP)[0])
    author = Author.objects.create(user=user, display_name=display_name or username)
    publish(
        "author.registered",
        subject=f"author/{author.pk}",
        data={
            "author_id": str(author.pk),
            "username": user.username,
            "display_name": author.display_name,
            "email": user.email,
            "preferences": author.preferences,
        },
    )
    return author


@transaction.atomic
def article_create(*, author: Author, title: str, summary: str = "", body: str = "", tags: list[str] | None = None) -> Article:
    return Article.objects.create(author=author, title=title, summary=summary, body=body, tags=tags or [])


@transaction.atomic
def article_submit(*, article: Article) -> Article:
    """Freeze the current content as the next revision and ask moderation to review it."""
    article = Article.objects.select_for_update().select_related("author__user").get(pk=article.pk)
    if article.status not in SUBMITTABLE:
        raise TransitionNotAllowed(f"an article that is {article.status.replace('_', ' ')} cannot be submitted again")
    now = timezone.now()
    article.revision += 1
    article.status = ArticleStatus.SUBMITTED
    article.status_changed_at = now
    article.save(update_fields=["revision", "status", "status_changed_at", "updated_at"])
    revision = Revision.objects.create(
        article=article,
        number=article.revision,
        title=article.title,
        summary=article.summary,
        body=article.body,
        tags=article.tags,
        submitted_at=now,
    )
    publish(
        "article.submitted",
        subject=f"article/{article.pk}",
        data={
            "article_id": str(article.pk),
            "revision": revision.number,
            "title": revision.title,
            "summary": revision.summary,
            "body": revision.body,
            "tags": revision.tags,
            "author": _author_data(article.author),
            "submitted_at": now.isoformat().replace("+00:00", "Z"),
        },
    )
    return article
