"""Folding: what trivial obfuscation becomes, and the way back to the author's offsets."""
from __future__ import annotations

import pytest

from moderation.rules.text import fold, skeleton


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
