"""Folding: what trivial obfuscation becomes, and the way back to the author's offsets."""
from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderation.bench_rules import Baseline
from moderation.rules import text as text_module
from moderation.rules.text import CharTable, fold, skeleton, translate


@pytest.mark.parametrize(("text", "expected"), [
    ("Viagra", "viagra"),
    ("VIÀGRÂ", "viagra"),  # accents
    ("v\u0069\u0301agra", "viagra"),  # combining acute
    ("vi\u200bag\u200dra\ufeff", "viagra"),  # zero-width space, joiner, BOM
    ("vi\u00adagra", "viagra"),  # soft hyphen
    ("viаgrа", "viagra"),  # Cyrillic а
    ("сasinо", "casino"),  # Cyrillic с and о
    ("ρaypal", "paypai"),  # Greek rho; l folds to i
    ("ＶＩＡＧＲＡ", "viagra"),  # full-width (NFKC)
    ("v14gr4", "viagra"),
    ("c4$1n0", "casino"),
    ("@ss3t", "asset"),
    ("ﬁne", "fine"),  # ligature
])
def test_fold_maps_evasions_to_one_skeleton(text: str, expected: str) -> None:
    assert skeleton(text) == expected


def test_fold_keeps_the_way_back_to_original_offsets() -> None:
    text = "Buy v\u200biаgra now"
    folded = fold(text)
    start = folded.text.index("viagra")
    assert folded.span(start, start + 6) == (4, 11)
    assert text[4:11] == "v\u200biаgra"


def test_fold_without_leet_keeps_digits() -> None:
    assert fold("Earn $500", leet=False).text == "earn $500"


# Characters whose skeleton is not one character (zero-width, ligatures, "ß", a lone accent), look-alikes,
# digits and plain letters: the way back to the original offsets must hold across all of them.
IRREGULAR = "aZ09 l|$€\u200b\u00ad\ufeffﬁßæœİ\u0301\u0308àÅаοΣ①㎏ﷺ数😀\n"


@settings(max_examples=500, deadline=None)
@given(st.text(IRREGULAR, max_size=60), st.booleans())
def test_fold_is_the_old_one_character_at_a_time(text: str, leet: bool) -> None:
    folded = fold(text, leet=leet)
    expected, origin = Baseline.fold(text, leet)
    assert folded.text == expected
    assert [folded.origin(i) for i in range(len(folded.text))] == origin


def test_the_way_back_holds_across_chunks() -> None:
    rnd = random.Random(5)
    text = "".join(rnd.choice(IRREGULAR) for _ in range(5_000)) + "x" * 3_000 + "ß\u200b" * 1_000
    folded, (expected, origin) = fold(text), Baseline.fold(text, True)
    assert folded.text == expected
    assert [folded.origin(i) for i in range(len(folded.text))] == origin


def test_a_full_table_still_folds(monkeypatch) -> None:
    """Past its limit a table stops remembering characters; it still answers for them."""
    monkeypatch.setattr(text_module, "_TABLE_LIMIT", 2)
    table = CharTable(str.upper)
    assert "abcd".translate(table) == "ABCD" and len(table) == 2


def test_translate_keeps_ascii_stretches_apart_from_the_rest() -> None:
    text = ("plain words “quoted” and more " * 200) + "ΑΒΓ" * 600
    assert translate(text, CharTable(str.lower)) == text.lower()
