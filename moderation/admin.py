"""Moderation's admin: the rulebook (rules, thresholds, reason codes) is editable by moderation admins, each change
audited through the rulebook service; cases and the audit log are read-only."""
from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from moderation.models import AuditEntry, Case, LiveArticle, Policy, ReasonCode, Rule
from moderation.rules.terms import patterns_problems, terms_problems
from moderation.services import rulebook_delete, rulebook_save


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ["title", "article_id", "revision", "status", "score", "opened_at", "claimed_by"]
    list_filter = ["status"]
    search_fields = ["title", "article_id", "author_id"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "action", "article_id", "revision", "target_model", "target_id", "actor_kind", "actor_name",
                    "score", "rules"]
    list_filter = ["action", "actor_kind", "target_model"]
    search_fields = ["article_id", "actor_name", "target_id"]
    date_hierarchy = "at"


@admin.register(LiveArticle)
class LiveArticleAdmin(ReadOnlyAdmin):
    list_display = ["title", "article_id", "revision", "live", "changed_at", "takedown_requested_at"]
    list_filter = ["live"]
    search_fields = ["title", "article_id"]


class RuleForm(forms.ModelForm):
    """A rule's patterns must be ones RE2 can run: moderation never falls back to a backtracking engine."""

    class Meta:
        model = Rule
        fields = "__all__"

    def clean(self) -> dict:
        cleaned = super().clean()
        params = cleaned.get("params")
        if isinstance(params, dict):
            problems = terms_problems(params["terms"]) if "terms" in params else []
            problems += patterns_problems(params["patterns"]) if "patterns" in params else []
            for problem in problems:
                self.add_error("params", problem)
        return cleaned


class RulebookAdmin(admin.ModelAdmin):
    """Saves and deletions go through the rulebook service, which logs who, before and after. Who may make
    them is the model permissions' say (the `moderation admins` group), as everywhere in the admin."""

    def save_model(self, request: HttpRequest, obj: Rule | Policy | ReasonCode, form: forms.ModelForm, change: bool) -> None:
        rulebook_save(entry=obj, user=request.user)

    def delete_model(self, request: HttpRequest, obj: Rule | Policy | ReasonCode) -> None:
        rulebook_delete(entries=[obj], user=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        rulebook_delete(entries=queryset, user=request.user)


@admin.register(Rule)
class RuleAdmin(RulebookAdmin):
    form = RuleForm
    list_display = ["code", "kind", "enabled", "action", "weight", "message"]
    list_editable = ["enabled", "action", "weight"]
    list_filter = ["kind", "enabled", "action"]
    search_fields = ["code", "message"]


@admin.register(Policy)
class PolicyAdmin(RulebookAdmin):
    list_display = ["__str__", "review_threshold", "reject_threshold"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # One row (the migration creates it), and only for whom the add permission allows.
        return super().has_add_permission(request) and not Policy.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ReasonCode)
class ReasonCodeAdmin(RulebookAdmin):
    list_display = ["code", "message", "active"]
    list_editable = ["active"]
