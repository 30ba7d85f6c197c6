"""Demo data of the learning bridge: a MOOC platform, its statements, the test cmi5 course.

Idempotent: the platform is found by name, statements have fixed ids and are skipped when
already stored, the cmi5 course is imported only when missing.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from lms.auth.demo import ACCOUNTS
from lms.auth.models import User
from lms.catalog.models import Course
from lms.constants import TargetGroup
from lms.db import utcnow
from lms.extensions import db
from lms.learning import platforms
from lms.learning.bridge import process_pending
from lms.learning.cmi5.package import import_folder
from lms.learning.constants import EXT_UNIT_CODE
from lms.learning.models import Cmi5Au, SourcePlatform
from lms.statements import VERB_COMPLETED, VERB_PASSED, verb
from lms.xapi import clients
from lms.xapi import services as lrs
from lms.xapi.models import LrsClient

PLATFORM_NAME = "Nền tảng MOOC quốc gia (demo)"
HOME_PAGE = "https://onestudy.mic.gov.vn"
COURSE_SLUG = "dich-vu-cong-truc-tuyen"
CMI5_SLUG = "cmi5-thu-nghiem"
CMI5_DIR = Path(__file__).resolve().parent.parent.parent / "courses" / CMI5_SLUG
NAMESPACE = uuid.UUID("0b9d8c0e-5f1e-4c38-9a46-146000000146")
#: The units (with their subtrees) the demo platform may provision into and affect.
UNITS = ("HP", "QT")
#: Learners only the MOOC knows: provisioned as citizens of the unit their statements name.
NEW_LEARNERS = (
    ("hv-000123", "Đỗ Thị Thu Trang", "HP-LECHAN"),
    ("hv-000124", "Vũ Văn Quang", "HP-NGOQUYEN"),
    ("hv-000125", "Hoàng Thị Mận", "HP-LECHAN"),
    ("hv-000126", "Phan Văn Đức", "QT-DONGHOI"),
)


def _platform() -> tuple[SourcePlatform, str | None]:
    existing = db.session.scalar(
        select(SourcePlatform).join(LrsClient).where(LrsClient.name == PLATFORM_NAME)
    )
    courses = [COURSE_SLUG] if _course() is not None else []
    if existing is not None:
        if not existing.courses and not existing.units:
            # Seeded before platforms had explicit allowances: give it the demo's.
            platforms.update_platform(existing, {"courses": courses, "units": list(UNITS)})
        return existing, None
    client, secret = clients.create_client(
        PLATFORM_NAME, scopes=["statements/write", "statements/read/mine"]
    )
    platform = platforms.register_platform(
        client.id,
        name=PLATFORM_NAME,
        home_page=HOME_PAGE,
        courses=courses,
        units=list(UNITS),
        provision_unknown=True,
        default_target_group=TargetGroup.citizen,
        by=None,
    )
    return platform, secret


def _course() -> Course | None:
    return db.session.scalar(select(Course).where(Course.slug == COURSE_SLUG))


def _statements(course: Course) -> list[dict[str, Any]]:
    iri = (course.external_activity_iris or [course.activity_iri])[0]
    name = {"vi-VN": course.title}
    citizens = db.session.scalars(
        select(User)
        .where(
            User.target_group == TargetGroup.citizen,
            User.email.is_not(None),
            User.unit_id.is_not(None),
            # The named demo accounts are the README's walkthrough (learner@ has 1 of 3
            # lessons done); the MOOC's learners are other people.
            User.email.not_in([account.email for account in ACCOUNTS]),
        )
        .order_by(User.id)
        .limit(6)
    ).all()
    actors: list[tuple[dict[str, Any], str | None]] = [
        ({"objectType": "Agent", "name": u.full_name, "mbox": f"mailto:{u.email}"}, None)
        for u in citizens
    ]
    actors += [
        (
            {"objectType": "Agent", "name": full, "account": {"homePage": HOME_PAGE, "name": acc}},
            unit,
        )
        for acc, full, unit in NEW_LEARNERS
    ]
    out = []
    start = utcnow() - timedelta(days=20)
    for n, (actor, unit) in enumerate(actors):
        ident = actor.get("mbox") or actor["account"]["name"]
        context: dict[str, Any] = {"platform": "onestudy", "language": "vi-VN"}
        if unit:
            context["extensions"] = {EXT_UNIT_CODE: unit}
        when = start + timedelta(days=n * 2)
        for verb_iri, result, offset in (
            (VERB_COMPLETED, {"completion": True}, 0),
            (VERB_PASSED, {"success": True, "score": {"scaled": 0.75 + (n % 5) * 0.05}}, 1),
        ):
            out.append(
                {
                    "id": str(uuid.uuid5(NAMESPACE, f"{ident}|{verb_iri}")),
                    "actor": actor,
                    "verb": verb(verb_iri),
                    "object": {
                        "objectType": "Activity",
                        "id": iri,
                        "definition": {
                            "type": "http://adlnet.gov/expapi/activities/course",
                            "name": name,
                        },
                    },
                    "result": result,
                    "context": context,
                    "timestamp": (when + timedelta(hours=offset)).isoformat(),
                }
            )
    return out


def _cmi5() -> str:
    course = db.session.scalar(select(Course).where(Course.slug == CMI5_SLUG))
    if course is None and CMI5_DIR.is_dir():
        import_folder(CMI5_DIR)
        course = db.session.scalar(select(Course).where(Course.slug == CMI5_SLUG))
    if course is None:
        return "learning: the cmi5 test course is missing (courses/cmi5-thu-nghiem)"
    aus = db.session.scalars(select(Cmi5Au.id).where(Cmi5Au.course_id == course.id)).all()
    return f"learning: cmi5 course {CMI5_SLUG} ({len(aus)} AU) at /learning/cmi5/{CMI5_SLUG}"


def seed() -> list[str]:
    lines = []
    platform, secret = _platform()
    client = db.session.get(LrsClient, platform.client_id)
    assert client is not None  # noqa: S101 - the platform's client
    if secret is not None:
        lines.append(
            f"learning: MOOC platform {PLATFORM_NAME!r} registered; LRS key {client.key} "
            f"secret {secret} (shown once, as `flask --app wsgi lrs-client create` does)"
        )
    else:
        lines.append(
            f"learning: MOOC platform {PLATFORM_NAME!r} (LRS key {client.key}; its secret was "
            "shown when it was created; for new credentials run "
            "`flask --app wsgi lrs-client create NAME` and register them under "
            "/api/v1/source-platforms with the courses and units they may report)"
        )
    course = _course()
    if course is not None:
        batch = [s for s in _statements(course) if lrs.statement_by_id(s["id"]) is None]
        if batch:
            lrs.record_many(batch, authority=client.authority)
        db.session.commit()
        processed = process_pending()
        lines.append(
            f"learning: {len(batch)} MOOC statement(s) recorded for {COURSE_SLUG}; "
            f"bridge processed {processed}"
        )
    lines.append(_cmi5())
    return lines
