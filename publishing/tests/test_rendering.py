"""Markdown to sanitised HTML: ordinary articles come out as before, hostile ones cost time linear in their size."""
from __future__ import annotations

import pytest

from config.testing import DENSE_MARKDOWN, PATHOLOGICAL_MARKDOWN, cpu_seconds, linear_growth_problem
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


@pytest.mark.parametrize("name", PATHOLOGICAL_MARKDOWN)
def test_pathological_markdown_renders_within_two_seconds(name: str) -> None:
    assert cpu_seconds(markdown_render, PATHOLOGICAL_MARKDOWN[name]) < 2.0


@pytest.mark.parametrize("name", DENSE_MARKDOWN)
def test_pathological_markdown_renders_in_linear_time(name: str) -> None:
    problem = linear_growth_problem(markdown_render, DENSE_MARKDOWN[name])
    assert problem is None, f"{name}: {problem}"
