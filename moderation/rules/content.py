"""Rules that look only at the submitted text: banned terms, links, length, shouting.

Each rule is linear in the text: matching is RE2 or a single pass of C-level string operations, and
nothing runs a backtracking pattern per character. A body may hold 200,000 characters.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice, repeat
from operator import add

from moderation.rules.terms import pattern_spans, patterns_compiled, terms_matcher
from moderation.rules.text import CharTable, fold, folded, translate
from moderation.rules.types import Finding, RuleSpec, Submission, message_format

# One pass, no backtracking: after the fixed prefix, a run of one character class and nothing after it.
URL = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>()\[\]\"'`]+")
_MATCH_PREVIEW = 80


def finding(rule: RuleSpec, *, field: str = "", start: int = 0, end: int = 0, match: str = "", **values) -> Finding:
    message = message_format(rule.message, **{**rule.params, **values, "field": field})
    return Finding(rule=rule.code, kind=rule.kind, action=rule.action, score=rule.weight, message=message,
                   field=field, start=start, end=end, match=match[:_MATCH_PREVIEW])


def banned_terms(rule: RuleSpec, sub: Submission) -> Iterator[Finding]:
    """Word-list terms on the folded skeleton; admin regexes on the folded text without digit folding."""
    terms = terms_matcher(tuple(rule.params.get("terms", ())))
    patterns = patterns_compiled(tuple(rule.params.get("patterns", ())), rule=rule.code)
    for field, text in sub.field_texts():
        if terms is not None:
            folded = fold(text)
            for hit_start, hit_end in terms.spans(folded.text):
                start, end = folded.span(hit_start, hit_end)
                yield finding(rule, field=field, start=start, end=end, match=text[start:end], term=text[start:end])
        if patterns:
            folded = fold(text, leet=False)
            for hit_start, hit_end in pattern_spans(patterns, folded.text):
                start, end = folded.span(hit_start, hit_end)
                yield finding(rule, field=field, start=start, end=end, match=text[start:end], term=text[start:end])


# The host of each link as urlsplit(url, or "http://" + url for "www." links).hostname has it, for a
# whole list of links (joined one per line) in one findall() instead of a urlsplit() per link. Links
# hold no spaces or brackets, so neither line breaks nor IPv6 hosts come into it. The authority
# follows a scheme ("https://", even "www.a.b://"), or starts the link when it has no "://" at all
# ("www.…"); after a "://" further on, urlsplit() sees no authority. The host is what follows the
# authority's last "@", up to a port. Each line gives one match, empty when there is no authority.
_AUTHORITY_AT = r"(?m)^(?:(?:[A-Za-z0-9+.\-]*://|(?![^\n]*://))"
_HOSTS = re.compile(_AUTHORITY_AT + r"(?:[^/?#\n]*@)?([^/?#:\n]*))?")
_AUTHORITIES = re.compile(_AUTHORITY_AT + r"((?:[^/?#\n]*@)?([^/?#:\n]*)[^/?#\n]*))?")


def _hosts(urls: list[str]) -> list[str]:
    """The folded host of each link ("" for none): what blocked and internal domains are compared with."""
    if not urls:
        return []
    joined = "\n".join(urls)
    if joined.isascii():  # lower() is all that folding does to ASCII
        return list(map(str.rstrip, map(str.lower, _HOSTS.findall(joined)), repeat(".")))
    found = _AUTHORITIES.findall(joined)  # (authority, host) per link
    distinct = list(dict.fromkeys(found))
    host_of = dict(zip(distinct, _hosts_folded(distinct), strict=True))
    return list(map(host_of.__getitem__, found))


def _hosts_folded(pairs: list[tuple[str, str]]) -> list[str]:
    """What urlsplit() and then fold() make of each (authority, host), all at once: a line break stands
    between two of them as the end of a string would (it is neither cased, nor folded, nor normalised)."""
    hosts = [host for _, host in pairs]
    names = "\n".join(hosts)
    if "%" in names:  # urlsplit() keeps the case of an IPv6 zone ("%eth0")
        names = "\n".join(name.lower() + percent + zone for name, percent, zone in (h.partition("%") for h in hosts))
    else:
        names = names.lower()
    folded_hosts = list(map(str.rstrip, folded(names).split("\n"), repeat(".")))
    # urlsplit() refuses an authority in which NFKC makes a "/", "?", "#", "@" or ":" appear.
    plain = "\n".join(authority for authority, _ in pairs)
    for mark in "@:#?":  # which urlsplit() takes out before it normalises
        plain = plain.replace(mark, "")
    normal = unicodedata.normalize("NFKC", plain)
    if normal != plain:
        for i, (before, after) in enumerate(zip(plain.split("\n"), normal.split("\n"), strict=True)):
            if before != after and any(mark in after for mark in "/?#@:"):
                folded_hosts[i] = ""
    return folded_hosts


@lru_cache(maxsize=256)
def _domains_regex(domains: tuple[str, ...]) -> re.Pattern[str] | None:
    """A host that is one of `domains` or under one (after a dot); None for no domains. Linear: each
    position tries the fixed domain names once."""
    names = sorted({d for d in (str(v).lower().strip(".") for v in domains) if d})
    if not names:
        return None
    return re.compile(r"(?:^|\.)(?:" + "|".join(map(re.escape, names)) + r")\Z")


@dataclass(frozen=True)
class _Links:
    starts: list[int]
    ends: list[int]
    urls: list[str]
    hosts: list[str]
    more: bool = False  # links past MAX_LINKS were not looked at


_NO_LINKS = _Links([], [], [], [])
# The link rules look at the first 2,000 links of a field. Far past any link limit, so the limit
# rule fires as before (its message then says "2000+"); a blocked domain further on goes unnamed,
# but a text with that many links goes to a human anyway. Ten thousand links with ten thousand
# hosts in other scripts would otherwise cost more than every other rule together.
MAX_LINKS = 2_000


@lru_cache(maxsize=8)
def _links_in(text: str) -> _Links:
    # Memoised: both link rules read the same links. Built by C-level map()s over the regex matches,
    # not a Python step (and a urlsplit()) per link.
    ascii_lower = text.encode("utf-8", "surrogatepass").lower()
    if b"http" not in ascii_lower and b"www." not in ascii_lower:
        # No link can start here: only ASCII letters match "http" and "www." under (?i). Saves the
        # regex's step per character on text without links.
        return _NO_LINKS
    hits = list(islice(URL.finditer(text), MAX_LINKS + 1))
    more = len(hits) > MAX_LINKS
    del hits[MAX_LINKS:]
    starts = list(map(re.Match.start, hits))
    urls = list(map(str.rstrip, map(re.Match.group, hits), repeat(".,;:!?")))
    return _Links(starts, list(map(add, starts, map(len, urls))), urls, _hosts(urls), more)


def links(sub: Submission) -> Iterator[tuple[str, int, int, str, str]]:
    """(field, start, end, url, host) of every link in the title, summary and body."""
    for field, text in sub.field_texts():
        found = _links_in(text)
        yield from zip(repeat(field), found.starts, found.ends, found.urls, found.hosts)


def link_limit(rule: RuleSpec, sub: Submission) -> Iterator[Finding]:
    internal = _domains_regex(tuple(rule.params.get("internal_domains", ())))
    limit = max(0, int(rule.params.get("max_links", 5)))
    count, more, first_over = 0, False, None
    for field, text in sub.field_texts():
        found = _links_in(text)
        external = [i for i, host in enumerate(found.hosts) if host and not (internal and internal.search(host))]
        if first_over is None and count + len(external) > limit:
            i = external[limit - count]  # the first link over the limit
            first_over = (field, found.starts[i], found.ends[i], found.urls[i])
        count += len(external)
        more = more or found.more
    if first_over:
        field, start, end, url = first_over
        yield finding(rule, field=field, start=start, end=end, match=url, count=f"{count}+" if more else count)


def blocked_domains(rule: RuleSpec, sub: Submission) -> Iterator[Finding]:
    blocked = _domains_regex(tuple(rule.params.get("domains", ())))
    if blocked is None:
        return
    for field, start, end, url, host in links(sub):
        if host and blocked.search(host):
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


def _case_of(char: str) -> str | None:
    if char.isalpha() and char.isupper():
        return "U"
    if char.isalpha() and char.islower():
        return "l"
    return None  # dropped


_CASES = CharTable(_case_of)
# Shouting is judged on the first 20,000 characters of a field (some 3,000 words: all of most
# articles). Text in other scripts costs a dictionary look-up per character, and the opening of a field
# tells writing in capitals from prose as well as the whole does.
SHOUTING_CHARS = 20_000


def shouting(rule: RuleSpec, sub: Submission) -> Iterator[Finding]:
    """A field whose letters are mostly capitals; short fields ("NASA") are left alone."""
    max_ratio = float(rule.params.get("max_ratio", 0.7))
    min_letters = int(rule.params.get("min_letters", 20))
    for field, text in sub.field_texts():
        cases = translate(text[:SHOUTING_CHARS], _CASES)  # "U" per capital, "l" per small letter
        if len(cases) < min_letters:
            continue
        ratio = cases.count("U") / len(cases)
        if ratio > max_ratio:
            start = len(text) - len(text.lstrip())
            end = len(text.rstrip())
            yield finding(rule, field=field, start=start, end=end, match=text[start:end], ratio=f"{ratio:.0%}")
