"""The automatic rules, thresholds and reason codes (the rulebook), editable by moderation admins in the admin."""
from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models

from moderation.rules import CHECKS, TAKEDOWN_RULE, RuleSpec, Thresholds
from moderation.rules.terms import pattern_problem


class RuleKind(models.TextChoices):
    BANNED_TERMS = "banned_terms", "Banned terms (params: terms, patterns)"
    LINK_LIMIT = "link_limit", "Too many external links (params: max_links, internal_domains)"
    BLOCKED_DOMAINS = "blocked_domains", "Blocked domains (params: domains)"
    MIN_LENGTH = "min_length", "Too short (params: field, min_chars)"
    MAX_LENGTH = "max_length", "Too long (params: field, max_chars)"
    SHOUTING = "shouting", "Shouting (params: max_ratio, min_letters)"
    NEAR_DUPLICATE = "near_duplicate", "Near-duplicate of rejected content (params: threshold, lookback)"
    NEW_AUTHOR = "new_author", "New author (params: first_n)"
    SUBMISSION_RATE = "submission_rate", "Too many submissions (params: max_submissions, window_minutes)"


assert set(RuleKind.values) == set(CHECKS), "every rule kind needs a check in moderation.rules.engine"


class RuleAction(models.TextChoices):
    SCORE = "score", "Add its weight to the score"
    REVIEW = "review", "Send to a human"
    REJECT = "reject", "Reject (blocking)"


class Rule(models.Model):
    code = models.SlugField(max_length=60, unique=True, help_text="Reason code authors and publishing see.")
    kind = models.CharField(max_length=30, choices=RuleKind.choices)
    enabled = models.BooleanField(default=True)
    action = models.CharField(max_length=10, choices=RuleAction.choices, default=RuleAction.SCORE)
    weight = models.FloatField(default=0, help_text="Added to the score when the rule fires (once per submission).")
    message = models.CharField(max_length=500, help_text="What the author reads; may use {placeholders} of params.")
    params = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        if not re.fullmatch(r"[a-z0-9_.-]+", self.code or ""):
            raise ValidationError({"code": "lower-case letters, digits, '_', '.' and '-' only (a reason code)"})
        if self.code == TAKEDOWN_RULE:
            raise ValidationError({"code": f"{TAKEDOWN_RULE!r} is the reason code of the takedown step; choose another"})
        if not isinstance(self.params, dict):
            raise ValidationError({"params": "a JSON object"})
        for pattern in self.params.get("patterns", []):
            # Patterns run on RE2 (linear time): a pattern it cannot take is refused with its reason.
            if (problem := pattern_problem(pattern)) is not None:
                raise ValidationError({"params": problem})

    def spec(self) -> RuleSpec:
        return RuleSpec(code=self.code, kind=self.kind, message=self.message, weight=self.weight,
                        action=self.action, params=self.params or {})


class Policy(models.Model):
    """The thresholds: one row (pk=1), created by a migration and edited in the admin."""

    review_threshold = models.FloatField(default=3, help_text="A score at or above this goes to a human.")
    reject_threshold = models.FloatField(default=10, help_text="A score at or above this is rejected.")

    class Meta:
        verbose_name_plural = "policy"

    def __str__(self) -> str:
        return f"review ≥ {self.review_threshold}, reject ≥ {self.reject_threshold}"

    def clean(self) -> None:
        if self.review_threshold > self.reject_threshold:
            raise ValidationError("the review threshold cannot be above the reject threshold")

    def thresholds(self) -> Thresholds:
        return Thresholds(review=self.review_threshold, reject=self.reject_threshold)


class ReasonCode(models.Model):
    """The reasons a moderator may give for a rejection or a takedown."""

    code = models.SlugField(max_length=60, unique=True)
    message = models.CharField(max_length=500, help_text="What the author reads.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code
