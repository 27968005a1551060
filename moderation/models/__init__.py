"""Moderation's models, one module per concern."""
from __future__ import annotations

from moderation.models.audit import AuditAction, AuditEntry
from moderation.models.cases import Case, CaseStatus
from moderation.models.live import LiveArticle
from moderation.models.rules import Policy, ReasonCode, Rule, RuleAction, RuleKind

__all__ = ["AuditAction", "AuditEntry", "Case", "CaseStatus", "LiveArticle", "Policy", "ReasonCode", "Rule",
           "RuleAction", "RuleKind"]
