"""Every page is usable with a screen reader and a keyboard, and fits a 360 px phone.

A real chromium walks the demo data (as ``test_csp`` does) as a visitor, a learner, a trainer,
an official and an administrator, on a 360 px wide screen. On each page it runs axe-core
(``tests/fixtures/axe-core``, vendored: no network) and fails on any serious or critical
violation, and on a page wider than the screen (the phone would scroll sideways). The
context bypasses the Content-Security-Policy only so that axe itself can be injected; the
policy is ``test_csp``'s subject.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.test_csp import ROLES, _kind, _links, demo_server  # noqa: F401 - the fixture

pytestmark = pytest.mark.e2e

AXE = Path(__file__).resolve().parents[1] / "fixtures" / "axe-core" / "axe.min.js"
PAGES_PER_ROLE = 45
#: Kinds of page (views) are what differ; a few of each is enough.
VISITS_PER_KIND = 3
WIDTH = 360
#: Pages where problems were found before (issue 16), which each walk must reach.
MUST_SEE = {
    "learner": {"learner_views.my_learning", "learner_views.course"},
    "trainer": {"assessment_views.bank", "classes_views.class_page"},
    "official": {"stats_views.dashboard", "classes_views.unit_progress", "auth_views.users"},
    "admin": {"learning_views.clients", "learning_views.bridge_page", "assessment_views.bank"},
}

RUN_AXE = """
async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => v.id + " (" + v.impact + "): " +
         v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | "));
}
"""
#: What sticks out of the screen, when something does: the widest elements.
WIDEST = """
() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width) { return []; }
  return Array.from(document.querySelectorAll("body *"))
    .filter(e => e.getBoundingClientRect().right > width + 1)
    .filter(e => !e.closest(".table-wrap"))
    .slice(0, 5)
    .map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
         (e.className && typeof e.className === "string" ? "." + e.className.split(" ")[0] : "") +
         " " + Math.round(e.getBoundingClientRect().right) + "px");
}
"""


def _check(page: Any, url: str) -> list[str]:
    page.add_script_tag(path=str(AXE))
    problems = [f"{url}: {v}" for v in page.evaluate(RUN_AXE)]
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > WIDTH:
        problems.append(f"{url}: {width} px wide on a {WIDTH} px screen: {page.evaluate(WIDEST)}")
    return problems


def _walk(page: Any, origin: str, app: Any) -> tuple[list[str], list[str]]:
    queue, paths, visits, visited, problems = [f"{origin}/"], set(), Counter[str](), [], []
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
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        visited.append(kinds[url])
        problems.extend(_check(page, urlsplit(url).path))
        queue.extend(_links(page, origin))
    return visited, problems


@pytest.mark.parametrize("role", list(ROLES))
def test_no_serious_accessibility_violation_and_nothing_wider_than_a_phone(
    browser: Any,
    demo_server: tuple[str, Any],  # noqa: F811 - the fixture imported above
    role: str,
) -> None:
    origin, app = demo_server
    context = browser.new_context(
        viewport={"width": WIDTH, "height": 740}, locale="vi-VN", bypass_csp=True
    )
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        login = ROLES[role]
        if login is not None:
            page.goto(f"{origin}/login")
            page.locator("#login").fill(login[0])
            page.locator("#password").fill(login[1])
            page.locator("form button[type=submit]").click()
            page.wait_for_url(f"{origin}/")
        visited, problems = _walk(page, origin, app)
        assert len(visited) >= 5, visited
        assert MUST_SEE.get(role, set()) - set(visited) == set(), visited
        assert problems == [], "\n".join(problems)
    finally:
        context.close()


def test_axe_finds_what_it_looks_for(browser: Any, demo_server: tuple[str, Any]) -> None:  # noqa: F811
    """The detector works: an unnamed progress bar and a wide block are reported."""
    context = browser.new_context(viewport={"width": WIDTH, "height": 740}, bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(f"{demo_server[0]}/login")
        page.evaluate(
            "document.body.insertAdjacentHTML('beforeend', "
            '\'<div role="progressbar" aria-valuenow="5"></div>'
            '<div style="width: 600px">x</div>\')'
        )
        problems = _check(page, "/login")
        assert any("aria-progressbar-name" in p for p in problems), problems
        assert any("px wide" in p for p in problems), problems
    finally:
        context.close()


#: Words of the lesson's table split across two lines (a word is one span of letters).
BROKEN_WORDS = """
() => {
  const broken = [];
  document.querySelectorAll(".lesson-body td, .lesson-body th").forEach(cell => {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const node = walker.currentNode;
      const re = /[^\\s()\\/,.;:+=-]+/gu;
      let m;
      while ((m = re.exec(node.data)) !== null) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const tops = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
        if (tops.size > 1) { broken.push(m[0]); }
      }
    }
  });
  return broken;
}
"""


def test_lesson_tables_keep_whole_words_on_a_phone(
    browser: Any,
    demo_server: tuple[str, Any],  # noqa: F811 - the fixture imported above
) -> None:
    """At 360 px a lesson's table broke words mid-syllable ("Lo ại", "Mộ t ph ần"): it now
    scrolls sideways in its own box, which the keyboard can reach."""
    origin, _app = demo_server
    context = browser.new_context(viewport={"width": WIDTH, "height": 740}, locale="vi-VN")
    try:
        page = context.new_page()
        trainer = ROLES["trainer"]  # trainers read any lesson without enrolling
        assert trainer is not None
        page.goto(f"{origin}/login")
        page.locator("#login").fill(trainer[0])
        page.locator("#password").fill(trainer[1])
        page.locator("form button[type=submit]").click()
        page.wait_for_url(f"{origin}/")
        page.goto(f"{origin}/courses/an-toan-thong-tin-co-ban")
        page.goto(origin + page.locator("a[href*='sao-luu']").first.get_attribute("href"))
        table = page.locator(".lesson-body table").first
        assert table.count() == 1
        box = page.locator(".lesson-body .table-wrap").first
        assert box.get_attribute("tabindex") == "0"
        assert box.get_attribute("role") == "region"
        assert box.get_attribute("aria-label")
        assert page.evaluate(BROKEN_WORDS) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    finally:
        context.close()
