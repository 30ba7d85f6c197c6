"""Who may move the figures: the one place the bridge decides whose statements count.

Every certificate feeds a plan's figures, and the LRS accepts statements from any client an
administrator created, with any actor in them. So the bridge applies a statement only when
the one who *wrote* it (its ``authority``, which the LRS stamps and no client can choose) may
cause that effect:

* **the LMS itself** (authority ``LMS 146``): its statements record effects that already
  happened; they are never applied again;
* **a person acting through the LMS** (an account on ``LMS_BASE_URL``: a results file an
  administrator accepted); no LRS client can hold such an authority
  (``lms.xapi.clients._check_authority``), so only the LMS's own code writes it;
* **a registered source platform** (``source_platforms``, an administrator's decision),
  within what it was allowed: the courses it may report, the units (with their subtrees)
  whose learners it may create and affect. Outside that, the statement is held for review
  (``platform_scope``);
* **a cmi5 session's credentials**, only about the session's own AU, through
  ``lms.learning.cmi5.runtime`` (the LRS has already kept them to their learner,
  registration and AU: ``lms.xapi.binding``); the course is completed by the LMS's own
  ``satisfied``;
* anyone else: stored (it is an LRS) and **ignored by rule**, counted on the status page.

A voiding takes back what its target did only when it comes from the target's author or
from the LMS (:func:`may_take_back`); any other voiding is ignored by rule, and a statement
voided only by such voidings still counts.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import select

from lms.edge import row_id
from lms.extensions import db
from lms.learning.models import (
    Cmi5Session,
    SourcePlatform,
    source_platform_courses,
    source_platform_units,
)
from lms.org.models import Unit
from lms.statements import base_url
from lms.xapi.models import LrsClient
from lms.xapi.validation import agent_ifi

if TYPE_CHECKING:
    from lms.auth.models import User


class Source(enum.StrEnum):
    """Who wrote a statement, as far as the figures are concerned."""

    lms = "lms"  #: the LMS's own statements (effects already applied)
    person = "person"  #: someone acting through the LMS (an accepted results file)
    platform = "platform"  #: a registered, active source platform
    cmi5 = "cmi5"  #: the credentials of a cmi5 session
    other = "other"  #: any other LRS client: stored, never applied


@dataclass(frozen=True, slots=True)
class Allowance:
    """What an administrator allowed one source platform to move."""

    platform: SourcePlatform
    course_ids: frozenset[int]
    #: Materialised paths (``/1/7/``) of the allowed units: their subtrees are allowed.
    unit_paths: tuple[str, ...]

    def allows_course(self, course_id: int) -> bool:
        return course_id in self.course_ids

    def allows_unit(self, unit: Unit | None) -> bool:
        return unit is not None and unit.path.startswith(self.unit_paths)

    def allows_user(self, user: User) -> bool:
        return self.allows_unit(user.unit)


def allowances() -> dict[str, Allowance]:
    """Active platforms keyed by the IFI of their client's authority (three queries)."""
    rows = db.session.execute(
        select(SourcePlatform, LrsClient.authority)
        .join(LrsClient, LrsClient.id == SourcePlatform.client_id)
        .where(SourcePlatform.active.is_(True))
    ).all()
    if not rows:
        return {}
    ids = [platform.id for platform, _authority in rows]
    courses: dict[int, set[int]] = {i: set() for i in ids}
    for platform_id, course_id in db.session.execute(
        select(source_platform_courses.c.platform_id, source_platform_courses.c.course_id).where(
            source_platform_courses.c.platform_id.in_(ids)
        )
    ):
        courses[platform_id].add(course_id)
    paths: dict[int, list[str]] = {i: [] for i in ids}
    for platform_id, path in db.session.execute(
        select(source_platform_units.c.platform_id, Unit.path)
        .join(Unit, Unit.id == source_platform_units.c.unit_id)
        .where(source_platform_units.c.platform_id.in_(ids))
    ):
        paths[platform_id].append(path)
    out: dict[str, Allowance] = {}
    for platform, authority in rows:
        try:
            ifi = agent_ifi(authority)
        except (KeyError, TypeError):
            continue
        out[ifi] = Allowance(
            platform=platform,
            course_ids=frozenset(courses[platform.id]),
            unit_paths=tuple(sorted(paths[platform.id])),
        )
    return out


def lms_account(ifi: str | None) -> str | None:
    """The account name when ``ifi`` is an account on the LMS itself (``lms`` or a user id)."""
    if not ifi or not ifi.startswith("account:"):
        return None
    home, _sep, name = ifi[len("account:") :].rpartition("|")
    return name if home.rstrip("/") == base_url() else None


def client_key(ifi: str | None) -> str | None:
    """The client key when ``ifi`` has the form of an LRS client's own default authority."""
    if not ifi or not ifi.startswith("account:"):
        return None
    home, _sep, name = ifi[len("account:") :].rpartition("|")
    return name if home.rstrip("/") == f"{base_url()}/xapi" else None


@dataclass(slots=True)
class Sources:
    """Classifies authorities; one per bridge batch, so each lookup is made once."""

    lms_ifi: str
    platforms: dict[str, Allowance]
    _cmi5: dict[str, bool] = field(default_factory=dict)

    def of(self, ifi: str | None) -> Source:
        if ifi is None:
            return Source.other
        if ifi == self.lms_ifi:
            return Source.lms
        if ifi in self.platforms:
            return Source.platform
        name = lms_account(ifi)
        if name is not None:
            return Source.person if row_id(name) is not None else Source.other
        if self._is_cmi5(ifi):
            return Source.cmi5
        return Source.other

    def allowance(self, ifi: str | None) -> Allowance | None:
        return self.platforms.get(ifi or "")

    def _is_cmi5(self, ifi: str) -> bool:
        if ifi not in self._cmi5:
            key = client_key(ifi)
            self._cmi5[ifi] = key is not None and (
                db.session.scalar(
                    select(Cmi5Session.id)
                    .join(LrsClient, LrsClient.id == Cmi5Session.client_id)
                    .where(LrsClient.key == key)
                    .limit(1)
                )
                is not None
            )
        return self._cmi5[ifi]

    def may_take_back(self, voider: str | None, author: str | None) -> bool:
        """A voiding undoes an effect only from the statement's author or from the LMS."""
        if voider is None:
            return False
        return voider == author or voider == self.lms_ifi or self.of(voider) == Source.person
