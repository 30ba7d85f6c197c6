"""Real cmi5 session credentials for tests: launch the test AU and redeem its fetch URL.

What a learner's browser holds after pressing *Mở học phần*: the launch parameters (actor,
registration, activity id) and the ``auth-token`` from ``/cmi5/fetch/<token>``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from lms.auth.models import User
from lms.catalog.importer import import_path
from lms.catalog.models import Course
from lms.extensions import db
from lms.learning.cmi5 import launch
from lms.learning.models import Cmi5Au, Cmi5Session

PACKAGE = Path(__file__).resolve().parent.parent / "courses" / "cmi5-thu-nghiem"
SESSION_ID = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"


def cmi5_course() -> Course:
    """The test cmi5 course, imported once per test database."""
    course = db.session.scalar(select(Course).where(Course.slug == "cmi5-thu-nghiem"))
    if course is None:
        [result] = import_path(PACKAGE)
        course = db.session.get(Course, result.course_id)
    assert course is not None
    return course


@dataclass
class Cmi5Credentials:
    authorization: str  #: ``Basic ...`` exactly as the fetch URL answered
    actor: dict[str, Any]
    registration: str
    activity_id: str
    session: Cmi5Session

    def context(self, **extra: Any) -> dict[str, Any]:
        """A cmi5 context for statements of this session (registration, session id)."""
        return {
            "registration": self.registration,
            "extensions": {SESSION_ID: self.session.session_id},
            **extra,
        }


def open_session(user: User, course: Course | None = None) -> Cmi5Credentials:
    """Launch the course's first AU for ``user`` and redeem the fetch token; commits."""
    course = course or cmi5_course()
    au = db.session.scalar(select(Cmi5Au).where(Cmi5Au.course_id == course.id))
    assert au is not None
    url, session = launch.launch(
        au,
        user,
        endpoint="http://localhost/xapi/",
        fetch_base="http://localhost/cmi5/fetch",
        content_base=f"http://localhost/cmi5/content/{course.id}",
        return_url="http://localhost/learning/cmi5/cmi5-thu-nghiem",
    )
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    token = urlsplit(query["fetch"]).path.rsplit("/", 1)[-1]
    answer = launch.fetch(token)
    db.session.commit()
    return Cmi5Credentials(
        authorization=f"Basic {answer['auth-token']}",
        actor=json.loads(query["actor"]),
        registration=query["registration"],
        activity_id=query["activityId"],
        session=session,
    )
