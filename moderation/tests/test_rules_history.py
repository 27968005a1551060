"""The rules that weigh history, and the decision from findings to approve / review / reject."""
from __future__ import annotations

from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderation.bench_rules import Baseline
from moderation.rules import (
    APPROVE,
    REJECT,
    REVIEW,
    Finding,
    History,
    RuleSpec,
    Submission,
    Thresholds,
    evaluate,
    reasons_of,
    shingles,
    sketch,
    verdict_of,
)
from moderation.rules.history import MAX_SHINGLED_WORDS, jaccard, near_duplicate, new_author, submission_rate

SPAM_TEXT = ("Limited offer on the best garden tools you will ever own, order today and get free shipping "
             "to any address in the country with our special discount code for new customers only")
DUP = RuleSpec(code="near_duplicate", kind="near_duplicate", weight=6, message="{similarity} similar",
               params={"threshold": 0.8})


def rejected(*texts: str) -> History:
    return History(rejected=tuple((f"case{i}", shingles(Submission(title="Offer", body=t))) for i, t in enumerate(texts)))


@pytest.mark.parametrize(("text", "fires"), [
    (SPAM_TEXT, True),
    (SPAM_TEXT.upper(), True),  # capitals do not hide it
    (SPAM_TEXT.replace("o", "0"), True),  # nor digits for letters
    (SPAM_TEXT + " Call now.", True),  # a small addition
    ("A practical guide to composting in small flats, with bokashi buckets and worm bins", False),
    (" ".join(SPAM_TEXT.split()[:12]), False),  # sharing a part is not a duplicate
])
def test_near_duplicate_of_rejected_content(text: str, fires: bool) -> None:
    found = list(near_duplicate(DUP, Submission(title="Offer", body=text), rejected(SPAM_TEXT)))
    assert bool(found) is fires


def test_near_duplicate_needs_something_rejected() -> None:
    assert list(near_duplicate(DUP, Submission(title="Offer", body=SPAM_TEXT), History())) == []


def test_jaccard() -> None:
    assert jaccard(frozenset({1, 2}), frozenset({2, 3})) == pytest.approx(1 / 3)
    assert jaccard(frozenset(), frozenset({1})) == 0


NEW = RuleSpec(code="new_author", kind="new_author", action="review", params={"first_n": 2})


@pytest.mark.parametrize(("approved", "fires"), [(0, True), (1, True), (2, False), (10, False)])
def test_new_author(approved: int, fires: bool) -> None:
    assert bool(list(new_author(NEW, Submission(title="t"), History(author_approved=approved)))) is fires


RATE = RuleSpec(code="submission_rate", kind="submission_rate", weight=3, message="{count} in {window_minutes}",
                params={"max_submissions": 3, "window_minutes": 60})


@pytest.mark.parametrize(("earlier", "fires"), [(0, False), (2, False), (3, True), (9, True)])
def test_submission_rate(earlier: int, fires: bool) -> None:
    found = list(submission_rate(RATE, Submission(title="t"), History(author_recent_submissions=earlier)))
    assert bool(found) is fires
    if fires:
        assert found[0].message == f"{earlier + 1} in 60"


THRESHOLDS = Thresholds(review=3, reject=10)


def f(score: float, action: str = "score", rule: str = "r") -> Finding:
    return Finding(rule=rule, kind="k", action=action, score=score, message=f"{rule} fired")


@pytest.mark.parametrize(("findings", "outcome", "score"), [
    ([], APPROVE, 0),
    ([f(2)], APPROVE, 2),
    ([f(3)], REVIEW, 3),
    ([f(0, "review")], REVIEW, 0),
    ([f(4), f(4)], REVIEW, 8),
    ([f(4), f(3), f(3)], REJECT, 10),
    ([f(0, "reject")], REJECT, 0),
    ([f(1, "reject"), f(0, "review")], REJECT, 1),
])
def test_verdict(findings: list[Finding], outcome: str, score: float) -> None:
    verdict = verdict_of(findings, THRESHOLDS)
    assert (verdict.outcome, verdict.score) == (outcome, score)


def test_evaluate_skips_unknown_kinds_and_explains_where() -> None:
    rules = [RuleSpec(code="spam", kind="banned_terms", action="reject", message="no {term}",
                      params={"terms": ["viagra"]}), RuleSpec(code="future", kind="not_yet_built")]
    verdict = evaluate(rules, Submission(title="Viagra", body="more viagra"), History(), THRESHOLDS)
    assert verdict.outcome == REJECT
    assert reasons_of(verdict.findings) == [{"code": "spam", "message": "no Viagra", "where": [
        {"field": "title", "start": 0, "end": 6, "text": "Viagra"},
        {"field": "body", "start": 5, "end": 11, "text": "viagra"}]}]


def test_the_sketch_estimates_jaccard_of_long_texts() -> None:
    words = [f"w{i}" for i in range(3000)]
    a = shingles(Submission(title="t", body=" ".join(words)))
    b = shingles(Submission(title="t", body=" ".join(words[:2700] + [f"x{i}" for i in range(300)])))
    exact = len(a & b) / len(a | b)
    assert len(sketch(a)) == 256
    assert jaccard(sketch(a), sketch(b)) == pytest.approx(exact, abs=0.08)


WORDS = st.lists(st.sampled_from(["offer", "best", "price", "ORDER", "now", "fr3e", "ｓｈｉｐ", "жук", "café", "x"]),
                 max_size=40).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(WORDS, WORDS)
def test_shingles_are_the_old_hashes(title: str, text: str) -> None:
    """They are stored with the case and compared with those of later submissions: they must not drift."""
    assert shingles(Submission(title=title, body=text)) == Baseline.shingles(title, text)


def test_shingles_look_at_the_first_words_only() -> None:
    opening = " ".join(f"w{i}" for i in range(MAX_SHINGLED_WORDS))
    a = shingles(Submission(title="", body=opening + " one ending"))
    b = shingles(Submission(title="", body=opening + " " + "another much longer ending " * 1_000))
    assert a == b == Baseline.shingles("", opening)


def _best_as_before(mine: frozenset[int], history: History) -> tuple[str, float]:
    best_case, best = "", 0.0
    for case_id, theirs in history.rejected:
        similarity = jaccard(mine, theirs)
        if similarity > best:
            best_case, best = case_id, similarity
    return best_case, best


@settings(max_examples=300, deadline=None)
@given(st.lists(st.frozensets(st.integers(0, 600), max_size=300), max_size=8), st.frozensets(st.integers(0, 600), max_size=300),
       st.sampled_from([0.0, 0.3, 0.8, 1.0]))
def test_near_duplicate_picks_the_case_it_picked_before(theirs: list[frozenset[int]], mine: frozenset[int],
                                                        threshold: float) -> None:
    history = History(rejected=tuple((f"case{i}", sketch(hashes)) for i, hashes in enumerate(theirs)))
    rule = RuleSpec(code="d", kind="near_duplicate", message="{similarity}", params={"threshold": threshold})
    sub = Submission(title="t", body="b")
    best_case, best = _best_as_before(sketch(mine), history)
    with patch("moderation.rules.history.shingles", return_value=mine):
        found = list(near_duplicate(rule, sub, history))
    expected = [f"{best:.0%} similar to rejected case {best_case}"] if best >= threshold else []
    assert [f.match for f in found] == expected
