"""xAPI statements written to the LMS's LRS when a certificate is issued or revoked."""

from __future__ import annotations

from sqlalchemy import select

from lms.certificates import content, pdfs, services
from lms.certificates.constants import EXT_REASON, EXT_SERIAL, VERB_EARNED, VERB_REVOKED
from lms.xapi.models import Statement
from tests.certificates.conftest import World


def _statements(verb: str) -> list[dict]:
    rows = select(Statement.statement).where(Statement.verb_id == verb)
    from lms.extensions import db

    return list(db.session.scalars(rows))


def test_issue_and_revoke_are_recorded(world: World) -> None:
    cert, _ = services.issue_certificate(world.enrollment, by=world.trainer)
    [earned] = _statements(VERB_EARNED)
    verify_url = content.verify_url(pdfs.base_url(), cert.serial)
    assert earned["object"]["id"] == verify_url
    assert earned["actor"]["account"]["name"] == str(world.holder.id)
    assert earned["context"]["registration"] == world.enrollment.registration
    assert earned["context"]["extensions"][EXT_SERIAL] == cert.serial
    assert earned["context"]["contextActivities"]["parent"][0]["id"] == world.course.activity_iri
    assert earned["result"]["score"]["scaled"] == 0.85

    services.revoke_certificate(cert, by=world.admin, reason="Cấp nhầm.")
    [revoked] = _statements(VERB_REVOKED)
    assert revoked["object"]["id"] == verify_url
    assert revoked["context"]["instructor"]["account"]["name"] == str(world.admin.id)
    assert revoked["context"]["extensions"][EXT_REASON] == "Cấp nhầm."
