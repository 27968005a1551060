"""Admin of search_indexer: read-only views of the index (events change it, not hands); dead letters come from config.eventbus."""
from __future__ import annotations

from django.contrib import admin

from search_indexer.models import Document, Generation


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Generation)
class GenerationAdmin(ReadOnly):
    list_display = ["number", "status", "rebuild_id", "requested_at", "activated_at", "snapshots_received",
                    "snapshots_expected", "last_snapshot_at"]


@admin.register(Document)
class DocumentAdmin(ReadOnly):
    list_display = ["title", "article_id", "revision", "generation", "live", "author_username", "published_at"]
    list_filter = ["live", "generation"]
    search_fields = ["title", "=article_id", "author_username"]
    exclude = ["search_vector"]
