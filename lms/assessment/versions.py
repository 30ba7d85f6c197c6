"""The drawn question versions of attempts, cached per process.

A :class:`QuestionVersion` never changes once written, so every worker keeps the ones it has
read: saving an answer validates it against its version without a query.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from lms.assessment.grading import Version
from lms.assessment.models import QuestionVersion
from lms.errors import NotFound
from lms.extensions import db

_VERSIONS: dict[tuple[int, str], Version] = {}
_CACHE_LIMIT = 20_000


def load_versions(items: Sequence[Mapping[str, Any]]) -> dict[int, Version]:
    """The drawn versions of ``items``, from the cache or one query.

    The cache key includes a prefix of the content hash, so a reused id (a rolled-back test,
    a restored database) can never serve another question's content.
    """
    wanted = {(int(item["version_id"]), str(item["hash"])) for item in items}
    missing = [vid for vid, digest in wanted if (vid, digest) not in _VERSIONS]
    if missing:
        if len(_VERSIONS) > _CACHE_LIMIT:
            _VERSIONS.clear()
        rows = db.session.execute(
            select(
                QuestionVersion.id,
                QuestionVersion.question_id,
                QuestionVersion.type,
                QuestionVersion.content,
                QuestionVersion.content_hash,
            ).where(QuestionVersion.id.in_(missing))
        )
        for row in rows:
            _VERSIONS[(row.id, row.content_hash[:16])] = Version(
                id=row.id, question_id=row.question_id, type=row.type, content=row.content
            )
    try:
        return {vid: _VERSIONS[(vid, digest)] for vid, digest in wanted}
    except KeyError as exc:  # pragma: no cover - a version row was deleted under an attempt
        raise NotFound(_("A question of this attempt no longer exists.")) from exc
