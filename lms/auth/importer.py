"""Import people from a CSV file, all or nothing.

The whole file is validated before anything is written, and every problem is reported with
its line and column (``rows.<line>.<column>``, the header being line 1, as a spreadsheet
numbers rows) so an official fixes the typos and uploads again; reading the file (encodings,
delimiters) is :mod:`lms.tabular`'s, as for every import. Files over
:data:`ASYNC_THRESHOLD` rows are written by a background job once they validate.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from lms.auth import access, permissions
from lms.auth.models import Role, User, UserRole
from lms.auth.services import record_roles_given
from lms.auth.text import (
    NotABirthDate,
    is_valid_email,
    is_valid_phone,
    normalise_email,
    normalise_phone,
    parse_birth_date,
)
from lms.constants import TargetGroup
from lms.edge import ascii_digits
from lms.errors import Conflict, DomainError, Invalid, NotFound
from lms.events import people_imported
from lms.extensions import db
from lms.formatting import number
from lms.jobs import services as jobs
from lms.jobs.models import Job
from lms.locks import insert_unique, lock_name
from lms.messages import services as outbox
from lms.org.models import Unit
from lms.org.services import assign_user_unit, get_unit
from lms.tabular import read_csv

logger = logging.getLogger(__name__)

COLUMNS = ("email", "phone", "full_name", "unit_code", "target_group", "roles", "birth_date")
#: Above this many rows the writing runs as a job and the API answers 202.
ASYNC_THRESHOLD = 500
MAX_ROWS = 100_000
JOB_KIND = "auth.import_users"
#: Imports are checked and written one at a time: a file sent twice at once is imported once,
#: and the second copy gets the answer a second upload gets (422, the people exist).
IMPORT_LOCK = "auth.users-import"
_ROLE_SEPARATORS = (";", "|")
#: How the people of an import get in (``None``: later, on the invitations page).
INVITE_CHANNELS = {None, "email", "sms"}
_CHUNK = 500


@dataclass
class ImportRow:
    line: int
    email: str | None
    phone: str | None
    full_name: str
    unit_id: int | None
    target_group: str | None
    roles: list[str]
    #: ISO ``yyyy-mm-dd``: rows travel to a job as JSON.
    birth_date: str | None = None


class _Checker:
    """Validates rows one by one, collecting ``rows.<line>.<column>`` errors."""

    def __init__(self, by: User | None) -> None:
        self.by = by
        self.errors: dict[str, list[str]] = {}
        self.units: dict[str, Unit | None] = {}
        self.emails: dict[str, int] = {}
        self.phones: dict[str, int] = {}

    def error(self, line: int, column: str, message: str) -> None:
        self.errors.setdefault(f"rows.{line}.{column}", []).append(message)

    def unit(self, line: int, code: str) -> Unit | None:
        if code not in self.units:
            try:
                self.units[code] = get_unit(code)
            except NotFound:
                self.units[code] = None
        unit = self.units[code]
        if unit is None:
            self.error(line, "unit_code", _("Unknown unit code %(code)s.", code=code))
        elif not unit.is_current():
            self.error(line, "unit_code", _("Unit %(code)s no longer exists.", code=code))
        elif self.by is not None and not permissions.unit_in_scope(self.by, unit):
            self.error(line, "unit_code", _("Unit %(code)s is outside your area.", code=code))
        else:
            return unit
        return None

    def row(self, line: int, values: dict[str, str]) -> ImportRow:
        email = normalise_email(values.get("email"))
        phone = normalise_phone(values.get("phone"))
        if not email and not phone:
            self.error(line, "email", _("Give an email address or a phone number."))
        if email:
            if not is_valid_email(email):
                self.error(line, "email", _("Not a valid email address."))
            elif email in self.emails:
                self.error(line, "email", _("Same email as line %(n)s.", n=self.emails[email]))
            else:
                self.emails[email] = line
        if phone:
            if not is_valid_phone(phone):
                self.error(line, "phone", _("Not a valid phone number."))
            elif phone in self.phones:
                self.error(
                    line, "phone", _("Same phone number as line %(n)s.", n=self.phones[phone])
                )
            else:
                self.phones[phone] = line
        full_name = " ".join((values.get("full_name") or "").split())
        if not full_name:
            self.error(line, "full_name", _("Enter the full name."))
        elif len(full_name) > 200:
            self.error(line, "full_name", _("Must be 1–200 characters."))
        code = (values.get("unit_code") or "").strip()
        unit = self.unit(line, code) if code else None
        if not code and self.by is not None and not self.by.is_admin:
            self.error(line, "unit_code", _("Give the unit code of a unit in your area."))
        group = (values.get("target_group") or "").strip().lower() or None
        if group is not None and group not in TargetGroup.__members__:
            self.error(line, "target_group", _("Unknown target group %(code)s.", code=group))
        try:
            born = parse_birth_date(values.get("birth_date"))
        except NotABirthDate:
            born = None
            self.error(line, "birth_date", _("Write the date of birth as dd/mm/yyyy."))
        roles = self.roles(line, values.get("roles") or "")
        chosen = [Role(r) for r in roles]
        if unit is not None or Role.admin in chosen:
            problem = permissions.placement_problem(self.by, unit, chosen)
            if problem is not None:
                self.error(line, "roles", problem)
        return ImportRow(
            line=line,
            email=email,
            phone=phone,
            full_name=full_name,
            unit_id=unit.id if unit else None,
            target_group=group,
            roles=roles,
            birth_date=born.isoformat() if born else None,
        )

    def roles(self, line: int, raw: str) -> list[str]:
        for sep in _ROLE_SEPARATORS[1:]:
            raw = raw.replace(sep, _ROLE_SEPARATORS[0])
        names = [part.strip().lower() for part in raw.split(_ROLE_SEPARATORS[0]) if part.strip()]
        chosen: list[str] = []
        for name in names or [Role.learner.value]:
            if name not in Role.__members__:
                self.error(line, "roles", _("Unknown role %(code)s.", code=name))
            elif name not in chosen:
                chosen.append(name)
        return chosen

    def taken(self, rows: list[ImportRow]) -> None:
        """Report emails and phones that already belong to someone, in a few IN queries."""
        for column, attr in ((User.email, "email"), (User.phone, "phone")):
            by_value = {getattr(r, attr): r.line for r in rows if getattr(r, attr)}
            values = list(by_value)
            for start in range(0, len(values), _CHUNK):
                chunk = values[start : start + _CHUNK]
                for value in db.session.scalars(select(column).where(column.in_(chunk))):
                    if attr == "email":
                        message = _("A user with this email address already exists.")
                    else:
                        message = _("A user with this phone number already exists.")
                    self.error(by_value[value], attr, message)


def validate_csv(data: bytes, *, by: User | None) -> list[ImportRow]:
    """Parse and check the whole file; raise ``Invalid`` with every problem found."""
    records = enumerate(read_csv(data), start=1)
    header: list[str] | None = None
    for _line, record in records:
        if any(record):
            header = [cell.lower() for cell in record]
            break
    if header is None:
        raise Invalid(_("The file is empty."), errors={"file": [_("The file is empty.")]})
    unknown = [name for name in header if name not in COLUMNS]
    problems = []
    if unknown:
        problems.append(
            _(
                "Unknown columns: %(names)s. The columns are: %(columns)s.",
                names=", ".join(unknown),
                columns=", ".join(COLUMNS),
            )
        )
    if "full_name" not in header or not {"email", "phone"} & set(header):
        problems.append(_("The file needs a full_name column and an email or phone column."))
    if len(set(header)) != len(header):
        problems.append(_("A column appears twice in the header."))
    if problems:
        raise Invalid(problems[0], errors={"columns": problems})
    checker = _Checker(by)
    rows: list[ImportRow] = []
    for line, record in records:
        if not any(record):
            continue
        if len(record) > len(header):
            checker.error(line, "_row", _("This row has more values than the header has columns."))
        rows.append(checker.row(line, dict(zip(header, record, strict=False))))
        if len(rows) > MAX_ROWS:
            raise Invalid(_("At most %(n)s rows per file.", n=number(MAX_ROWS)))
    if not rows:
        raise Invalid(_("The file has no rows under its header."), errors={"file": [_("No rows.")]})
    checker.taken(rows)
    if checker.errors:
        count = len({key.split(".")[1] for key in checker.errors})
        message = _(
            "Nothing was imported: %(n)s rows have errors. Fix them and upload the file again.",
            n=count,
        )
        raise Invalid(message, errors=checker.errors)
    return rows


def write_rows(
    rows: list[ImportRow],
    *,
    by: User | None,
    invite: str | None = None,
    class_code: str | None = None,
) -> int:
    """Create the users of already validated rows (in the caller's transaction).

    ``invite`` (``email`` or ``sms``) gives each new person an activation code that way, sent
    once the caller has committed (:func:`lms.messages.services.dispatch`); with a
    ``class_code`` they join that class (``people_imported``: classes are above auth).
    """
    units = {
        u.id: u
        for u in db.session.scalars(
            select(Unit).where(Unit.id.in_({r.unit_id for r in rows if r.unit_id}))
        )
    }
    users = []
    for row in rows:
        user = User(
            email=row.email,
            phone=row.phone,
            full_name=row.full_name,
            target_group=TargetGroup(row.target_group) if row.target_group else None,
            birth_date=date.fromisoformat(row.birth_date) if row.birth_date else None,
        )
        user.role_rows = [UserRole(role=Role(name)) for name in row.roles]
        users.append((user, row.unit_id))
    with insert_unique(_added_meanwhile):  # someone was created outside an import meanwhile
        db.session.add_all([user for user, _unit in users])
    for user, unit_id in users:
        if unit_id is not None:
            assign_user_unit(user, units[unit_id])
        record_roles_given(user, by=by)
    db.session.flush()
    if invite:
        access.issue_invitations([user for user, _unit in users], invite, by=by)
    people_imported.send(by, users=[user for user, _unit in users], class_code=class_code)
    logger.info("Imported %s users by %s", len(users), by and by.id)
    return len(users)


def _added_meanwhile() -> Conflict:
    return Conflict(_("Some people were added meanwhile; nothing was imported."))


def import_users(
    data: bytes,
    *,
    by: User | None,
    dry_run: bool = False,
    invite: str | None = None,
    class_code: str | None = None,
) -> int | Job:
    """Validate ``data``; write it now (returns the count) or in a job (returns the job).

    A ``dry_run`` only validates, whatever the size, and returns the number of rows that
    would be created. ``invite`` (``email``, ``sms``) gives every new person a way in.
    """
    if invite not in INVITE_CHANNELS:
        message = _("Choose how the people get their code.")
        raise Invalid(message, errors={"invite": [message]})
    lock_name(IMPORT_LOCK)
    rows = validate_csv(data, by=by)
    if dry_run:
        return len(rows)
    if len(rows) <= ASYNC_THRESHOLD:
        return write_rows(rows, by=by, invite=invite, class_code=class_code)
    return jobs.submit(
        JOB_KIND,
        {
            "rows": [asdict(row) for row in rows],
            "by_id": by.id if by else None,
            "invite": invite,
            "class_code": class_code,
        },
        by_id=by.id if by else None,
    )


def run_import(payload: dict[str, Any], progress: jobs.Progress) -> dict[str, Any]:
    """Write a validated import; re-checks uniqueness since someone may have been added since."""
    rows = [ImportRow(**row) for row in payload["rows"]]
    by = db.session.get(User, payload["by_id"]) if payload.get("by_id") else None
    progress(0, len(rows))
    lock_name(IMPORT_LOCK)
    checker = _Checker(by)
    checker.taken(rows)
    if checker.errors:
        raise _added_meanwhile()
    created = write_rows(
        rows, by=by, invite=payload.get("invite"), class_code=payload.get("class_code")
    )
    db.session.commit()
    outbox.dispatch()  # the invitations, if any, now that their codes are committed
    return {"created": created, "rows": len(rows)}


def errors_by_line(exc: DomainError) -> list[dict[str, Any]]:
    """``rows.<line>.<column>`` errors regrouped per line, for the browser page's table."""
    lines: dict[int, dict[str, list[str]]] = {}
    for key, messages in exc.errors.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "rows" and ascii_digits(parts[1]):
            lines.setdefault(int(parts[1]), {})[parts[2]] = messages
    return [{"line": line, "columns": cols} for line, cols in sorted(lines.items())]
