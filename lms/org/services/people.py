"""People's units over time: memberships that keep who was where when."""

from __future__ import annotations

import logging
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import and_, delete, exists, func, insert, literal, select, update

from lms.auth.models import User
from lms.bulk_insert import insert_rows
from lms.extensions import db
from lms.locks import lock
from lms.org.models import Unit, UnitMembership
from lms.org.services.tree import ONE_DAY, expire, today, valid_on_clause

if TYPE_CHECKING:
    from lms.auth.models import User

logger = logging.getLogger(__name__)


def assign_user_unit(user: User, unit: Unit | None, *, on: date | None = None) -> None:
    """Put ``user`` in ``unit`` from ``on`` (today) and keep where they were before.

    The open membership ends on ``on - 1``; one that would end before it started (a second
    change the same day) is replaced instead. A user whose unit was set without a
    membership (older data, imports) gets that earlier membership written first, so the
    history has no hole.
    """
    on = on or today()
    lock(user)  # one change of a person's unit at a time: the open membership is decided on
    open_rows = list(
        db.session.scalars(
            select(UnitMembership).where(
                UnitMembership.user_id == user.id, UnitMembership.valid_to.is_(None)
            )
        )
    )
    current_id = user.unit_id
    new_id = unit.id if unit is not None else None
    if not open_rows and current_id is not None and current_id != new_id:
        old = db.session.get(Unit, current_id)
        start = old.valid_from if old is not None else on
        if start < on:
            db.session.add(
                UnitMembership(
                    user_id=user.id, unit_id=current_id, valid_from=start, valid_to=on - ONE_DAY
                )
            )
    keep = None
    for row in open_rows:
        if row.unit_id == new_id and keep is None:
            keep = row
        elif row.valid_from >= on:
            db.session.delete(row)
        else:
            row.valid_to = on - ONE_DAY
    if unit is not None and keep is None:
        db.session.add(UnitMembership(user_id=user.id, unit_id=unit.id, valid_from=on))
    user.unit = unit
    db.session.flush()
    logger.info("User %s assigned to unit %s from %s", user.id, new_id, on)


def start_memberships(users: list[User], *, on: date | None = None) -> None:
    """The first membership of people just created in their unit (what
    :func:`assign_user_unit` writes for a new user), for many at once."""
    on = on or today()
    rows = [
        {"user_id": user.id, "unit_id": user.unit_id, "valid_from": on, "valid_to": None}
        for user in users
        if user.unit_id is not None
    ]
    if rows:
        # One plain INSERT: nothing reads them back as objects (the ORM's flush of them was
        # a visible share of the bridge's provisioning).
        insert_rows(UnitMembership.__table__, rows)


def unit_of_user_on(user: User, on: date) -> int | None:
    """The id of the unit ``user`` belonged to on ``on`` (their current unit without history)."""
    found = db.session.scalar(
        select(UnitMembership.unit_id)
        .where(UnitMembership.user_id == user.id, valid_on_clause(UnitMembership, on))
        .order_by(UnitMembership.valid_from.desc())
        .limit(1)
    )
    if found is not None:
        return found
    has_history = db.session.scalar(select(func.count()).where(UnitMembership.user_id == user.id))
    return None if has_history else user.unit_id


def move_people(unit: Unit, into: Unit, on: date) -> int:
    """Make ``unit``'s people members of ``into`` from ``on``, in set-based statements."""
    db.session.flush()
    plain = {"synchronize_session": False}
    people = select(User.id).where(User.unit_id == unit.id)
    count = db.session.scalar(select(func.count()).select_from(people.subquery())) or 0
    if not count:
        return 0
    without_history = people.where(
        ~exists().where(UnitMembership.user_id == User.id, UnitMembership.valid_to.is_(None))
    )
    db.session.execute(
        insert(UnitMembership).from_select(
            ["user_id", "unit_id", "valid_from"],
            without_history.with_only_columns(User.id, literal(unit.id), literal(unit.valid_from)),
        ),
        execution_options=plain,
    )
    open_here = and_(
        UnitMembership.unit_id == unit.id,
        UnitMembership.valid_to.is_(None),
        UnitMembership.user_id.in_(people.scalar_subquery()),
    )
    db.session.execute(
        delete(UnitMembership).where(open_here, UnitMembership.valid_from >= on),
        execution_options=plain,
    )
    db.session.execute(
        update(UnitMembership).where(open_here).values(valid_to=on - ONE_DAY),
        execution_options=plain,
    )
    db.session.execute(
        insert(UnitMembership).from_select(
            ["user_id", "unit_id", "valid_from"],
            people.with_only_columns(User.id, literal(into.id), literal(on)),
        ),
        execution_options=plain,
    )
    db.session.execute(
        update(User).where(User.unit_id == unit.id).values(unit_id=into.id),
        execution_options=plain,
    )
    expire(User, UnitMembership)
    return count
