"""Writes of the moderation service."""
from __future__ import annotations

from datetime import datetime

from django.db import transaction

from moderation.models import Case


@transaction.atomic
def case_open(
    *,
    article_id: str,
    revision: int,
    title: str,
    summary: str,
    body: str,
    tags: list[str],
    author: dict,
    submitted_at: datetime,
    correlation_id: str,
) -> Case:
    """Record a submitted revision for review; the automatic rules arrive with the moderation issue."""
    return Case.objects.create(
        article_id=article_id,
        revision=revision,
        title=title,
        summary=summary,
        body=body,
        tags=tags,
        author=author,
        submitted_at=submitted_at,
        correlation_id=correlation_id,
    )
