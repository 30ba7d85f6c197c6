"""The nine journeys of ``JOURNEYS.md``, each walked end to end in Chromium as its person.

Learners, citizens, invited people and anyone verifying walk on a 360 x 740 phone; officials,
trainers, administrators and the Department on a 1280 x 800 screen. At each stage the test
asks what the person must do next and checks that the page offers it as its primary action:
visible, styled as the project's primary button (``.button`` that is not ``.secondary``,
``button.primary``, ``input[type=submit]``), inside ``main``, and either the first primary
control of the main content (of the form the person opened, for a later stage of a page) or
above the fold, with no other primary button beside it; and that nothing is wider than the
screen. Where a stage had no such action (a dead end) the product was fixed, not the test.

One world (units, courses, people) is built once for the module in the shared live server.
"""

from __future__ import annotations

import base64
import io
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from lms.auth.models import Role
from lms.classes.models import EnrollmentSource
from lms.extensions import db
from tests.conftest import serving, throwaway_app
from tests.e2e.test_getting_in import _log_in
from tests.messages.servers import sms_gateway
from tests.oidc.server import oidc_provider, provider_setting

pytestmark = pytest.mark.e2e

COURSES = Path(__file__).resolve().parents[2] / "courses"
PHONE = {"width": 360, "height": 740}
DESK = {"width": 1280, "height": 800}
PASSWORD = "mat-khau-hanh-trinh"
ASSIGNED = EnrollmentSource.assigned
TEAM_CLASS = "JN-TCN-01"
SLIP_CLASS = "JN-TCN-02"
EXAM_COURSE = "chuan-ky-nang-so-cho-can-bo-chuyen-trach"
OFFICIALS = 38  #: in the commune of journey 3
LEADERS = {
    "an.jn@example.vn": "Nguyễn Văn An",
    "binh.ld.jn@example.vn": "Lê Thị Bình",
    "cuong.jn@example.vn": "Trần Văn Cường",
    "dung.jn@example.vn": "Phạm Văn Dũng",
}

#: How the page presents an action: shown, styled as primary, first of the primary controls in
#: ``scope`` (default ``main``), above the fold, without a primary rival beside it.
PRIMARY = """
([el, scope]) => {
  const styled = e => e.matches(".button:not(.secondary), button.primary, input[type=submit]");
  const shown = e => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && e.checkVisibility({visibilityProperty: true});
  };
  const main = document.querySelector("main");
  const first = Array.from((scope || main).querySelectorAll("a, button, input[type=submit]"))
    .find(e => styled(e) && shown(e));
  const rivals = Array.from(el.parentElement.children)
    .filter(e => e !== el && styled(e) && shown(e));
  return {
    shown: shown(el), styled: styled(el), in_main: main.contains(el),
    first: first === el, first_is: first ? first.outerHTML.slice(0, 120) : null,
    above_fold: el.getBoundingClientRect().bottom + window.scrollY <= window.innerHeight,
    alone: rivals.length === 0,
    fits: document.documentElement.scrollWidth <= window.innerWidth,
  };
}
"""


def fits(page: Any) -> None:
    """Nothing is wider than the screen: the page never scrolls sideways."""
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url}: {width[0]} px wide on a {width[1]} px screen"


def next_step(page: Any, target: Any, step: str | None = None, within: Any = None) -> Any:
    """``target`` (a selector or locator) is the page's primary action; returns its locator.

    ``within``: the part of the page the person is working in (a form opened further down),
    where the action must come first, for a stage that is not the page's first.
    """
    action = page.locator(target).first if isinstance(target, str) else target
    action.wait_for(state="visible")
    scope = within.element_handle() if within is not None else None
    seen = page.evaluate(PRIMARY, [action.element_handle(), scope])
    where = f"{page.url}: {action.inner_text()!r}"
    assert seen["shown"], (where, seen)
    assert seen["in_main"], (where, seen)
    assert seen["styled"], f"{where} is not styled as the primary action"
    assert seen["first"] or seen["above_fold"], f"{where}: neither first nor above the fold"
    assert seen["alone"], f"{where} has primary-styled rivals beside it: no clear next step"
    assert seen["fits"], f"{page.url} is wider than the screen"
    if step is not None:
        assert action.get_attribute("data-step") == step, (where, action.get_attribute("data-step"))
    return action


def as_person(page: Any, viewport: dict[str, int]) -> None:
    """The next person at the same browser: signed out, on their own screen."""
    page.context.clear_cookies()
    page.set_viewport_size(viewport)


def settle(app: Any) -> None:
    """Catch the learning bridge up with what the LRS stored (the tests' clock, not a job's)."""
    from lms.learning.bridge import process_pending

    with app.app_context():
        process_pending()
        db.session.remove()


def answer_all(page: Any, app: Any, attempt_id: int, keys: slice = slice(None)) -> None:
    """Save the right answers of an open attempt as the quiz page does (PUT with the page's
    CSRF token), for the questions in ``keys`` of the attempt's order."""
    from lms.assessment.models import Attempt
    from tests.assessment.conftest import correct_answers

    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt is not None
        order = [item["key"] for item in attempt.items]
        answers = correct_answers(attempt)
        db.session.remove()
    chosen = {key: answers[key] for key in order[keys]}
    status = page.evaluate(
        """([url, responses]) => lmsFetch(url, {method: "PUT", json: {responses}})
             .then(r => r.status)""",
        [f"/api/v1/attempts/{attempt_id}/responses", chosen],
    )
    assert status == 200


def attempt_id(page: Any) -> int:
    return int(page.locator("#quiz-app").get_attribute("data-attempt-id"))


def submit_quiz(page: Any) -> None:
    next_step(page, "#quiz-submit").click()
    page.locator("#quiz-confirm").wait_for(state="visible")
    page.click("#quiz-confirm-ok")
    page.wait_for_selector("#verdict")


#: Who signs in with a password: (e-mail, role, unit, target group, full name).
PEOPLE = (
    ("admin.jn@example.vn", Role.admin, "JN-P", None, "Quản trị Hành Trình"),
    ("lan.jn@example.vn", Role.official, "JN-P", "official", "Trần Thị Lan"),
    ("tuan.jn@example.vn", Role.official, "JN-X", "official", "Lê Văn Tuấn"),
    ("yen.jn@example.vn", Role.official, "JN-Y", "official", "Hà Thị Yến"),
    ("mai.jn@example.vn", Role.trainer, "JN-P", None, "Đỗ Thị Mai"),
    ("binh.jn@example.vn", Role.learner, "JN-X", "citizen", "Nguyễn Văn Bình"),
    ("khoa.jn@example.vn", Role.learner, "JN-X", "dx_specialist", "Vũ Đăng Khoa"),
    *((email, Role.learner, "JN-P", "leader", name) for email, name in LEADERS.items()),
)


@pytest.fixture(scope="module")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The journeys' own app and database: the world they build (real courses, a city, an
    SSO subject) must not meet what the other browser tests search for, nor theirs it."""
    with throwaway_app(tmp_path_factory.mktemp("journeys"), WTF_CSRF_ENABLED=True) as app:
        yield app


@pytest.fixture(scope="module")
def live_server(live_app: Any) -> Iterator[str]:
    with serving(live_app) as url:
        yield url


@pytest.fixture(scope="module")
def world(live_app: Any) -> dict[str, Any]:
    """A city with two wards, the two real courses the journeys take, three made for them,
    and the people; ``year`` is the year journey 9 reports (journey 6 the one before)."""
    from lms.assessment.models import Quiz
    from lms.catalog.importer import import_path
    from lms.catalog.models import Course
    from lms.classes.enrollments import enroll
    from lms.org import services as org
    from lms.stats.demo import create_plan
    from tests.factories import make_class, make_course, make_signer, make_user

    year = datetime.now(UTC).year - 1
    with live_app.app_context():
        city = org.create_unit(
            code="JN-P",
            name="Thành phố Hành Trình",
            kind="province",
            report_day=10,
            valid_from=datetime(year - 2, 1, 1).date(),
            by=None,
        )
        units = {
            "JN-P": city,
            "JN-X": org.create_unit(
                code="JN-X", name="Phường Hành Trình", kind="commune", parent=city, by=None
            ),
            "JN-Y": org.create_unit(
                code="JN-Y", name="Xã Đường Xa", kind="commune", parent=city, by=None
            ),
        }
        create_plan(city)
        make_signer(city)
        people = {
            email: make_user(
                email,
                roles=(role,),
                unit=units[unit],
                target_group=group,
                full_name=name,
                password=PASSWORD,
            )
            for email, role, unit, group, name in PEOPLE
        }
        ward, official = units["JN-X"], people["tuan.jn@example.vn"]
        for n in range(OFFICIALS - 1):  # and Tuấn himself
            make_user(f"cb{n}.jn@example.vn", unit=ward, target_group="official", password=None)

        for slug in ("dich-vu-cong-truc-tuyen", EXAM_COURSE):
            import_path(COURSES / slug)
        exam_course = db.session.scalar(select(Course).where(Course.slug == EXAM_COURSE))
        assert exam_course is not None
        enroll(people["khoa.jn@example.vn"], exam_course, by=official, source=ASSIGNED)
        exam = db.session.scalar(select(Quiz).where(Quiz.course_id == exam_course.id))
        assert exam is not None
        now = datetime.now(UTC)  # the exam window is open
        exam.opens_at, exam.closes_at = now - timedelta(hours=1), now + timedelta(hours=3)

        basic = make_course(
            "jn-ky-nang-so-co-ban",
            title="Kỹ năng số cơ bản cho cán bộ (hành trình)",
            lessons=2,
            open=False,
            target_groups=("official",),
        )
        make_course(
            "jn-lanh-dao",
            title="Lãnh đạo số (hành trình)",
            lessons=1,
            open=False,
            rule={"lessons": "all", "attendance": 100},
            target_groups=("leader",),
        )
        team = make_course("jn-to-cong-nghe", title="Tổ công nghệ số (hành trình)", open=False)
        make_class(team, code=TEAM_CLASS, unit=ward, title="Tổ công nghệ số phường", capacity=20)
        slips = make_class(team, code=SLIP_CLASS, unit=ward, title="Tổ công nghệ số, đợt 2")
        bay = make_user(
            phone="0987146808",
            unit=ward,
            target_group="community_tech",
            full_name="Trương Văn Bảy",
            password=None,
        )
        bay.email = None  # a phone, no e-mail
        enroll(bay, team, by=official, source=EnrollmentSource.klass, klass=slips)
        sso = make_user("lan.sso.jn@so.gov.vn", unit=city, target_group="official", password=None)
        enroll(sso, basic, by=people["lan.jn@example.vn"], source=ASSIGNED)
        db.session.commit()
    return {"year": year}


# --- 1. A citizen on a phone ---------------------------------------------------------------------


def test_1_a_citizen_registers_learns_passes_and_her_grandson_verifies(
    page: Any, live_server: str, live_app: Any, world: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setitem(live_app.config, "BASE_URL", live_server)  # what the QR code points at
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/register")
    page.fill("#login", "0912 146 501")
    page.fill("#full_name", "Phạm Thị Hoa")
    page.select_option("#unit", "JN-X")
    page.fill("#password", "mat-khau-ba-hoa")
    page.fill("#password2", "mat-khau-ba-hoa")
    page.locator("#consent").check()
    next_step(page, "form button[type=submit]").click()
    page.get_by_text("Chào mừng Phạm Thị Hoa!").wait_for()
    fits(page)

    # Her keyboard makes diacritics tedious.
    page.goto(f"{live_server}/courses")
    page.fill("#q", "dich vu cong")
    next_step(page, "form[role=search] button[type=submit]").click()
    page.wait_for_url("**q=dich+vu+cong**")
    result = page.locator(".course-card h2 a", has_text="Sử dụng dịch vụ công trực tuyến")
    assert result.is_visible()
    fits(page)
    result.click()
    next_step(page, "#enroll").click()

    # Day one: the first lesson, then she stops.
    page.wait_for_url("**/lessons/**")
    next_step(page, "#mark-complete").click()
    page.wait_for_url("**/lessons/**")
    stopped_at = page.url

    # Day two: the site remembers where she stopped.
    page.goto(f"{live_server}/my-learning")
    next_step(page, "#resume", "lesson").click()
    assert page.url == stopped_at
    next_step(page, "#mark-complete").click()
    page.wait_for_url("**/lessons/**")
    next_step(page, "#mark-complete").click()

    # All lessons read: the quiz is the next step, not the last lesson again.
    page.wait_for_url("**/courses/dich-vu-cong-truc-tuyen")
    next_step(page, "#next-step", "quiz").click()
    next_step(page, "#start").click()
    page.wait_for_selector("#quiz-question[data-key]")
    submit_quiz(page)  # nothing answered: not passed
    assert "Chưa đạt" in page.locator("#verdict").inner_text()
    fits(page)

    # The second try: the result's next step leads to it.
    next_step(page, "#next-step", "quiz").click()
    next_step(page, "#start").click()
    page.wait_for_selector("#quiz-question[data-key]")
    answer_all(page, live_app, attempt_id(page))
    page.reload()
    page.wait_for_selector(".qnav-item.answered")
    submit_quiz(page)
    assert "Đạt" in page.locator("#verdict").inner_text()
    next_step(page, "#next-step", "certificate").click()

    page.wait_for_url("**/certificates**")
    card = page.locator(".cert-card").first
    download = next_step(page, card.get_by_role("link", name="Tải PDF"))
    with page.expect_download() as pdf:
        download.click()
    assert Path(pdf.value.path()).read_bytes()[:5] == b"%PDF-"
    verify_url = card.locator(".share-row input").input_value()

    # Her grandson scans the QR code on his own phone: no account needed.
    as_person(page, PHONE)
    page.goto(verify_url)
    verdict = page.locator("section.verdict")
    assert verdict.get_attribute("data-status") == "valid"
    assert "Sử dụng dịch vụ công trực tuyến" in verdict.inner_text()  # the holder is masked
    assert verdict.bounding_box()["y"] < PHONE["height"]
    fits(page)


# --- 2. A MOOC platform pushing records ----------------------------------------------------------

UNIT_CODE = "https://lms146.vn/xapi/extensions/unit-code"
MOOC_HOME = "https://onestudy.mic.gov.vn"
DVC_EXTERNAL = "https://onestudy.mic.gov.vn/xapi/activities/course/dich-vu-cong-truc-tuyen"


def test_2_the_admin_gives_the_mooc_a_key_and_its_completions_bring_certificates(
    page: Any, live_server: str, live_app: Any, world: dict[str, Any]
) -> None:
    page.set_viewport_size(DESK)
    _log_in(page, live_server, "admin.jn@example.vn", PASSWORD)
    page.get_by_role("link", name="Ứng dụng kết nối LRS").first.click()
    page.fill("#new-client-name", "Nền tảng MOOC quốc gia (hành trình)")
    next_step(page, "#new-client button[type=submit]").click()
    next_step(page, "button[data-copy=new-secret-value]")
    key = page.locator("#new-key").inner_text()
    secret = page.locator("#new-secret-value").inner_text()

    # Its records count once it is a source platform, for the courses and units allowed.
    client = page.locator("li.client", has=page.locator(f"code:text-is('{key}')"))
    form = client.locator("details", has_text="Đăng ký làm nền tảng nguồn")
    form.locator("summary").click()
    form.get_by_label("Tên nền tảng").fill("Nền tảng MOOC quốc gia")
    form.locator("input[name=home_page]").fill(MOOC_HOME)
    form.get_by_label("Sử dụng dịch vụ công trực tuyến").check()
    form.locator("input[name=units]").fill("JN-P")
    next_step(page, form.locator("button[type=submit]"), within=form).click()
    page.locator(".flash-success").wait_for()
    fits(page)

    # The platform's client posts a batch; it times out and is sent again.
    batch = [
        {
            "id": str(uuid.uuid4()),
            "actor": {"objectType": "Agent", "mbox": "mailto:binh.jn@example.vn"},
            "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}"},
            "object": {"objectType": "Activity", "id": DVC_EXTERNAL},
            "result": result,
            "context": {"extensions": {UNIT_CODE: "JN-X"}},
        }
        for verb, result in (
            ("completed", {"completion": True}),
            ("passed", {"success": True, "score": {"scaled": 0.9}}),  # the course's quiz rule
        )
    ]
    headers = {
        "Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode(),
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "application/json",
    }
    for _ in range(2):
        sent = page.request.post(f"{live_server}/xapi/statements", headers=headers, data=batch)
        assert sent.status == 200, sent.text()
    settle(live_app)

    # Next morning Bình sees his certificate as his next step.
    as_person(page, PHONE)
    _log_in(page, live_server, "binh.jn@example.vn", PASSWORD, "/my-learning")
    next_step(page, "#resume", "certificate").click()
    page.wait_for_url("**/certificates**")
    assert page.locator(".cert-card").count() == 1  # the batch sent twice counted once
    fits(page)


# --- 3. A commune official enrolling staff -------------------------------------------------------

TEAM = "email,phone,full_name,unit_code,target_group\n" + "".join(
    f"to{n}.jn@example.vn,,Thành viên Tổ {n},JN-X,community_tech\n" for n in range(12)
)
TEAM_TYPOS = TEAM.replace("to3.jn@example.vn", "to3.jn@example").replace("Tổ 7,JN-X", "Tổ 7,JN-XX")


def _upload(page: Any, text: str) -> None:
    page.set_input_files(
        "#import-file", {"name": "to.csv", "mimeType": "text/csv", "buffer": text.encode()}
    )
    next_step(page, "#preview-button").click()


def test_3_an_official_enrols_his_staff_imports_the_team_and_follows_progress(
    page: Any, live_server: str, world: dict[str, Any]
) -> None:
    page.set_viewport_size(DESK)
    _log_in(page, live_server, "tuan.jn@example.vn", PASSWORD)
    page.locator("#mainnav").get_by_role("link", name="Đăng ký học").click()

    # All officials of the commune in one action.
    page.select_option("#assign-course", "jn-ky-nang-so-co-ban")
    page.select_option("#assign-group", "official")
    page.fill("#assign-unit", "JN-X")
    next_step(page, "#assign-button").click()
    job = page.locator("#job")
    page.locator("#job-percent", has_text="100%").wait_for()
    assert f"{OFFICIALS} người được đăng ký" in page.locator("#job-status").inner_text()
    next_step(page, "#progress-link", within=job).click()

    # Their progress, with bars.
    page.wait_for_url("**/enrol/progress**")
    assert page.locator("table.roster tbody tr").count() >= OFFICIALS
    assert page.locator("table.roster .progress").first.is_visible()
    fits(page)

    # The community tech team from a spreadsheet with two typos.
    page.locator("#mainnav").get_by_role("link", name="Lớp học").click()
    page.get_by_role("link", name="Tổ công nghệ số phường").click()
    next_step(page, "#import-link").click()
    _upload(page, TEAM_TYPOS)
    page.locator(".flash-error").wait_for()
    assert page.locator("td.cell-error").count() == 2
    assert page.locator('tr[data-row="5"] td[data-field="email"].cell-error').count() == 1
    assert page.locator('tr[data-row="9"] td[data-field="unit_code"].cell-error').count() == 1
    assert not page.locator("#apply-button").is_visible()  # nothing imported until fixed
    _upload(page, TEAM)
    next_step(page, "#apply-button", within=page.locator("#preview")).click()
    page.wait_for_url(f"**/classes/{TEAM_CLASS}?imported=12**")
    assert page.locator("#import-done").is_visible()
    assert page.locator("table.roster tbody tr").count() == 12
    # People without a password: printing their activation slips is what comes next.
    next_step(page, "#print-sheet")


# --- 4. A trainer running an in-person class -----------------------------------------------------


def _online_part_done(app: Any, emails: list[str], slug: str) -> None:
    """The participants read the course's lessons at home (journey 1 walks that part)."""
    from lms.auth.models import User
    from lms.catalog.models import Course
    from lms.classes.completion import complete_lesson
    from lms.classes.models import Enrollment

    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == slug))
        assert course is not None
        for email in emails:
            enrollment = db.session.scalar(
                select(Enrollment)
                .join(User, Enrollment.user_id == User.id)
                .where(User.email == email, Enrollment.course_id == course.id)
            )
            assert enrollment is not None
            for lesson in course.lessons:
                complete_lesson(enrollment, lesson)
        db.session.commit()
        db.session.remove()


def _attendance(page: Any, opener: Any, absent: str | None = None, note: str = "") -> None:
    opener.click()
    page.locator("#all-present").click()
    if absent is not None:
        person = page.locator(".person", has_text=absent)
        person.locator("label.toggle").click()
        person.locator("input.note").fill(note)
    next_step(page, "#save-attendance").click()
    page.locator(".flash-success").wait_for()
    page.locator(".crumbs a").click()


def test_4_a_trainer_runs_a_class_and_issues_certificates_one_with_a_reason(
    page: Any, live_server: str, live_app: Any, world: dict[str, Any]
) -> None:
    page.set_viewport_size(DESK)
    today = datetime.now(UTC).date()
    _log_in(page, live_server, "mai.jn@example.vn", PASSWORD)
    page.locator("#mainnav").get_by_role("link", name="Lớp học").click()
    next_step(page, "#new-class").click()

    page.select_option("#course", "jn-lanh-dao")
    page.fill("#code", "JN-LD-01")
    page.fill("#unit", "JN-P")
    page.fill("#title", "Lớp lãnh đạo số của sở")
    dates = page.locator("input[name=session_date]")
    dates.nth(0).fill((today - timedelta(days=1)).isoformat())
    dates.nth(1).fill(today.isoformat())
    next_step(page, "#create-class").click()
    page.wait_for_url("**/classes/JN-LD-01")

    next_step(page, "#import-link").click()
    roster = "email,phone,full_name,unit_code,target_group\n" + "".join(
        f"{email},,{name},JN-P,leader\n" for email, name in LEADERS.items()
    )
    _upload(page, roster)
    next_step(page, "#apply-button", within=page.locator("#preview")).click()
    page.wait_for_url("**/classes/JN-LD-01?imported=4**")
    _online_part_done(live_app, list(LEADERS)[:3], "jn-lanh-dao")  # Dũng has not

    # Two days in the room; Cường is away for half of one on an official mission.
    # Today's session is the class page's next step; yesterday's is in the list of sessions.
    _attendance(page, next_step(page, "#attendance-link"), "Trần Văn Cường", "Đi công tác")
    _attendance(page, page.locator("#sessions a.session-link").first)
    page.wait_for_url("**/classes/JN-LD-01")
    dung = page.locator("table.roster tr", has_text="Phạm Văn Dũng")
    assert "0/1" in dung.inner_text()  # who has not finished the online part
    next_step(page, "#certificates-link").click()

    # Those who met the rule got theirs when they completed; what is left is the exception.
    assert page.locator("#issue-all-button").is_disabled()
    assert "secondary" in (page.locator("#issue-all-button").get_attribute("class") or "")
    cuong = page.locator("table.cert-class tr", has_text="Trần Văn Cường")
    cuong.locator("textarea").fill("Vắng nửa buổi do đi công tác theo quyết định của sở.")
    next_step(page, cuong.get_by_role("button", name="Cấp"), within=cuong).click()
    page.wait_for_load_state()
    cuong = page.locator("table.cert-class tr", has_text="Trần Văn Cường")
    assert "đi công tác theo quyết định" in cuong.locator(".override-reason").inner_text()
    rows = page.locator("table.cert-class tbody tr")
    issued = [r for r in rows.all() if r.locator("a[href*='/verify/']").count()]
    assert len(issued) == 3  # An and Bình by the rule, Cường with his reason; not Dũng


# --- 5. A DX specialist's yearly exam ------------------------------------------------------------


def test_5_a_specialist_takes_the_exam_resumes_after_a_crash_and_passes(
    page: Any, live_server: str, live_app: Any, world: dict[str, Any]
) -> None:
    page.set_viewport_size(PHONE)
    _log_in(page, live_server, "khoa.jn@example.vn", PASSWORD, "/my-learning")
    next_step(page, "#resume", "quiz").click()
    assert "40 câu hỏi" in page.locator(".facts").inner_text()
    assert "45 phút" in page.locator(".facts").inner_text()
    next_step(page, "#start").click()
    page.wait_for_selector("#quiz-question[data-key]")
    assert page.locator(".qnav-item").count() == 40
    exam = attempt_id(page)
    answer_all(page, live_app, exam, slice(0, 22))

    # His browser crashes at question 23; he goes on at another computer.
    as_person(page, PHONE)
    _log_in(page, live_server, "khoa.jn@example.vn", PASSWORD, "/my-learning")
    next_step(page, "#resume", "attempt").click()
    page.wait_for_selector("#quiz-question[data-key]")
    assert page.locator(".qnav-item.answered").count() == 22
    assert page.locator(".qnav-item").nth(22).get_attribute("aria-current") == "step"
    fits(page)
    answer_all(page, live_app, exam, slice(22, None))
    page.reload()
    page.locator(".qnav-item.answered").nth(39).wait_for()
    submit_quiz(page)

    assert "Đạt" in page.locator("#verdict").inner_text()
    assert page.locator(".areas li").count() == 6  # his score per skill area
    fits(page)
    next_step(page, "#next-step", "certificate")


# --- 6. The December report ----------------------------------------------------------------------


def test_6_the_department_reads_the_dashboard_drills_down_and_closes_the_year(
    page: Any, live_server: str, world: dict[str, Any]
) -> None:
    year = world["year"] - 1  # journey 9 reports the year after
    page.set_viewport_size(DESK)
    _log_in(page, live_server, "lan.jn@example.vn", PASSWORD, "/dashboard")
    page.goto(f"{live_server}/dashboard?unit=JN-P&year={year}")
    assert page.locator("article.indicator").count() >= 3  # each indicator against its target
    fits(page)
    for code in ("JN-X", "JN-Y"):  # two wards' figures, checked by drilling down
        page.locator(f'tr[data-unit="{code}"] a').first.click()
        page.wait_for_url(f"**unit={code}**")
        assert page.locator("article.indicator").count() >= 3
        fits(page)
        page.go_back()
    next_step(page, "#report-link").click()

    page.wait_for_url("**/reports?**")
    for name, suffix in (("Báo cáo (PDF)", ".pdf"), ("Báo cáo (XLSX)", ".xlsx")):
        with page.expect_download() as download:
            page.get_by_role("link", name=name).click()
        assert download.value.suggested_filename.endswith(suffix)
    page.locator('input[name="confirm"]').check()
    next_step(page, page.get_by_role("button", name=f"Gửi báo cáo năm {year}")).click()
    page.wait_for_load_state()
    assert page.locator("section.report-state").get_attribute("data-state") == "submitted"
    fits(page)

    # The report she sent stays as it was: the dashboard keeps it beside the live figures.
    page.goto(f"{live_server}/dashboard?unit=JN-P&year={year}")
    assert page.get_by_role("link", name="Báo cáo đã chốt (PDF)").is_visible()
    assert page.locator("#report-link").count() == 0


# --- 9. The Department compiles the province's December report -----------------------------------


def _submit(page: Any, live_server: str, unit: str, year: int) -> None:
    page.goto(f"{live_server}/reports?unit={unit}&year={year}")
    page.locator('input[name="confirm"]').check()
    next_step(page, page.get_by_role("button", name=f"Gửi báo cáo năm {year}")).click()
    page.wait_for_load_state()
    assert page.locator("section.report-state").get_attribute("data-state") == "submitted"


def test_9_the_department_sees_who_submitted_sends_one_back_and_compiles(
    page: Any, live_server: str, world: dict[str, Any]
) -> None:
    year = world["year"]
    page.set_viewport_size(DESK)
    for login, unit in (("tuan.jn@example.vn", "JN-X"), ("yen.jn@example.vn", "JN-Y")):
        as_person(page, DESK)
        _log_in(page, live_server, login, PASSWORD, "/dashboard")
        page.goto(f"{live_server}/dashboard?unit={unit}&year={year}")
        next_step(page, "#report-link").click()
        _submit(page, live_server, unit, year)

    as_person(page, DESK)
    _log_in(page, live_server, "lan.jn@example.vn", PASSWORD, "/dashboard")
    page.goto(f"{live_server}/reports?unit=JN-P&year={year}")
    for code in ("JN-X", "JN-Y"):  # on one page: who has submitted, and late (last year's)
        assert page.locator(f'table.submissions tr[data-unit="{code}"]').get_attribute(
            "data-status"
        ) in {"late", "on_time"}
    page.locator('table.submissions tr[data-unit="JN-Y"] a').click()
    page.wait_for_url("**unit=JN-Y**")
    assert page.locator("section.report-state").get_attribute("data-state") == "submitted"
    send_back = page.locator("#send-back")
    send_back.locator("textarea").fill("Số cán bộ đã bồi dưỡng chưa khớp danh sách; đề nghị sửa.")
    next_step(page, send_back.locator("button[type=submit]"), within=send_back).click()
    page.locator(".flash-success").wait_for()
    assert page.locator("section.report-state").get_attribute("data-state") == "draft"

    page.locator(".crumbs a", has_text="Thành phố Hành Trình").click()
    assert page.locator('tr[data-unit="JN-Y"]').get_attribute("data-status") == "overdue"
    _submit(page, live_server, "JN-P", year)
    with page.expect_download() as download:
        page.get_by_role("link", name="Báo cáo (PDF)").click()
    assert download.value.suggested_filename == f"bao-cao-JN-P-{year}-da-gui.pdf"  # as sent
    fits(page)


# --- 7. Anyone checking a certificate ------------------------------------------------------------


def _certificates(app: Any) -> tuple[str, str, bytes]:
    """Two members of the team certified; the second's certificate revoked. Returns both
    serials and the first one's PDF as the system served it."""
    from lms.catalog.models import Course
    from lms.certificates.pdfs import certificate_pdf
    from lms.certificates.services import issue_certificate, revoke_certificate
    from lms.classes.models import EnrollmentStatus
    from lms.org.models import Unit
    from tests.factories import make_enrollment, make_user

    with app.test_request_context():
        course = db.session.scalar(select(Course).where(Course.slug == "jn-to-cong-nghe"))
        ward = db.session.scalar(select(Unit).where(Unit.code == "JN-X"))
        certs = []
        for name in ("Đinh Văn Thuận", "Mạc Thị Oanh"):
            person = make_user(unit=ward, full_name=name, target_group="community_tech")
            done = make_enrollment(person, course, status=EnrollmentStatus.completed)
            certs.append(issue_certificate(done)[0])
        revoke_certificate(certs[1], by=None, reason="Cấp nhầm người")
        pdf = certificate_pdf(certs[0])
        serials = certs[0].serial, certs[1].serial
        db.session.commit()
        db.session.remove()
    return serials[0], serials[1], pdf


def _check_pdf(page: Any, live_server: str, pdf: bytes) -> str:
    page.goto(f"{live_server}/verify")
    card = page.locator("section.card", has=page.locator("#file"))
    page.set_input_files(
        "#file", {"name": "chung-nhan.pdf", "mimeType": "application/pdf", "buffer": pdf}
    )
    next_step(page, card.locator("button[type=submit]"), within=card).click()
    page.wait_for_load_state()
    return str(page.locator("section.verdict").get_attribute("data-status"))


def test_7_an_employer_checks_a_certificate_a_revoked_one_and_an_altered_file(
    page: Any, live_server: str, live_app: Any, world: dict[str, Any]
) -> None:
    valid, revoked, pdf = _certificates(live_app)
    page.set_viewport_size(PHONE)

    page.goto(f"{live_server}/verify/{valid}")  # the QR code's address; no login
    verdict = page.locator("section.verdict")
    assert verdict.get_attribute("data-status") == "valid"
    assert verdict.bounding_box()["y"] < PHONE["height"]  # the answer is the first thing seen
    facts = page.locator(".cert-facts").inner_text()
    for fact in ("Tổ công nghệ số (hành trình)", "Thành phố Hành Trình", "Còn hiệu lực"):
        assert fact in facts
    assert re.search(r"\d{2}/\d{2}/\d{4}", facts)  # the date of issue
    fits(page)

    page.goto(f"{live_server}/verify/{revoked}")
    verdict = page.locator("section.verdict")
    assert verdict.get_attribute("data-status") == "revoked"
    assert "Đã thu hồi" in verdict.inner_text()
    assert "Cấp nhầm người" in verdict.inner_text()
    assert page.locator(".badge-valid").count() == 0
    fits(page)

    # The PDF as issued verifies; a changed one does not.
    assert _check_pdf(page, live_server, pdf) == "valid"
    assert _check_pdf(page, live_server, pdf + b"\n% sua lai\n") == "invalid"
    assert page.locator(".badge-valid").count() == 0
    fits(page)


# --- 8. Getting in without an e-mail address -----------------------------------------------------


def test_8_an_invited_member_activates_resets_by_sms_and_an_official_uses_sso(
    page: Any, live_server: str, live_app: Any, world: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    # The commune official prints the class's activation sheet.
    page.set_viewport_size(DESK)
    _log_in(page, live_server, "tuan.jn@example.vn", PASSWORD, f"/classes/{SLIP_CLASS}")
    with page.expect_download() as sheet:
        next_step(page, "#print-sheet").click()
    text = "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(Path(sheet.value.path()).read_bytes())).pages
    )
    assert "Trương Văn Bảy" in text
    found = re.search(r"Mã kích hoạt: ([A-Z2-9]{5}-[A-Z2-9]{5})", text)
    assert found is not None

    # Chú Bảy, on his phone, types the address and the code on his slip.
    as_person(page, PHONE)
    page.goto(f"{live_server}/activate")
    page.fill("#code", found.group(1).lower().replace("-", " "))
    next_step(page, page.get_by_role("button", name="Kiểm tra mã")).click()
    page.fill("#password", "bay mat khau moi")
    page.fill("#password2", "bay mat khau moi")
    page.locator("#consent").check()
    next_step(page, page.get_by_role("button", name="Đặt mật khẩu")).click()
    page.wait_for_url("**/my-learning")
    next_step(page, "#resume", "lesson")  # he lands on his course

    # A month later he has forgotten it: a code by SMS, nobody to call.
    as_person(page, PHONE)
    with sms_gateway(live_app, monkeypatch) as gateway:
        page.goto(f"{live_server}/login")
        page.get_by_role("link", name="Quên mật khẩu?").click()
        page.fill("#login", "0987 146 808")
        next_step(page, page.get_by_role("button", name="Gửi mã cho tôi")).click()
        page.wait_for_url("**/reset?login=*")
        (sms,) = gateway.requests
    code = re.search(r"\b(\d{6})\b", sms["json"]["Content"])
    assert code is not None
    page.fill("#code", code.group(1))
    page.fill("#password", "bay mat khau thang sau")
    page.fill("#password2", "bay mat khau thang sau")
    next_step(page, page.get_by_role("button", name="Đặt mật khẩu")).click()
    page.wait_for_url("**/my-learning")
    next_step(page, "#resume", "lesson")

    # An official of the Department signs in with the province's single sign-on.
    as_person(page, DESK)
    accounts = {"lan.so": {"email": "lan.sso.jn@so.gov.vn", "email_verified": True}}
    with oidc_provider(f"{live_server}/sso/tinh/callback", accounts) as issuer:
        monkeypatch.setitem(live_app.config, "BASE_URL", live_server)
        monkeypatch.setitem(live_app.config, "OIDC_PROVIDERS", [provider_setting(issuer)])
        page.goto(f"{live_server}/login")
        page.get_by_role("link", name="Đăng nhập một lần của Tỉnh").click()
        page.fill("input[name=login]", "lan.so")
        page.fill("input[name=password]", "mat-khau-o-tinh")
        page.locator("button[type=submit]").click()
        page.wait_for_url(f"{live_server}/consent?**")
        page.locator("#consent").check()
        next_step(page, page.get_by_role("button", name="Vào khoá học của tôi")).click()
        page.wait_for_url(f"{live_server}/my-learning")
    next_step(page, "#resume", "lesson")
