"""Rules that weigh a submission against what came before: near-duplicates, new authors, rate."""
from __future__ import annotations

import re
import zlib
from collections.abc import Iterator

from moderation.rules.content import finding
from moderation.rules.text import skeleton
from moderation.rules.types import Finding, History, RuleSpec, Submission

SHINGLE_WORDS = 5
SKETCH_SIZE = 256
_WORD = re.compile(r"\w+")


def shingles(sub: Submission, *, size: int = SHINGLE_WORDS) -> frozenset[int]:
    """Hashes of every run of `size` words of the folded title and body.

    crc32, not hash(): the hashes are stored and compared across processes, and hash() of a str
    changes with every interpreter start.
    """
    words = _WORD.findall(skeleton(f"{sub.title}\n{sub.body}"))
    if len(words) < size:
        return frozenset([zlib.crc32(" ".join(words).encode())]) if words else frozenset()
    return frozenset(zlib.crc32(" ".join(words[i:i + size]).encode()) for i in range(len(words) - size + 1))


def sketch(hashes: frozenset[int], *, k: int = SKETCH_SIZE) -> frozenset[int]:
    """The k smallest hashes (a bottom-k MinHash sketch): what is stored per case, whatever the length."""
    return frozenset(sorted(hashes)[:k])


def jaccard(a: frozenset[int], b: frozenset[int], *, k: int = SKETCH_SIZE) -> float:
    """Jaccard similarity of two sets from their bottom-k sketches; exact while both are smaller than k."""
    if not a or not b:
        return 0.0
    union = frozenset(sorted(a | b)[:k])
    return len(union & a & b) / len(union)


def near_duplicate(rule: RuleSpec, sub: Submission, history: History) -> Iterator[Finding]:
    """Content that is (almost) the same as something rejected before, under another article."""
    threshold = float(rule.params.get("threshold", 0.8))
    mine = sketch(shingles(sub))
    best_case, best = "", 0.0
    for case_id, theirs in history.rejected:
        similarity = jaccard(mine, theirs)
        if similarity > best:
            best_case, best = case_id, similarity
    if best >= threshold:
        yield finding(rule, field="body", end=len(sub.body), match=f"{best:.0%} similar to rejected case {best_case}",
                      similarity=f"{best:.0%}")


def new_author(rule: RuleSpec, sub: Submission, history: History) -> Iterator[Finding]:
    """Until an author has `first_n` approved submissions, a human looks at each one."""
    if history.author_approved < int(rule.params.get("first_n", 1)):
        yield finding(rule, approved=history.author_approved)


def submission_rate(rule: RuleSpec, sub: Submission, history: History) -> Iterator[Finding]:
    """More than `max_submissions` by one author within `window_minutes` (this one included)."""
    if history.author_recent_submissions + 1 > int(rule.params.get("max_submissions", 5)):
        yield finding(rule, count=history.author_recent_submissions + 1)
