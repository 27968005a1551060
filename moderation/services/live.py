"""Moderation's list of live articles, and takedowns of them."""
from __future__ import annotations

import uuid
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone
from psycopg.types.json import Jsonb

from config.eventbus.outbox import publish
from moderation.models import AuditAction, AuditEntry, LiveArticle
from moderation.services.cases import cases_close
from moderation.services.decisions import iso, moderator
from moderation.services.errors import ModerationError, NotLive
from moderation.services.queue import reasons_for


def _newer(row: LiveArticle | None, revision: int, at: datetime) -> bool:
    """Events of one revision come in pairs (published, then unpublished): time breaks the tie."""
    return row is None or (revision, at) >= (row.revision, row.changed_at)


# One statement instead of a locked read, a second one and a write; the WHERE is _newer() in SQL.
_PUBLISHED_UPSERT = """
INSERT INTO moderation_livearticle (article_id, revision, title, url, author, live, changed_at, takedown_requested_at)
VALUES (%s, %s, %s, %s, %s, true, %s, NULL)
ON CONFLICT (article_id) DO UPDATE SET revision = EXCLUDED.revision, title = EXCLUDED.title, url = EXCLUDED.url,
    author = EXCLUDED.author, live = true, changed_at = EXCLUDED.changed_at, takedown_requested_at = NULL
WHERE (EXCLUDED.revision, EXCLUDED.changed_at) >= (moderation_livearticle.revision, moderation_livearticle.changed_at)
RETURNING 1
"""


def live_article_publish(*, article_id: str, revision: int, title: str, url: str, author: dict,
                         published_at: datetime) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(_PUBLISHED_UPSERT, [article_id, revision, title, url, Jsonb(author), published_at])
        return cursor.fetchone() is not None


@transaction.atomic
def live_article_unpublish(*, article_id: str, revision: int, reason: str, unpublished_at: datetime) -> bool:
    """The article is gone: forget it as live and close its pending cases."""
    row = LiveArticle.objects.select_for_update().filter(pk=article_id).first()
    # Only cases submitted before it: a late unpublished event must not close a later resubmission.
    cases_close(article_id=article_id, note=f"article unpublished ({reason})", submitted_before=unpublished_at)
    if row is None or not _newer(row, revision, unpublished_at):
        return False
    row.live, row.revision, row.changed_at = False, revision, unpublished_at
    row.save(update_fields=["live", "revision", "changed_at"])
    return True


@transaction.atomic
def takedown_request(*, article_id: str, reason: str, user: AbstractBaseUser, note: str = "") -> LiveArticle:
    """Ask publishing to take a live article down (moderation.takedown); it answers with article.unpublished."""
    try:
        article_id = str(uuid.UUID(str(article_id)))
    except ValueError as exc:
        raise NotLive("no such article") from exc
    row = LiveArticle.objects.select_for_update().filter(pk=article_id, live=True).first()
    if row is None:
        raise NotLive("this article is not live")
    if row.takedown_requested_at is not None:
        raise ModerationError(f"a takedown was requested at {row.takedown_requested_at:%Y-%m-%d %H:%M} UTC already")
    first = reasons_for([reason], note)
    message = note or first[0]["message"]
    now = timezone.now()
    row.takedown_requested_at = now
    row.save(update_fields=["takedown_requested_at"])
    actor = moderator(user)
    AuditEntry.objects.create(article_id=row.article_id, revision=row.revision, action=AuditAction.TAKEDOWN,
                              actor_kind=actor.kind, actor=user, actor_name=actor.name,
                              reasons=[{"code": reason, "message": message}], note=note)
    # The revision the moderator saw live: publishing ignores the takedown if a later one went live meanwhile.
    publish("moderation.takedown", subject=f"article/{row.article_id}", data={
        "article_id": str(row.article_id), "revision": row.revision, "reason": {"code": reason, "message": message},
        "decided_by": actor.to_dict(), "decided_at": iso(now)})
    return row
