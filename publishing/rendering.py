"""Markdown bodies to sanitised HTML: markdown-it-py renders (CommonMark and tables), nh3 (ammonia) keeps only safe markup.

Rendering happens once, when a revision is submitted (its HTML is stored with it); readers' pages never
render. markdown-it-py stays linear on the CommonMark pathological inputs, where Python-Markdown went
quadratic (`"[a](" * 4000` took seconds), so a hostile body costs one render per submission, in time
linear in its length: a few seconds of CPU at worst for the densest 200,000 characters.

nh3 drops <script>, event-handler attributes and any URL scheme but the ones listed, so a
`javascript:` link loses its href.
"""
from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow noopener noreferrer"

# Raw HTML passes through the parser, as it did with Python-Markdown, because nh3 cleans everything after.
_PARSER = MarkdownIt("commonmark", {"html": True}).enable("table")
# nh3 is the one gate for URLs. markdown-it's own check would leave `[x](javascript:...)` as literal text,
# scheme and all; accepted here, it becomes a link that nh3 then strips of its href, as before.
_PARSER.validateLink = lambda url: True


def markdown_render(text: str) -> str:
    html = _PARSER.render(text)
    return nh3.clean(html, url_schemes=URL_SCHEMES, link_rel=LINK_REL).rstrip("\n")


# The feed shows the summary, or when there is none the start of the body.
EXCERPT_CHARS = 500


def revision_html(*, summary: str, body: str) -> dict[str, str]:
    """What a revision stores besides its words, by field: the body's HTML, and the feed's excerpt."""
    return {"body_html": markdown_render(body), "excerpt_html": markdown_render(summary or body[:EXCERPT_CHARS])}
