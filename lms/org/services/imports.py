"""Importing a whole tree from CSV: validated whole, then applied whole.

Columns: ``code,name,name_en,kind,parent_code,valid_from,valid_to,successor_code,
serial_prefix,report_day``. Parents may come after their children; codes already in the
database are updated (a new ``parent_code`` is a subtree move dated ``on``, with history).
The file is the truth for the units it names: a blank optional cell clears that field
(a blank ``valid_from`` keeps the current start). ``valid_to`` and ``successor_code`` are
recorded as given; to move a merged unit's children and people use the merge command.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import String, cast, exists, func, insert, select, update
from sqlalchemy.orm import aliased

from lms.edge import ascii_digits
from lms.errors import DomainError, Forbidden, Invalid
from lms.extensions import db
from lms.org.models import Unit, UnitKind, UnitPlacement, search_text
from lms.org.services.changes import change_period, move_unit
from lms.org.services.tree import lock_tree, today

if TYPE_CHECKING:
    from lms.auth.models import User

logger = logging.getLogger(__name__)

COLUMNS = (
    "code",
    "name",
    "name_en",
    "kind",
    "parent_code",
    "valid_from",
    "valid_to",
    "successor_code",
    "serial_prefix",
    "report_day",
)
REQUIRED_COLUMNS = ("code", "name", "kind", "parent_code")
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,49}$")
PREFIX_RE = re.compile(r"^[A-Z0-9]{1,10}$")
DEFAULT_START = date(2000, 1, 1)


@dataclass
class UnitRow:
    number: int
    code: str
    name: str
    name_en: str | None
    kind: UnitKind
    parent_code: str | None
    valid_from: date | None
    valid_to: date | None
    successor_code: str | None
    serial_prefix: str | None
    report_day: int | None


@dataclass
class Known:
    """What the import needs to know of a unit already in the database."""

    id: int
    parent_id: int | None
    valid_from: date


def _text(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    return "" if value is None else str(value).strip()


def _parse_date(value: str, field: str, where: str, errors: dict[str, list[str]]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[f"{where}.{field}"] = [_("Not a date; write YYYY-MM-DD.")]
        return None


def parse_row(number: int, raw: Mapping[str, Any], errors: dict[str, list[str]]) -> UnitRow | None:
    """Check one row's own fields (references to other units are checked later)."""
    where = f"rows.{number}"
    before = len(errors)
    for key in raw:
        if key not in COLUMNS:
            errors[f"{where}.{key}"] = [_("Unknown column.")]
    code, name, kind = _text(raw, "code"), _text(raw, "name"), _text(raw, "kind")
    if not code:
        errors[f"{where}.code"] = [_("Missing data for required field.")]
    elif not CODE_RE.fullmatch(code):
        errors[f"{where}.code"] = [
            _("Use 1-50 letters, digits, '-', '_' or '.', starting with a letter or digit.")
        ]
    if not name:
        errors[f"{where}.name"] = [_("Missing data for required field.")]
    elif len(name) > 200:
        errors[f"{where}.name"] = [_("At most 200 characters.")]
    if len(_text(raw, "name_en")) > 200:
        errors[f"{where}.name_en"] = [_("At most 200 characters.")]
    if kind not in UnitKind.__members__:
        errors[f"{where}.kind"] = [
            _("Must be one of: %(kinds)s.", kinds=", ".join(UnitKind.__members__))
        ]
    valid_from = _parse_date(_text(raw, "valid_from"), "valid_from", where, errors)
    valid_to = _parse_date(_text(raw, "valid_to"), "valid_to", where, errors)
    if valid_from and valid_to and valid_to < valid_from:
        errors[f"{where}.valid_to"] = [_("Must not be before valid_from.")]
    successor = _text(raw, "successor_code") or None
    if successor is not None and valid_to is None and f"{where}.valid_to" not in errors:
        errors[f"{where}.successor_code"] = [_("A successor needs valid_to (the last day).")]
    if successor is not None and successor == code:
        errors[f"{where}.successor_code"] = [_("A unit cannot succeed itself.")]
    prefix = _text(raw, "serial_prefix") or None
    if prefix is not None and not PREFIX_RE.fullmatch(prefix):
        errors[f"{where}.serial_prefix"] = [_("Use 1-10 capital letters or digits.")]
    day_text = _text(raw, "report_day")
    report_day = int(day_text) if ascii_digits(day_text) else None
    if day_text and (report_day is None or not 1 <= report_day <= 31):
        errors[f"{where}.report_day"] = [_("Must be a day of the month, 1-31.")]
    if len(errors) > before:
        return None
    return UnitRow(
        number=number,
        code=code,
        name=name,
        name_en=_text(raw, "name_en") or None,
        kind=UnitKind(kind),
        parent_code=_text(raw, "parent_code") or None,
        valid_from=valid_from,
        valid_to=valid_to,
        successor_code=successor,
        serial_prefix=prefix,
        report_day=report_day,
    )


def import_units(
    rows: Sequence[Mapping[str, Any]],
    *,
    by: User | None,
    on: date | None = None,
    numbers: Sequence[int] | None = None,
) -> dict[str, int]:
    """Create or update the units in ``rows``; every error rejects the whole file.

    Returns counts: ``created``, ``updated``, ``moved``, ``unchanged``.
    """
    if by is not None and not by.is_admin:
        raise Forbidden(_("Only administrators can import the unit tree."))
    on = on or today()
    numbers = list(numbers) if numbers is not None else list(range(1, len(rows) + 1))
    if not rows:
        raise Invalid(_("The file has no data rows."), errors={"file": [_("No data rows.")]})
    # Decided against the tree as it is: a file sent twice at once is applied once, and the
    # second finds its units (unchanged).
    lock_tree()
    errors: dict[str, list[str]] = {}
    parsed: list[UnitRow] = []
    seen: dict[str, int] = {}
    for number, raw in zip(numbers, rows, strict=True):
        row = parse_row(number, raw, errors)
        if row is None:
            continue
        if row.code in seen:
            errors[f"rows.{number}.code"] = [_("Same code as row %(n)s.", n=seen[row.code])]
            continue
        seen[row.code] = number
        parsed.append(row)
    known = {
        code: Known(id=uid, parent_id=parent_id, valid_from=start)
        for uid, code, parent_id, start in db.session.execute(
            select(Unit.id, Unit.code, Unit.parent_id, Unit.valid_from)
        )
    }
    depth = _check_references(parsed, known, errors)
    if errors:
        raise Invalid(_("Some rows have errors; nothing was imported."), errors=errors)
    counts = _apply(parsed, depth, known, on, errors)
    if errors:
        raise Invalid(_("Some rows could not be applied; nothing was imported."), errors=errors)
    logger.info("Imported units: %s", counts)
    return counts


def _check_references(
    rows: list[UnitRow], known: dict[str, Known], errors: dict[str, list[str]]
) -> dict[str, int]:
    """Check parent and successor codes and the shape of the resulting tree.

    Returns each row's depth in the tree after the import (parents before children).
    """
    in_file = {row.code: row for row in rows}
    code_of = {k.id: code for code, k in known.items()}
    for row in rows:
        where = f"rows.{row.number}"
        for field, ref in (
            ("parent_code", row.parent_code),
            ("successor_code", row.successor_code),
        ):
            if ref is not None and ref not in in_file and ref not in known:
                errors[f"{where}.{field}"] = [_("Unknown unit %(code)s.", code=ref)]

    def parent_of(code: str) -> str | None:
        if code in in_file:
            return in_file[code].parent_code
        parent_id = known[code].parent_id if code in known else None
        return code_of.get(parent_id) if parent_id is not None else None

    depth: dict[str, int] = {}
    for row in rows:
        chain = [row.code]
        parent = parent_of(row.code)
        while parent is not None and parent not in depth and parent not in chain:
            if parent not in in_file and parent not in known:
                break  # already reported as unknown
            chain.append(parent)
            parent = parent_of(parent)
        if parent is not None and parent in chain:
            cycle = [*chain[chain.index(parent) :], parent]
            message = _("Makes a cycle: %(cycle)s.", cycle=" → ".join(cycle))
            for code in cycle:
                if code in in_file:
                    errors[f"rows.{in_file[code].number}.parent_code"] = [message]
                depth.setdefault(code, 0)
            continue
        base = depth.get(parent, -1) if parent is not None else -1
        for offset, code in enumerate(reversed(chain), start=1):
            depth[code] = base + offset
    return depth


def _apply(
    rows: list[UnitRow],
    depth: dict[str, int],
    known: dict[str, Known],
    on: date,
    errors: dict[str, list[str]],
) -> dict[str, int]:
    """Write the rows level by level, so every parent exists (and sits where the file
    puts it) before its children are created or moved under it."""
    counts = {"created": 0, "updated": 0, "moved": 0, "unchanged": 0}
    ids = {code: k.id for code, k in known.items()}
    starts = {code: k.valid_from for code, k in known.items()}
    existing = _load([row.code for row in rows if row.code in known])
    levels: dict[int, list[UnitRow]] = {}
    for row in rows:
        levels.setdefault(depth[row.code], []).append(row)
    for level in sorted(levels):
        for row in levels[level]:
            if row.code in known:
                _update_existing(existing[row.code], row, ids, on, counts, errors)
        new = [row for row in levels[level] if row.code not in known]
        if new:
            _create_level(new, ids, starts)
            counts["created"] += len(new)
    _set_successors(rows, ids, existing)
    return counts


def _load(codes: list[str]) -> dict[str, Unit]:
    found: dict[str, Unit] = {}
    for start in range(0, len(codes), 500):
        chunk = codes[start : start + 500]
        found.update(
            {u.code: u for u in db.session.scalars(select(Unit).where(Unit.code.in_(chunk)))}
        )
    return found


def _update_existing(
    unit: Unit,
    row: UnitRow,
    ids: dict[str, int],
    on: date,
    counts: dict[str, int],
    errors: dict[str, list[str]],
) -> None:
    where = f"rows.{row.number}"
    changed = False
    parent_id = ids[row.parent_code] if row.parent_code else None
    if unit.parent_id != parent_id:
        parent = db.session.get(Unit, parent_id) if parent_id is not None else None
        try:
            move_unit(unit, parent, on=on, by=None)
        except DomainError as exc:
            errors[f"{where}.parent_code"] = [exc.message]
            return
        counts["moved"] += 1
        changed = True
    for field in ("name", "name_en", "kind", "serial_prefix", "report_day"):
        value = getattr(row, field)
        if getattr(unit, field) != value:
            setattr(unit, field, value)
            changed = True
    valid_from = row.valid_from or unit.valid_from
    if (valid_from, row.valid_to) != (unit.valid_from, unit.valid_to):
        try:
            change_period(unit, valid_from, row.valid_to)
        except DomainError as exc:
            field = "valid_from" if valid_from != unit.valid_from else "valid_to"
            errors[f"{where}.{field}"] = [exc.message]
            return
        changed = True
    counts["updated" if changed else "unchanged"] += 1


def _create_level(rows: list[UnitRow], ids: dict[str, int], starts: dict[str, date]) -> None:
    """Insert one level of new units, then give them paths and placements set-wise.

    A plain executemany INSERT (no RETURNING: the driver sends it as one pipelined
    statement) with empty paths; the new ids are read back by code, and one UPDATE builds
    ``parent path + id + /`` for all of them.
    """
    values = []
    for row in rows:
        parent_start = (
            starts.get(row.parent_code, DEFAULT_START) if row.parent_code else DEFAULT_START
        )
        start = row.valid_from or max(DEFAULT_START, parent_start)
        starts[row.code] = start
        values.append(
            {
                "code": row.code,
                "name": row.name,
                "name_en": row.name_en,
                "kind": row.kind,
                "parent_id": ids[row.parent_code] if row.parent_code else None,
                "path": "",
                "depth": 0,
                "valid_from": start,
                "valid_to": row.valid_to,
                "serial_prefix": row.serial_prefix,
                "report_day": row.report_day,
                "search_text": search_text(row.code, row.name, row.name_en),
            }
        )
    db.session.execute(insert(Unit), values)
    ids.update(db.session.execute(select(Unit.code, Unit.id).where(Unit.path == "")).all())
    parent = aliased(Unit)
    parent_path = select(parent.path).where(parent.id == Unit.parent_id).scalar_subquery()
    parent_depth = select(parent.depth + 1).where(parent.id == Unit.parent_id).scalar_subquery()
    plain = {"synchronize_session": False}
    db.session.execute(
        update(Unit)
        .where(Unit.path == "")
        .values(
            path=func.coalesce(parent_path, "/") + cast(Unit.id, String) + "/",
            depth=func.coalesce(parent_depth, 0),
        ),
        execution_options=plain,
    )
    db.session.execute(
        insert(UnitPlacement).from_select(
            ["unit_id", "parent_id", "path", "valid_from"],
            select(Unit.id, Unit.parent_id, Unit.path, Unit.valid_from).where(
                ~exists().where(UnitPlacement.unit_id == Unit.id)
            ),
        ),
        execution_options=plain,
    )


def _set_successors(rows: list[UnitRow], ids: dict[str, int], existing: dict[str, Unit]) -> None:
    for row in rows:
        successor_id = ids[row.successor_code] if row.successor_code else None
        if row.code in existing:
            if existing[row.code].successor_id != successor_id:
                existing[row.code].successor_id = successor_id
        elif successor_id is not None:
            db.session.execute(
                update(Unit).where(Unit.id == ids[row.code]).values(successor_id=successor_id),
                execution_options={"synchronize_session": False},
            )
    db.session.flush()
