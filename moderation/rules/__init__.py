"""The automatic rules: pure functions over plain data (see types.py), decided by engine.evaluate()."""
from __future__ import annotations

from moderation.rules.engine import CHECKS, TAKEDOWN_RULE, evaluate, reasons_of, rules_run, verdict_of
from moderation.rules.history import shingles, sketch
from moderation.rules.types import (
    APPROVE,
    REJECT,
    REVIEW,
    SCORE,
    Finding,
    History,
    RuleSpec,
    Submission,
    Takedown,
    Thresholds,
    Verdict,
)

__all__ = [
    "APPROVE", "CHECKS", "REJECT", "REVIEW", "SCORE", "Finding", "History", "RuleSpec", "Submission", "TAKEDOWN_RULE",
    "Takedown", "Thresholds", "Verdict", "evaluate", "reasons_of", "rules_run", "shingles", "sketch", "verdict_of",
]
