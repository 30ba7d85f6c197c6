"""A live server on a free port and a headless Debian chromium driven by Playwright.

The browser tests need real commits visible to the server thread, so they get their own
app and their own database, not the rolled-back ``db`` fixture.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM = os.environ.get("LMS_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """An app with its own database, seeded by the tests that use it."""
    from tests.conftest import throwaway_app

    with throwaway_app(tmp_path_factory.mktemp("e2e"), WTF_CSRF_ENABLED=True) as app:
        yield app


@pytest.fixture(scope="session")
def live_server(live_app: Any) -> Iterator[str]:
    from tests.conftest import serving

    with serving(live_app) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A phone-sized page; the test fails if any page it opened violated the
    Content-Security-Policy (a blocked script or style is a broken page)."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    yield page
    context.close()
    assert violations == [], "\n".join(violations)
