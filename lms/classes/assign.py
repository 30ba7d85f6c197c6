"""Assigned enrollment: an official enrols a whole target group of their area in one action.

It runs as a background job (``lms.jobs``) so that enrolling thousands of people shows a
progress bar instead of a hanging page; small groups finish before the page polls.
"""

from __future__ import annotations

import logging
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, func, select

from lms.auth.models import Role, User
from lms.auth.permissions import unit_in_scope
from lms.catalog.models import Course
from lms.classes import enrollments
from lms.classes.models import EnrollmentSource
from lms.constants import TargetGroup
from lms.errors import Forbidden, Invalid, NotFound
from lms.extensions import db
from lms.jobs import services as jobs
from lms.jobs.models import Job
from lms.org.models import Unit

logger = logging.getLogger(__name__)

JOB_KIND = "classes.assign"
BATCH = 500


def candidates(unit: Unit, target_group: str) -> Select[Any]:
    """Active people of ``target_group`` whose unit is ``unit`` or below it."""
    return (
        select(User.id)
        .join(Unit, Unit.id == User.unit_id)
        .where(
            Unit.path.startswith(unit.path, autoescape=True),
            User.target_group == TargetGroup(target_group),
            User.active.is_(True),
        )
        .order_by(User.id)
    )


def check_assign(course: Course, unit: Unit, target_group: str, *, by: User) -> int:
    """Validate an assignment request; returns how many people it concerns."""
    if not (by.is_admin or (Role.official in by.roles and unit_in_scope(by, unit))):
        raise Forbidden(_("This unit is outside your area."))
    if target_group not in set(TargetGroup):
        raise Invalid(_("Invalid input."), errors={"target_group": [_("Unknown target group.")]})
    return int(
        db.session.scalar(
            select(func.count()).select_from(candidates(unit, target_group).subquery())
        )
        or 0
    )


def assign_course(course: Course, unit: Unit, target_group: str, *, by: User) -> Job:
    """Start the job; the caller polls ``/api/v1/jobs/<id>``. Commits (jobs need the row)."""
    total = check_assign(course, unit, target_group, by=by)
    logger.info(
        "Assigning course %s to %s people (%s in %s) by %s",
        course.id,
        total,
        target_group,
        unit.code,
        by.id,
    )
    return jobs.submit(
        JOB_KIND,
        {
            "course_id": course.id,
            "unit_id": unit.id,
            "target_group": target_group,
            "by_id": by.id,
        },
        by_id=by.id,
    )


def run_assignment(payload: dict[str, Any], progress: jobs.Progress) -> dict[str, Any]:
    course = db.session.get(Course, payload["course_id"])
    unit = db.session.get(Unit, payload["unit_id"])
    by = db.session.get(User, payload["by_id"])
    if course is None or unit is None or by is None:
        raise NotFound(_("The course, unit or user of this job no longer exists."))
    ids = list(db.session.scalars(candidates(unit, payload["target_group"])))
    total = len(ids)
    enrolled = 0
    progress(0, total)
    for start in range(0, total, BATCH):
        chunk = ids[start : start + BATCH]
        users = list(db.session.scalars(select(User).where(User.id.in_(chunk))))
        enrolled += enrollments.bulk_enroll(course, users, source=EnrollmentSource.assigned, by=by)
        progress(min(start + BATCH, total), total)
    return {
        "course": course.slug,
        "unit": unit.code,
        "target_group": payload["target_group"],
        "people": total,
        "enrolled": enrolled,
        "already_enrolled": total - enrolled,
    }
