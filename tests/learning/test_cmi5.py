"""cmi5: importing course structures, launching AUs, moveOn, satisfied/abandoned/waived."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from lms.auth.models import Role, User
from lms.catalog.importer import import_path
from lms.catalog.models import Course
from lms.certificates.models import Certificate
from lms.classes.models import Enrollment, EnrollmentStatus
from lms.db import utcnow
from lms.events import statements_stored
from lms.extensions import db
from lms.learning.cmi5 import runtime
from lms.learning.models import BridgeUnmatched, Cmi5Au, Cmi5Session, UnmatchedReason
from lms.xapi.models import Statement
from tests.factories import make_signer, make_user
from tests.learning.conftest import login

Headers = Callable[[object], dict[str, str]]
PACKAGE = Path(__file__).resolve().parents[2] / "courses" / "cmi5-thu-nghiem"
NS = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"
CMI5 = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
MOVEON = "https://w3id.org/xapi/cmi5/context/categories/moveon"
SATISFIED = "https://w3id.org/xapi/adl/verbs/satisfied"


@pytest.fixture
def course(db: object) -> Course:
    [result] = import_path(PACKAGE)
    course = db.session.get(Course, result.course_id)  # type: ignore[attr-defined]
    assert course is not None
    return course


@pytest.fixture
def learner(db: object) -> User:
    make_signer()  # the default signer: this learner belongs to no unit
    return make_user("hoa@example.vn", full_name="Bà Hoa", target_group="citizen")


def _au(course: Course) -> Cmi5Au:
    au = db.session.scalar(select(Cmi5Au).where(Cmi5Au.course_id == course.id))
    assert au is not None
    return au


class Launched:
    def __init__(self, client: FlaskClient, location: str) -> None:
        self.client = client
        self.url = location
        query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        self.endpoint = query["endpoint"]
        self.fetch = urlsplit(query["fetch"]).path
        self.actor = json.loads(query["actor"])
        self.registration = query["registration"]
        self.activity_id = query["activityId"]
        self.headers: dict[str, str] = {}
        self.launch_data: dict[str, Any] = {}

    def token(self) -> dict[str, Any]:
        body = self.client.post(self.fetch).json
        if "auth-token" in body:
            self.headers = {
                "Authorization": f"Basic {body['auth-token']}",
                "X-Experience-API-Version": "1.0.3",
            }
        return body

    def read_launch_data(self) -> dict[str, Any]:
        response = self.client.get(
            "/xapi/activities/state",
            query_string={
                "stateId": "LMS.LaunchData",
                "activityId": self.activity_id,
                "agent": json.dumps(self.actor),
                "registration": self.registration,
            },
            headers=self.headers,
        )
        assert response.status_code == 200, response.text
        self.launch_data = response.json
        return self.launch_data

    def send(
        self,
        verb: str,
        result: dict[str, Any] | None = None,
        *,
        moveon: bool = False,
        session: str | None = None,
    ) -> int:
        context = json.loads(json.dumps(self.launch_data["contextTemplate"]))
        context["registration"] = self.registration
        context["contextActivities"]["category"] = [{"id": CMI5}] + (
            [{"id": MOVEON}] if moveon else []
        )
        if session is not None:
            context["extensions"]["https://w3id.org/xapi/cmi5/context/extensions/sessionid"] = (
                session
            )
        statement: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "actor": self.actor,
            "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}", "display": {"en-US": verb}},
            "object": {"objectType": "Activity", "id": self.activity_id},
            "context": context,
            "timestamp": utcnow().isoformat(),
        }
        if result is not None:
            statement["result"] = result
        response = self.client.post("/xapi/statements", json=statement, headers=self.headers)
        statements_stored.send(None, count=1)  # what the LRS does after its commit
        return response.status_code


def _launch(client: FlaskClient, au: Cmi5Au) -> Launched:
    response = client.post(f"/learning/cmi5/aus/{au.id}/launch")
    assert response.status_code == 302, response.text
    return Launched(client, response.headers["Location"])


def _verbs(registration: str) -> list[str]:
    return [
        s.verb_id.rsplit("/", 1)[-1]
        for s in db.session.scalars(
            select(Statement).where(Statement.registration == registration).order_by(Statement.seq)
        )
    ]


def test_launch_writes_launch_data_the_launched_statement_and_a_one_time_fetch(
    client: FlaskClient, course: Course, learner: User
) -> None:
    au = _au(course)
    login(client, learner)
    launched = _launch(client, au)
    assert launched.url.startswith("http://localhost/cmi5/content/")
    assert launched.endpoint == "http://localhost/xapi/"
    assert launched.actor == {
        "objectType": "Agent",
        "account": {"homePage": "http://localhost", "name": str(learner.id)},
    }
    assert launched.activity_id == au.activity_id != au.publisher_id
    enrollment = db.session.scalar(select(Enrollment).where(Enrollment.user_id == learner.id))
    assert enrollment is not None
    assert launched.registration == enrollment.registration
    assert "launched" in _verbs(launched.registration)
    assert set(launched.token()) == {"auth-token"}
    assert launched.token() == {
        "error-code": "1",
        "error-text": "The authorization token has already been returned.",
    }
    assert client.post("/cmi5/fetch/not-a-token").json["error-code"] == "2"
    data = launched.read_launch_data()
    assert data["launchMode"] == "Normal"
    assert data["moveOn"] == "CompletedAndPassed"
    assert data["masteryScore"] == 0.8
    assert data["launchMethod"] == "OwnWindow"
    assert data["returnURL"].endswith("/learning/cmi5/cmi5-thu-nghiem")
    assert data["contextTemplate"]["contextActivities"]["grouping"][0]["id"] == au.publisher_id


def test_au_statements_satisfy_the_block_and_the_course_and_complete_it(
    client: FlaskClient, course: Course, learner: User
) -> None:
    au = _au(course)
    login(client, learner)
    launched = _launch(client, au)
    launched.token()
    launched.read_launch_data()
    assert launched.send("initialized") == 200
    assert launched.send("completed", {"completion": True, "duration": "PT5S"}, moveon=True) == 200
    enrollment = db.session.scalar(select(Enrollment).where(Enrollment.user_id == learner.id))
    assert enrollment is not None
    assert enrollment.status != EnrollmentStatus.completed
    assert (
        launched.send(
            "passed", {"success": True, "score": {"scaled": 0.9}, "duration": "PT6S"}, moveon=True
        )
        == 200
    )
    assert launched.send("terminated", {"duration": "PT7S"}) == 200
    verbs = _verbs(launched.registration)
    assert verbs.count("satisfied") == 2  # the block and the course
    db.session.refresh(enrollment)
    assert enrollment.status == EnrollmentStatus.completed
    assert (
        db.session.scalar(select(Certificate).where(Certificate.user_id == learner.id)) is not None
    )
    session = db.session.scalar(select(Cmi5Session))
    assert session is not None
    assert session.terminated_at is not None
    # The session's credentials stop working once it has terminated.
    assert launched.send("experienced") == 401
    page = client.get("/learning/cmi5/cmi5-thu-nghiem")
    assert 'id="course-satisfied"' in page.text


def test_a_pass_below_the_mastery_score_does_not_satisfy(
    client: FlaskClient, course: Course, learner: User
) -> None:
    login(client, learner)
    launched = _launch(client, _au(course))
    launched.token()
    launched.read_launch_data()
    launched.send("initialized")
    launched.send("completed", {"completion": True}, moveon=True)
    launched.send("passed", {"success": True, "score": {"scaled": 0.5}}, moveon=True)
    assert "satisfied" not in _verbs(launched.registration)


def test_relaunch_abandons_the_open_session(
    client: FlaskClient, course: Course, learner: User
) -> None:
    au = _au(course)
    login(client, learner)
    first = _launch(client, au)
    first.token()
    second = _launch(client, au)
    assert _verbs(first.registration).count("abandoned") == 1
    sessions = db.session.scalars(select(Cmi5Session).order_by(Cmi5Session.id)).all()
    assert sessions[0].abandoned_at is not None
    assert sessions[1].open
    abandoned = db.session.scalar(select(Statement).where(Statement.verb_id.endswith("abandoned")))
    assert abandoned is not None
    assert abandoned.statement["result"]["duration"].startswith("PT")
    # The abandoned session's token no longer works, the new one does.
    first.launch_data = {"contextTemplate": {"contextActivities": {}, "extensions": {}}}
    assert first.send("initialized") == 401
    second.token()
    second.read_launch_data()
    assert second.send("initialized") == 200


@pytest.mark.parametrize("change", ["deactivated", "new password"])
def test_ending_a_persons_sessions_ends_their_cmi5_credentials(
    client: FlaskClient, course: Course, learner: User, change: str
) -> None:
    """Deactivating someone, or giving them a new password, ends every browser session and
    API token (README, *Sessions: what ends them*); the LRS credentials a cmi5 launch handed
    to their browser are one more of those, and end with them (the session is abandoned)."""
    from lms.auth import services as auth

    login(client, learner)
    launched = _launch(client, _au(course))
    launched.token()
    launched.read_launch_data()
    assert launched.send("initialized") == 200
    if change == "deactivated":
        auth.update_user(learner, {"active": False}, by=None)
    else:
        auth.set_password(learner, "mat khau moi 146")
    db.session.commit()
    assert launched.send("completed", {"completion": True}, moveon=True) == 401
    session = db.session.scalar(select(Cmi5Session))
    assert session is not None
    assert session.abandoned_at is not None
    assert _verbs(launched.registration).count("abandoned") == 1


def test_statements_outside_their_session_are_held(
    client: FlaskClient, course: Course, learner: User
) -> None:
    login(client, learner)
    launched = _launch(client, _au(course))
    launched.token()
    launched.read_launch_data()
    launched.send("completed", {"completion": True}, moveon=True, session=str(uuid.uuid4()))
    held = db.session.scalar(select(BridgeUnmatched))
    assert held is not None
    assert held.reason == UnmatchedReason.cmi5_session


def test_sweep_abandons_sessions_past_their_time(
    client: FlaskClient, course: Course, learner: User
) -> None:
    login(client, learner)
    launched = _launch(client, _au(course))
    session = db.session.scalar(select(Cmi5Session))
    assert session is not None
    session.expires_at = utcnow() - timedelta(minutes=1)
    assert runtime.sweep() == 1
    assert _verbs(launched.registration).count("abandoned") == 1
    assert launched.token()["error-code"] == "1"


def test_waive_satisfies_the_unit_for_the_learner(
    app: Flask, client: FlaskClient, course: Course, learner: User, auth_headers: Headers
) -> None:
    au = _au(course)
    admin = make_user(roles=(Role.admin,))
    headers = auth_headers(admin)
    api = app.test_client()  # no learner session: the bearer token speaks
    not_enrolled = api.post(
        f"/api/v1/cmi5/aus/{au.id}/waive", json={"user_id": learner.id}, headers=headers
    )
    assert not_enrolled.status_code == 409
    login(client, learner)
    launched = _launch(client, au)
    bad = api.post(
        f"/api/v1/cmi5/aus/{au.id}/waive",
        json={"user_id": learner.id, "reason": "x"},
        headers=headers,
    )
    assert bad.status_code == 422
    waived = api.post(
        f"/api/v1/cmi5/aus/{au.id}/waive",
        json={"user_id": learner.id, "reason": "Tested Out"},
        headers=headers,
    )
    assert waived.status_code == 201
    verbs = _verbs(launched.registration)
    assert "waived" in verbs
    assert verbs.count("satisfied") == 2
    enrollment = db.session.scalar(select(Enrollment).where(Enrollment.user_id == learner.id))
    assert enrollment is not None
    assert enrollment.status == EnrollmentStatus.completed
    assert (
        api.post(
            f"/api/v1/cmi5/aus/{au.id}/waive", json={"user_id": learner.id}, headers=headers
        ).status_code
        == 409
    )
    listed = api.get("/api/v1/cmi5/courses/cmi5-thu-nghiem/aus", headers=headers)
    assert listed.status_code == 200


def test_content_is_served_in_a_sandbox(client: FlaskClient, course: Course) -> None:
    response = client.get(f"/cmi5/content/{course.id}/au/index.html")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "sandbox allow-scripts" in response.headers["Content-Security-Policy"]
    assert "LMS.LaunchData" in response.text
    assert client.get(f"/cmi5/content/{course.id}/../course.yaml").status_code == 404
    assert client.get(f"/cmi5/content/{course.id}/course.yaml").status_code == 404


# --- importing ------------------------------------------------------------------------------------


TITLE = (
    '<langstring lang="vi-VN">Khoá cmi5 của nhà cung cấp</langstring>'
    '<langstring lang="en-US">Vendor course</langstring>'
)


def _xml(url: str, *, course_id: str = "https://vendor.example/c/1", extra: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<courseStructure xmlns="{NS}">
  <course id="{course_id}">
    <title>{TITLE}</title>
    <description><langstring lang="en-US">A vendor's course.</langstring></description>
  </course>
  <au id="{course_id}/au/1" moveOn="Completed">
    <title><langstring lang="vi-VN">Bài 1</langstring></title>
    <description><langstring lang="vi-VN">Mô tả</langstring></description>
    <url>{url}</url>
  </au>{extra}
</courseStructure>""".encode()


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _import(
    client: FlaskClient, headers: dict[str, str], data: bytes, name: str, **form: str
) -> Any:
    return client.post(
        "/api/v1/cmi5/import",
        data={"file": (io.BytesIO(data), name), **form},
        headers=headers,
        content_type="multipart/form-data",
    )


def test_import_a_standalone_course_structure_and_update_it(
    client: FlaskClient, db: object, auth_headers: Headers
) -> None:
    headers = auth_headers(make_user(roles=(Role.admin,)))
    created = _import(
        client,
        headers,
        _xml("https://vendor.example/au1.html"),
        "cmi5.xml",
        slug="khoa-nha-cung-cap",
    )
    assert created.status_code == 201, created.json
    assert created.json["aus"] == 1
    course = db.session.scalar(select(Course).where(Course.slug == "khoa-nha-cung-cap"))  # type: ignore[attr-defined]
    assert course is not None
    assert course.title == "Khoá cmi5 của nhà cung cấp"
    assert course.activity_iri != "https://vendor.example/c/1"
    updated = _import(client, headers, _xml("https://vendor.example/au1-v2.html"), "cmi5.xml")
    assert updated.status_code == 200
    assert updated.json["status"] == "updated"
    assert updated.json["slug"] == "khoa-nha-cung-cap"


def test_import_a_zip_with_its_content(
    client: FlaskClient, db: object, auth_headers: Headers
) -> None:
    headers = auth_headers(make_user(roles=(Role.admin,)))
    data = _zip({"cmi5.xml": _xml("au/start.html?lang=vi"), "au/start.html": b"<p>AU</p>"})
    response = _import(client, headers, data, "pkg.zip")
    assert response.status_code == 201, response.json
    course_id = response.json["course_id"]
    assert client.get(f"/cmi5/content/{course_id}/au/start.html").data == b"<p>AU</p>"


@pytest.mark.parametrize(
    ("data", "name", "key"),
    [
        (_xml("au/start.html"), "cmi5.xml", "cmi5.xml:7"),
        (b"<courseStructure><course>", "cmi5.xml", "cmi5.xml:1"),
        (
            _xml("https://v.example/a", extra='<au id="x" moveOn="Sometimes"><title/></au>'),
            "cmi5.xml",
            "cmi5.xml:11",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
            "cmi5.xml",
            "cmi5.xml",
        ),
        (_zip({"cmi5.xml": _xml("au/start.html")}), "p.zip", "cmi5.xml:7"),
        (_zip({"../evil.html": b"x", "cmi5.xml": _xml("https://v.example/a")}), "p.zip", "(zip)"),
        (_zip({"other.xml": b"<x/>"}), "p.zip", "cmi5.xml"),
        (b"PK\x03\x04broken", "p.zip", "(zip)"),
        (_xml("https://v.example/a").replace(b"Vendor course", b"x" * 301), "c.xml", "cmi5.xml:4"),
        (_xml("https://v.example/a").replace("Bài 1".encode(), b"x" * 301), "c.xml", "cmi5.xml:8"),
        (
            _zip({"cmi5.xml": _xml("a" * 497 + ".html"), "a" * 497 + ".html": b"<p>AU</p>"}),
            "p.zip",
            "(zip)",
        ),
    ],
    ids=[
        "relative-url-without-zip",
        "malformed",
        "bad-moveon",
        "doctype",
        "missing-file",
        "zip-slip",
        "no-cmi5",
        "bad-zip",
        "course-title-over-300",
        "au-title-over-300",
        "path-over-500",
    ],
)
def test_malformed_packages_are_refused_whole(
    client: FlaskClient, db: object, auth_headers: Headers, data: bytes, name: str, key: str
) -> None:
    headers = auth_headers(make_user(roles=(Role.admin,)))
    response = _import(client, headers, data, name)
    assert response.status_code == 422, response.json
    assert key in response.json["errors"], response.json["errors"]
    assert db.session.scalar(select(Course)) is None  # type: ignore[attr-defined]


def test_import_is_for_administrators(
    client: FlaskClient, learner: User, auth_headers: Headers
) -> None:
    response = _import(client, auth_headers(learner), _xml("https://v.example/a"), "cmi5.xml")
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("form", "key"),
    [
        ({"slug": "s" * 101}, "slug"),
        ({"slug": "../a b/?#"}, "slug"),
        ({"slug": "Khoá-Học"}, "slug"),
        ({"slug": "khoa\n"}, "slug"),
        ({"hours": "nan"}, "hours"),
        ({"hours": "1e309"}, "hours"),
        ({"hours": "-5"}, "hours"),
        ({"hours": "0"}, "hours"),
        ({"hours": "1001"}, "hours"),
    ],
    ids=[
        "long-slug",
        "path-slug",
        "uppercase-slug",
        "newline-slug",
        "nan",
        "infinite",
        "negative",
        "zero",
        "1001",
    ],
)
def test_import_options_out_of_their_rules_are_422_and_nothing_is_written(
    client: FlaskClient, db: object, auth_headers: Headers, form: dict[str, str], key: str
) -> None:
    """The slug becomes an address and an activity IRI, hours a figure: the same rules as a
    course package's ``course.yaml``. A NaN was a 500 on SQLite (stored as NULL), a long slug
    one on PostgreSQL (``varchar(100)``)."""
    headers = auth_headers(make_user(roles=(Role.admin,)))
    response = _import(client, headers, _xml("https://v.example/a"), "cmi5.xml", **form)
    assert response.status_code == 422, response.json
    assert key in response.json["errors"], response.json["errors"]
    assert db.session.scalar(select(Course)) is None  # type: ignore[attr-defined]
