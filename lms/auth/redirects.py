"""Where a page may send the browser next: only to paths on this site (no open redirects)."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def local_part(url: str | None, host: str) -> str | None:
    """The path and query of ``url`` when it points at ``host`` (a Referer header), else None."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != host:
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return safe_next(path)
