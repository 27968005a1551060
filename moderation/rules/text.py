"""Text folding for matching, with a map back to the original offsets.

Spammers dodge word lists with accents (viàgra), zero-width characters (via\u200bgra), look-alike
letters from other scripts (Cyrillic "а" in "viаgra") and digits (v1agra). Matching runs on a folded
"skeleton" of the text; every skeleton character remembers which original character it came from,
so a finding still points at the exact text the author wrote.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

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


@dataclass(frozen=True)
class Folded:
    """A folded text and, for each of its characters, the index of the original character."""

    text: str
    origin: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original [start, end) that produced folded [start, end)."""
        return self.origin[start], self.origin[end - 1] + 1


@lru_cache(maxsize=4096)
def _fold_char(char: str, leet: bool) -> str:
    if unicodedata.category(char) == "Cf":  # zero-width spaces and joiners, soft hyphens, BOMs
        return ""
    out = []
    for part in unicodedata.normalize("NFKD", char):
        if unicodedata.combining(part):  # accents split off by NFKD
            continue
        for low in part.casefold():
            low = CONFUSABLES.get(low, low)
            out.append("".join(LEET.get(c, c) for c in low) if leet else low)
    return "".join(out)


def fold(text: str, *, leet: bool = True) -> Folded:
    """NFKC/NFKD compatibility forms, no accents, no invisible characters, lower case, look-alikes
    mapped to Latin; with `leet`, digits and symbols mapped to the letters they imitate."""
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        folded = _fold_char(char, leet)
        chars.append(folded)
        origin.extend([index] * len(folded))
    return Folded("".join(chars), tuple(origin))


def skeleton(text: str) -> str:
    return fold(text).text
