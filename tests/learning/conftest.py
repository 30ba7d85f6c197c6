"""Fixtures of the learning bridge tests.

``world``: units, people, two courses with MOOC IRIs, a MOOC LRS client registered as a
source platform (rolled back after each test). ``mooc_app`` / ``mooc_server``: an app with
its own database behind a live HTTP server, for the tests where the ``tincan`` library plays
the MOOC platform.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from lms.auth.models import Role, User
from lms.catalog.models import Course
from lms.events import statements_stored
from lms.extensions import db as _db
from lms.learning import platforms
from lms.learning.models import SourcePlatform
from lms.org.models import Unit, UnitKind
from lms.xapi import clients
from lms.xapi import services as lrs
from lms.xapi.models import LrsClient
from tests.conftest import serving, throwaway_app
from tests.factories import make_course, make_signer, make_unit, make_user

MOOC_HOME = "https://mooc.example.vn"
DVC_EXTERNAL = "https://mooc.example.vn/courses/dich-vu-cong"
QUIZ_EXTERNAL = "https://mooc.example.vn/courses/ky-nang-so"
ADL = "http://adlnet.gov/expapi/verbs/"


@dataclass
class World:
    units: dict[str, Unit]
    admin: User
    citizen: User
    dvc: Course  #: lessons only
    quizzed: Course  #: lessons + quiz 70
    client: LrsClient
    secret: str
    platform: SourcePlatform


#: A course the MOOC platforms report (``make_course(slug, **MOOC_COURSE, external=...)``):
#: two lessons, one indicator, a certificate.
MOOC_COURSE: dict[str, Any] = {
    "summary": "",
    "lessons": 2,
    "hours": 4,
    "indicators": ("citizens_online_services",),
    "skill_areas": ("online_public_services",),
}


def build_world(provision: bool = False) -> World:
    """Hải Phòng with one ward; the MOOC may report both courses for Hải Phòng's learners."""
    hp = make_unit("HP", kind=UnitKind.province, name="Thành phố Hải Phòng", serial_prefix="HP")
    lechan = make_unit("HP-LECHAN", kind=UnitKind.commune, name="Phường Lê Chân", parent=hp)
    make_signer(hp)  # certificates are issued only with a signer named
    dvc = make_course(
        "dich-vu-cong", **MOOC_COURSE, external=[DVC_EXTERNAL], rule={"lessons": "all"}
    )
    quizzed = make_course(
        "ky-nang-so", **MOOC_COURSE, external=[QUIZ_EXTERNAL], rule={"lessons": "all", "quiz": 70}
    )
    client, secret = clients.create_client(
        "Nền tảng MOOC thử", scopes=["statements/write", "statements/read/mine"]
    )
    platform = platforms.register_platform(
        client.id,
        name="MOOC thử",
        home_page=MOOC_HOME,
        courses=[dvc.slug, quizzed.slug],
        units=["HP"],
        provision_unknown=provision,
        by=None,
    )
    return World(
        units={"HP": hp, "HP-LECHAN": lechan},
        admin=make_user(roles=(Role.admin,), unit=hp, full_name="Quản trị viên"),
        citizen=make_user(
            "hoa@example.vn", unit=lechan, target_group="citizen", full_name="Bà Hoa"
        ),
        dvc=dvc,
        quizzed=quizzed,
        client=client,
        secret=secret,
        platform=platform,
    )


@pytest.fixture(autouse=True)
def english(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages in English, so assertions read like the msgids."""
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "en")


@pytest.fixture
def world(db: object) -> World:
    return build_world()


def login(client: Any, user: User, password: str = "correct horse battery") -> None:
    """Log in through the real form, as a browser would."""
    response = client.post("/login", data={"login": user.email or user.phone, "password": password})
    assert response.status_code in {302, 303}, response.text


def statement(
    actor: dict[str, Any],
    verb: str,
    activity: str,
    *,
    result: dict[str, Any] | None = None,
    extensions: dict[str, Any] | None = None,
    statement_id: str | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": statement_id or str(uuid.uuid4()),
        "actor": actor,
        "verb": {"id": f"{ADL}{verb}", "display": {"en-US": verb}},
        "object": {"objectType": "Activity", "id": activity},
    }
    if result is not None:
        out["result"] = result
    if extensions:
        out["context"] = {"extensions": extensions}
    return out


def account(name: str, full_name: str | None = None) -> dict[str, Any]:
    actor: dict[str, Any] = {
        "objectType": "Agent",
        "account": {"homePage": MOOC_HOME, "name": name},
    }
    if full_name:
        actor["name"] = full_name
    return actor


def mbox(email: str) -> dict[str, Any]:
    return {"objectType": "Agent", "mbox": f"mailto:{email}"}


def send(
    world: World, *statements: dict[str, Any], authority: dict[str, Any] | None = None
) -> list[str]:
    """Store statements as the MOOC client would, commit, and tell the bridge (as the LRS)."""
    ids = lrs.record_many(list(statements), authority=authority or world.client.authority)
    _db.session.commit()
    statements_stored.send(None, count=len(ids))
    return ids


# --- a live server with its own database --------------------------------------------------------


@pytest.fixture(scope="session")
def mooc_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    with throwaway_app(tmp_path_factory.mktemp("mooc")) as app:
        yield app


@pytest.fixture(scope="session")
def mooc_server(mooc_app: Flask) -> Iterator[str]:
    with serving(mooc_app) as url:
        yield url
