"""Text folding for matching, with a map back to the original offsets.

Spammers dodge word lists with accents (viàgra), zero-width characters (via\u200bgra), look-alike
letters from other scripts (Cyrillic "а" in "viаgra") and digits (v1agra). Matching runs on a folded
"skeleton" of the text; every skeleton character remembers which original character it came from,
so a finding still points at the exact text the author wrote.

Folding is per character, so it runs as str.translate() over chunks of the text (C speed; a chunk of
plain ASCII takes CPython's fast path) and the way back to the original offsets is worked out only
for the chunks that hold a finding. A body of 200,000 characters folds in milliseconds.
"""
from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain, compress, repeat

# Look-alikes that NFKC leaves alone: other scripts' letters that render like Latin ones.
CONFUSABLES = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d",
    "ԛ": "q", "ԝ": "w", "һ": "h", "ӏ": "l",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "ω": "w",
    # Latin oddities that survive NFKD
    "ı": "i", "ł": "l", "ø": "o", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe",
}
# Digits and symbols standing in for letters. "1" and "l" are both folded to "i" (as is "|"), so
# "cia1is", "cial1s" and "cialis" share one skeleton; terms are folded the same way. "!" is left
# alone: folding it would glue "viagra!" into one longer word and hide it.
LEET = {"0": "o", "1": "i", "l": "i", "|": "i", "3": "e", "4": "a", "5": "s", "7": "t",
        "@": "a", "$": "s", "€": "e"}
# Every value is one character and no value is itself a key, so replacing one key after the other
# gives the same text as mapping every character at once.
_LEET_STEPS = tuple(LEET.items())

_CHUNK = 1024  # characters per translate() call, and the unit of the way back to original offsets
_NON_ASCII_RUNS = re.compile(r"([^\x00-\x7f]+)")
# The translate tables remember every character they have seen, up to this many (most of the assigned
# code points; some 20 MB at most): past that, a new character costs a call to `derive` each time.
_TABLE_LIMIT = 1 << 17


def _fold_char(char: str) -> str:
    """One character's skeleton before the digit folding (the definition every table is built from)."""
    if unicodedata.category(char) == "Cf":  # zero-width spaces and joiners, soft hyphens, BOMs
        return ""
    out = []
    for part in unicodedata.normalize("NFKD", char):
        if unicodedata.combining(part):  # accents split off by NFKD
            continue
        out.extend(CONFUSABLES.get(low, low) for low in part.casefold())
    return "".join(out)


class CharTable(dict):
    """A str.translate() table filled on demand: code point -> what `derive` makes of that character."""

    def __init__(self, derive: Callable[[str], str | None]) -> None:
        super().__init__()
        self.derive = derive

    def __missing__(self, code: int) -> str | None:
        value = self.derive(chr(code)) or None  # None, not "", deletes and keeps CPython's fast path
        if len(self) < _TABLE_LIMIT:
            self[code] = value
        return value


_FOLD = CharTable(_fold_char)
# The length of each character's skeleton as a character (0 for a zero-width one, 2 for "ß"), so
# translate() gives the lengths of a whole chunk at once.
_LENGTH = CharTable(lambda char: chr(len(_fold_char(char))))


def translate(text: str, table: Mapping[int, str | None]) -> str:
    """text.translate(table), keeping the ASCII stretches of the text on CPython's fast path.

    translate() is fast only for a string that is all ASCII (and a table that maps ASCII to ASCII or
    None). Prose with a curly quote or a dash in every paragraph would lose that on every chunk, so a
    chunk with only a few non-ASCII characters is cut into its ASCII and non-ASCII runs.
    """
    pieces = []
    for i in range(0, len(text), _CHUNK):
        chunk = text[i:i + _CHUNK]
        if chunk.isascii() or len(chunk.encode("utf-8", "surrogatepass")) - len(chunk) > _CHUNK // 16:
            pieces.append(chunk.translate(table))  # all ASCII, or so little of it that cutting costs more
        else:
            pieces.extend(run.translate(table) for run in _NON_ASCII_RUNS.split(chunk))
    return "".join(pieces)


def _leet(text: str) -> str:
    """Digits and symbols mapped to the letters they imitate; one character stays one character."""
    for key, value in _LEET_STEPS:
        text = text.replace(key, value)
    return text


@dataclass(frozen=True)
class Folded:
    """A folded text and the way from each of its characters back to the original character."""

    text: str
    source: str
    starts: tuple[int, ...]  # where in `text` each chunk of `source` begins; one more at the end
    _origins: dict[int, list[int]] = field(default_factory=dict, compare=False, repr=False)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original [start, end) that produced folded [start, end)."""
        return self.origin(start), self.origin(end - 1) + 1

    def origin(self, index: int) -> int:
        """The index of the original character that folded index `index` came from."""
        chunk = bisect_right(self.starts, index) - 1
        offset = index - self.starts[chunk]
        base = chunk * _CHUNK
        piece = self.source[base:base + _CHUNK]
        if piece.isascii():  # every ASCII character folds to exactly one
            return base + offset
        origins = self._origins.get(chunk)
        if origins is None:
            lengths = piece.translate(_LENGTH).encode("latin-1")
            if max(lengths, default=0) <= 1:
                origins = list(compress(range(len(piece)), lengths))
            else:
                origins = list(chain.from_iterable(map(repeat, range(len(piece)), lengths)))
            self._origins[chunk] = origins
        return base + origins[offset]

    def with_leet(self) -> Folded:
        return Folded(_leet(self.text), self.source, self.starts, self._origins)


@lru_cache(maxsize=8)
def _fold_plain(text: str) -> Folded:
    # Memoised: the banned-terms rule and the near-duplicate rule fold the same body.
    pieces = [translate(text[i:i + _CHUNK], _FOLD) for i in range(0, len(text), _CHUNK)]
    starts = [0]
    for piece in pieces:
        starts.append(starts[-1] + len(piece))
    return Folded("".join(pieces), text, tuple(starts))


@lru_cache(maxsize=8)
def _fold_leet(text: str) -> Folded:
    return _fold_plain(text).with_leet()


def fold(text: str, *, leet: bool = True) -> Folded:
    """NFKC/NFKD compatibility forms, no accents, no invisible characters, lower case, look-alikes
    mapped to Latin; with `leet`, digits and symbols mapped to the letters they imitate."""
    return _fold_leet(text) if leet else _fold_plain(text)


def skeleton(text: str) -> str:
    return fold(text).text


def folded(text: str) -> str:
    """fold(text, leet=False).text, without the way back or the memo."""
    return translate(text, _FOLD)
