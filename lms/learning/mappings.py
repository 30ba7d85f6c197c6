"""Which course an activity IRI belongs to: the ``activity_mappings`` lookup table.

A course's own ``activity_iri`` and its ``external_activity_iris`` (the same course on MOOC
platforms) map to it, and so do the generated activity ids of its cmi5 assignable units.
The table is rebuilt for a course when the catalog imports it (``course_imported``) or an
admin changes its IRIs, and, as a safety net for courses changed some other way, lazily
before every bridge batch for the courses whose ``updated_at`` moved since the last build.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from lms.catalog.models import Course
from lms.errors import Invalid
from lms.extensions import db
from lms.learning.cursor import CURSOR_ID, read_cursor
from lms.learning.models import ActivityMapping, BridgeCursor, Cmi5Au, MappingKind
from lms.locks import lock_name

if TYPE_CHECKING:
    from lms.auth.models import User

logger = logging.getLogger(__name__)

IRI = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
MAX_IRIS = 50


def iri_hash(iri: str) -> str:
    return hashlib.sha256(iri.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Target:
    course_id: int
    kind: MappingKind
    au_id: int | None


def lookup(iri: str) -> Target | None:
    row = db.session.get(ActivityMapping, iri_hash(iri))
    if row is None:
        return None
    return Target(row.course_id, row.kind, row.au_id)


def lookup_many(iris: list[str]) -> dict[str, Target | None]:
    """:func:`lookup` for many IRIs in one query (a bridge batch's objects)."""
    hashes = {iri_hash(iri): iri for iri in set(iris)}
    out: dict[str, Target | None] = dict.fromkeys(hashes.values())
    keys = sorted(hashes)
    for start in range(0, len(keys), 1000):
        rows = db.session.scalars(
            select(ActivityMapping).where(ActivityMapping.iri_hash.in_(keys[start : start + 1000]))
        )
        for row in rows:
            out[hashes[row.iri_hash]] = Target(row.course_id, row.kind, row.au_id)
    return out


def _put(iri: str, course_id: int, kind: MappingKind, au_id: int | None = None) -> bool:
    key = iri_hash(iri)
    existing = db.session.get(ActivityMapping, key)
    if existing is not None:
        if existing.course_id != course_id:
            logger.warning(
                "Activity %s is claimed by courses %s and %s; keeping %s",
                iri,
                existing.course_id,
                course_id,
                existing.course_id,
            )
            return False
        existing.kind, existing.au_id = kind, au_id
        return True
    db.session.add(
        ActivityMapping(iri_hash=key, activity_iri=iri, course_id=course_id, kind=kind, au_id=au_id)
    )
    return True


def rebuild_course(course: Course) -> None:
    """Map the course's own and external IRIs (and its AUs) to it, dropping stale rows."""
    db.session.execute(delete(ActivityMapping).where(ActivityMapping.course_id == course.id))
    db.session.flush()
    _put(course.activity_iri, course.id, MappingKind.course)
    for iri in course.external_activity_iris or []:
        _put(iri, course.id, MappingKind.external)
    aus = db.session.scalars(
        select(Cmi5Au).where(Cmi5Au.course_id == course.id, Cmi5Au.active.is_(True))
    )
    for au in aus:
        _put(au.activity_id, course.id, MappingKind.cmi5_au, au.id)
    db.session.flush()


def refresh_changed() -> int:
    """Rebuild the mappings of courses changed since the last build; returns how many.

    The bridge calls it in a transaction of its own before a batch locks its cursor: the
    build writes row 1 of the cursors, which partition 0's batch holds. Builders take turns
    (a named lock), so two partitions never write the same mappings at once.
    """
    if not _changed(db.session.get(BridgeCursor, CURSOR_ID)):  # reads only, before the lock
        return 0
    lock_name("bridge-activity-mappings")
    read_cursor()
    cursor = db.session.get(BridgeCursor, CURSOR_ID, populate_existing=True)
    assert cursor is not None  # noqa: S101 - read_cursor made it
    courses = _changed(cursor)
    if not courses:
        return 0
    for course in courses:
        rebuild_course(course)
    cursor.mappings_built_at = max(c.updated_at for c in courses)
    db.session.flush()
    logger.info("Rebuilt activity mappings of %s course(s)", len(courses))
    return len(courses)


def _changed(cursor: BridgeCursor | None) -> list[Course]:
    query = select(Course)
    if cursor is not None and cursor.mappings_built_at is not None:
        query = query.where(Course.updated_at > cursor.mappings_built_at)
    return list(db.session.scalars(query.order_by(Course.id)))


def rebuild_all() -> int:
    cursor = read_cursor()
    cursor.mappings_built_at = None
    db.session.flush()
    return refresh_changed()


def mapping_count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(ActivityMapping)) or 0)


def set_external_iris(course: Course, iris: list[str], *, by: User | None) -> Course:
    """Replace the course's external activity IRIs (an admin tying MOOC courses to it).

    Every IRI must be an http(s) IRI used by no other course. A later import of the
    course's package sets the list from ``course.yaml`` again.
    """
    errors: dict[str, list[str]] = {}
    clean: list[str] = []
    if len(iris) > MAX_IRIS:
        errors["iris"] = [_("At most %(n)s IRIs.", n=MAX_IRIS)]
    for index, raw in enumerate(iris):
        iri = (raw or "").strip()
        if not IRI.match(iri):
            errors[f"iris.{index}"] = [_("Not an http(s) IRI.")]
            continue
        if iri == course.activity_iri or iri in clean:
            errors[f"iris.{index}"] = [_("Listed twice (or the course's own IRI).")]
            continue
        owner = lookup(iri)
        if owner is not None and owner.course_id != course.id:
            other = db.session.get(Course, owner.course_id)
            errors[f"iris.{index}"] = [
                _("Already used by course %(slug)s.", slug=other.slug if other else owner.course_id)
            ]
            continue
        clashes = db.session.scalar(
            select(Course.slug).where(Course.activity_iri == iri, Course.id != course.id)
        )
        if clashes:
            errors[f"iris.{index}"] = [_("Already used by course %(slug)s.", slug=clashes)]
            continue
        clean.append(iri)
    if errors:
        raise Invalid(_("Invalid input."), errors=errors)
    course.external_activity_iris = clean
    db.session.flush()
    rebuild_course(course)
    logger.info(
        "External IRIs of course %s set to %s by %s", course.id, clean, by.id if by else None
    )
    return course
