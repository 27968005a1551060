from __future__ import annotations

from django.contrib import admin

from publishing.models import Article, Author, Revision


class RevisionInline(admin.TabularInline):
    model = Revision
    extra = 0
    can_delete = False
    readonly_fields = ["number", "title", "submitted_at"]
    fields = readonly_fields


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "author", "status", "revision", "status_changed_at"]
    list_filter = ["status"]
    search_fields = ["title"]
    readonly_fields = ["id", "status", "revision", "status_changed_at", "created_at", "updated_at"]
    inlines = [RevisionInline]


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["display_name", "user"]
    search_fields = ["display_name", "user__username", "user__email"]
