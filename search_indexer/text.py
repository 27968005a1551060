"""Plain text from an article's Markdown, for indexing and snippets."""
from __future__ import annotations

import re
from collections.abc import Iterable

from markdown_it import MarkdownIt
from markdown_it.token import Token

# CommonMark as publishing renders it (plus strikethrough, whose tildes the index never wanted either).
# markdown-it-py stays linear on the CommonMark pathological inputs, where the regular expressions this
# replaces went quadratic on unclosed links (`"[a](" * 50000` took seconds per event).
_PARSER = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
# Every link counts, whatever its scheme: only its text is kept, and the text of `[x](javascript:...)`
# is "x", not the whole construct as markdown-it would leave it.
_PARSER.validateLink = lambda url: True

# Bounded, so a stray `<` never makes it scan the rest of the block.
_HTML_TAG = re.compile(r"<[^>]{1,200}>")
# Control characters never belong in prose; \x02 and \x03 are also the highlight markers of snippets.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BREAKS = ("softbreak", "hardbreak")


def _inline_words(tokens: Iterable[Token]) -> str:
    parts = []
    for token in tokens:
        if token.type in ("text", "code_inline"):
            parts.append(token.content)
        elif token.type in _BREAKS:
            parts.append("\n")
        elif token.type == "html_inline":
            parts.append(" ")
        elif token.type == "image":
            # The alt text, which is what a reader sees in place of the picture.
            parts.append(_inline_words(token.children or ()))
    return "".join(parts)


def markdown_plain(text: str) -> str:
    """Good enough for search: the words a reader sees, without Markdown's punctuation, a line per block."""
    blocks = []
    for token in _PARSER.parse(_CONTROL.sub(" ", text)):
        if token.type == "inline":
            blocks.append(_inline_words(token.children or ()))
        elif token.type in ("fence", "code_block"):
            blocks.append(token.content.rstrip("\n"))
        elif token.type == "html_block":
            blocks.append(_HTML_TAG.sub(" ", token.content).rstrip("\n"))
    # Entities decode too (`&#1;`), so the rule about control characters holds for the output, not just the input.
    return _CONTROL.sub(" ", "\n".join(blocks))


def clean(text: str) -> str:
    return _CONTROL.sub(" ", text)


def link_safe(url: str) -> str:
    """The article's URL if it is a path or http(s); anything else (javascript:, data:) could run in a reader's page."""
    url = url.strip()
    return url if url.startswith(("/", "http://", "https://")) and not url.startswith("//") else ""
