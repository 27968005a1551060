"""Banned terms and moderators' patterns on RE2: the same findings as the old `re` patterns, in linear time."""
from __future__ import annotations

import logging
import time
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderation.bench_rules import Baseline
from moderation.rules import RuleSpec, Submission
from moderation.rules import terms as terms_module
from moderation.rules.content import banned_terms
from moderation.rules.terms import pattern_problem, pattern_spans, patterns_compiled, patterns_problems, terms_matcher
from moderation.rules.text import fold

DEFAULT_TERMS = ["viagra", "cialis", "levitra", "casino bonus", "free spins", "payday loan", "crypto giveaway",
                 "buy followers", "replica watches", "work from home and earn"]
DEFAULT_PATTERN = r"\bearn \$?\d[\d,]* (?:per|a) (?:day|hour)\b"

# Letters of the terms in every disguise, the separators a term may hold, and what stands around words.
EVASIVE = ("viagrcalsbonufeepdytwkhm" "VIAGRC" "01345|$@€" " .-_*\n\t" "!,'()" "аеорсіαονВ" "àé\u0301"
           "\u200b\u00ad" "жß数_")


def spans_now(terms: list[str], text: str) -> list[tuple[int, int]]:
    """What banned_terms reports today, in the author's offsets."""
    matcher = terms_matcher(tuple(terms))
    if matcher is None:
        return []
    folded = fold(text)
    return [folded.span(start, end) for start, end in matcher.spans(folded.text)]


@settings(max_examples=600, deadline=None)
@given(st.text(EVASIVE, max_size=40))
def test_default_terms_match_where_the_old_patterns_did(text: str) -> None:
    assert spans_now(DEFAULT_TERMS, text) == Baseline.term_spans(DEFAULT_TERMS, text)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.text("aeiv lc-.1", min_size=1, max_size=6), min_size=1, max_size=4), st.text("aeiv lc-.1_ж!", max_size=30))
def test_any_terms_match_where_the_old_patterns_did(terms: list[str], text: str) -> None:
    """Overlapping terms too: the first alternative that matches wins, as in `re`."""
    assert spans_now(terms, text) == Baseline.term_spans(terms, text)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.text("aeiv lc-.1", min_size=1, max_size=6), min_size=1, max_size=6), st.text("aeiv lc-.1_ж!", max_size=30))
def test_terms_in_groups_match_as_one_alternation(terms: list[str], text: str) -> None:
    """A long list is compiled in groups; here every term is a group of its own."""
    with patch.object(terms_module, "_GROUP_SIZE", 0):
        matcher = terms_matcher.__wrapped__(tuple(terms))
    folded = fold(text)
    spans = [folded.span(start, end) for start, end in matcher.spans(folded.text)] if matcher else []
    assert spans == Baseline.term_spans(terms, text)


def test_a_long_term_list_is_compiled_in_groups() -> None:
    phrases = [f"spam{i} offer{i}" for i in range(300)]
    assert len(terms_matcher(tuple(phrases)).regexes) > 1
    text = "buy spam7 offer7 and spam299-offer299 now"
    assert spans_now(phrases, text) == [(4, 16), (21, 37)] == Baseline.term_spans(phrases, text)


@pytest.mark.parametrize("text", [
    "viagra viagra", "viagra.viagra", "viagra_viagra", "free.e.e spins", "frreeeee  spins", "casino---bonus",
    "casinobonus", "xviagra", "viagrax", "viagraж", "жviagra", "ca\u0301sino bonus", "v\u200bi\u200ba\u200bgra",
    "work from home and earn", "work-from-home-and-earn", "специалист cialis", "", " ", "\n",
])
def test_the_corpus_matches_as_before(text: str) -> None:
    assert spans_now(DEFAULT_TERMS, text) == Baseline.term_spans(DEFAULT_TERMS, text)


@pytest.mark.parametrize("text", ["fr" + "e" * 199_998, "v" + "i" * 199_999, "casino" + "-" * 199_994,
                                  "fr" + "e." * 99_999, "viagra " * 28_571])
def test_terms_take_linear_time(text: str) -> None:
    matcher = terms_matcher(tuple(DEFAULT_TERMS))
    start = time.perf_counter()
    list(matcher.spans(text))
    assert time.perf_counter() - start < 0.5  # the old patterns took minutes on the first ones


def test_no_terms_no_matcher() -> None:
    assert terms_matcher(()) is None
    assert terms_matcher((" ", "\u200b")) is None


def test_a_lone_surrogate_does_not_stop_moderation() -> None:
    rule = RuleSpec(code="s", kind="banned_terms", params={"terms": ["viagra", "\ud800"], "patterns": ["earn"]})
    found = list(banned_terms(rule, Submission(title="t", body="\ud800 viagra \udfff earn")))
    assert [f.match for f in found] == ["viagra", "earn"]


@settings(max_examples=300, deadline=None)
@given(st.text("earn $0123456789,. perdayhourEARNxa", max_size=40))
def test_the_default_pattern_matches_where_re_did_on_ascii(text: str) -> None:
    patterns = patterns_compiled((DEFAULT_PATTERN,))
    folded = fold(text, leet=False)
    now = [folded.span(start, end) for start, end in pattern_spans(patterns, folded.text)]
    assert now == Baseline.pattern_spans([DEFAULT_PATTERN], text)


def test_pattern_offsets_are_characters_not_bytes() -> None:
    rule = RuleSpec(code="p", kind="banned_terms", params={"patterns": [r"earn \$\d+"]})
    text = "Ça coûte 😀 — earn $300 a day, or EARN $5"
    found = list(banned_terms(rule, Submission(title="t", body=text)))
    assert [(f.start, f.end, f.match) for f in found] == [
        (text.index("earn"), text.index(" a day"), "earn $300"), (text.index("EARN"), len(text), "EARN $5")]


@pytest.mark.parametrize(("pattern", "reason"), [
    (r"(?<=\$)\d+", "(?<="),  # lookbehind
    (r"(?<!x)y", "(?<!"),
    (r"free(?= spins)", "(?="),  # lookahead
    (r"(\w+) \1", r"\1"),  # backreference
    (r"a{2000}", "repetition"),
    (r"(unclosed", "missing )"),
    ("", "non-empty"),
    (5, "string"),
])
def test_re2_refuses_what_it_cannot_run_in_linear_time(pattern: object, reason: str) -> None:
    problem = pattern_problem(pattern)
    assert problem is not None and reason in problem


@pytest.mark.parametrize("pattern", [DEFAULT_PATTERN, r"\bearn \$\d+ a day\b", r"(?i)casino\s+bonus", r"\p{Cyrillic}+"])
def test_re2_takes_ordinary_patterns(pattern: str) -> None:
    assert pattern_problem(pattern) is None


def test_patterns_must_be_a_list() -> None:
    assert patterns_problems("earn") == ["patterns must be a list of strings, not str"]
    assert patterns_problems(["ok", "(?=x)"])[0].startswith('pattern "(?=x)": invalid perl operator')


def test_a_stored_bad_pattern_is_skipped_with_a_warning(caplog) -> None:
    rule = RuleSpec(code="old_row", kind="banned_terms", params={"patterns": [r"(?<=\$)\d+ dollars", "ok+"]})
    with caplog.at_level(logging.WARNING, logger="moderation.rules.terms"):
        found = list(banned_terms(rule, Submission(title="t", body="$5 dollars is okkk")))
    assert [f.match for f in found] == ["okkk"]  # no fallback to Python's re for the refused one
    assert "old_row" in caplog.text and "(?<=" in caplog.text
