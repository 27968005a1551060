"""Writes of the publishing service: every state change and the events it causes commit together."""
from __future__ import annotations

from publishing.services.articles import (
    NothingToSubmit,
    StaleUpdate,
    article_create,
    article_delete,
    article_submit,
    article_update,
    article_withdraw,
    revision_create,
)
from publishing.services.authors import AUTHORS_GROUP, author_create, author_update
from publishing.services.flows import flows_flag_overdue
from publishing.services.publication import (
    OVERDUE_AFTER,
    StaleEvent,
    article_approve,
    article_publish_scheduled,
    article_reject,
    article_reschedule,
    article_review_start,
    article_take_down,
    article_unpublish,
    articles_publish_due,
)
from publishing.services.snapshots import (
    SnapshotProgress,
    articles_snapshot,
    snapshot_chunk_send,
    snapshot_run_schedule,
    snapshot_run_start,
    snapshot_runs_resume,
)
from publishing.services.timeline import timeline_note, timeline_record
from publishing.transitions import TransitionNotAllowed

__all__ = [
    "AUTHORS_GROUP", "NothingToSubmit", "OVERDUE_AFTER", "SnapshotProgress", "StaleEvent", "StaleUpdate", "TransitionNotAllowed",
    "article_approve", "article_create", "article_delete", "article_publish_scheduled", "article_reject",
    "article_reschedule", "article_review_start", "article_submit", "article_take_down", "article_unpublish",
    "article_update", "article_withdraw", "articles_publish_due", "articles_snapshot", "author_create",
    "flows_flag_overdue",
    "author_update", "revision_create", "snapshot_chunk_send", "snapshot_run_schedule", "snapshot_run_start",
    "snapshot_runs_resume", "timeline_note", "timeline_record",
]
