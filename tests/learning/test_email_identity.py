"""Only a verified e-mail names a learner: an address someone typed for their own account and
never confirmed brings them nobody's learning records, neither through the bridge (the
enrollments, completions and certificates other platforms report) nor in ``/me/data.zip``."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from lms.auth.models import User
from lms.certificates.models import Certificate
from lms.classes.models import Enrollment
from lms.extensions import db
from lms.learning import identities
from lms.learning.constants import EXT_UNIT_CODE
from lms.learning.models import IdentityKind, IdentitySource, LearnerIdentity
from lms.ratelimit import MemoryStore
from tests.factories import make_user
from tests.learning.conftest import (
    DVC_EXTERNAL,
    QUIZ_EXTERNAL,
    World,
    build_world,
    login,
    mbox,
    send,
    statement,
)

Headers = Callable[[User], dict[str, str]]
VICTIM = "nam.mooc@example.vn"


@pytest.fixture
def sent(app: Flask) -> Iterator[list[dict[str, Any]]]:
    box: list[dict[str, Any]] = []
    app.extensions["lms_sent"] = box
    saved = app.extensions["lms_ratelimit"]
    app.extensions["lms_ratelimit"] = MemoryStore()
    yield box
    app.extensions["lms_ratelimit"] = saved
    app.extensions.pop("lms_sent", None)


def _sha1(email: str) -> str:
    return hashlib.sha1(f"mailto:{email}".encode()).hexdigest()  # noqa: S324 - the xAPI IFI


def _enrolled(user: User, world: World) -> list[Enrollment]:
    return list(db.session.scalars(select(Enrollment).where(Enrollment.user_id == user.id)))


def _certificates(user: User) -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).where(Certificate.user_id == user.id)))


def _exported(client: FlaskClient) -> list[dict[str, Any]]:
    response = client.get("/me/data.zip")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    return list(json.loads(archive.read("xapi-statements.json")))


def _claim(client: FlaskClient, user: User, headers: Headers) -> None:
    """The learner sets their own e-mail to an address no account uses yet."""
    reply = client.patch(f"/api/v1/users/{user.id}", json={"email": VICTIM}, headers=headers(user))
    assert reply.status_code == 200, reply.get_json()
    assert reply.get_json()["email_verified_at"] is None


def test_an_unconfirmed_address_gives_nothing_through_the_export_or_the_bridge(
    world: World, client: FlaskClient, auth_headers: Headers, sent: list[Any]
) -> None:
    # Another platform reported Nam's learning under his address before anyone claimed it.
    send(world, statement(mbox(VICTIM), "completed", DVC_EXTERNAL))
    squatter = make_user("ke.gian@example.vn", unit=world.units["HP-LECHAN"], full_name="Kẻ Gian")
    db.session.commit()
    _claim(client, squatter, auth_headers)
    login(client, squatter)
    assert _exported(client) == []  # not Nam's statements
    # New records about the address (mbox, and its SHA-1 form) credit nobody.
    send(
        world,
        statement(mbox(VICTIM), "completed", DVC_EXTERNAL),
        statement({"mbox_sha1sum": _sha1(VICTIM)}, "completed", QUIZ_EXTERNAL),
    )
    assert _enrolled(squatter, world) == []
    assert _certificates(squatter) == []
    assert identities.find_user(identities.Ifi(IdentityKind.mbox, f"mailto:{VICTIM}")) is None
    assert identities.sync_email_identities(full=True) == 0
    assert {i["kind"] for i in identities.identities_of(squatter)} == {"account"}
    profile = client.get("/api/v1/me").get_json()
    assert profile["email"] == VICTIM
    assert profile["email_verified_at"] is None
    # The confirmation went to the address, which the squatter cannot read.
    assert [m["to"] for m in sent] == [VICTIM]


def test_once_confirmed_the_address_is_the_persons_identity(
    world: World, client: FlaskClient, auth_headers: Headers, sent: list[Any]
) -> None:
    send(world, statement(mbox(VICTIM), "completed", DVC_EXTERNAL))
    nam = make_user("nam.lms@example.vn", unit=world.units["HP-LECHAN"], full_name="Lê Văn Nam")
    db.session.commit()
    _claim(client, nam, auth_headers)
    login(client, nam)
    link = re.search(r"/confirm-email\?code=(\S+)", sent[0]["body"])
    assert link is not None
    assert client.post("/confirm-email", data={"code": link.group(1)}).status_code == 302
    db.session.refresh(nam)
    assert nam.email_verified_at is not None
    # His copy holds what the platform recorded under his address, even before he confirmed.
    assert [s["actor"]["mbox"] for s in _exported(client)] == [f"mailto:{VICTIM}"]
    send(
        world,
        statement(mbox(VICTIM), "completed", DVC_EXTERNAL),
        statement({"mbox_sha1sum": _sha1(VICTIM)}, "completed", QUIZ_EXTERNAL),
    )
    assert {e.course_id for e in _enrolled(nam, world)} == {world.dvc.id, world.quizzed.id}
    assert [c.course_id for c in _certificates(nam)] == [world.dvc.id]
    rows = db.session.scalars(
        select(LearnerIdentity).where(
            LearnerIdentity.user_id == nam.id, LearnerIdentity.source == IdentitySource.email
        )
    ).all()
    assert [r.value for r in rows] == [_sha1(VICTIM)]


def test_leaving_a_verified_address_takes_its_identity_along(
    world: World, client: FlaskClient, auth_headers: Headers, sent: list[Any]
) -> None:
    """Hoa's SHA-1 identity was synced; once she types a new address herself, the old one
    names nobody and the new one nothing until confirmed."""
    hoa = world.citizen
    identities.sync_email_identities(full=True)
    db.session.commit()
    reply = client.patch(
        f"/api/v1/users/{hoa.id}", json={"email": "hoa.moi@example.vn"}, headers=auth_headers(hoa)
    )
    assert reply.status_code == 200
    send(
        world,
        statement({"mbox_sha1sum": _sha1("hoa@example.vn")}, "completed", DVC_EXTERNAL),
        statement({"mbox_sha1sum": _sha1("hoa.moi@example.vn")}, "completed", QUIZ_EXTERNAL),
        statement(mbox("hoa.moi@example.vn"), "completed", QUIZ_EXTERNAL),
    )
    assert _enrolled(hoa, world) == []
    assert identities.sync_email_identities(full=True) == 0


def test_a_platform_provisions_learners_by_a_verified_address(db: object) -> None:
    """The platform's statements vouch for the address it names a new learner by (as staff
    do): later statements about it find the learner, whether created alone or in a batch."""
    world = build_world(provision=True)
    unit = {EXT_UNIT_CODE: "HP-LECHAN"}
    people = [f"moi{n}@example.vn" for n in range(3)]
    send(world, *[statement(mbox(p), "completed", DVC_EXTERNAL, extensions=unit) for p in people])
    send(world, statement(mbox("mot.minh@example.vn"), "completed", DVC_EXTERNAL, extensions=unit))
    people.append("mot.minh@example.vn")
    for address in people:
        assert _by_email(address).email_verified_at is not None
    send(world, *[statement(mbox(p), "completed", QUIZ_EXTERNAL) for p in people])
    for address in people:
        courses = {e.course_id for e in _enrolled(_by_email(address), world)}
        assert courses == {world.dvc.id, world.quizzed.id}


def _by_email(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    assert user is not None, email
    return user


def test_a_hash_another_person_holds_already_stays_theirs(world: World) -> None:
    """An administrator linked the SHA-1 form of an address to one person; another account
    then gets that address, vouched for by staff. The hash keeps naming the first person, and
    the change goes through (one conditional insert, no duplicate-key error)."""
    from lms.auth.services import set_email

    linked = make_user("linh.khac@example.vn", unit=world.units["HP-LECHAN"], full_name="Linh")
    other = make_user("khac@example.vn", unit=world.units["HP-LECHAN"], full_name="Khác")
    db.session.commit()
    ifi = identities.Ifi(IdentityKind.mbox_sha1sum, _sha1(VICTIM))
    identities.link_identity(linked, ifi, source=IdentitySource.linked, by=None)
    db.session.commit()
    set_email(other, VICTIM, verified=True)
    db.session.commit()
    rows = db.session.scalars(
        select(LearnerIdentity).where(LearnerIdentity.value == _sha1(VICTIM))
    ).all()
    assert [(r.user_id, r.source) for r in rows] == [(linked.id, IdentitySource.linked)]
    assert identities.find_user(ifi) == linked
    assert other.email_verified
