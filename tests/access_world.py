"""The two-province world of the access matrix (``tests/test_access_matrix.py``).

Built once per module inside one outer transaction: Hải Phòng (``HP``, a ward ``HP-HONGBANG``
and ``HP-LECHAN``) and Quảng Trị (``QT``, ``QT-DONGHOI`` and ``QT-DONGHA``), the actors of the
matrix, and one object of every kind in each province: a class with a session, enrollments,
a certificate, a question bank and a quiz, attempts, a background job, an indicator, a closed
year. Every cell of the matrix then runs in a SAVEPOINT that is rolled back, so a cell that is
allowed to change something (revoke, delete, merge) leaves the world as it found it.

Objects are looked up by the row's object key: ``HP`` and ``QT`` (that province's object),
``N`` (national: the course's own question bank and quiz), ``ADMIN`` (the admin, placed in the
ward ``HP-HONGBANG``), ``-`` (no object).
"""

from __future__ import annotations

import io
import shutil
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import scoped_session, sessionmaker
from werkzeug.test import TestResponse

from lms.auth.models import Role, User
from lms.extensions import db
from lms.org.models import UnitKind
from tests.factories import make_signer, make_token, make_unit, make_user

PASSWORD = "correct horse battery"
ROOT = Path(__file__).resolve().parents[1]
COURSE_PACKAGE = ROOT / "tests" / "fixtures" / "courses" / "good" / "ky-nang-so-co-ban"
OTHER_PACKAGE = ROOT / "tests" / "fixtures" / "courses" / "good" / "lanh-dao-chuyen-doi-so"
CMI5_PACKAGE = ROOT / "courses" / "cmi5-thu-nghiem"
COURSE = "ky-nang-so-co-ban"
CLOSED_YEAR = 2025

#: The people the matrix asks as, in the order of the table's columns.
ACTORS = (
    "anon",  # not logged in
    "learner",  # a citizen of HP-HONGBANG, in the HP class
    "trainer",  # a trainer of HP-HONGBANG, teaching the HP class
    "off_hp",  # an official of the city HP
    "off_hb",  # an official of the ward HP-HONGBANG
    "off_qt",  # an official of the province QT
    "trainer_qt",  # a trainer of QT-DONGHOI, teaching the QT class
    "admin",  # an administrator, placed in the ward HP-HONGBANG
)

QUESTIONS = """\
quiz:
  title: {vi: Bài kiểm tra, en: Quiz}
  questions: 1
  max_attempts: 5
  pass_mark: 50
  review: after_submit
questions:
  - id: q1
    type: true_false
    skill_area: safety
    difficulty: easy
    text: Không chia sẻ mã OTP cho người lạ.
    answer: true
"""

BANK_QUESTION = {
    "id": "q1",
    "type": "true_false",
    "skill_area": "safety",
    "difficulty": "easy",
    "text": "Mật khẩu mạnh có ít nhất 12 ký tự.",
    "answer": True,
}


@dataclass
class World:
    app: Flask
    connection: Connection
    #: object key -> placeholder name -> value, e.g. ``objects["HP"]["class"]``.
    objects: dict[str, dict[str, Any]]
    tokens: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)

    @contextmanager
    def cell(self) -> Iterator[None]:
        """Run one cell in a SAVEPOINT and roll it back: the world stays as built."""
        savepoint = self.connection.begin_nested()
        try:
            yield
        finally:
            savepoint.rollback()

    def client(self, actor: str, *, page: bool) -> FlaskClient:
        client = self.app.test_client()
        if page and actor in self.cookies:
            client.set_cookie(self.app.config["SESSION_COOKIE_NAME"], self.cookies[actor])
        return client

    def request(
        self, actor: str, method: str, url: str, *, page: bool, **kwargs: Any
    ) -> TestResponse:
        headers = dict(kwargs.pop("headers", {}))
        if not page and actor in self.tokens:
            headers["Authorization"] = f"Bearer {self.tokens[actor]}"
        with self.cell():
            return self.client(actor, page=page).open(url, method=method, headers=headers, **kwargs)


# --- building -----------------------------------------------------------------------------------


def _zip(folder: Path, *, inside: bool = True) -> bytes:
    """``folder`` zipped, as a folder (a course package) or its content (a cmi5 package)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                name = str(path.relative_to(folder))
                archive.write(path, f"{folder.name}/{name}" if inside else name)
    return buffer.getvalue()


def _course(tmp: Path) -> Any:
    from lms.catalog.importer import import_path
    from lms.catalog.models import Course

    package = tmp / COURSE
    shutil.copytree(COURSE_PACKAGE, package)
    (package / "questions.yaml").write_text(QUESTIONS, encoding="utf-8")
    import_path(package)
    import_path(CMI5_PACKAGE)
    return db.session.scalar(select(Course).where(Course.slug == COURSE))


def _people(units: dict[str, Any]) -> dict[str, User]:
    def person(email: str, role: Role, unit: str, **kwargs: Any) -> User:
        return make_user(email, roles=(role,), unit=units[unit], password=PASSWORD, **kwargs)

    return {
        "learner": person("learner@hp.vn", Role.learner, "HB", target_group="citizen"),
        "trainer": person("trainer@hp.vn", Role.trainer, "HB", target_group="official"),
        "off_hp": person("official@hp.vn", Role.official, "HP", target_group="official"),
        "off_hb": person("official@hb.vn", Role.official, "HB", target_group="official"),
        "off_qt": person("official@qt.vn", Role.official, "QT", target_group="official"),
        "trainer_qt": person("trainer@qt.vn", Role.trainer, "DH", target_group="official"),
        "admin": person("admin@hp.vn", Role.admin, "HB"),
        # People the actors act on; they never log in.
        "person_hb": person(
            "hoa@hp.vn", Role.learner, "HB", target_group="citizen", full_name="Bà Hoa Hồng Bàng"
        ),
        "person_dh": person(
            "khoa@qt.vn", Role.learner, "DH", target_group="citizen", full_name="Ông Khoa Đồng Hới"
        ),
        "new_hb": person("lan@hp.vn", Role.learner, "HB", target_group="citizen"),
        "new_dh": person("binh@qt.vn", Role.learner, "DH", target_group="citizen"),
        "holder_dh": person("an@qt.vn", Role.learner, "DH", target_group="citizen"),
    }


def _classes(course: Any, units: dict[str, Any], people: dict[str, User]) -> dict[str, Any]:
    from lms.classes import cohorts

    out = {}
    for key, unit, trainer in (("HP", "HB", "trainer"), ("QT", "DH", "trainer_qt")):
        klass = cohorts.create_class(
            code=f"MT-{key}",
            course=course,
            unit=units[unit],
            by=people["admin"],
            trainer_ids=[people[trainer].id],
            title=f"Lớp ma trận {key}",
        )
        session = cohorts.add_session(
            klass, on=date(2026, 12, 1), topic="Buổi 1", by=people["admin"]
        )
        out[key] = (klass, session)
    return out


def _enrol(person: User, klass: Any, by: User) -> Any:
    from lms.classes.enrollments import enroll
    from lms.classes.models import EnrollmentSource

    return enroll(person, klass.course, by=by, source=EnrollmentSource.klass, klass=klass)


def _assessment(
    course: Any, units: dict[str, Any], people: dict[str, User]
) -> dict[str, dict[str, Any]]:
    from lms.assessment import attempts, banks, quizzes
    from lms.assessment.models import QuestionBank

    national_quiz = quizzes.course_quiz(course)
    national_bank = db.session.scalar(
        select(QuestionBank).where(QuestionBank.course_id == course.id)
    )
    out: dict[str, dict[str, Any]] = {"N": {"bank": national_bank.id, "quiz": national_quiz.id}}
    for key, trainer in (("HP", "trainer"), ("QT", "trainer_qt")):
        province = units[key]
        bank = banks.create_bank(
            code=f"mt-{key.lower()}",
            title=f"Ngân hàng {key}",
            by=people[trainer],
            province=province,
        )
        banks.create_question(bank, dict(BANK_QUESTION), by=people[trainer])
        quiz = quizzes.create_quiz(
            {
                "slug": f"mt-{key.lower()}-quiz",
                "title": f"Bài kiểm tra {key}",
                "banks": [bank.code],
            },
            by=people[trainer],
            province=province,
        )
        out[key] = {
            "bank": bank.id,
            "bank_code": bank.code,
            "quiz": quiz.id,
            "quiz_slug": quiz.slug,
        }
    out["HP"]["attempt"] = attempts.start_attempt(national_quiz, people["learner"])[0].id
    out["QT"]["attempt"] = attempts.start_attempt(national_quiz, people["person_dh"])[0].id
    graded, _ = attempts.start_attempt(national_quiz, people["person_hb"])
    attempts.submit_attempt(graded, people["person_hb"])
    out["HP"]["graded"] = graded.id
    return out


def _stats(units: dict[str, Any], people: dict[str, User]) -> dict[str, dict[str, Any]]:
    from lms.stats import services

    out = {}
    for key, unit in (("HP", "HB"), ("QT", "DH")):
        indicator = services.create_indicator(
            {"code": f"mt_{key.lower()}", "title": f"Chỉ số thử {key}", "kind": "count_people"},
            plan_unit=units[key],
        )
        services.close_year(units[unit], CLOSED_YEAR, by=people["admin"])
        out[key] = {"indicator": indicator.id}
    return out


def _admin_objects(app: Flask, token: str, people: dict[str, User]) -> dict[str, Any]:
    """The LRS client, source platform, identity, results import and unmatched statement the
    admin-only endpoints act on, made through the API itself."""
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}

    def call(method: str, url: str, expect: int, **kwargs: Any) -> Any:
        response = client.open(url, method=method, headers=headers, **kwargs)
        assert response.status_code == expect, (url, response.status_code, response.get_json())
        return response.get_json()

    lrs = call("POST", "/api/v1/lrs-clients", 201, json={"name": "MOOC ma trận"})
    spare = call("POST", "/api/v1/lrs-clients", 201, json={"name": "MOOC chưa đăng ký"})
    platform = call(
        "POST",
        "/api/v1/source-platforms",
        201,
        json={"client_id": lrs["id"], "name": "MOOC ma trận", "home_page": "https://mooc.mt.vn"},
    )
    identity = call(
        "POST",
        "/api/v1/bridge/identities",
        201,
        json={
            "user_id": people["person_hb"].id,
            "kind": "account",
            "value": "https://mooc.mt.vn|hoa",
        },
    )
    results = call(
        "POST",
        "/api/v1/bridge/imports?dry_run=true",
        200,
        data={
            "file": (
                io.BytesIO(
                    f"identity,full_name,course,completed_on,score,unit_code\n"
                    f"hoa@hp.vn,Bà Hoa,{COURSE},2026-11-02,,\n".encode()
                ),
                "kq.csv",
            )
        },
        content_type="multipart/form-data",
    )
    return {
        "client": lrs["id"],
        "spare_client": spare["id"],
        "client_key": lrs["key"],
        "client_secret": lrs["secret"],
        "platform": platform["id"],
        "identity": identity["id"],
        "import": results["id"],
    }


def _unmatched(app: Flask, admin_objects: dict[str, Any]) -> int:
    """A completion about someone the LMS does not know, from the registered platform."""
    import base64
    import uuid

    from lms.learning.models import BridgeUnmatched

    auth = base64.b64encode(
        f"{admin_objects['client_key']}:{admin_objects['client_secret']}".encode()
    ).decode()
    response = app.test_client().post(
        "/xapi/statements",
        json={
            "id": str(uuid.uuid4()),
            "actor": {"account": {"homePage": "https://mooc.mt.vn", "name": "nguoi-la"}},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
            "object": {"id": "https://lms146.test/xapi/activities/course/ky-nang-so-co-ban"},
        },
        headers={"Authorization": f"Basic {auth}", "X-Experience-API-Version": "1.0.3"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    item = db.session.scalar(select(BridgeUnmatched.id).order_by(BridgeUnmatched.id.desc()))
    assert item is not None
    return int(item)


@contextmanager
def world_of(app: Flask, tmp: Path) -> Iterator[World]:
    """The world, in an outer transaction rolled back at the end (as ``tests.conftest.db``
    does for one test, here for a whole module).

    No application context stays pushed while the cells run: each request gets its own, so
    its session (bound to the world's connection) and ``g`` end with it, as in production.
    """
    context = app.app_context()
    context.push()
    connection = db.engine.connect()
    transaction = connection.begin()
    original = db.session
    db.session = scoped_session(
        sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
        scopefunc=_app_ctx_id,
    )
    try:
        try:
            world = _build(app, connection, tmp)
        finally:
            db.session.remove()
            context.pop()
        yield world
    finally:
        db.session = original
        transaction.rollback()
        connection.close()


def _build(app: Flask, connection: Connection, tmp: Path) -> World:
    from lms.catalog.models import Course
    from lms.certificates.services import issue_certificate
    from lms.classes import assign
    from lms.classes.enrollments import enroll
    from lms.classes.models import EnrollmentSource
    from lms.learning.models import Cmi5Au
    from lms.org.services import import_headcounts

    hp = make_unit("HP", kind=UnitKind.province, name="Thành phố Hải Phòng", serial_prefix="HP",
                   report_day=10)  # fmt: skip
    qt = make_unit("QT", kind=UnitKind.province, name="Tỉnh Quảng Trị", serial_prefix="QT",
                   report_day=15)  # fmt: skip
    units = {
        "HP": hp,
        "HB": make_unit("HP-HONGBANG", parent=hp, name="Phường Hồng Bàng"),
        "LC": make_unit("HP-LECHAN", parent=hp, name="Phường Lê Chân"),
        "QT": qt,
        "DH": make_unit("QT-DONGHOI", parent=qt, name="Phường Đồng Hới"),
        "DA": make_unit("QT-DONGHA", parent=qt, name="Phường Đông Hà"),
    }
    people = _people(units)
    make_signer(hp)
    make_signer(qt, name="Lê Quang Vinh")
    import_headcounts(
        [{"unit": units[u].code, "target_group": "citizen", "year": 2026, "count": 100}
         for u in ("HB", "DH")],
        by=None,
    )  # fmt: skip
    course = _course(tmp)
    classes = _classes(course, units, people)
    enrollments = {
        "HP": _enrol(people["learner"], classes["HP"][0], people["trainer"]),
        "QT": _enrol(people["person_dh"], classes["QT"][0], people["trainer_qt"]),
    }
    holders = {
        "HP": _enrol(people["person_hb"], classes["HP"][0], people["trainer"]),
        "QT": _enrol(people["holder_dh"], classes["QT"][0], people["trainer_qt"]),
    }
    certs = {
        key: issue_certificate(e, by=people["admin"], override_reason="Ma trận quyền.")[0]
        for key, e in holders.items()
    }
    assessment = _assessment(course, units, people)
    stats = _stats(units, people)
    # Jobs to read; no one of the world is a teacher, so they enrol nobody.
    jobs = {
        "HP": assign.assign_course(course, units["HB"], "teacher", by=people["off_hp"]),
        "QT": assign.assign_course(course, units["DH"], "teacher", by=people["off_qt"]),
    }
    au = db.session.scalar(select(Cmi5Au).order_by(Cmi5Au.id))
    cmi5_course = db.session.scalar(select(Course).where(Course.id == au.course_id))
    for person in ("learner", "person_hb"):
        enroll(people[person], cmi5_course, by=None, source=EnrollmentSource.self)
    tokens = {actor: make_token(people[actor]) for actor in ACTORS if actor != "anon"}
    db.session.commit()
    admin_objects = _admin_objects(app, tokens["admin"], people)
    unmatched = _unmatched(app, admin_objects)
    objects: dict[str, dict[str, Any]] = {"-": {}, "N": dict(assessment["N"])}
    for key, unit, other_unit, new in (
        ("HP", "HB", "LC", "new_hb"),
        ("QT", "DH", "DA", "new_dh"),
    ):
        klass, session = classes[key]
        objects[key] = {
            "province": units[key].code,
            "unit": units[unit].code,
            "other_unit": units[other_unit].code,
            "class": klass.code,
            "session": session.id,
            "user": people["person_hb" if key == "HP" else "person_dh"].id,
            "user_email": people["person_hb" if key == "HP" else "person_dh"].email,
            "user_name": people["person_hb" if key == "HP" else "person_dh"].full_name,
            "new_person": people[new].id,
            "new_email": people[new].email,
            "enrollment": enrollments[key].id,
            "enrolled": enrollments[key].user_id,
            "cert": certs[key].serial,
            "status_list": certs[key].status_list_id,
            "job": jobs[key].id,
            "year": CLOSED_YEAR,
            **assessment[key],
            **stats[key],
        }
    objects["ADMIN"] = {"user": people["admin"].id}
    shared = {
        "course": COURSE,
        "lesson": "dien-thoai-thong-minh",
        "key": "q1",
        "lang": "en",
        "fmt": "csv",
        "decision": "reject",
        "provider": "tinh",
        "deletion": 999_999,
        "asset": "man-hinh.png",
        "cmi5": CMI5_PACKAGE.name,
        "au": au.id,
        "unmatched": unmatched,
        "learner": people["learner"].id,
        "person_hb": people["person_hb"].id,
        "course_zip": _zip(OTHER_PACKAGE),
        "cmi5_zip": _zip(CMI5_PACKAGE, inside=False),
        **admin_objects,
    }
    for values in objects.values():
        values.update({k: v for k, v in shared.items() if k not in values})
    world = World(app=app, connection=connection, objects=objects, tokens=tokens)
    for actor in ACTORS:
        if actor == "anon":
            continue
        client = app.test_client()
        response = client.post("/login", data={"login": people[actor].email, "password": PASSWORD})
        assert response.status_code in {302, 303}, (actor, response.status_code)
        cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
        assert cookie is not None
        world.cookies[actor] = cookie.value
    return world
