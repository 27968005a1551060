"""The editors' admin of the flow watch: every step of every flow, filtered by step and state, and the
filter that finds articles whose flow is stuck. Registered in publishing.admin."""
from __future__ import annotations

from django.contrib import admin
from django.db.models import Exists, F, OuterRef, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from publishing.models import Article, FlowStep
from publishing.selectors import flow_steps_overdue
from publishing.services.flows import AWAITED


class StuckFlowFilter(admin.SimpleListFilter):
    """On the article list: articles with a step of their flow overdue."""

    title = "flow"
    parameter_name = "flow"

    def lookups(self, request: HttpRequest, model_admin):
        return [("stuck", "stuck (a step overdue)")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Article]):
        if self.value() == "stuck":
            return queryset.filter(pk__in=flow_steps_overdue().values("article_id"))
        return queryset


class StepStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin):
        return [("stuck", "stuck: overdue and still owed"), ("waiting", "waiting, not due yet"),
                ("late", "met late"), ("met", "met in time")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[FlowStep]):
        if self.value() == "stuck":
            return queryset.filter(pk__in=flow_steps_overdue().values("pk"))
        if self.value() == "waiting":
            return queryset.filter(met_at__isnull=True).exclude(pk__in=flow_steps_overdue().values("pk"))
        if self.value() == "late":
            return queryset.filter(met_at__gt=F("due_at"))
        if self.value() == "met":
            return queryset.filter(met_at__lte=F("due_at"))
        return queryset


class FlowStepAdmin(admin.ModelAdmin):
    """Read-only: the steps open and close by themselves as the events arrive."""

    list_display = ["article_link", "revision", "step", "waiting_for", "cause_type", "due_at", "met_at",
                    "met_by_type", "stuck"]
    list_filter = [StepStateFilter, "step"]
    search_fields = ["article__title", "=article__id"]
    list_select_related = ["article"]
    readonly_fields = ["article", "revision", "step", "cause_event_id", "cause_type", "cause_time", "due_at", "met_at",
                       "met_by_type", "flagged_at", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[FlowStep]:
        stuck = Exists(flow_steps_overdue().filter(pk=OuterRef("pk")))
        return super().get_queryset(request).annotate(is_stuck=stuck)

    @admin.display(description="article", ordering="article__title")
    def article_link(self, step: FlowStep) -> str:
        url = reverse("admin:publishing_article_change", args=[step.article_id])
        return format_html('<a href="{}">{}</a>', url, step.article.title)

    @admin.display(description="waiting for")
    def waiting_for(self, step: FlowStep) -> str:
        return AWAITED[step.step]

    @admin.display(boolean=True, description="stuck")
    def stuck(self, step: FlowStep) -> bool:
        return step.is_stuck
