"""Changes to the tree: new units, edits, subtree moves and mergers, all with history."""

from __future__ import annotations

import logging
from datetime import date
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import and_, delete, func, insert, literal, or_, select, update

from lms.audit import services as audit
from lms.audit.constants import AuditAction
from lms.errors import Conflict, Forbidden, Invalid, NotFound
from lms.events import unit_moved
from lms.extensions import db
from lms.formatting import vdate  # dates in messages read dd/mm/yyyy
from lms.org.models import Unit, UnitKind, UnitPlacement
from lms.org.services.people import move_people
from lms.org.services.tree import (
    ONE_DAY,
    can_see,
    ensure_can_change,
    expire,
    find_unit,
    is_descendant,
    lock_tree,
    prefix,
    today,
)

if TYPE_CHECKING:
    from lms.auth.models import User

logger = logging.getLogger(__name__)

ADMIN_ONLY_FIELDS = ("serial_prefix", "report_day")


def create_unit(
    *,
    code: str,
    name: str,
    kind: UnitKind | str,
    parent: Unit | None = None,
    name_en: str | None = None,
    valid_from: date | None = None,
    valid_to: date | None = None,
    serial_prefix: str | None = None,
    report_day: int | None = None,
    by: User | None,
) -> Unit:
    """Create a unit under ``parent`` (a root without one) with its first placement.

    ``valid_from`` defaults to 2000-01-01 ("since before the programme"), or to the parent's
    own start when that is later, so a unit never starts before its parent.
    """
    if by is not None and not by.is_admin:
        if parent is None or not can_see(by, parent):
            raise Forbidden(_("You can only create units inside your own unit."))
        if serial_prefix is not None or report_day is not None:
            raise Forbidden(_("Only administrators set serial prefixes and report days."))
    lock_tree(parent)
    if find_unit(code) is not None:
        raise Conflict(
            _("A unit with code %(code)s already exists.", code=code),
            errors={"code": [_("Already used.")]},
        )
    start = valid_from or max(date(2000, 1, 1), parent.valid_from if parent else date.min)
    _check_period(start, valid_to)
    if parent is not None and parent.valid_to is not None and parent.valid_to < start:
        raise Conflict(
            _("Unit %(code)s was closed on %(day)s.", code=parent.code, day=vdate(parent.valid_to)),
            errors={"parent": [_("Closed.")]},
        )
    unit = Unit(
        code=code,
        name=name,
        name_en=name_en,
        kind=UnitKind(kind),
        parent=parent,
        path="",
        depth=parent.depth + 1 if parent else 0,
        valid_from=start,
        valid_to=valid_to,
        serial_prefix=serial_prefix,
        report_day=report_day,
    )
    db.session.add(unit)
    db.session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    db.session.add(
        UnitPlacement(unit_id=unit.id, parent_id=unit.parent_id, path=unit.path, valid_from=start)
    )
    db.session.flush()
    logger.info("Created unit %s (%s) under %s", unit.id, code, parent.id if parent else None)
    return unit


def _check_period(valid_from: date, valid_to: date | None) -> None:
    if valid_to is not None and valid_to < valid_from:
        raise Invalid(
            _("A unit cannot end before it starts."),
            errors={"valid_to": [_("Must not be before valid_from.")]},
        )


def update_unit(
    unit: Unit, changes: dict[str, Any], *, by: User | None, on: date | None = None
) -> Unit:
    """Apply ``PATCH`` changes; a new ``parent`` is a subtree move dated ``on`` (today)."""
    ensure_can_change(by, unit)
    if by is not None and not by.is_admin and any(f in changes for f in ADMIN_ONLY_FIELDS):
        raise Forbidden(_("Only administrators set serial prefixes and report days."))
    if {"parent", "valid_from", "valid_to"} & set(changes):
        lock_tree(unit, changes.get("parent"))
    if "parent" in changes and changes["parent"] is not unit.parent:
        move_unit(unit, changes["parent"], on=on, by=by)
    for field in ("name", "name_en", "kind", "serial_prefix", "report_day"):
        if field in changes:
            setattr(unit, field, UnitKind(changes[field]) if field == "kind" else changes[field])
    if "valid_from" in changes or "valid_to" in changes:
        change_period(
            unit, changes.get("valid_from", unit.valid_from), changes.get("valid_to", unit.valid_to)
        )
    db.session.flush()
    logger.info("Updated unit %s (%s): %s", unit.id, unit.code, sorted(changes))
    return unit


def change_period(unit: Unit, valid_from: date, valid_to: date | None) -> None:
    """Change a unit's period; its first placement starts with it.

    Closing a unit that still has children open after the new end is refused (move or close
    them first), and a merged unit cannot be reopened: its figures now belong to its
    successor.
    """
    if valid_from is None:
        raise Invalid(_("Invalid input."), errors={"valid_from": [_("Field may not be null.")]})
    _check_period(valid_from, valid_to)
    if valid_to is None and unit.valid_to is not None and unit.successor_id is not None:
        raise Conflict(_("A merged unit cannot be reopened."))
    if valid_to is not None:
        open_children = db.session.scalar(
            select(func.count()).where(
                Unit.parent_id == unit.id, or_(Unit.valid_to.is_(None), Unit.valid_to > valid_to)
            )
        )
        if open_children:
            raise Conflict(
                _(
                    "Unit %(code)s still has units open after %(day)s.",
                    code=unit.code,
                    day=vdate(valid_to),
                )
            )
    if valid_from != unit.valid_from:
        first = db.session.scalar(
            select(UnitPlacement)
            .where(UnitPlacement.unit_id == unit.id)
            .order_by(UnitPlacement.valid_from)
            .limit(1)
        )
        if first is not None:
            if first.valid_to is not None and first.valid_to < valid_from:
                raise Conflict(
                    _(
                        "The unit changed place on %(day)s; it must start before that.",
                        day=vdate(first.valid_to + ONE_DAY),
                    )
                )
            first.valid_from = valid_from
    unit.valid_from, unit.valid_to = valid_from, valid_to


def _check_move_date(unit: Unit, new_parent: Unit | None, on: date) -> None:
    """Refuse a change dated before a later one already recorded in the subtree.

    History is written in date order: a placement cannot be closed before it began, and
    the new path is built from the new parent's path as it stands now.
    """
    ids = select(Unit.id).where(Unit.path.like(prefix(unit.path)))
    holders = [UnitPlacement.unit_id.in_(ids)]
    if new_parent is not None:
        holders.append(UnitPlacement.unit_id.in_([*new_parent.ancestor_ids, new_parent.id]))
    latest = db.session.scalar(
        select(func.max(UnitPlacement.valid_from)).where(
            UnitPlacement.valid_to.is_(None), or_(*holders)
        )
    )
    if latest is not None and latest > on:
        raise Conflict(
            _(
                "The tree here already changed on %(day)s; record changes in date order.",
                day=vdate(latest),
            ),
            errors={"on": [_("Must not be before %(day)s.", day=vdate(latest))]},
        )


def _relocate(unit: Unit, new_parent: Unit | None, on: date) -> None:
    """Move ``unit`` and its subtree under ``new_parent`` from ``on``.

    One UPDATE rewrites the path prefix (and depth) of the whole subtree; the placements
    that were open end on ``on - 1`` and every unit of the subtree gets a new one from
    ``on`` (a placement begun that same day is simply replaced).
    """
    db.session.flush()
    old_path = unit.path
    new_path = f"{new_parent.path if new_parent else '/'}{unit.id}/"
    if new_path == old_path:
        return
    depth_change = (new_parent.depth + 1 if new_parent else 0) - unit.depth
    subtree = select(Unit.id).where(Unit.path.like(prefix(old_path))).scalar_subquery()
    open_in_subtree = and_(UnitPlacement.unit_id.in_(subtree), UnitPlacement.valid_to.is_(None))
    plain = {"synchronize_session": False}
    db.session.execute(
        delete(UnitPlacement).where(open_in_subtree, UnitPlacement.valid_from >= on),
        execution_options=plain,
    )
    db.session.execute(
        update(UnitPlacement).where(open_in_subtree).values(valid_to=on - ONE_DAY),
        execution_options=plain,
    )
    db.session.execute(
        update(Unit)
        .where(Unit.path.like(prefix(old_path)))
        .values(
            path=literal(new_path) + func.substr(Unit.path, len(old_path) + 1),
            depth=Unit.depth + depth_change,
        ),
        execution_options=plain,
    )
    db.session.execute(
        update(Unit)
        .where(Unit.id == unit.id)
        .values(parent_id=new_parent.id if new_parent else None),
        execution_options=plain,
    )
    db.session.execute(
        insert(UnitPlacement).from_select(
            ["unit_id", "parent_id", "path", "valid_from"],
            select(Unit.id, Unit.parent_id, Unit.path, literal(on)).where(
                Unit.path.like(prefix(new_path))
            ),
        ),
        execution_options=plain,
    )
    expire(Unit)
    # Figures roll up along the tree: statistics recount the people below the moved unit.
    unit_moved.send(db.session.get(Unit, unit.id), on=on)


def _resolve_on(on: date | None) -> date:
    return on or today()


def move_unit(
    unit: Unit, new_parent: Unit | None, *, on: date | None = None, by: User | None
) -> Unit:
    """Move ``unit`` (and its subtree) under ``new_parent`` from ``on``, keeping history."""
    on = _resolve_on(on)
    ensure_can_change(by, unit)
    if by is not None and not by.is_admin and (new_parent is None or not can_see(by, new_parent)):
        raise Forbidden(_("You can only move units inside your own unit."))
    lock_tree(unit, new_parent)
    if new_parent is not None:
        if is_descendant(new_parent, unit):
            raise Invalid(
                _("A unit cannot be moved under itself or one of its own units."),
                errors={"parent": [_("Inside the unit being moved.")]},
            )
        if not new_parent.is_current(on):
            raise Conflict(
                _("Unit %(code)s does not exist on %(day)s.", code=new_parent.code, day=vdate(on)),
                errors={"parent": [_("Not open on that date.")]},
            )
    _check_move_date(unit, new_parent, on)
    old_parent_id = unit.parent_id
    _relocate(unit, new_parent, on)
    db.session.flush()
    logger.info(
        "Moved unit %s from parent %s to %s on %s",
        unit.id,
        old_parent_id,
        new_parent.id if new_parent else None,
        on,
    )
    return unit


def _merge_details(into: Unit, on: date, children: list[Unit], moved: int) -> dict[str, Any]:
    return {
        "into": f"{into.code} — {into.name}",
        "on": on.isoformat(),
        "units_moved": len(children),
        "people_moved": moved,
    }


def merge_unit(unit: Unit, into: Unit, *, on: date, by: User | None) -> Unit:
    """Merge ``unit`` into ``into`` from ``on``: the unit exists until ``on - 1 day``.

    Its children that are open on ``on`` move under ``into``, its people become members of
    ``into`` from ``on``, and the closed unit itself is re-placed under ``into`` (with
    whatever closed units it still holds), so figures from ``on`` roll up into ``into``
    while ``subtree_ids(..., on=<earlier day>)`` still answers with the old tree.
    """
    ensure_can_change(by, unit)
    if by is not None and not by.is_admin and not can_see(by, into):
        raise NotFound(_("Unit %(code)s not found.", code=into.code))
    lock_tree(unit, into)
    if unit.id == into.id:
        raise Invalid(_("A unit cannot be merged into itself."), errors={"into": [_("Same unit.")]})
    if is_descendant(into, unit):
        raise Invalid(
            _("A unit cannot be merged into one of its own units."),
            errors={"into": [_("Inside the unit being merged.")]},
        )
    if unit.valid_to is not None:
        raise Conflict(
            _(
                "Unit %(code)s is already closed (%(day)s).",
                code=unit.code,
                day=vdate(unit.valid_to),
            )
        )
    if on <= unit.valid_from:
        raise Invalid(
            _("The merger must come after the unit started (%(day)s).", day=vdate(unit.valid_from)),
            errors={"on": [_("Must be after %(day)s.", day=vdate(unit.valid_from))]},
        )
    if not into.is_current(on):
        raise Conflict(
            _("Unit %(code)s does not exist on %(day)s.", code=into.code, day=vdate(on)),
            errors={"into": [_("Closed or not yet open on that date.")]},
        )
    _check_move_date(unit, into, on)
    children = list(
        db.session.scalars(
            select(Unit).where(
                Unit.parent_id == unit.id, or_(Unit.valid_to.is_(None), Unit.valid_to >= on)
            )
        )
    )
    for child in children:
        _relocate(child, into, on)
    _relocate(unit, into, on)
    moved = move_people(unit, into, on)
    unit.valid_to = on - ONE_DAY
    unit.successor_id = into.id
    db.session.flush()
    audit.record(
        AuditAction.unit_merged, unit, actor=by, details=_merge_details(into, on, children, moved)
    )
    logger.info(
        "Merged unit %s into %s on %s (%s children, %s people moved)",
        unit.id,
        into.id,
        on,
        len(children),
        moved,
    )
    return unit
