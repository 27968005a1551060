"""Markdown to sanitised HTML: ordinary articles come out as before, hostile ones cost time linear in their size."""
from __future__ import annotations

import gc
import time
from collections.abc import Callable

import pytest

from publishing.rendering import markdown_render, revision_html

LINK = 'rel="nofollow noopener noreferrer"'


@pytest.mark.parametrize(("markdown", "html"), [
    ("# Title", "<h1>Title</h1>"),
    ("## Part\n\nText.", "<h2>Part</h2>\n<p>Text.</p>"),
    ("Setext\n======", "<h1>Setext</h1>"),
    ("**strong**, *em* and _em_", "<p><strong>strong</strong>, <em>em</em> and <em>em</em></p>"),
    ("snake_case_words", "<p>snake_case_words</p>"),
    ('[a link](https://example.com "T")', f'<p><a href="https://example.com" title="T" {LINK}>a link</a></p>'),
    ("[ref][1]\n\n[1]: https://example.com", f'<p><a href="https://example.com" {LINK}>ref</a></p>'),
    ("- one\n- two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"),
    ("1. one\n2. two", "<ol>\n<li>one</li>\n<li>two</li>\n</ol>"),
    ("- one\n    - nested", "<ul>\n<li>one\n<ul>\n<li>nested</li>\n</ul>\n</li>\n</ul>"),
    ("`code`", "<p><code>code</code></p>"),
    ("```python\nprint(1)\n```", "<pre><code>print(1)\n</code></pre>"),
    ("    indented", "<pre><code>indented\n</code></pre>"),
    ("> quoted\n> lines", "<blockquote>\n<p>quoted\nlines</p>\n</blockquote>"),
    ("| a | b |\n|---|---|\n| 1 | 2 |",
     "<table>\n<thead>\n<tr>\n<th>a</th>\n<th>b</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td>1</td>\n<td>2</td>\n</tr>\n"
     "</tbody>\n</table>"),
    ("![a cat](/cat.png)", '<p><img src="/cat.png" alt="a cat"></p>'),
    ("a  \nb", "<p>a<br>\nb</p>"),
    ("---", "<hr>"),
    ("&copy; &amp; <3", "<p>© &amp; &lt;3</p>"),
])
def test_ordinary_markdown_renders_as_before(markdown: str, html: str) -> None:
    assert markdown_render(markdown) == html


@pytest.mark.parametrize("markdown", [
    "[x](javascript:alert(1))", "[x](JavaScript:alert(1))", "[x](<javascript:alert(1)>)", "[x](&#106;avascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>', "<a href='vbscript:x'>x</a>", "[x]: javascript:alert(1)\n\n[x]",
])
def test_a_link_to_another_scheme_keeps_its_text_and_loses_its_href(markdown: str) -> None:
    assert markdown_render(markdown) == f"<p><a {LINK}>x</a></p>"


def test_revision_html_renders_the_body_and_the_feed_excerpt() -> None:
    assert revision_html(summary="", body="*a*" + "b" * 600) == {
        "body_html": f"<p><em>a</em>{'b' * 600}</p>", "excerpt_html": f"<p><em>a</em>{'b' * 497}</p>"}
    assert revision_html(summary="The **gist**", body="Body.")["excerpt_html"] == "<p>The <strong>gist</strong></p>"


# The CommonMark pathological inputs (cmark's test/pathological_tests.py and the reports against markdown-it),
# each made about `size` characters long. Python-Markdown needed 14 s for the first one and more than 20 s
# for several others at the 200,000-character body limit.
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


def _cpu_seconds(render: Callable[[str], object], text: str) -> float:
    # CPU time, not wall time: the other suites running on the same machine must not make this fail. And
    # without the garbage collector, whose full passes cost more the more objects the test session holds.
    gc.collect()
    gc.disable()
    try:
        start = time.process_time()
        render(text)
        return time.process_time() - start
    finally:
        gc.enable()


@pytest.mark.parametrize("name", BRIEF_SIZED)
def test_pathological_markdown_renders_within_two_seconds(name: str) -> None:
    assert _cpu_seconds(markdown_render, BRIEF_SIZED[name]) < 2.0


@pytest.mark.parametrize("name", DENSE)
def test_pathological_markdown_renders_in_linear_time(name: str) -> None:
    # Four times the input costs about four times the time; a quadratic parser would take sixteen.
    build = DENSE[name]
    small, large = build(25_000), build(100_000)
    ratios = []
    for _attempt in range(2):  # once more before failing, in case a pause of the machine hit one measurement
        ratios.append(_cpu_seconds(markdown_render, large) / max(_cpu_seconds(markdown_render, small), 0.01))
        if ratios[-1] < 8:
            return
    pytest.fail(f"{name}: 4x the input took {ratios} x the time")
