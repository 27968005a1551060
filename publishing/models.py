"""Authors, articles, their frozen revisions, and the article timeline."""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class ArticleStatus(models.TextChoices):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review", "in review"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    REJECTED = "rejected"
    UNPUBLISHED = "unpublished"


class UnpublishReason(models.TextChoices):
    """The reasons of the article.unpublished contract."""

    WITHDRAWN = "withdrawn", "withdrawn"
    TAKEDOWN = "takedown", "taken down by moderation"
    DELETED = "deleted", "deleted"


class Author(models.Model):
    """A Django user who writes; the UUID is the id other services know them by."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="author")
    display_name = models.CharField(max_length=150)
    preferences = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return self.display_name


class Article(models.Model):
    """The author's working copy plus where it stands; what readers see is `live_revision`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="articles")
    title = models.CharField(max_length=300)
    summary = models.TextField(max_length=1000, blank=True)
    body = models.TextField(max_length=200_000, blank=True)
    tags = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=20, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT)
    revision = models.PositiveIntegerField(default=0, help_text="The latest submitted revision; 0 before any.")
    # Stays set while a newer revision is in review: readers keep seeing what was approved.
    live_revision = models.PositiveIntegerField(null=True, blank=True)
    # Given at the first publication and then kept, so links never break when a title changes.
    slug = models.SlugField(max_length=120, unique=True, null=True, blank=True)
    publish_at = models.DateTimeField(null=True, blank=True, help_text="Publish an approved revision not before this.")
    published_at = models.DateTimeField(null=True, blank=True)
    unpublished_reason = models.CharField(max_length=20, choices=UnpublishReason.choices, blank=True)
    reasons = models.JSONField(default=list, blank=True, help_text="The last moderation decision's reasons.")
    # The flow of the latest submission, so a publication by the scheduler (no event to inherit it from)
    # still carries the correlation id an operator follows through every service's logs.
    correlation_id = models.CharField(max_length=100, blank=True)
    status_changed_at = models.DateTimeField(auto_now_add=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "publish_at"], name="publishing_status_publish_at")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_live(self) -> bool:
        return self.live_revision is not None

    @property
    def url(self) -> str | None:
        return f"/articles/{self.slug}/" if self.slug else None


# An article read with its author and the author's user, in the same statement (config.prepared's `related`).
WITH_AUTHOR = ("author", "author__user")


class Revision(models.Model):
    """What was submitted, frozen: later edits to the article never change it."""

    # No index of its own: publishing_revision_unique (article, number) serves lookups by article.
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions", db_index=False)
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    body = models.TextField(blank=True)
    tags = models.JSONField(default=list)
    submitted_at = models.DateTimeField()
    # Rendered once, when the revision is submitted (publishing.rendering), so readers' pages never render
    # Markdown on a request. Frozen like the words they come from.
    body_html = models.TextField(blank=True, editable=False, help_text="The body as sanitised HTML.")
    excerpt_html = models.TextField(blank=True, editable=False,
                                    help_text="The summary, or the body's first 500 characters when there is "
                                              "none, as sanitised HTML: the feed's entry.")

    class Meta:
        ordering = ["article", "number"]
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="publishing_revision_unique")]

    def __str__(self) -> str:
        return f"{self.article_id} r{self.number}"

    def save(self, *args, **kwargs) -> None:
        # A data-integrity guard, not business logic: moderation approved exactly these words.
        if not self._state.adding:
            raise ValueError("a revision is immutable once submitted; submit a new one instead")
        super().save(*args, **kwargs)


class TimelineEntry(models.Model):
    """One event about an article, ours or another service's: the choreography seen in one place."""

    # No index of its own: publishing_timeline_time (article, time) serves lookups by article.
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="timeline", db_index=False)
    event_id = models.UUIDField(unique=True)
    time = models.DateTimeField(help_text="When the event happened, by its producer's clock.")
    recorded_at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=50)
    type = models.CharField(max_length=100)
    revision = models.PositiveIntegerField(null=True, blank=True)
    correlation_id = models.CharField(max_length=100, blank=True)
    causation_id = models.CharField(max_length=100, blank=True)
    summary = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["article", "time", "id"]
        verbose_name_plural = "timeline entries"
        indexes = [models.Index(fields=["article", "time"], name="publishing_timeline_time")]

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M:%S} {self.type}"


class SnapshotRun(models.Model):
    """One answer to a search rebuild (or a snapshot by hand): its snapshots go out in chunks, by the worker.

    `last_article_id` moves in the transaction that writes a chunk's snapshots, so a run that stopped
    (a lost task, a crashed worker) goes on after the last chunk that committed and sends nobody twice.
    """

    rebuild_id = models.UUIDField(unique=True, null=True, blank=True,
                                  help_text="From search.reindex_requested; empty for a run by hand, whose "
                                            "snapshots carry no rebuild fields.")
    total = models.PositiveIntegerField(help_text="Live articles when the run started: every snapshot's rebuild_total.")
    sent = models.PositiveIntegerField(default=0)
    last_article_id = models.UUIDField(null=True, blank=True,
                                       help_text="The last article sent, in primary-key order; the next chunk starts after it.")
    # The request's envelope without its data, so the snapshots stay in its flow (correlation and cause).
    cause = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    advanced_at = models.DateTimeField(auto_now=True, help_text="The last chunk; beat resumes a run quiet for too long.")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["advanced_at"], condition=models.Q(finished_at__isnull=True),
                                name="publishing_snapshotrun_open")]

    def __str__(self) -> str:
        return f"snapshot run {self.pk} (rebuild {self.rebuild_id or 'by hand'})"

    @property
    def finished(self) -> bool:
        return self.finished_at is not None


class FlowStep(models.Model):
    """One step an article's flow owes, from the event that made it due to the one that met it.

    Written with the timeline entries (publishing.services.flows): the causing event opens it, the
    following event meets it, in whichever order the two arrive. Not met by `due_at` is stuck.
    """

    class Step(models.TextChoices):
        DECISION = "decision", "decision (moderation)"
        LIVE = "live", "live (article.published)"
        INDEXED = "indexed", "indexed (search.indexed)"
        NOTIFIED = "notified", "notified (the author's notification)"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="flow_steps")
    revision = models.PositiveIntegerField()
    step = models.CharField(max_length=20, choices=Step.choices)
    cause_event_id = models.UUIDField(help_text="The event that made this step due; a notification names it.")
    cause_type = models.CharField(max_length=100)
    cause_time = models.DateTimeField()
    due_at = models.DateTimeField()
    met_at = models.DateTimeField(null=True, blank=True, help_text="When the following event happened.")
    met_by_type = models.CharField(max_length=100, blank=True)
    # Set by beat once, with the "stuck" timeline entry: a step met late keeps it as history.
    flagged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [models.UniqueConstraint(fields=["step", "cause_event_id"], name="publishing_flowstep_unique")]
        indexes = [models.Index(fields=["due_at"], condition=models.Q(met_at__isnull=True),
                                name="publishing_flowstep_open")]

    def __str__(self) -> str:
        return f"{self.article_id} r{self.revision} {self.step}"
