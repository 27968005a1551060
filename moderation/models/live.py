"""Moderation's own list of live articles, kept from article.published / article.unpublished."""
from __future__ import annotations

from django.db import models


class LiveArticle(models.Model):
    article_id = models.UUIDField(primary_key=True)
    revision = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    url = models.CharField(max_length=500, blank=True)
    author = models.JSONField(default=dict)
    live = models.BooleanField(default=True)
    changed_at = models.DateTimeField(help_text="published_at or unpublished_at of the last event applied.")
    takedown_requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-changed_at"]

    def __str__(self) -> str:
        return self.title
