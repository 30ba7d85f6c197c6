"""The life of an uploaded results file: previewed, then accepted or rejected whole.

The file is kept with its preview so that accepting it later needs no second upload; it is
checked again on acceptance (people or courses may have changed in between).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import Select, select

from lms import tabular
from lms.db import utcnow
from lms.errors import Conflict, NotFound
from lms.extensions import db
from lms.learning import results
from lms.learning.models import ImportStatus, ResultsImport, SourcePlatform
from lms.learning.platforms import get_platform
from lms.locks import lock

if TYPE_CHECKING:
    from lms.auth.models import User

logger = logging.getLogger(__name__)

PREVIEW_ROWS = 200


def _platform(platform_id: int | None) -> SourcePlatform | None:
    return get_platform(platform_id) if platform_id else None


def _provision(platform: SourcePlatform | None, provision: bool | None) -> bool:
    if provision is not None:
        return provision
    return bool(platform and platform.provision_unknown)


def preview(
    data: bytes,
    filename: str,
    *,
    platform_id: int | None,
    provision: bool | None,
    by: User,
) -> tuple[ResultsImport, list[results.Row]]:
    """Check a file and keep it as ``previewed``; raises Invalid with every error."""
    platform = _platform(platform_id)
    provision = _provision(platform, provision)
    rows = results.plan(data, filename, platform=platform, provision=provision)
    record = ResultsImport(
        filename=(filename or "results")[:255],
        data=data,
        status=ImportStatus.previewed,
        platform_id=platform.id if platform else None,
        provision=provision,
        rows=len(rows),
        summary=results.summary(rows),
        created_by_id=by.id,
    )
    db.session.add(record)
    db.session.flush()
    return record, rows


def accept(record: ResultsImport, *, by: User) -> ResultsImport:
    """Write a previewed file (checked again): learners, identities, statements.

    The record is locked first: of parallel acceptances one writes, the others get 409.
    """
    lock(record)
    if record.status != ImportStatus.previewed:
        raise Conflict(_("This file was already %(status)s.", status=str(record.status)))
    platform = _platform(record.platform_id)
    rows = results.plan(record.data, record.filename, platform=platform, provision=record.provision)
    record.summary = results.write(rows, platform=platform, by=by)
    record.status = ImportStatus.accepted
    record.decided_at = utcnow()
    record.decided_by_id = by.id
    db.session.flush()
    logger.info("Results file %s accepted by %s: %s", record.id, by.id, record.summary)
    return record


def reject(record: ResultsImport, *, by: User) -> ResultsImport:
    lock(record)
    if record.status != ImportStatus.previewed:
        raise Conflict(_("This file was already %(status)s.", status=str(record.status)))
    record.status = ImportStatus.rejected
    record.decided_at = utcnow()
    record.decided_by_id = by.id
    db.session.flush()
    return record


def get_import(import_id: int) -> ResultsImport:
    record = db.session.get(ResultsImport, import_id)
    if record is None:
        raise NotFound(_("Results file not found."))
    return record


def import_query() -> Select[Any]:
    return select(ResultsImport).order_by(ResultsImport.id.desc())


def rows_of(record: ResultsImport) -> list[results.Row]:
    """The rows of a kept file as checked now (for showing a preview again)."""
    platform = _platform(record.platform_id)
    rows = results.parse_rows(tabular.read_table(record.data, record.filename))
    results.check_rows(rows, platform=platform, provision=record.provision)
    return rows


def to_dict(record: ResultsImport, rows: list[results.Row] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": record.id,
        "filename": record.filename,
        "status": str(record.status),
        "platform_id": record.platform_id,
        "provision": record.provision,
        "rows": record.rows,
        "summary": record.summary,
        "created_at": record.created_at.isoformat() if record.created_at else None,
        "decided_at": record.decided_at.isoformat() if record.decided_at else None,
    }
    if rows is not None:
        body["preview"] = [r.to_dict() for r in rows[:PREVIEW_ROWS]]
    return body
