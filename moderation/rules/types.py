"""Plain data the rules work on: no database, so every rule is a pure function and tested by tables."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FIELDS = ("title", "summary", "body")

# What a finding does to the decision: add its weight to the score, force human review, or reject.
SCORE, REVIEW, REJECT = "score", "review", "reject"
APPROVE = "approve"


@dataclass(frozen=True)
class RuleSpec:
    code: str
    kind: str
    message: str = ""
    weight: float = 0.0
    action: str = SCORE
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Submission:
    title: str
    summary: str = ""
    body: str = ""
    tags: tuple[str, ...] = ()
    author_id: str = ""
    article_id: str = ""

    def field_texts(self) -> list[tuple[str, str]]:
        return [(name, getattr(self, name)) for name in FIELDS]


@dataclass(frozen=True)
class Takedown:
    """A takedown moderation asked for on the article: the revision it was, the reason, when and by whom."""

    revision: int
    code: str
    message: str
    at: str  # ISO 8601
    by: str

    def to_dict(self) -> dict[str, Any]:
        return {"revision": self.revision, "code": self.code, "message": self.message, "at": self.at, "by": self.by}


@dataclass(frozen=True)
class History:
    """What the rules need to know beyond the text itself; the service looks it up."""

    author_approved: int = 0
    author_recent_submissions: int = 0
    # (case id, shingle hashes) of previously rejected submissions of other articles
    rejected: tuple[tuple[str, frozenset[int]], ...] = ()
    # The article's last takedown, if it ever had one: every later revision goes to a human.
    takedown: Takedown | None = None


@dataclass(frozen=True)
class Finding:
    rule: str
    kind: str
    action: str
    score: float
    message: str
    field: str = ""
    start: int = 0
    end: int = 0
    match: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule, "kind": self.kind, "action": self.action, "score": self.score,
            "message": self.message, "field": self.field, "start": self.start, "end": self.end,
            "match": self.match,
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Finding:
        return cls(**{name: doc[name] for name in cls.__dataclass_fields__ if name in doc})


@dataclass(frozen=True)
class Thresholds:
    review: float
    reject: float


@dataclass(frozen=True)
class Verdict:
    outcome: str  # APPROVE, REVIEW or REJECT
    score: float
    findings: tuple[Finding, ...]


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def message_format(template: str, **values: Any) -> str:
    """Fill `{placeholders}` an admin wrote into a rule's message; unknown ones stay as written."""
    try:
        return template.format_map(_Blank(values))
    except (ValueError, IndexError, AttributeError):  # a stray "{0}" or "{" must not break moderation
        return template
