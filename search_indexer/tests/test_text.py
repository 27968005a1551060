"""Markdown to plain text for the index: the words a reader sees, in time linear in the input's size."""
from __future__ import annotations

import gc
import re
import time
from collections.abc import Callable

import pytest

from search_indexer.text import markdown_plain


@pytest.mark.parametrize(("markdown", "plain"), [
    ("# Heading\n\nA [linked relay](https://example.com/x) and **bold** words.", "Heading\nA linked relay and bold words."),
    ("Setext\n======\ntext", "Setext\ntext"),
    ("*em*, _em_, ~~struck~~ and snake_case", "em, em, struck and snake_case"),
    ("- one\n- two\n  - nested *em*\n\n1. a\n2. b", "one\ntwo\nnested em\na\nb"),
    ("> quoted\n> lines", "quoted\nlines"),
    ("```py\nprint('x')\n```\n\n`inline` code", "print('x')\ninline code"),
    ("    indented code", "indented code"),
    ("![a *cat*](/cat.png) [ref][1]\n\n[1]: https://example.com", "a cat ref"),
    ("| a | b |\n|---|---|\n| 1 | 2 |", "a\nb\n1\n2"),
    ('Watch <script>alert("relay")</script> & the relay <b>here</b>.', 'Watch  alert("relay")  & the relay  here .'),
    ("<div>\n<b>block</b> html\n</div>", " \n block  html\n "),
    ("&amp; &copy; \\*", "& © *"),
    ("[x](javascript:alert(1))", "x"),
    ("", ""),
])
def test_markdown_becomes_the_words_a_reader_sees(markdown: str, plain: str) -> None:
    assert markdown_plain(markdown) == plain


@pytest.mark.parametrize("markdown", ["a\x02b\x03c", "a&#2;b", "```\n\x01\n```", "<p>\x7f</p>"])
def test_plain_text_has_no_control_characters(markdown: str) -> None:
    # \x02 and \x03 mark the highlights of snippets: an article must not forge them.
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", markdown_plain(markdown))


# The CommonMark pathological inputs (cmark's test/pathological_tests.py and the reports against markdown-it),
# each made about `size` characters long. The regular expressions this replaced needed 16 s for
# "[a](" * 50_000 and more than 20 s for "[a" * 100_000 at the 200,000-character body limit.
def _fill(unit: str) -> Callable[[int], str]:
    return lambda size: unit * (size // len(unit))


def _backticks(size: int) -> str:
    text, count = [], 1
    while sum(map(len, text)) < size:
        text.append("e" + "`" * count)
        count += 1
    return "".join(text)


BRIEF_SIZED = {  # the examples at its sizes, and the cheap shapes at the full 200,000-character limit
    "unclosed links [a]( x4000": "[a](" * 4000,
    "a then 50,000 stars": "a" + "*" * 50_000,
    "nested brackets 20,000 deep": "[" * 20_000 + "a" + "]" * 20_000,
    "nested block quotes": "> " * 100_000 + "a",
    "nested list markers": "* " * 100_000 + "a",
    "deeply nested lists": "".join("  " * depth + "* a\n" for depth in range(440)),
    "backticks e`e``e```": _backticks(200_000),
    "U+0000": "abc\0de\0" * 28_571,
    "unclosed comments": "<!--" * 50_000,
    "tildes": "~" * 200_000,
    "an ordinary article": "Lorem *ipsum* dolor [sit](https://example.com) amet, `code`.\n\n" * 3300,
}

# The shapes whose cost per character is highest: at 200,000 characters markdown-it-py takes 1 to 6 s of CPU
# on them (linear, but pure Python), so they are held to linear growth rather than to a fixed time.
DENSE: dict[str, Callable[[int], str]] = {
    "unclosed links [a](": _fill("[a]("),
    "unclosed links [a](b": _fill("[a](b"),
    "link openers [a": _fill("[a"),
    "image openers ![": _fill("!["),
    "nested brackets": lambda size: "[" * (size // 2) + "a" + "]" * (size // 2),
    "link openers and emph closers": _fill("[ a_"),
    "]([ lines": _fill("]([\n"),
    "mismatched openers and closers": _fill("*a_ "),
    "strong and emph **_": _fill("**_"),
    "a then stars": lambda size: "a" + "*" * size,
    "many list items": _fill("*a\n"),
}


def _cpu_seconds(convert: Callable[[str], object], text: str) -> float:
    # CPU time, not wall time: the other suites running on the same machine must not make this fail. And
    # without the garbage collector, whose full passes cost more the more objects the test session holds.
    gc.collect()
    gc.disable()
    try:
        start = time.process_time()
        convert(text)
        return time.process_time() - start
    finally:
        gc.enable()


@pytest.mark.parametrize("name", BRIEF_SIZED)
def test_pathological_markdown_converts_within_two_seconds(name: str) -> None:
    assert _cpu_seconds(markdown_plain, BRIEF_SIZED[name]) < 2.0


@pytest.mark.parametrize("name", DENSE)
def test_pathological_markdown_converts_in_linear_time(name: str) -> None:
    # Four times the input costs about four times the time; a quadratic conversion would take sixteen.
    build = DENSE[name]
    small, large = build(25_000), build(100_000)
    ratios = []
    for _attempt in range(2):  # once more before failing, in case a pause of the machine hit one measurement
        ratios.append(_cpu_seconds(markdown_plain, large) / max(_cpu_seconds(markdown_plain, small), 0.01))
        if ratios[-1] < 8:
            return
    pytest.fail(f"{name}: 4x the input took {ratios} x the time")
