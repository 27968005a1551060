"""Rules that weigh a submission against what came before: near-duplicates, new authors, rate."""
from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from functools import lru_cache
from itertools import accumulate, islice

from moderation.rules.content import finding
from moderation.rules.text import skeleton
from moderation.rules.types import Finding, History, RuleSpec, Submission

SHINGLE_WORDS = 5
SKETCH_SIZE = 256
# A near-duplicate is judged on the first 5,000 words of title and body (some 30,000 characters of
# prose, the length of a long article): every shingle costs a hash, and a body of 200,000 characters
# would spend more on them than on all the other rules together. Two copies of the same opening still
# look the same.
MAX_SHINGLED_WORDS = 5_000
_WORD = re.compile(r"\w+")


def shingles(sub: Submission, *, size: int = SHINGLE_WORDS) -> frozenset[int]:
    """Hashes of every run of `size` words of the folded title and body (the first MAX_SHINGLED_WORDS).

    crc32, not hash(): the hashes are stored and compared across processes, and hash() of a str
    changes with every interpreter start.
    """
    return _shingles(sub.title, sub.body, size)


@lru_cache(maxsize=8)
def _shingles(title: str, body: str, size: int) -> frozenset[int]:
    # Memoised: the case stores the sketch the near-duplicate rule has just computed. Folding is per
    # character, so the body's skeleton is the one the banned-terms rule folded (and cached) already.
    words = [hit.group() for hit in islice(_WORD.finditer(f"{skeleton(title)}\n{skeleton(body)}"), MAX_SHINGLED_WORDS)]
    text = " ".join(words)
    joined = text.encode()
    if len(words) < size:
        return frozenset([zlib.crc32(joined)]) if words else frozenset()
    # Each shingle is a slice of the words joined by single spaces, hashed without copying it.
    lengths = map(len, words) if text.isascii() else map(len, map(str.encode, words))
    starts = [0, *accumulate(length + 1 for length in lengths)]
    view = memoryview(joined)
    return frozenset(map(zlib.crc32, map(view.__getitem__, map(slice, starts, [s - 1 for s in starts[size:]]))))


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
        # jaccard() sorts the union; most rejected cases share nothing with this one. Its estimate is at
        # most |a & b| / min(k, |a | b|), so a case whose bound cannot beat the best so far, or reach the
        # threshold, cannot change the outcome and is passed over.
        common = len(mine & theirs)
        if not common or common / min(SKETCH_SIZE, len(mine) + len(theirs) - common) < max(best, threshold):
            continue
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
