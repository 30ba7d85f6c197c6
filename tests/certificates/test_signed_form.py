"""The record signature's documented form: RFC 8785, every field listed, old ones still valid.

The README's worked example is run here exactly as written, against a real certificate.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
import rfc8785
from flask.testing import FlaskClient

from lms.certificates import content, crypto, keys, services, verification
from lms.certificates.models import Certificate
from lms.classes.models import EnrollmentStatus
from lms.extensions import db
from tests.certificates.conftest import HOLDER_NAME, World
from tests.factories import make_course, make_enrollment, make_user

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture
def cert(world: World) -> Certificate:
    world.enrollment.quiz_score = 7 / 15  # 0.466666…: the case the signed form must pin down
    return services.issue_certificate(world.enrollment, by=world.trainer)[0]


def _readme_example() -> str:
    text = README.read_text(encoding="utf-8")
    found = re.search(r"<!-- signature-example -->\n```python\n(.*?)```", text, re.S)
    assert found is not None
    return found.group(1)


def test_new_certificates_are_version_2_over_rfc8785(cert: Certificate) -> None:
    assert cert.content_version == 2
    payload = content.signed_content(cert)
    assert set(payload) == {
        "v", "serial", "holder", "course", "score", "issued_at", "issuer", "signer", "indicators"
    }  # fmt: skip
    assert payload["score"] == 0.4667
    assert cert.score == 0.4667
    public = crypto.b64url_decode(keys.jwks()["keys"][0]["x"])
    assert crypto.verify(public, rfc8785.dumps(payload), cert.signature)
    assert HOLDER_NAME not in json.dumps(payload, ensure_ascii=False)
    salted = unicodedata.normalize("NFC", HOLDER_NAME) + (cert.holder_salt or "")
    expected = "sha256$" + hashlib.sha256(salted.encode()).hexdigest()
    assert payload["holder"] == {"id": cert.subject_id, "identity": expected}
    assert (cert.subject_id or "").startswith("urn:uuid:")


def test_the_subject_id_is_stable_per_person_and_tells_people_apart(world: World) -> None:
    first = services.issue_certificate(world.enrollment, by=world.trainer)[0]
    again = make_enrollment(
        world.holder, make_course(title="Khóa khác", hours=2), status=EnrollmentStatus.completed
    )
    second = services.issue_certificate(again, by=world.admin)[0]
    namesake = make_user(unit=world.holder.unit, full_name=HOLDER_NAME)
    theirs = make_enrollment(namesake, world.course, status=EnrollmentStatus.completed)
    third = services.issue_certificate(theirs, by=world.admin)[0]
    assert first.subject_id == second.subject_id
    assert first.holder_salt != second.holder_salt
    assert third.subject_id != first.subject_id
    assert content.holder_identity(third) != content.holder_identity(first)


@pytest.mark.parametrize(
    "change",
    [
        ("serial", "HP-2026-999999"),
        ("holder_name", "Nguyễn Thị Hồng Hoà"),
        ("holder_salt", "0" * 32),
        ("course_title", "Khác"),
        ("hours", 5.0),
        ("score", 0.4668),
        ("issuing_unit_name", "Sở khác"),
        ("signer_name", "Người khác"),
        ("signer_authority", "KT. GIÁM ĐỐC"),
        ("indicators", []),
    ],
)
def test_changing_any_signed_fact_breaks_the_signature(
    cert: Certificate, change: tuple[str, object]
) -> None:
    assert content.signature_valid(cert, keys.find_public_key(cert.kid))
    setattr(cert, *change)
    assert not content.signature_valid(cert, keys.find_public_key(cert.kid))


def test_a_version_1_certificate_still_verifies_by_the_old_rule(cert: Certificate) -> None:
    # As certificates were signed before version 2: the home-made form, name and user id in it.
    cert.content_version, cert.holder_salt, cert.subject_id = 1, None, None
    cert.score = 7 / 15  # stored unrounded back then; the v1 rule rounded when signing
    key = keys.active_key()
    old = {
        "v": 1,
        "serial": cert.serial,
        "holder": {"id": cert.user_id, "name": cert.holder_name},
        "course": {"slug": cert.course_slug, "title": cert.course_title, "hours": 4},
        "score": 0.4667,
        "issued_at": content.iso(cert.issued_at),
        "issuer": {"name": cert.issuing_unit_name},
        "signer": {"name": cert.signer_name, "title": cert.signer_title},
        "indicators": sorted(cert.indicators),
    }
    raw = json.dumps(old, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    cert.signature = crypto.sign(key.private_raw, raw.encode())
    db.session.flush()
    verdict = verification.verify_serial(cert.serial)
    assert verdict.status == "valid"
    proof = verdict.to_dict()["certificate"]["proof"]
    assert proof["version"] == 1
    assert proof["payload"] is None
    assert verdict.to_dict()["certificate"]["score"] == 0.4667
    cert.holder_name = "Người khác"
    assert verification.verify_serial(cert.serial).status == "invalid"


def test_api_shows_the_signed_score_and_proof(
    client: FlaskClient, auth_headers: object, world: World, cert: Certificate
) -> None:
    db.session.commit()
    body = client.get(
        f"/api/v1/certificates/{cert.serial}",
        headers=auth_headers(world.holder),  # type: ignore[operator]
    ).json
    assert body["score"] == 0.4667 == body["proof"]["payload"]["score"]
    assert body["holder"]["salt"] == cert.holder_salt
    public = client.get(f"/api/v1/certificates/{cert.serial}/verify").json["certificate"]
    assert public["score"] == 0.4667
    assert public["proof"]["payload"] == body["proof"]["payload"]
    assert HOLDER_NAME not in json.dumps(public, ensure_ascii=False)
    assert "salt" not in json.dumps(public)
    assert public["proof"]["signature"] == cert.signature


def test_the_readme_worked_example_checks_a_real_certificate(
    client: FlaskClient, world: World, cert: Certificate, tmp_path: Path
) -> None:
    db.session.commit()
    verify = client.get(f"/api/v1/certificates/{cert.serial}/verify")
    (tmp_path / "verify.json").write_bytes(verify.data)
    (tmp_path / "keys.json").write_bytes(client.get("/.well-known/lms-keys.json").data)
    run = subprocess.run(
        [sys.executable, "-c", _readme_example()],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == f"signature valid: {cert.serial}"
    # The same code refuses a changed payload.
    answer = json.loads(verify.data)
    answer["certificate"]["proof"]["payload"]["course"]["hours"] = 40
    (tmp_path / "verify.json").write_text(json.dumps(answer))
    run = subprocess.run(
        [sys.executable, "-c", _readme_example()], cwd=tmp_path, capture_output=True, text=True
    )
    assert run.returncode != 0
    assert "InvalidSignature" in run.stderr
