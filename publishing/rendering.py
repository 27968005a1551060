"""Markdown bodies to sanitised HTML: Python-Markdown renders, nh3 (ammonia) keeps only safe markup.

nh3 drops <script>, event-handler attributes and any URL scheme but the ones listed, so a
`javascript:` link loses its href.
"""
from __future__ import annotations

import markdown as md
import nh3

URL_SCHEMES = {"http", "https", "mailto"}


def markdown_render(text: str) -> str:
    html = md.markdown(text, extensions=["fenced_code", "tables", "sane_lists"], output_format="html")
    return nh3.clean(html, url_schemes=URL_SCHEMES, link_rel="nofollow noopener noreferrer")
