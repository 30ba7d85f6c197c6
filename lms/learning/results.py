"""Completion results from platforms without xAPI: a CSV or XLSX file, all or nothing.

Columns (first row; names in English or Vietnamese, any case, with or without diacritics):
``identity`` (an email, a phone number, or the learner's account name on the platform),
``full_name``, ``course`` (an activity IRI of the course, or its slug), ``completed_on``
(``YYYY-MM-DD`` or ``DD/MM/YYYY``), and optionally ``score`` (0-100) and ``unit_code``.

A file is checked whole: every problem is reported as ``rows.<n>.<column>`` (n = the row as
a spreadsheet numbers it, the header being 1), and nothing is written unless every row is
right. Accepted rows become ``completed`` statements in the LRS, with the uploader as
authority and the learner's LMS account as actor (learners unknown so far are created first
when the upload allows it), and the bridge applies them like any platform's statements.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import select

from lms import periods, tabular
from lms.auth.models import Role, User
from lms.auth.services import create_user
from lms.auth.text import is_valid_email, is_valid_phone, normalise_email, normalise_phone
from lms.catalog.models import Course
from lms.constants import TargetGroup
from lms.errors import Invalid, NotFound
from lms.extensions import db
from lms.formatting import number
from lms.learning import identities, mappings
from lms.learning.constants import EXT_UNIT_CODE
from lms.learning.identities import Ifi
from lms.learning.models import (
    IdentityKind,
    IdentitySource,
    MappingKind,
    SourcePlatform,
)
from lms.org.services import get_unit
from lms.statements import ACTIVITY_COURSE, VERB_COMPLETED, actor_for, verb
from lms.text import fold
from lms.xapi import services as lrs
from lms.xapi.models import Statement

if TYPE_CHECKING:
    from lms.org.models import Unit

MAX_ROWS = 20_000
#: uuid5 namespace of statements made from results files: the same row gives the same id.
NAMESPACE = uuid.UUID("6f1f3d2e-8c4a-4d6b-9a51-146146146146")

ALIASES = {
    "identity": "identity", "dinh danh": "identity", "email": "identity",
    "phone": "identity", "account": "identity", "tai khoan": "identity",
    "full name": "full_name", "name": "full_name", "ho ten": "full_name",
    "ho va ten": "full_name",
    "course": "course", "external course id": "course", "course id": "course",
    "khoa hoc": "course", "ma khoa hoc": "course",
    "completed on": "completed_on", "completion date": "completed_on", "date": "completed_on",
    "ngay hoan thanh": "completed_on",
    "score": "score", "diem": "score",
    "unit code": "unit_code", "ma don vi": "unit_code",
}  # fmt: skip
REQUIRED = ("identity", "full_name", "course", "completed_on")
COLUMNS = (*REQUIRED, "score", "unit_code")
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")
_NUMBER = re.compile(r"^\d{1,3}([.,]\d+)?$")


@dataclass
class Row:
    n: int
    raw: dict[str, str]
    kind: str = ""  #: email | phone | account
    identity: str = ""
    user: User | None = None
    course: Course | None = None
    course_iri: str = ""
    completed_on: date | None = None
    score: float | None = None
    unit: Unit | None = None
    action: str = ""  #: match | create | duplicate
    statement_id: str = ""
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "row": self.n,
            **self.raw,
            "user_id": self.user.id if self.user else None,
            "course_slug": self.course.slug if self.course else None,
            "action": self.action,
            "warnings": self.warnings,
        }


# --- reading ------------------------------------------------------------------------------------


def parse_rows(table: list[list[str]]) -> list[Row]:
    while table and not any(table[0]):
        table = table[1:]
    if not table:
        raise Invalid(_("The file is empty."), errors={"file": [_("No header row.")]})
    columns: dict[str, int] = {}
    unknown = []
    for index, name in enumerate(table[0]):
        key = ALIASES.get(fold(name).replace("_", " ").strip())
        if key is None:
            if name.strip():
                unknown.append(name)
            continue
        columns.setdefault(key, index)
    errors: dict[str, list[str]] = {}
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        errors["header"] = [_("Missing column(s): %(names)s.", names=", ".join(missing))]
    if unknown:
        errors["header"] = [
            *errors.get("header", []),
            _("Unknown column(s): %(names)s.", names=", ".join(unknown)),
        ]
    if errors:
        raise Invalid(_("The file's columns are not recognised."), errors=errors)
    rows = []
    for n, cells in enumerate(table[1:], 2):  # as a spreadsheet numbers rows: header = 1
        if not any(cells):
            continue
        raw = {
            name: (cells[columns[name]] if columns.get(name, 99999) < len(cells) else "")
            for name in COLUMNS
        }
        rows.append(Row(n=n, raw=raw))
    if not rows:
        raise Invalid(_("The file has no results in it."), errors={"file": [_("No rows.")]})
    if len(rows) > MAX_ROWS:
        raise Invalid(
            _("At most %(n)s rows per file.", n=number(MAX_ROWS)),
            errors={"file": [_("Too many rows.")]},
        )
    return rows


# --- checking -------------------------------------------------------------------------------------


def _course(value: str) -> tuple[Course | None, str]:
    if value.startswith(("http://", "https://")):
        target = mappings.lookup(value)
        if target is None or target.kind == MappingKind.cmi5_au:
            return None, value
        return db.session.get(Course, target.course_id), value
    course = db.session.scalar(select(Course).where(Course.slug == value))
    return course, course.activity_iri if course else value


def _date(value: str) -> date | None:
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def _identity(row: Row, platform: SourcePlatform | None, errors: dict[str, list[str]]) -> None:
    value = row.raw["identity"]
    key = f"rows.{row.n}.identity"
    if not value:
        errors[key] = [_("Required.")]
        return
    if "@" in value:
        email = normalise_email(value) or ""
        if not is_valid_email(email):
            errors[key] = [_("Not a valid email address.")]
            return
        row.kind, row.identity = "email", email
        row.user = identities.find_user(Ifi(IdentityKind.mbox, f"mailto:{email}"))
        return
    phone = normalise_phone(value) or ""  # a dropped leading zero and a ' prefix are read too
    if phone and is_valid_phone(phone):
        row.kind, row.identity = "phone", phone
        row.user = db.session.scalar(select(User).where(User.phone == phone))
        return
    if platform is None:
        errors[key] = [_("Not an email or phone number; account names need a source platform.")]
        return
    row.kind, row.identity = "account", value
    row.user = identities.find_user(Ifi(IdentityKind.account, f"{platform.home_page}|{value}"))


def check_rows(
    rows: list[Row], *, platform: SourcePlatform | None, provision: bool
) -> dict[str, list[str]]:
    """Check every row (filling what it refers to); returns the errors by cell."""
    errors: dict[str, list[str]] = {}
    seen: dict[tuple[str, str], int] = {}
    today = periods.today()  # a completion this morning in Viet Nam is possible
    mappings.refresh_changed()
    for row in rows:
        _identity(row, platform, errors)
        name = " ".join(row.raw["full_name"].split())
        if not name:
            errors[f"rows.{row.n}.full_name"] = [_("Required.")]
        elif len(name) > 200:
            errors[f"rows.{row.n}.full_name"] = [_("At most 200 characters.")]
        row.raw["full_name"] = name
        course_value = row.raw["course"]
        row.course, row.course_iri = _course(course_value) if course_value else (None, "")
        if row.course is None:
            errors[f"rows.{row.n}.course"] = [
                _("No course has this activity IRI or slug.") if course_value else _("Required.")
            ]
        row.completed_on = _date(row.raw["completed_on"])
        if row.completed_on is None:
            errors[f"rows.{row.n}.completed_on"] = [_("Use YYYY-MM-DD or DD/MM/YYYY.")]
        elif row.completed_on > today or row.completed_on.year < 2000:
            errors[f"rows.{row.n}.completed_on"] = [_("Not a possible completion date.")]
        score = row.raw["score"].replace(" ", "")
        if score:
            if not _NUMBER.match(score) or float(score.replace(",", ".")) > 100:
                errors[f"rows.{row.n}.score"] = [_("A number from 0 to 100.")]
            else:
                row.score = float(score.replace(",", "."))
        if row.raw["unit_code"]:
            try:
                row.unit = get_unit(row.raw["unit_code"])
            except NotFound:
                errors[f"rows.{row.n}.unit_code"] = [_("Unknown unit code.")]
        if row.kind and row.course is not None:
            key = (f"{row.kind}:{row.identity}", row.course_iri)
            if key in seen:
                errors[f"rows.{row.n}.identity"] = [
                    _("Same person and course as row %(n)s.", n=seen[key])
                ]
            seen.setdefault(key, row.n)
        if row.kind and row.user is None:
            if not provision:
                errors.setdefault(f"rows.{row.n}.identity", []).append(
                    _("No learner has this identity (allow creating learners to add them).")
                )
            row.action = "create"
        elif row.user is not None:
            if not row.user.active:
                errors[f"rows.{row.n}.identity"] = [_("This account is disabled.")]
            row.action = "match"
        quiz = (row.course.completion_rule or {}).get("quiz") if row.course else None
        if row.score is not None and quiz is not None and row.score + 1e-6 < quiz:
            row.warnings.append(_("Below the course's pass mark: it will not complete."))
    if not errors:
        for row in rows:
            row.statement_id = _statement_id(row)
        known = _existing([r.statement_id for r in rows])
        for row in rows:
            if row.statement_id in known:
                row.action = "duplicate"
    return errors


def _statement_id(row: Row) -> str:
    key = f"{row.course_iri}|{row.kind}:{row.identity}|{row.completed_on}|{row.score}"
    return str(uuid.uuid5(NAMESPACE, key))


def _existing(ids: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        found |= {
            str(s)
            for s in db.session.scalars(
                select(Statement.statement_id).where(Statement.statement_id.in_(chunk))
            )
        }
    return found


def summary(rows: list[Row]) -> dict[str, Any]:
    return {
        "rows": len(rows),
        "matched": sum(1 for r in rows if r.action == "match"),
        "to_create": sum(1 for r in rows if r.action == "create"),
        "duplicates": sum(1 for r in rows if r.action == "duplicate"),
        "warnings": sum(1 for r in rows if r.warnings),
    }


def plan(
    data: bytes, filename: str, *, platform: SourcePlatform | None, provision: bool
) -> list[Row]:
    """Read and check a file; raises Invalid (every error by cell) unless all rows are right."""
    rows = parse_rows(tabular.read_table(data, filename))
    errors = check_rows(rows, platform=platform, provision=provision)
    if errors:
        raise Invalid(
            _("The file has %(n)s error(s); nothing was imported.", n=len(errors)), errors=errors
        )
    return rows


# --- writing --------------------------------------------------------------------------------------


def _create(row: Row, platform: SourcePlatform | None) -> User:
    ifi = Ifi(IdentityKind.account, f"{platform.home_page}|{row.identity}") if platform else None
    email = row.identity if row.kind == "email" else None
    if row.kind == "account" and ifi is not None:
        email = identities.placeholder_email(ifi)
    group = platform.default_target_group if platform else TargetGroup.citizen
    return create_user(
        email=email,
        phone=row.identity if row.kind == "phone" else None,
        full_name=row.raw["full_name"],
        unit=row.unit,
        target_group=group,
        roles=(Role.learner,),
        password=None,
        by=None,
    )


def _statement(row: Row, platform: SourcePlatform | None) -> dict[str, Any]:
    assert row.user is not None  # noqa: S101 - check_rows and write made sure
    assert row.course is not None  # noqa: S101 - check_rows made sure
    result: dict[str, Any] = {"completion": True}
    quiz = (row.course.completion_rule or {}).get("quiz")
    if row.score is not None:
        result["score"] = {
            "scaled": round(row.score / 100, 4),
            "raw": row.score,
            "min": 0,
            "max": 100,
        }
        result["success"] = quiz is None or row.score + 1e-6 >= quiz
    else:
        result["success"] = True
    name = {"vi-VN": row.course.title}
    if row.course.title_en:
        name["en-US"] = row.course.title_en
    context: dict[str, Any] = {
        "platform": (platform.name if platform else "import")[:200],
        "language": "vi-VN",
    }
    if row.unit is not None:
        context["extensions"] = {EXT_UNIT_CODE: row.unit.code}
    return {
        "id": row.statement_id,
        "actor": actor_for(row.user),
        "verb": verb(VERB_COMPLETED),
        "object": {
            "objectType": "Activity",
            "id": row.course_iri,
            "definition": {"type": ACTIVITY_COURSE, "name": name},
        },
        "result": result,
        "context": context,
        "timestamp": f"{row.completed_on}T12:00:00+07:00",
    }


def write(rows: list[Row], *, platform: SourcePlatform | None, by: User) -> dict[str, Any]:
    """Create the learners the file introduces and record one statement per new row."""
    created: dict[tuple[str, str], User] = {}
    for row in rows:
        if row.action == "create":
            key = (row.kind, row.identity)
            if key not in created:
                created[key] = _create(row, platform)
            row.user = created[key]
        if row.kind == "account" and platform is not None and row.user is not None:
            ifi = Ifi(IdentityKind.account, f"{platform.home_page}|{row.identity}")
            if identities.find_user(ifi) is None:
                identities.link_identity(
                    row.user, ifi, source=IdentitySource.imported, by=by, platform=platform
                )
    batch = [_statement(r, platform) for r in rows if r.action != "duplicate"]
    if batch:
        lrs.record_many(batch, authority=actor_for(by))
    return {**summary(rows), "created": len(created), "statements": len(batch)}
