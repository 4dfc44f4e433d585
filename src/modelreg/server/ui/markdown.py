"""Descriptions and model cards as HTML: CommonMark with tables and strikethrough, raw HTML off.

``markdown-it-py`` escapes every raw HTML tag and refuses ``javascript:``, ``vbscript:``,
``file:`` and non-image ``data:`` link targets, so text written by any user is safe to show.
Links leaving the registry get ``rel="nofollow noopener noreferrer"``; remote images are blocked
by the UI's Content-Security-Policy rather than rewritten here.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import Markup

_EXTERNAL_REL = "nofollow noopener noreferrer"
_SUMMARY_SOURCE_CHARS = 4000  # a summary needs only the start of a long text


def _new_parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    parser.enable(["table", "strikethrough"])

    def link_open(
        self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        token = tokens[idx]
        href = str(token.attrGet("href") or "")
        if "://" in href or href.startswith("//"):
            token.attrSet("rel", _EXTERNAL_REL)
        return self.renderToken(tokens, idx, options, env)

    parser.add_render_rule("link_open", link_open)
    return parser


_PARSER = _new_parser()


@functools.lru_cache(maxsize=256)
def render_markdown(text: str) -> Markup:
    """Safe HTML for ``text`` (cached: descriptions are read far more often than written)."""
    return Markup(_PARSER.render(text))  # noqa: S704 - markdown-it escapes all raw HTML


@functools.lru_cache(maxsize=4096)
def first_line(text: str, limit: int = 160) -> str:
    """The first paragraph or heading of a Markdown text as plain words, for listings."""
    for token in _PARSER.parse(text[:_SUMMARY_SOURCE_CHARS]):
        if token.type != "inline" or not token.children:
            continue
        words = "".join(
            " " if child.type in {"softbreak", "hardbreak"} else child.content
            for child in token.children
            if child.type in {"text", "code_inline", "softbreak", "hardbreak"}
        )
        plain = " ".join(words.split())
        if plain:
            return plain if len(plain) <= limit else plain[: limit - 1].rstrip() + "…"
    return ""


def markdown_filter(text: Any) -> Markup:
    return render_markdown(str(text or ""))
