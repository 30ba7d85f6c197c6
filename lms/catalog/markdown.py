"""Lesson Markdown to safe HTML, done once at import time.

markdown-it-py runs with raw HTML disabled (HTML in a lesson is shown as text), then nh3
cleans the result against an allow-list, so a lesson can never carry a script, an event
handler or a ``javascript:`` link, whatever its author wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s", "code",
    "pre", "blockquote", "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th",
    "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "loading"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
}
URL_SCHEMES = {"http", "https"}


@dataclass(frozen=True)
class LinkProblem:
    line: int | None
    message: str


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def _walk(tokens: list[Token]) -> list[tuple[Token, int | None]]:
    """Every token with the 1-based line of its block (inline tokens take their parent's)."""
    out: list[tuple[Token, int | None]] = []
    for token in tokens:
        line = token.map[0] + 1 if token.map else None
        out.append((token, line))
        for child in token.children or []:
            out.append((child, line))
    return out


def _url_ok(url: str) -> bool:
    scheme = urlsplit(url).scheme.lower()
    if scheme:
        return scheme in URL_SCHEMES
    return not url.strip().lower().startswith(("javascript", "data", "vbscript"))


def check_links(body: str, *, line_offset: int = 0) -> list[tuple[LinkProblem, str | None]]:
    """Links that are not ``http(s):`` or relative, and the ``assets/`` files images use.

    Returns ``(problem, None)`` for a bad link and ``(LinkProblem, "assets/x.png")`` for every
    asset referenced, so the caller can check those files exist.
    """
    md = _parser()
    # Keep every link so a forbidden scheme is reported rather than silently dropped.
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    found: list[tuple[LinkProblem, str | None]] = []
    for token, line in _walk(md.parse(body)):
        where = line + line_offset if line else None
        for attr in ("href", "src"):
            url = token.attrGet(attr)
            if url is None:
                continue
            url = str(url)
            if not _url_ok(url):
                found.append(
                    (LinkProblem(where, f"link {url!r} must be http(s): or relative"), None)
                )
            elif url.startswith("assets/"):
                found.append((LinkProblem(where, url), url))
    return found


def render(body: str, *, asset_base: str) -> str:
    """Render a lesson body; ``assets/x`` becomes ``{asset_base}/x``."""
    md = _parser()
    tokens = md.parse(body)
    for token, _line in _walk(tokens):
        for attr in ("href", "src"):
            url = token.attrGet(attr)
            if isinstance(url, str) and url.startswith("assets/"):
                token.attrSet(attr, f"{asset_base.rstrip('/')}/{url[len('assets/') :]}")
        if token.type == "image":
            token.attrSet("loading", "lazy")
    html = md.renderer.render(tokens, md.options, {})
    return sanitise(html)


def sanitise(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
