from __future__ import annotations

from django.contrib import admin

from moderation.models import Case


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["title", "article_id", "revision", "status", "opened_at"]
    list_filter = ["status"]
    search_fields = ["title", "article_id"]
    readonly_fields = [field.name for field in Case._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
