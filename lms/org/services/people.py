"""People's units over time: memberships that keep who was where when."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
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


#: Inside :func:`memberships_kept`: user id -> their memberships (from, to, unit id).
_kept: ContextVar[dict[int, list[tuple[date, date | None, int]]] | None] = ContextVar(
    "lms_org_memberships_kept", default=None
)


@contextmanager
def memberships_kept() -> Iterator[None]:
    """Keep the memberships :func:`unit_of_user_on` reads, for a bulk operation that moves
    nobody (the bridge's bulk run; it only starts the memberships of the learners it creates,
    before it asks about them).

    A completion reported late (dated before today) is counted where the person was that
    day: three questions for each learner of a batch (enrolment, completion, certificate),
    two queries each. With :func:`keep_memberships` they are read for the whole run at once.
    """
    if _kept.get() is not None:
        yield
        return
    token = _kept.set({})
    try:
        yield
    finally:
        _kept.reset(token)


def keep_memberships(users: Iterable[User]) -> None:
    """Inside :func:`memberships_kept`: read these people's memberships now, in one query."""
    kept = _kept.get()
    if kept is None:
        return
    ids = sorted({u.id for u in users if u.id is not None and u.id not in kept})
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        for user_id in chunk:
            kept[user_id] = []
        rows = db.session.execute(
            select(
                UnitMembership.user_id,
                UnitMembership.valid_from,
                UnitMembership.valid_to,
                UnitMembership.unit_id,
            ).where(UnitMembership.user_id.in_(chunk))
        )
        for user_id, valid_from, valid_to, unit_id in rows:
            kept[user_id].append((valid_from, valid_to, unit_id))


def unit_of_user_on(user: User, on: date) -> int | None:
    """The id of the unit ``user`` belonged to on ``on`` (their current unit without history)."""
    kept = _kept.get()
    if kept is not None and user.id is not None:
        if user.id not in kept:
            keep_memberships([user])
        rows = kept[user.id]
        valid = [r for r in rows if r[0] <= on and (r[1] is None or r[1] >= on)]
        if valid:
            return max(valid, key=lambda r: r[0])[2]
        return None if rows else user.unit_id
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
