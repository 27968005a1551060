"""Rules that look only at the submitted text: banned terms, links, length, shouting."""
from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from urllib.parse import urlsplit

from moderation.rules.text import fold, skeleton
from moderation.rules.types import Finding, RuleSpec, Submission, message_format

# Between the letters of a banned word an evader may put one dot, dash, star or space ("v.i.a.g.r.a").
_GAP = r"[\s.\-_*]?"
# Between the words of a banned phrase: any run of non-letters ("casino-bonus", "casino  bonus").
_WORD_GAP = r"[\W_]*"
URL = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>()\[\]\"'`]+")
_MATCH_PREVIEW = 80


def finding(rule: RuleSpec, *, field: str = "", start: int = 0, end: int = 0, match: str = "", **values) -> Finding:
    message = message_format(rule.message, **{**rule.params, **values, "field": field})
    return Finding(rule=rule.code, kind=rule.kind, action=rule.action, score=rule.weight, message=message,
                   field=field, start=start, end=end, match=match[:_MATCH_PREVIEW])


def _term_pattern(term: str) -> str:
    words = skeleton(term).split()
    # A letter may repeat ("viaaagra"); the whole term must stand on word boundaries, so "cialis"
    # never fires inside "specialist".
    return _WORD_GAP.join(_GAP.join(re.escape(c) + "+" for c in word) for word in words)


@lru_cache(maxsize=256)
def terms_regex(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    parts = [_term_pattern(term) for term in terms if skeleton(term).strip()]
    if not parts:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)")


@lru_cache(maxsize=256)
def patterns_regex(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern, re.IGNORECASE))
        except re.error:  # Rule.clean() refuses these; an old bad row must not stop moderation
            continue
    return tuple(compiled)


def banned_terms(rule: RuleSpec, sub: Submission) -> Iterator[Finding]:
    """Word-list terms on the folded skeleton; admin regexes on the folded text without digit folding."""
    terms = terms_regex(tuple(rule.params.get("terms", ())))
    patterns = patterns_regex(tuple(rule.params.get("patterns", ())))
    for field, text in sub.field_texts():
        if terms is not None:
            folded = fold(text)
            for hit in terms.finditer(folded.text):
                start, end = folded.span(hit.start(), hit.end())
                yield finding(rule, field=field, start=start, end=end, match=text[start:end], term=text[start:end])
        if patterns:
            folded = fold(text, leet=False)
            for pattern in patterns:
                for hit in pattern.finditer(folded.text):
                    if hit.end() == hit.start():
                        continue
                    start, end = folded.span(hit.start(), hit.end())
                    yield finding(rule, field=field, start=start, end=end, match=text[start:end], term=text[start:end])


def _host(url: str) -> str:
    try:
        host = urlsplit(url if "://" in url else f"http://{url}").hostname or ""
    except ValueError:
        return ""
    return fold(host, leet=False).text.rstrip(".")


def _domain_in(host: str, domains: list[str]) -> bool:
    return any(host == d or host.endswith("." + d) for d in (d.lower().strip(".") for d in domains) if d)


def links(sub: Submission) -> Iterator[tuple[str, int, int, str, str]]:
    """(field, start, end, url, host) of every link in the title, summary and body."""
    for field, text in sub.field_texts():
        for hit in URL.finditer(text):
            url = hit.group().rstrip(".,;:!?")
            yield field, hit.start(), hit.start() + len(url), url, _host(url)


def link_limit(rule: RuleSpec, sub: Submission) -> Iterator[Finding]:
    internal = rule.params.get("internal_domains", [])
    external = [link for link in links(sub) if link[4] and not _domain_in(link[4], internal)]
    limit = int(rule.params.get("max_links", 5))
    if len(external) > limit:
        field, start, end, url, _ = external[limit]  # the first link over the limit
        yield finding(rule, field=field, start=start, end=end, match=url, count=len(external))


def blocked_domains(rule: RuleSpec, sub: Submission) -> Iterator[Finding]:
    blocked = rule.params.get("domains", [])
    for field, start, end, url, host in links(sub):
        if host and _domain_in(host, blocked):
            yield finding(rule, field=field, start=start, end=end, match=url, domain=host)


def _length_of(rule: RuleSpec, sub: Submission) -> tuple[str, str, int]:
    field = rule.params.get("field", "body")
    text = getattr(sub, field, "")
    return field, text, len(text.strip())


def min_length(rule: RuleSpec, sub: Submission) -> Iterator[Finding]:
    field, text, length = _length_of(rule, sub)
    if length < int(rule.params.get("min_chars", 0)):
        yield finding(rule, field=field, start=0, end=len(text), match=text, length=length)


def max_length(rule: RuleSpec, sub: Submission) -> Iterator[Finding]:
    field, text, length = _length_of(rule, sub)
    if length > int(rule.params.get("max_chars", 10**9)):
        yield finding(rule, field=field, start=0, end=len(text), match=text, length=length)


def shouting(rule: RuleSpec, sub: Submission) -> Iterator[Finding]:
    """A field whose letters are mostly capitals; short fields ("NASA") are left alone."""
    max_ratio = float(rule.params.get("max_ratio", 0.7))
    min_letters = int(rule.params.get("min_letters", 20))
    for field, text in sub.field_texts():
        letters = [c for c in text if c.isalpha() and (c.isupper() or c.islower())]
        if len(letters) < min_letters:
            continue
        ratio = sum(c.isupper() for c in letters) / len(letters)
        if ratio > max_ratio:
            start = len(text) - len(text.lstrip())
            end = len(text.rstrip())
            yield finding(rule, field=field, start=start, end=end, match=text[start:end], ratio=f"{ratio:.0%}")
