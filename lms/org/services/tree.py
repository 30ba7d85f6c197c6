"""The unit tree: lookups, subtrees and ancestors, and who may see which units.

Two records of the tree are kept in step:

* ``units.path`` is the tree *now* (``/1/7/42/``): a subtree is one prefix query on an
  index (``varchar_pattern_ops`` on PostgreSQL), whatever the depth.
* ``unit_placements`` is the tree *over time*: one row per unit and period with the parent
  and the path it had then. A question about a past date (figures for 2024 after the 2025
  mergers) is the same prefix query on the placements valid on that date.

Dates are inclusive: ``valid_to`` is the last day a unit (placement, membership) existed. A
change dated ``on`` ends the old period on ``on - 1 day`` and starts the new one on ``on``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import (
    Select,
    and_,
    false,
    func,
    or_,
    select,
    true,
)

from lms import periods
from lms.collation import vi_sort_key
from lms.errors import Forbidden, NotFound
from lms.extensions import db
from lms.locks import lock, lock_name
from lms.org.models import Unit, UnitKind, UnitPlacement
from lms.text import fold

if TYPE_CHECKING:
    from lms.auth.models import User

logger = logging.getLogger(__name__)

ONE_DAY = timedelta(days=1)


#: The lock every change to the tree's shape holds (see :func:`lock_tree`).
TREE_LOCK = "org.unit-tree"


def today() -> date:
    """Today in the province (:func:`lms.periods.today`): a merger, a move or a new unit
    "today" at 00:30 on 1 July in Viet Nam is dated 1 July, not the server's 30 June."""
    return periods.today()


def lock_tree(*units: Unit | None) -> None:
    """Hold the tree for a change to its shape, and read ``units`` again under it.

    Paths and placements are derived from the ancestors' (a move rewrites a whole subtree), so
    creations, moves, period changes, mergers and imports take one lock, one at a time, and
    decide on the tree as the previous change left it.
    """
    lock_name(TREE_LOCK)
    for unit in sorted({u for u in units if u is not None}, key=lambda u: u.id):
        lock(unit)


def valid_on_clause(model: Any, on: date) -> Any:
    """Rows of ``model`` (a unit, placement or membership) whose period contains ``on``."""
    return and_(model.valid_from <= on, or_(model.valid_to.is_(None), model.valid_to >= on))


def prefix(path: str) -> str:
    """A LIKE pattern for everything under ``path``.

    Paths hold only digits and slashes, so nothing needs escaping; a plain constant
    pattern is what lets PostgreSQL use the ``varchar_pattern_ops`` index.
    """
    return f"{path}%"


def expire(*models: type) -> None:
    """Forget loaded attributes of ``models`` after set-based SQL changed their rows."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, models):
            db.session.expire(obj)


# --- lookups -------------------------------------------------------------------------------


def get_unit(code: str) -> Unit:
    """Return the unit with ``code`` or raise NotFound."""
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise NotFound(_("Unit %(code)s not found.", code=code))
    return unit


def find_unit(code: str) -> Unit | None:
    return db.session.scalar(select(Unit).where(Unit.code == code))


def path_on(unit: Unit, on: date) -> str | None:
    """The unit's path on ``on`` (None if it had no place in the tree that day)."""
    return db.session.scalar(
        select(UnitPlacement.path)
        .where(UnitPlacement.unit_id == unit.id, valid_on_clause(UnitPlacement, on))
        .order_by(UnitPlacement.valid_from.desc())
        .limit(1)
    )


def subtree_ids(unit: Unit, *, on: date | None = None) -> Select[Any]:
    """A SELECT of the ids of ``unit`` and everything below it.

    Without ``on``: the tree now, including closed units re-placed under their successor
    (their past figures roll up into the successor). With ``on``: the tree as it was that
    day, read from the placements, so a merged province's 2024 figures add up by its old
    districts and not into the province that absorbed it in 2025.
    """
    if on is None:
        return select(Unit.id).where(Unit.path.like(prefix(unit.path)))
    path = path_on(unit, on)
    if path is None:
        has_history = db.session.scalar(
            select(func.count()).where(UnitPlacement.unit_id == unit.id)
        )
        if has_history:  # the unit did not exist (or had no place) that day
            return select(UnitPlacement.unit_id).where(false())
        # A unit written without history (raw inserts): its current place is all we know.
        return subtree_ids(unit)
    return select(UnitPlacement.unit_id).where(
        UnitPlacement.path.like(prefix(path)), valid_on_clause(UnitPlacement, on)
    )


def ancestors(unit: Unit) -> list[Unit]:
    """The units above ``unit`` in the current tree, root first (read from the path)."""
    ids = unit.ancestor_ids
    if not ids:
        return []
    return list(db.session.scalars(select(Unit).where(Unit.id.in_(ids)).order_by(Unit.depth)))


def province_of(unit: Unit) -> Unit:
    """The province (or centrally-run city) ``unit`` belongs to now.

    The first ancestor-or-self of kind ``province`` from the root down, so a province merged
    into another (Hải Dương into Hải Phòng) answers with the one that absorbed it; a tree
    without provinces answers with its root.
    """
    chain = [*ancestors(unit), unit]
    for candidate in chain:
        if candidate.kind == UnitKind.province:
            return candidate
    return chain[0]


def in_tree_order(units: Iterable[Unit]) -> list[Unit]:
    """``units`` as a tree is read: each after its parent, siblings in Vietnamese order.

    For lists a person picks from (bounded: a form's choices, a unit's children); a paged list
    orders in SQL instead.
    """
    rows = list(units)
    keys = {u.id: vi_sort_key(u.name) for u in rows}

    def key(unit: Unit) -> tuple[Any, ...]:
        ids = [int(p) for p in unit.path.strip("/").split("/") if p] or [unit.id]
        # An ancestor outside the list (the official's own unit) is shared: its id will do.
        return tuple(keys.get(i) or ((), (), (), str(i)) for i in ids)

    return sorted(rows, key=key)


def units_valid_on(on: date | None = None) -> Select[Any]:
    """A SELECT of the units that existed on ``on`` (today by default)."""
    return select(Unit).where(valid_on_clause(Unit, on or today()))


def is_descendant(unit: Unit, of: Unit) -> bool:
    """Whether ``unit`` is ``of`` or lies below it in the current tree."""
    return unit.path.startswith(of.path)


# --- who may see and change what --------------------------------------------------------------
#
# Admins see and change everything. An official sees their own unit and everything below it,
# and changes what lies strictly below their own unit (their own unit is changed from above).
# A unit outside what a user sees answers 404, exactly like a unit that does not exist, so
# codes outside one's area are not revealed; a visible unit the user may not change answers 403.


def _is_official(by: User) -> bool:
    return by.is_official and by.unit is not None


def can_see(by: User | None, unit: Unit) -> bool:
    if by is None or by.is_admin:
        return True
    return _is_official(by) and is_descendant(unit, by.unit)  # type: ignore[arg-type]


def can_change(by: User | None, unit: Unit) -> bool:
    if by is None or by.is_admin:
        return True
    return can_see(by, unit) and unit.id != by.unit_id


def visible_unit(code: str, by: User | None) -> Unit:
    """The unit ``code`` if ``by`` may see it; NotFound otherwise (the same as unknown)."""
    unit = find_unit(code)
    if unit is None or not can_see(by, unit):
        raise NotFound(_("Unit %(code)s not found.", code=code))
    return unit


def ensure_can_change(by: User | None, unit: Unit) -> None:
    if not can_see(by, unit):
        raise NotFound(_("Unit %(code)s not found.", code=unit.code))
    if not can_change(by, unit):
        raise Forbidden(_("Your own unit is managed by the level above it."))


def ensure_can_browse(by: User | None) -> None:
    if by is not None and not by.is_admin and not _is_official(by):
        raise Forbidden(_("Only administrators and officials can browse the unit tree."))


def scope_clause(by: User | None, path_column: Any) -> Any:
    """WHERE clause: the units ``by`` sees (``path_column`` is a unit path column)."""
    if by is None or by.is_admin:
        return true()
    if not _is_official(by):
        return false()
    return path_column.like(prefix(by.unit.path))  # type: ignore[union-attr]


def unit_query(
    by: User | None,
    *,
    parent: Unit | None = None,
    kind: UnitKind | None = None,
    q: str | None = None,
    include_closed: bool = False,
    on: date | None = None,
) -> Select[Any]:
    """The units ``by`` sees, filtered as ``GET /units`` asks; ordered by code.

    ``on`` reads the tree of that day (validity and, with ``parent``, the parent then);
    ``include_closed`` drops the validity filter.
    """
    stmt = select(Unit).where(scope_clause(by, Unit.path))
    day = on or today()
    if not include_closed:
        stmt = stmt.where(valid_on_clause(Unit, day))
    if parent is not None:
        if on is None:
            stmt = stmt.where(Unit.parent_id == parent.id)
        else:
            stmt = stmt.where(
                Unit.id.in_(
                    select(UnitPlacement.unit_id).where(
                        UnitPlacement.parent_id == parent.id, valid_on_clause(UnitPlacement, on)
                    )
                )
            )
    if kind is not None:
        stmt = stmt.where(Unit.kind == kind)
    for word in fold(q).split():
        stmt = stmt.where(Unit.search_text.contains(word, autoescape=True))
    return stmt.order_by(Unit.code)
