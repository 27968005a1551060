"""Plain text from an article's Markdown, for indexing and snippets."""
from __future__ import annotations

import re

_FENCE = re.compile(r"^\s*(```|~~~).*$", re.MULTILINE)
_IMAGE_OR_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_HTML_TAG = re.compile(r"<[^>]{1,200}>")
_LINE_MARKERS = re.compile(r"^\s{0,3}(#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)", re.MULTILINE)
_EMPHASIS = re.compile(r"[*_~`]+")
# Control characters never belong in prose; \x02 and \x03 are also the highlight markers of snippets.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def markdown_plain(text: str) -> str:
    """Good enough for search: the words a reader sees, without Markdown's punctuation."""
    text = _CONTROL.sub(" ", text)
    text = _FENCE.sub("", text)
    text = _IMAGE_OR_LINK.sub(r"\1", text)
    text = _HTML_TAG.sub(" ", text)
    text = _LINE_MARKERS.sub("", text)
    return _EMPHASIS.sub("", text)


def clean(text: str) -> str:
    return _CONTROL.sub(" ", text)


def link_safe(url: str) -> str:
    """The article's URL if it is a path or http(s); anything else (javascript:, data:) could run in a reader's page."""
    url = url.strip()
    return url if url.startswith(("/", "http://", "https://")) and not url.startswith("//") else ""
