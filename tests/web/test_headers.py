"""Security headers: every page under the Content-Security-Policy, never framed elsewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from lms.auth.models import Role
from lms.headers import CONTENT_SECURITY_POLICY
from tests.auth.conftest import login
from tests.factories import make_user

TEMPLATES = Path(__file__).resolve().parents[2] / "lms" / "templates"
SCRIPTS = Path(__file__).resolve().parents[2] / "lms" / "static" / "js"


@pytest.mark.parametrize("path", ["/", "/login", "/register", "/api/docs", "/no-such-page"])
def test_every_page_carries_the_policy_and_the_headers(
    client: FlaskClient, db: object, path: str
) -> None:
    response = client.get(path)
    assert response.mimetype == "text/html"
    policy = response.headers["Content-Security-Policy"]
    assert policy == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_the_revoke_issue_and_attendance_pages_cannot_be_framed(
    client: FlaskClient, db: object
) -> None:
    """The forms an attacker would frame answer with frame-ancestors 'none' even on errors."""
    login(client, make_user(roles=(Role.trainer,)))
    for path in ("/certificates/classes/NOPE", "/classes/NOPE/sessions/1/attendance"):
        response = client.get(path)
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path
        assert response.headers["X-Frame-Options"] == "DENY"


def test_json_and_files_get_nosniff_and_no_framing(client: FlaskClient, db: object) -> None:
    for path in ("/api/v1/openapi.json", "/healthz", "/static/css/app.css", "/static/js/app.js"):
        with client.get(path) as response:
            assert response.headers["X-Content-Type-Options"] == "nosniff", path
            assert response.headers["X-Frame-Options"] == "DENY", path
            assert response.headers["Referrer-Policy"] == "same-origin", path


def test_templates_carry_no_inline_script_style_or_handler() -> None:
    """What the policy would block, found before a browser does (the e2e walk checks pages)."""
    found = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        for pattern in (
            r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")",
            r"<style",
            r"\sstyle=",
            r"\son[a-z]+=",
            r"javascript:",
        ):
            found += [f"{template.relative_to(TEMPLATES)}: {m}" for m in re.findall(pattern, text)]
    for script in SCRIPTS.glob("*.js"):
        text = script.read_text(encoding="utf-8")
        for pattern in (r"\beval\(", r"new Function\(", r"setAttribute\(\"style\"", r"\.innerHTML"):
            found += [f"{script.name}: {m}" for m in re.findall(pattern, text)]
    assert found == []


def test_cmi5_content_keeps_its_own_sandbox_policy(client: FlaskClient, db: object) -> None:
    """AU content runs in its own sandbox (an opaque origin); the page policy would break it."""
    import hashlib

    from lms.extensions import db as database
    from lms.learning.models import Cmi5File
    from tests.certificates.factories import CERTIFIED
    from tests.factories import make_course

    course = make_course(**CERTIFIED)
    page = b"<!doctype html><script>document.title = 'AU'</script>"
    database.session.add(
        Cmi5File(
            course_id=course.id,
            path="au/index.html",
            content_type="text/html; charset=utf-8",
            data=page,
            sha256=hashlib.sha256(page).hexdigest(),
        )
    )
    database.session.flush()
    response = client.get(f"/cmi5/content/{course.id}/au/index.html")
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"].startswith("sandbox allow-scripts")
    assert "X-Frame-Options" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"
