"""Bulk class enrollment from a CSV (or XLSX) file: preview, then all or nothing.

Columns: ``email, phone, full_name, unit_code, target_group, birth_date`` (a person needs an
email or a phone; the date of birth, ``dd/mm/yyyy``, is kept for new accounts and printed on
their certificates). Every row is checked before anything is written; any error rejects the
whole file with the row and field of each problem (``rows.3.email``), so the page can highlight
the very cells to fix. People without an account get one (no password: they sign in by a reset link
or are counted only); people already in the class are skipped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload

from lms import periods
from lms.auth import permissions
from lms.auth.models import Role, User, UserRole
from lms.auth.services import create_user
from lms.auth.text import (
    NotABirthDate,
    is_valid_email,
    is_valid_phone,
    normalise_email,
    normalise_phone,
    parse_birth_date,
)
from lms.classes import cohorts, enrollments
from lms.classes.models import Class, EnrollmentSource
from lms.constants import TargetGroup
from lms.errors import Conflict, Invalid
from lms.extensions import db
from lms.formatting import number
from lms.org.models import Unit, UnitMembership
from lms.tabular import read_table
from lms.text import fold

logger = logging.getLogger(__name__)

MAX_ROWS = 10_000
#: Above this many new accounts, they are written in bulk rather than one by one.
BULK_USERS = 50
COLUMNS = ("email", "phone", "full_name", "unit_code", "target_group", "birth_date")
#: Folded header text -> column, so "Họ và tên" or "Số điện thoại" work as well.
HEADER_ALIASES = {
    "email": "email",
    "e-mail": "email",
    "thu dien tu": "email",
    "phone": "phone",
    "so dien thoai": "phone",
    "dien thoai": "phone",
    "sdt": "phone",
    "full_name": "full_name",
    "full name": "full_name",
    "name": "full_name",
    "ho ten": "full_name",
    "ho va ten": "full_name",
    "unit_code": "unit_code",
    "unit": "unit_code",
    "ma don vi": "unit_code",
    "target_group": "target_group",
    "target group": "target_group",
    "doi tuong": "target_group",
    "birth_date": "birth_date",
    "birth date": "birth_date",
    "date of birth": "birth_date",
    "ngay sinh": "birth_date",
}


@dataclass
class Row:
    n: int
    email: str | None
    phone: str | None
    full_name: str
    unit_code: str | None
    target_group: str | None
    #: As typed; :func:`plan_import` reads it into ``born``.
    birth_date: str | None = None
    born: date | None = None
    #: What to do: "create" (new account, enrol), "enrol", "join" (enrolled on their own,
    #: moves into the class), "skip" (already in the class or in another class of the course)
    action: str = ""
    user: User | None = None
    unit: Unit | None = None
    note: str = ""
    #: The cells as typed, before normalising (shown next to the errors).
    raw: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "row": self.n,
            "email": self.email,
            "phone": self.phone,
            "full_name": self.full_name or (self.user.full_name if self.user else ""),
            "raw": self.raw,
            "unit_code": self.unit_code,
            "target_group": self.target_group,
            "birth_date": self.born.isoformat() if self.born else None,
            "action": self.action,
            "user_id": self.user.id if self.user else None,
            "note": self.note,
        }


@dataclass
class Plan:
    rows: list[Row] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    def summary(self) -> dict[str, int]:
        return {
            "rows": len(self.rows),
            "create": self.count("create"),
            "enrol": self.count("enrol"),
            "join": self.count("join"),
            "skip": self.count("skip"),
        }


class RowsInvalid(Invalid):
    """Rows with errors; ``rows`` keeps what was read, so a page can show the cells at fault."""

    def __init__(self, message: str, errors: dict[str, list[str]], rows: list[Row]) -> None:
        super().__init__(message, errors=errors)
        self.rows = [row.to_dict() for row in rows]


# --- reading the file ------------------------------------------------------------------------


def _columns(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    unknown = []
    for index, name in enumerate(header):
        key = HEADER_ALIASES.get(fold(name).replace("_", " ")) or HEADER_ALIASES.get(fold(name))
        if key is None:
            if name.strip():
                unknown.append(name)
            continue
        found.setdefault(key, index)
    errors: dict[str, list[str]] = {}
    if "email" not in found and "phone" not in found:
        errors["file"] = [_("The first row must name the columns: email, phone, full_name...")]
    if unknown:
        errors["header"] = [_("Unknown column(s): %(names)s.", names=", ".join(unknown))]
    if errors:
        raise Invalid(_("The file's columns are not recognised."), errors=errors)
    return found


def parse_rows(table: list[list[str]]) -> list[Row]:
    if not table:
        raise Invalid(_("The file is empty."), errors={"file": [_("No rows.")]})
    columns = _columns(table[0])
    rows: list[Row] = []
    for n, cells in enumerate(table[1:], 2):  # as a spreadsheet numbers rows: header = 1
        if not any(cells):
            continue

        def get(name: str, cells: list[str] = cells) -> str:
            index = columns.get(name)
            return cells[index] if index is not None and index < len(cells) else ""

        raw = {name: get(name) for name in COLUMNS}
        rows.append(
            Row(
                raw=raw,
                n=n,
                email=get("email") or None,
                phone=get("phone") or None,
                full_name=" ".join(get("full_name").split()),
                unit_code=get("unit_code") or None,
                target_group=get("target_group") or None,
                birth_date=get("birth_date") or None,
            )
        )
    if not rows:
        raise Invalid(_("The file has no people in it."), errors={"file": [_("No rows.")]})
    if len(rows) > MAX_ROWS:
        raise Invalid(
            _("At most %(n)s rows per file.", n=number(MAX_ROWS)),
            errors={"file": [_("Too many rows.")]},
        )
    return rows


# --- checking --------------------------------------------------------------------------------


def _users_by(column: Any, values: set[str]) -> dict[str, User]:
    out: dict[str, User] = {}
    ordered = sorted(values)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        for user in db.session.scalars(select(User).where(column.in_(chunk))):
            out[str(getattr(user, column.key))] = user
    return out


def plan_import(klass: Class, rows: list[Row], *, by: User) -> Plan:
    """Check every row; raise Invalid with ``rows.<n>.<field>`` errors, or return the plan."""
    errors: dict[str, list[str]] = {}

    def err(row: Row, name: str, message: str) -> None:
        errors.setdefault(f"rows.{row.n}.{name}", []).append(message)

    for row in rows:
        if row.phone:
            row.phone = normalise_phone(row.phone)
        row.email = normalise_email(row.email)
    by_email = _users_by(User.email, {r.email for r in rows if r.email})
    by_phone = _users_by(User.phone, {r.phone for r in rows if r.phone})
    codes = {r.unit_code for r in rows if r.unit_code}
    units = {u.code: u for u in db.session.scalars(select(Unit).where(Unit.code.in_(codes)))}
    groups = set(TargetGroup)
    seen: dict[str, int] = {}
    for row in rows:
        if not row.email and not row.phone:
            err(row, "email", _("Give an email address or a phone number."))
        if row.email and not is_valid_email(row.email):
            err(row, "email", _("Not a valid email address."))
        if row.phone and not is_valid_phone(row.phone):
            err(row, "phone", _("Not a valid phone number."))
        for key, value in (("email", row.email), ("phone", row.phone)):
            if value and value in seen:
                err(row, key, _("Same person as row %(n)s.", n=seen[value]))
            elif value:
                seen[value] = row.n
        found = {by_email.get(row.email or ""), by_phone.get(row.phone or "")} - {None}
        if len(found) > 1:
            err(row, "phone", _("This phone number belongs to another person than the email."))
        row.user = next(iter(found)) if len(found) == 1 else None
        if (
            row.user is not None
            and row.user is by_email.get(row.email or "")
            and not row.user.email_verified
            and by_phone.get(row.phone or "") is None
        ):
            # The address was typed by whoever holds that account and never confirmed: it
            # does not say who they are, so the row would enrol a stranger.
            err(row, "email", _("An account uses this address but has not confirmed it."))
            row.user = None
        if row.user is not None and not permissions.person_in_reach(by, row.user, klass=klass):
            # An account can be neither created (its email or phone is taken) nor enrolled.
            err(row, "email" if row.email else "phone", _("This person is outside your area."))
        elif row.user is not None and not row.user.active:
            err(row, "email", _("This account is disabled."))
        if row.user is None and not row.full_name:
            err(row, "full_name", _("Enter the full name of a new person."))
        if len(row.full_name) > 200:
            err(row, "full_name", _("At most 200 characters."))
        if row.unit_code:
            row.unit = units.get(row.unit_code)
            if row.unit is None:
                err(row, "unit_code", _("Unknown unit code %(code)s.", code=row.unit_code))
            elif row.unit.valid_to is not None and not row.unit.is_current():
                err(row, "unit_code", _("Unit %(code)s no longer exists.", code=row.unit_code))
            elif row.user is None and not permissions.unit_in_reach(by, row.unit, klass=klass):
                err(row, "unit_code", _("This unit is outside your area."))
        try:
            row.born = parse_birth_date(row.birth_date)
        except NotABirthDate:
            err(row, "birth_date", _("Write the date of birth as dd/mm/yyyy."))
        if row.target_group and row.target_group not in groups:
            err(
                row,
                "target_group",
                _("Unknown target group; use one of: %(codes)s.", codes=", ".join(groups)),
            )
    if errors:
        raise RowsInvalid(
            _("%(n)s row(s) have errors; nothing was imported.", n=len(_bad_rows(errors))),
            errors,
            rows,
        )
    _decide_actions(klass, rows)
    return Plan(rows=rows)


def _bad_rows(errors: dict[str, list[str]]) -> set[str]:
    return {key.split(".")[1] for key in errors}


def _decide_actions(klass: Class, rows: list[Row]) -> None:
    existing = [r.user.id for r in rows if r.user is not None]
    live = enrollments.live_user_ids(klass.course, existing)
    for row in rows:
        if row.user is None:
            row.action = "create"
        elif row.user.id not in live:
            row.action = "enrol"
        elif live[row.user.id] is None:
            row.action = "join"
            row.note = _("Follows the course on their own; joins the class with their progress.")
        else:
            row.action = "skip"
            row.note = (
                _("Already in this class.")
                if live[row.user.id] == klass.id
                else _("Already in another class of this course.")
            )


# --- applying --------------------------------------------------------------------------------


def _create_users_in_bulk(rows: list[Row], *, default_unit: Unit) -> None:
    """What ``create_user`` does for a learner, for thousands of rows in a few statements.

    The rows were checked exactly as ``create_user`` checks (contacts normalised and valid,
    not taken, unit in the actor's area); a new person's unit history is one membership
    starting today, as ``assign_user_unit`` writes for someone without one. One INSERT per
    table instead of several round trips per person keeps a 5,000-row file within seconds.
    """
    today = periods.today()
    values = [
        {
            "email": row.email,
            "phone": row.phone,
            "full_name": row.full_name,
            "target_group": TargetGroup(row.target_group) if row.target_group else None,
            "unit_id": (row.unit or default_unit).id,
            "birth_date": row.born,
            "active": True,
        }
        for row in rows
    ]
    try:
        with db.session.begin_nested():
            ids = list(
                db.session.scalars(
                    insert(User).returning(User.id, sort_by_parameter_order=True), values
                )
            )
            db.session.execute(
                insert(UserRole), [{"user_id": uid, "role": Role.learner} for uid in ids]
            )
            db.session.execute(
                insert(UnitMembership),
                [
                    {"user_id": uid, "unit_id": value["unit_id"], "valid_from": today}
                    for uid, value in zip(ids, values, strict=True)
                ],
            )
    except IntegrityError as exc:
        raise Conflict(
            _("Some of these people were added meanwhile; nothing was imported. Try again.")
        ) from exc
    users: dict[int, User] = {}
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        stmt = select(User).where(User.id.in_(chunk)).options(lazyload("*"))
        users.update({user.id: user for user in db.session.scalars(stmt)})
    for uid, row in zip(ids, rows, strict=True):
        row.user = users[uid]
    logger.info("Created %s learner accounts from a class file", len(users))


def import_enrollments(
    klass: Class, data: bytes, *, by: User, filename: str | None = None, dry_run: bool = False
) -> dict[str, Any]:
    """Preview (``dry_run``) or apply a file; all or nothing either way."""
    rows = parse_rows(read_table(data, filename))
    if not dry_run:
        # The class, then the people: a file sent twice at once is applied once, and the
        # second finds everyone in the class (skipped) rather than enrolling them again.
        enrollments.lock_class(klass)
    plan = plan_import(klass, rows, by=by)
    if not dry_run:
        enrollments.lock_people([r.user for r in rows if r.user is not None])
        _decide_actions(klass, rows)
    adding = plan.count("create") + plan.count("enrol") + plan.count("join")
    if adding:
        enrollments.check_class_open(klass, adding=adding)
    result = {"dry_run": dry_run, "summary": plan.summary(), "rows": [r.to_dict() for r in rows]}
    if dry_run:
        return result
    _apply(klass, plan, by=by)
    result["rows"] = [r.to_dict() for r in rows]
    logger.info("CSV enrollment into class %s by %s: %s", klass.id, by.id, plan.summary())
    return result


def _apply(klass: Class, plan: Plan, *, by: User) -> None:
    creator = by if (by.is_admin or Role.official in by.roles) else None
    new = [row for row in plan.rows if row.action == "create"]
    if len(new) > BULK_USERS:
        _create_users_in_bulk(new, default_unit=klass.unit)
    for row in new:
        if row.user is not None:
            continue
        row.user = create_user(
            email=row.email,
            phone=row.phone,
            full_name=row.full_name,
            unit=row.unit or klass.unit,
            target_group=row.target_group,
            roles=[Role.learner],
            by=creator,
            birth_date=row.born,
        )
    for row in plan.rows:
        if row.action == "join" and row.user is not None:
            enrollment = enrollments.enrollment_for(row.user, klass.course)
            if enrollment is not None:
                enrollment.class_id = klass.id
    users = [r.user for r in plan.rows if r.action in {"create", "enrol"} and r.user is not None]
    enrollments.bulk_enroll(
        klass.course, users, source=EnrollmentSource.import_, by=by, klass=klass
    )
    db.session.flush()


def on_people_imported(
    sender: User | None, *, users: list[User], class_code: str | None, **kwargs: Any
) -> None:
    """People imported on ``/users`` with a class code join that class, in the import's
    transaction: a class the importer may not manage, or one that is full or closed, refuses
    the whole file."""
    if not class_code or not users:
        return
    klass = cohorts.get_class_for(sender, class_code) if sender else cohorts.get_class(class_code)
    enrollments.lock_class(klass)
    enrollments.check_class_open(klass, adding=len(users))
    enrollments.bulk_enroll(
        klass.course, users, source=EnrollmentSource.import_, by=sender, klass=klass
    )
