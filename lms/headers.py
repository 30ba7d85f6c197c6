"""Security headers on every response: what a page may load, who may frame it, what leaks.

Ten lines of our own rather than Flask-Talisman: the app needs one fixed policy and no nonces
(no page carries inline script or style: behaviour lives in ``static/js``, bars are SVG), it
must leave alone a policy a route sets itself (cmi5 content runs in its own sandbox, see
``lms.learning.views.cmi5_content``), and Talisman's HTTPS redirect and cookie flags would
decide a second time what ``LMS_BASE_URL`` and ``LMS_SESSION_COOKIE_SECURE`` already decide.
"""

from __future__ import annotations

from flask import Flask, Response

#: Scripts, styles, images and fetches from this site only; nothing inline, no plugins, no
#: <base> rewriting, forms post only here, and no other site may frame a page.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

#: Documents a browser renders and could run script in; JSON, PDFs and images need no policy.
_DOCUMENTS = frozenset({"text/html", "image/svg+xml"})


def secure_headers(response: Response) -> Response:
    """Add the headers; a response that brings its own Content-Security-Policy keeps it."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if "Content-Security-Policy" in headers:
        return response
    headers.setdefault("X-Frame-Options", "DENY")
    if response.mimetype in _DOCUMENTS:
        headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


def init_app(app: Flask) -> None:
    app.after_request(secure_headers)
