"""Writes of the moderation service: every state change goes through these functions."""
from __future__ import annotations

from moderation.services.cases import case_decide_automatically, case_open, cases_close
from moderation.services.errors import CaseNotFound, ClaimHeld, ModerationError, NotInQueue, NotLive, UnknownReason
from moderation.services.live import live_article_publish, live_article_unpublish, takedown_request
from moderation.services.moderators import moderation_admin_grant, moderator_create
from moderation.services.queue import (
    BulkResult,
    case_approve,
    case_claim,
    case_reject,
    case_release,
    cases_bulk_approve,
    cases_check_sla,
    claims_expire,
)
from moderation.services.rulebook import rulebook_delete, rulebook_save

__all__ = [
    "BulkResult", "CaseNotFound", "ClaimHeld", "ModerationError", "NotInQueue", "NotLive", "UnknownReason", "case_approve",
    "case_claim", "case_decide_automatically", "case_open", "case_reject", "case_release",
    "cases_bulk_approve", "cases_check_sla", "cases_close", "claims_expire", "live_article_publish",
    "live_article_unpublish", "moderation_admin_grant", "moderator_create", "rulebook_delete", "rulebook_save",
    "takedown_request",
]
