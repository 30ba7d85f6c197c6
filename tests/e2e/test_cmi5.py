"""A learner launches the test cmi5 AU from the course, the AU runs, the course ends satisfied.

Real headless chromium, a live server with its own database, the real package in
``courses/cmi5-thu-nghiem``: the AU reads its launch parameters, fetches its token, reads
``LMS.LaunchData`` and sends initialized, completed, passed and terminated to the LRS.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from lms.extensions import db

pytestmark = pytest.mark.e2e

PACKAGE = Path(__file__).resolve().parents[2] / "courses" / "cmi5-thu-nghiem"


@pytest.fixture(scope="module")
def cmi5_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from lms.catalog.importer import import_path
    from tests.conftest import throwaway_app
    from tests.factories import make_signer, make_user

    with throwaway_app(tmp_path_factory.mktemp("cmi5"), WTF_CSRF_ENABLED=True) as app:
        with app.app_context():
            import_path(PACKAGE)
            make_user("hoa.cmi5@example.vn", full_name="Nguyễn Thị Hoa", target_group="citizen")
            make_signer()  # certificates are issued only with a signer named
            db.session.commit()
        yield app


@pytest.fixture(scope="module")
def cmi5_server(cmi5_app: Any) -> Iterator[str]:
    from tests.conftest import serving

    with serving(cmi5_app) as url:
        yield url


def _settle(app: Any) -> None:
    """Catch the bridge up, in case this build's LRS does not notify it after each commit."""
    from lms.learning.bridge import process_pending

    with app.app_context():
        process_pending()
        db.session.remove()


def test_learner_completes_the_test_au_and_the_course_is_satisfied(
    page: Any, cmi5_app: Any, cmi5_server: str
) -> None:
    messages: list[str] = []
    page.on("console", lambda msg: messages.append(msg.text))
    page.goto(f"{cmi5_server}/login")
    page.locator("#login").fill("hoa.cmi5@example.vn")
    page.locator("#password").fill("correct horse battery")
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"{cmi5_server}/")

    page.goto(f"{cmi5_server}/courses/cmi5-thu-nghiem")
    page.get_by_role("heading", name="Học phần thử nghiệm cmi5").first.wait_for()
    page.locator("#enroll").click()
    page.get_by_role("link", name="Mở danh sách học phần").click()
    page.wait_for_url(f"{cmi5_server}/learning/cmi5/cmi5-thu-nghiem")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.locator("button.launch-au").first.click()

    page.wait_for_url("**/cmi5/content/**")
    page.wait_for_selector("body[data-state=initialized]", timeout=15_000)
    page.get_by_label("Đăng nhập Cổng Dịch vụ công quốc gia").check()
    page.locator("#finish").click()
    page.wait_for_selector("body[data-state=terminated]", timeout=15_000)
    page.wait_for_url(f"{cmi5_server}/learning/cmi5/cmi5-thu-nghiem", timeout=15_000)

    _settle(cmi5_app)
    page.reload()
    page.locator("#course-satisfied").wait_for()
    assert "✓" in page.locator(".au-state").first.inner_text()

    from lms.certificates.models import Certificate
    from lms.classes.models import Enrollment, EnrollmentStatus
    from lms.xapi.models import Statement

    with cmi5_app.app_context():
        enrollment = db.session.scalar(select(Enrollment))
        assert enrollment is not None
        assert enrollment.status == EnrollmentStatus.completed
        verbs = [
            s.rsplit("/", 1)[-1]
            for s in db.session.scalars(
                select(Statement.verb_id)
                .where(Statement.registration == enrollment.registration)
                .order_by(Statement.seq)
            )
        ]
        for verb in ("launched", "initialized", "completed", "passed", "terminated", "satisfied"):
            assert verb in verbs, (verb, verbs, messages)
        assert verbs.count("satisfied") == 2
        assert db.session.scalar(select(Certificate)) is not None
        db.session.remove()
