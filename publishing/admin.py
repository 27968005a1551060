"""The editors' admin: thin; every change goes through a service so the events follow."""
from __future__ import annotations

import difflib
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from publishing.flow_steps import editor_flow_svg
from publishing.flows_admin import FlowStepAdmin, StuckFlowFilter
from publishing.models import Article, ArticleStatus, Author, FlowStep, Revision, SnapshotRun, TimelineEntry
from publishing.selectors import (
    article_is_overdue,
    article_stands,
    article_stuck_exists,
    articles_overdue,
    timeline_for,
)
from publishing.services import (
    TransitionNotAllowed,
    article_reschedule,
    article_unpublish,
    author_create,
    author_update,
)


class RevisionInline(admin.StackedInline):
    model = Revision
    extra = 0
    can_delete = False
    readonly_fields = ["number", "title", "tags", "submitted_at", "diff"]
    fields = readonly_fields
    ordering = ["-number"]

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="changes against the previous revision")
    def diff(self, revision: Revision) -> str:
        previous = Revision.objects.filter(article=revision.article, number__lt=revision.number).order_by("-number").first()
        if previous is None:
            return "first revision"
        before = f"# {previous.title}\n\n{previous.summary}\n\n{previous.body}".splitlines()
        after = f"# {revision.title}\n\n{revision.summary}\n\n{revision.body}".splitlines()
        lines = difflib.unified_diff(before, after, f"r{previous.number}", f"r{revision.number}", lineterm="", n=2)
        return format_html("<pre style='white-space: pre-wrap'>{}</pre>", "\n".join(lines) or "no changes")


class TimelineInline(admin.TabularInline):
    model = TimelineEntry
    extra = 0
    can_delete = False
    fields = ["time", "source", "type", "revision", "summary", "correlation_id", "causation_id", "event_id"]
    readonly_fields = fields
    ordering = ["time", "id"]
    verbose_name_plural = "timeline: every event about this article, from all services"

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class TagFilter(admin.SimpleListFilter):
    title = "tag"
    parameter_name = "tag"

    def lookups(self, request: HttpRequest, model_admin):
        tags = sorted({tag for tags in Article.objects.values_list("tags", flat=True) for tag in tags})
        return [(tag, tag) for tag in tags[:100]]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Article]):
        return queryset.filter(tags__contains=[self.value()]) if self.value() else queryset


class ScheduledFilter(admin.SimpleListFilter):
    title = "schedule"
    parameter_name = "schedule"

    def lookups(self, request: HttpRequest, model_admin):
        return [("scheduled", "scheduled"), ("overdue", "overdue (scheduled time passed, not live)")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Article]):
        if self.value() == "scheduled":
            return queryset.filter(status=ArticleStatus.SCHEDULED)
        if self.value() == "overdue":
            return queryset.filter(pk__in=articles_overdue())
        return queryset


class ArticleForm(forms.ModelForm):
    class Meta:
        model = Article
        fields = ["publish_at"]

    def clean_publish_at(self):
        publish_at = self.cleaned_data["publish_at"]
        if "publish_at" in self.changed_data and self.instance.status != ArticleStatus.SCHEDULED:
            raise forms.ValidationError("Only a scheduled article can be rescheduled here; authors set the time before approval.")
        if publish_at is None and self.instance.status == ArticleStatus.SCHEDULED:
            raise forms.ValidationError("A scheduled article needs a time; use the 'publish at once' action to publish now.")
        return publish_at


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    form = ArticleForm
    list_display = ["title", "author", "status", "stands", "revision", "live_revision", "publish_at", "overdue",
                    "flow_stuck"]
    list_filter = ["status", TagFilter, ScheduledFilter, StuckFlowFilter, "author"]
    search_fields = ["title", "slug", "author__display_name", "author__user__username"]
    list_select_related = ["author"]
    readonly_fields = [
        "id", "author", "title", "status", "stands", "revision", "live_revision", "slug", "published_at",
        "unpublished_reason", "reasons", "correlation_id", "tags", "summary", "body", "created_at", "updated_at",
    ]
    fields = ["publish_at", *readonly_fields]
    inlines = [RevisionInline, TimelineInline]
    actions = ["unpublish", "publish_now"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # authors write through the API

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # a raw delete would skip article.unpublished; unpublish instead

    @admin.display(boolean=True, description="overdue")
    def overdue(self, article: Article) -> bool:
        return article_is_overdue(article=article)

    @admin.display(description="stands")
    def stands(self, article: Article) -> str:
        return article_stands(article=article)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Article]:
        return super().get_queryset(request).annotate(has_stuck_flow=article_stuck_exists())

    @admin.display(boolean=True, description="flow stuck")
    def flow_stuck(self, article: Article) -> bool:
        return article.has_stuck_flow

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        article = self.get_object(request, object_id)
        if article is not None and self.has_view_or_change_permission(request, article):
            # Safe: publishing.flow_view escapes every text it draws (titles and reasons are authors').
            svg = editor_flow_svg(timeline_for(article=article), heading=f"Flow of {article.title}")
            extra_context = {**(extra_context or {}), "flow_svg": mark_safe(svg)}  # noqa: S308
        return super().change_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request: HttpRequest, extra_context=None):
        late = articles_overdue().count()
        if late:
            messages.warning(request, f"{late} scheduled article(s) are overdue: check the Celery worker and beat.")
        return super().changelist_view(request, extra_context)

    def save_model(self, request: HttpRequest, obj: Article, form, change: bool) -> None:
        # Only publish_at is editable, and only a scheduled article moves: through the service.
        if "publish_at" not in form.changed_data:
            return
        try:
            article_reschedule(article=obj, publish_at=form.cleaned_data["publish_at"])
        except TransitionNotAllowed as exc:  # the state moved on between showing the form and saving it
            messages.error(request, f"not rescheduled: {exc}")

    # Both change articles: a staff user who may only view them neither sees nor can post these actions.
    @admin.action(description="Unpublish selected live articles", permissions=["change"])
    def unpublish(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        self._each(request, queryset, lambda article: article_unpublish(article=article), "unpublished")

    @admin.action(description="Reschedule selected scheduled articles to now (publish at once)", permissions=["change"])
    def publish_now(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        now = timezone.now() - timedelta(seconds=1)
        self._each(request, queryset, lambda article: article_reschedule(article=article, publish_at=now), "published")

    def _each(self, request: HttpRequest, queryset: QuerySet[Article], apply, done: str) -> None:
        count = 0
        for article in queryset:
            try:
                apply(article)
                count += 1
            except TransitionNotAllowed as exc:
                messages.error(request, f"{article.title}: {exc}")
        if count:
            messages.success(request, f"{count} article(s) {done}.")


class AuthorCreateForm(forms.ModelForm):
    """Creates the account too: a free username (as the User model spells it) and a password that
    AUTH_PASSWORD_VALIDATORS accept, both refused on their field rather than by the database."""

    username = forms.CharField(max_length=150, validators=[User.username_validator],
                               help_text=User._meta.get_field("username").help_text)
    email = forms.EmailField()
    password = forms.CharField(widget=forms.PasswordInput, strip=False)

    class Meta:
        model = Author
        fields = ["username", "email", "password", "display_name", "preferences"]

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("A user with that username already exists.", code="unique")
        return username

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("password"):
            user = User(username=cleaned.get("username", ""), email=cleaned.get("email", ""))
            try:
                validate_password(cleaned["password"], user)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return cleaned


class AuthorChangeForm(forms.ModelForm):
    email = forms.EmailField()

    class Meta:
        model = Author
        fields = ["display_name", "email", "preferences"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["email"].initial = self.instance.user.email


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["display_name", "user", "email"]
    search_fields = ["display_name", "user__username", "user__email"]
    list_select_related = ["user"]

    @admin.display(description="email")
    def email(self, author: Author) -> str:
        return author.user.email

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        kwargs["form"] = AuthorChangeForm if obj else AuthorCreateForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj=None):
        if obj:
            return ["display_name", "email", "preferences"]
        return ["username", "email", "password", "display_name", "preferences"]

    def save_model(self, request: HttpRequest, obj: Author, form, change: bool) -> None:
        # Through the services, so notifications hears author.registered / author.updated.
        data = form.cleaned_data
        if change:
            author_update(author=obj, display_name=data["display_name"], email=data["email"], preferences=data["preferences"])
            return
        created = author_create(username=data["username"], email=data["email"], password=data["password"],
                                display_name=data["display_name"], preferences=data["preferences"])
        obj.pk, obj.user = created.pk, created.user
        obj._state.adding = False


@admin.register(SnapshotRun)
class SnapshotRunAdmin(admin.ModelAdmin):
    """How far each answer to a search rebuild got; read-only: the worker sends them, beat resumes a stalled one."""

    list_display = ["pk", "rebuild_id", "sent", "total", "started_at", "advanced_at", "finished_at"]
    readonly_fields = ["rebuild_id", "total", "sent", "last_article_id", "cause", "started_at", "advanced_at",
                       "finished_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


admin.site.register(FlowStep, FlowStepAdmin)
