"""Markdown to plain text for the index: the words a reader sees, in time linear in the input's size."""
from __future__ import annotations

import re

import pytest

from config.testing import DENSE_MARKDOWN, PATHOLOGICAL_MARKDOWN, cpu_seconds, linear_growth_problem
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


@pytest.mark.parametrize("name", PATHOLOGICAL_MARKDOWN)
def test_pathological_markdown_converts_within_two_seconds(name: str) -> None:
    assert cpu_seconds(markdown_plain, PATHOLOGICAL_MARKDOWN[name]) < 2.0


@pytest.mark.parametrize("name", DENSE_MARKDOWN)
def test_pathological_markdown_converts_in_linear_time(name: str) -> None:
    problem = linear_growth_problem(markdown_plain, DENSE_MARKDOWN[name])
    assert problem is None, f"{name}: {problem}"
