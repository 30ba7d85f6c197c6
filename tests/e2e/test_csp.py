"""Every page works under the Content-Security-Policy: no violation, for every role.

A real chromium walks the site on the demo data (``flask seed demo``) as a visitor, a learner,
a trainer, an official and an administrator, following the links of the navigation and of the
pages it reaches, and fails on any violation the browser reports: in the console ("Refused to
... because it violates the following Content Security Policy directive") or as a
``securitypolicyviolation`` event. A violation breaks a page (a script that does not run, a bar
that does not show), so it is a failure, not a warning.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pytest
from werkzeug.exceptions import HTTPException

from lms.extensions import db

pytestmark = pytest.mark.e2e

#: Logins of ``lms/auth/demo.py`` (None: a visitor).
ROLES = {
    "visitor": None,
    "learner": ("learner@demo.lms.vn", "demo-learner-146"),
    "trainer": ("trainer@demo.lms.vn", "demo-trainer-146"),
    "official": ("official@demo.lms.vn", "demo-official-146"),
    "admin": ("admin@demo.lms.vn", "demo-admin-146"),
}

#: Links that download a file or leave the pages (the LRS, JSON, PDFs, exports).
SKIP = (".pdf", ".png", ".csv", ".xlsx", ".json", ".jsonld", ".svg", "/export", "/xapi", "/cmi5/")
PAGES_PER_ROLE = 60
#: Visits per kind of page: the course a learner is enrolled in links further than the others.
VISITS_PER_KIND = 12

#: Collects the violations the page itself sees, before any of its scripts run.
LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " at " +
                    e.sourceFile + ":" + e.lineNumber);
});
"""


class _Collect(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__(logging.INFO)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    from tests.conftest import serving, throwaway_app

    with throwaway_app(tmp_path_factory.mktemp("csp"), WTF_CSRF_ENABLED=True) as app:
        with app.app_context():
            records: list[logging.LogRecord] = []
            handler = _Collect(records)
            logging.getLogger().addHandler(handler)
            try:
                result = app.test_cli_runner().invoke(args=["seed", "demo"])
            finally:
                logging.getLogger().removeHandler(handler)
            assert result.exit_code == 0, result.output
            # A newcomer's `make run` shows the summary, not a log line per record written.
            assert [r.getMessage() for r in records if r.levelno <= logging.INFO] == []
            assert len(result.output.splitlines()) < 40
            db.session.remove()
        with serving(app) as url:
            yield url, app


def _watch(page: Any) -> list[str]:
    """Record what the browser reports about the policy on ``page``."""
    reported: list[str] = []

    def on_console(message: Any) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            reported.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    page.add_init_script(LISTEN)
    return reported


def _links(page: Any, origin: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    found = []
    for href in hrefs:
        url = urldefrag(href)[0]
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != origin:
            continue
        if parts.path.startswith("/api/") and parts.path != "/api/docs":
            continue
        if any(mark in parts.path for mark in SKIP):
            continue
        found.append(url)
    return found


def _kind(app: Any, path: str) -> str:
    """The view that answers ``path``: a few visits per kind of page, not one per course."""
    try:
        endpoint, _args = app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:
        return path
    return str(endpoint)


def _walk(page: Any, origin: str, app: Any, reported: list[str]) -> list[str]:
    """Visit pages from the home page, always a kind of page seen least so far next."""
    queue, paths, visits, visited = [f"{origin}/"], set(), Counter[str](), []
    while len(visited) < PAGES_PER_ROLE:
        queue = [u for u in queue if urlsplit(u).path not in paths]
        kinds = {url: _kind(app, urlsplit(url).path) for url in queue}
        waiting = [url for url in queue if visits[kinds[url]] < VISITS_PER_KIND]
        if not waiting:
            break
        url = min(waiting, key=lambda u: visits[kinds[u]])
        paths.add(urlsplit(url).path)
        visits[kinds[url]] += 1
        response = page.goto(url)
        assert response is not None, url
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy, (url, policy)
        assert "unsafe-inline" not in policy, (url, policy)
        assert response.headers.get("x-content-type-options") == "nosniff", url
        visited.append(kinds[url])
        reported.extend(f"{url}: {v}" for v in page.evaluate("window.__csp"))
        queue.extend(_links(page, origin))
    return visited


@pytest.mark.parametrize("role", list(ROLES))
def test_no_page_violates_the_content_security_policy(
    page: Any, demo_server: tuple[str, Any], role: str
) -> None:
    origin, app = demo_server
    reported = _watch(page)
    login = ROLES[role]
    if login is not None:
        page.goto(f"{origin}/login")
        page.locator("#login").fill(login[0])
        page.locator("#password").fill(login[1])
        page.locator("form button[type=submit]").click()
        page.wait_for_url(f"{origin}/")
    visited = _walk(page, origin, app, reported)
    assert len(visited) >= 5, visited
    assert reported == [], "\n".join(reported)


def test_the_watch_sees_a_violation(browser: Any, demo_server: tuple[str, Any]) -> None:
    """The detector itself works: an inline handler slipped into a page is reported.

    A context of its own: the ``page`` fixture fails any test whose pages violate the policy.
    """
    context = browser.new_context()
    try:
        page = context.new_page()
        reported = _watch(page)
        page.goto(f"{demo_server[0]}/login")
        with page.expect_console_message(lambda m: "Content Security Policy" in m.text):
            page.evaluate(
                "document.body.insertAdjacentHTML('beforeend', '<img src=x onerror=\"alert(1)\">')"
            )
        page.wait_for_function("window.__csp.length > 0")
        assert "script-src" in page.evaluate("window.__csp")[0]
        assert reported
    finally:
        context.close()


def test_the_demo_learner_is_where_the_readme_says(demo_server: tuple[str, Any]) -> None:
    """README: learner@ has 1 of 3 lessons of the online public services course, no certificate."""
    from sqlalchemy import select

    from lms.auth.models import User
    from lms.certificates.models import Certificate
    from lms.classes.models import Enrollment

    _, app = demo_server
    with app.app_context():
        learner = db.session.scalars(select(User).where(User.email == "learner@demo.lms.vn")).one()
        assert (
            db.session.scalars(select(Certificate).where(Certificate.user_id == learner.id)).all()
            == []
        )
        enrollments = db.session.scalars(
            select(Enrollment).where(Enrollment.user_id == learner.id)
        ).all()
        assert [(e.lessons_done, e.completed_at) for e in enrollments] == [(1, None)]
        db.session.remove()


def test_demo_completions_follow_their_enrolments(demo_server: tuple[str, Any]) -> None:
    """No demo completion before its enrolment; a completed class enrolment read every lesson."""
    from sqlalchemy import select

    from lms.classes.models import Enrollment

    _, app = demo_server
    with app.app_context():
        completed = db.session.scalars(
            select(Enrollment).where(Enrollment.completed_at.is_not(None))
        ).all()
        assert completed
        assert [e.id for e in completed if e.completed_at < e.enrolled_at] == []
        in_classes = [e for e in completed if e.class_id is not None]
        assert in_classes
        assert [
            (e.id, e.lessons_done) for e in in_classes if e.lessons_done < len(e.course.lessons)
        ] == []
        db.session.remove()
