"""Banned terms and moderators' patterns, compiled for RE2: matching takes time linear in the text.

Python's `re` backtracks: the term pattern `f+ r+ e+ e+` (a letter may repeat) over "fr" + "e" * n
tries every way of splitting the run of e's, and 16,000 of them took seconds. RE2 runs the same
pattern as an automaton. RE2 has no lookarounds, so the whole-word check `(?<!\\w)…(?!\\w)` becomes
one consumed non-word character on each side (the text gets a leading space) and the next search
starts on the last character of the previous term, which is what the lookbehind would have looked
at. RE2 picks matches the way Python does (leftmost, then the first alternative, greedy), so the
findings are the ones the old `re` patterns gave; tests compare both on random text.

`\\w` and `\\s` mean Python's (Unicode) classes, spelled out as RE2 ranges from the interpreter's own
tables, so "cialisж" is still one word.
"""
from __future__ import annotations

import logging
import re
import sys
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache

import re2

from moderation.rules.text import skeleton

logger = logging.getLogger(__name__)

_SEPARATORS = ".-_*"  # with whitespace: what may stand between two letters of a word ("v.i.a.g.r.a")
_CONTINUATION = bytes(range(0x80, 0xC0))  # UTF-8 bytes that do not start a character


def _options(*, case_sensitive: bool) -> re2.Options:
    options = re2.Options()
    options.case_sensitive = case_sensitive
    options.log_errors = False  # a refused pattern is reported by us, once, not on stderr
    return options


_TERMS_OPTIONS = _options(case_sensitive=True)  # terms match the skeleton, which is lower case already
_TERMS_OPTIONS.max_mem = 32 << 20  # per group of terms; used as the automaton grows
_PATTERN_OPTIONS = _options(case_sensitive=False)  # moderators' patterns were always case-insensitive


@cache
def _python_classes() -> tuple[str, str, str]:
    """Python's `\\w`, `[^\\W_]` and `\\s` (the code points `re` puts in each), as the insides of RE2 [...]s."""
    every = array("I", range(sys.maxunicode + 1)).tobytes().decode("utf-32-le", "surrogatepass")
    return tuple(_ranges(hit.span() for hit in re.finditer(pattern + "+", every))
                 for pattern in (r"\w", r"[^\W_]", r"\s"))


def _ranges(spans: Iterable[tuple[int, int]]) -> str:
    return "".join(rf"\x{{{first:x}}}" if end - first == 1 else rf"\x{{{first:x}}}-\x{{{end - 1:x}}}"
                   for first, end in spans)


def _escape(char: str) -> str:
    return rf"\x{{{ord(char):x}}}"


# RE2 compiles each Unicode class where it stands: a phrase's word gap costs some 1,300 instructions,
# a letter 20. Terms are compiled in groups of about this size (in the list's order), so a long list
# neither exceeds RE2's memory nor leaves its automaton too little room to stay fast.
_GROUP_SIZE = 30_000
_BASE_SIZE, _LETTER_SIZE, _WORD_GAP_SIZE = 2_700, 20, 1_300


@dataclass(frozen=True)
class TermsMatcher:
    regexes: tuple[re2._Regexp, ...]  # the groups, in the order of the term list

    def spans(self, text: str) -> Iterator[tuple[int, int]]:
        """[start, end) of each banned term in `text` (a skeleton), left to right, not overlapping.

        As one alternation of every term would: the leftmost match of any group wins, and of two at
        the same place the earlier group's (its terms come first in the list).
        """
        data = b" " + text.encode("utf-8", "surrogatepass")
        offsets = _CharOffsets(data, shift=1, ascii=text.isascii())
        pending = [regex.search(data, 0) for regex in self.regexes]  # each group's next match
        pos = 0
        while True:
            best = None
            for group, regex in enumerate(self.regexes):
                hit = pending[group]
                if hit is not None and hit.start() < pos:  # overtaken: look again from here
                    hit = pending[group] = regex.search(data, pos)
                if hit is not None and (best is None or hit.start() < best.start()):
                    best = hit
            if best is None:
                return
            start, end = best.span(1)
            yield offsets.char(start), offsets.char(end)
            # The next term may begin right after this one if this one ended on a non-word
            # character: its one-character "lookbehind" is this term's last character.
            pos = end - 1
            while data[pos] in _CONTINUATION:
                pos -= 1


@lru_cache(maxsize=256)
def terms_matcher(terms: tuple[str, ...]) -> TermsMatcher | None:
    """RE2 patterns for a list of banned terms and phrases, None if there is nothing to match.

    A letter may repeat ("viaaagra") and be followed by one separator ("v.i.a.g.r.a"); the words of a
    phrase may be joined by any run of non-letters ("casino-bonus"); the whole term must stand on word
    boundaries, so "cialis" never fires inside "specialist".
    """
    word, letter_or_digit, space = _python_classes()
    gap = "[" + space + "".join(map(_escape, _SEPARATORS)) + "]?"
    word_gap = f"[^{letter_or_digit}]*"
    groups: list[list[str]] = []
    size = _GROUP_SIZE
    for term in terms:
        words = skeleton(term).split() if isinstance(term, str) else []
        if any(0xD800 <= ord(c) <= 0xDFFF for w in words for c in w):  # a lone surrogate: no pattern can hold it
            logger.warning("banned term %r skipped: not valid Unicode", term)
            continue
        if not words:
            continue
        cost = _LETTER_SIZE * sum(map(len, words)) + _WORD_GAP_SIZE * (len(words) - 1)
        if size + cost > _GROUP_SIZE:
            groups.append([])
            size = _BASE_SIZE
        groups[-1].append(word_gap.join(gap.join(_escape(c) + "+" for c in w) for w in words))
        size += cost
    regexes = tuple(regex for parts in groups for regex in _compiled(parts, word))
    return TermsMatcher(regexes) if regexes else None


def _compiled(parts: list[str], word: str) -> Iterator[re2._Regexp]:
    try:
        yield re2.compile(f"[^{word}]({'|'.join(parts)})(?:[^{word}]|$)".encode(), _TERMS_OPTIONS)
    except re2.error as exc:
        if len(parts) > 1:  # one term too big for RE2 must not take the others with it
            for part in parts:
                yield from _compiled([part], word)
        else:
            logger.warning("banned term skipped: RE2 cannot hold it (%s)", exc)


def pattern_problem(pattern: object) -> str | None:
    """Why RE2 cannot run a moderator's pattern, or None if it can."""
    if not isinstance(pattern, str) or not pattern:
        return f"pattern {pattern!r}: must be a non-empty string"
    try:
        re2.compile(pattern, _PATTERN_OPTIONS)
    except re2.error as exc:
        reason = exc.args[0].decode(errors="replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        return (f'pattern "{pattern}": {reason}. Patterns run on RE2, in time linear in the text: no '
                "lookarounds ((?=, (?!, (?<=, (?<!) and no backreferences (\\1).")
    return None


def terms_problems(terms: object) -> list[str]:
    """Everything wrong with a rule's `terms` parameter (for the admin)."""
    if not isinstance(terms, list) or not all(isinstance(term, str) for term in terms):
        return ["terms must be a list of strings"]
    return []


def patterns_problems(patterns: object) -> list[str]:
    """Everything wrong with a rule's `patterns` parameter (for the admin)."""
    if not isinstance(patterns, list):
        return [f"patterns must be a list of strings, not {type(patterns).__name__}"]
    return [problem for problem in map(pattern_problem, patterns) if problem]


@lru_cache(maxsize=256)
def patterns_compiled(patterns: tuple[str, ...], *, rule: str = "") -> tuple[re2._Regexp, ...]:
    compiled = []
    for pattern in patterns:
        problem = pattern_problem(pattern)
        if problem:  # the admin refuses these; a row stored before must not stop moderation
            logger.warning("rule %s: pattern skipped: %s", rule or "?", problem)
            continue
        compiled.append(re2.compile(pattern, _PATTERN_OPTIONS))
    return tuple(compiled)


def pattern_spans(patterns: Iterable[re2._Regexp], text: str) -> Iterator[tuple[int, int]]:
    """[start, end) of every non-empty match of each pattern in `text`, pattern after pattern."""
    data = text.encode("utf-8", "surrogatepass")
    ascii_only = text.isascii()
    for regex in patterns:
        offsets = _CharOffsets(data, shift=0, ascii=ascii_only)
        pos = 0
        while pos <= len(data) and (hit := regex.search(data, pos)) is not None:
            start, end = hit.span()
            if end > start:
                yield offsets.char(start), offsets.char(end)
                pos = end
            else:  # an empty match: step over one whole character
                pos = end + 1
                while pos < len(data) and data[pos] in _CONTINUATION:
                    pos += 1


class _CharOffsets:
    """Byte offsets in UTF-8 to character offsets, for offsets that only grow: linear overall."""

    def __init__(self, data: bytes, *, shift: int, ascii: bool) -> None:
        self.data, self.shift, self.ascii = data, shift, ascii
        self.byte, self.chars = 0, 0

    def char(self, byte: int) -> int:
        if self.ascii:
            return byte - self.shift
        self.chars += len(self.data[self.byte:byte].translate(None, _CONTINUATION))
        self.byte = byte
        return self.chars - self.shift
