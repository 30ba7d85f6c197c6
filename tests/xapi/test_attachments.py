"""Attachments (Communication 1.5, Data 2.4.11) and signed statements (Data 2.6)."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from tests.xapi.conftest import Lrs, new_id, statement

DATA = Path(__file__).parent / "data"
TEXT = b"here is a simple attachment"
TEXT_SHA = hashlib.sha256(TEXT).hexdigest()
SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"


def attachment(data: bytes = TEXT, content_type: str = "text/plain", **extra: object) -> dict:
    return {
        "usageType": "http://example.com/attachment-usage/test",
        "display": {"en-US": "A test attachment"},
        "contentType": content_type,
        "length": len(data),
        "sha2": hashlib.sha256(data).hexdigest(),
        **extra,
    }


def multipart(
    first: object,
    *parts: tuple[dict[str, str], bytes],
    newline: bytes = b"\r\n",
    boundary: str = "abcABC0123'()+_,-./:=?",
) -> tuple[bytes, str]:
    b = boundary.encode()
    chunks = [
        b"--" + b + newline + b"Content-Type: application/json" + newline + newline,
        orjson.dumps(first),
        newline,
    ]
    for headers, data in parts:
        chunks.append(b"--" + b + newline)
        for name, value in headers.items():
            chunks.append(f"{name}: {value}".encode() + newline)
        chunks += [newline, data, newline]
    chunks.append(b"--" + b + b"--" + newline)
    return b"".join(chunks), f'multipart/mixed; boundary="{boundary}"'


def part(data: bytes = TEXT, content_type: str = "text/plain", sha: str | None = None) -> tuple:
    return (
        {
            "Content-Type": content_type,
            "Content-Transfer-Encoding": "binary",
            "X-Experience-API-Hash": sha or hashlib.sha256(data).hexdigest(),
        },
        data,
    )


def post_multipart(lrs: Lrs, body: bytes, content_type: str, **params: str):  # type: ignore[no-untyped-def]
    method = lrs.client.put if params else lrs.client.post
    return method(
        "/xapi/statements",
        data=body,
        content_type=content_type,
        headers=lrs.h(),
        query_string=params,
    )


def test_multipart_statement_with_attachment_round_trips(lrs: Lrs) -> None:
    """Communication 1.5.2 (the spec's example, charset parameter included) and 2.1.3.s2.b6."""
    stmt = statement(attachments=[attachment(content_type="text/plain; charset=ascii")])
    body, content_type = multipart(stmt, part())
    response = post_multipart(lrs, body, content_type)
    assert response.status_code == 200, response.json
    (statement_id,) = response.json
    got = lrs.get(params={"statementId": statement_id, "attachments": "true"})
    assert got.headers["Content-Type"].startswith("multipart/mixed; boundary=")
    assert b"X-Experience-API-Hash: " + TEXT_SHA.encode() in got.data
    assert TEXT in got.data
    plain = lrs.get(params={"statementId": statement_id, "attachments": "false"})
    assert plain.headers["Content-Type"] == "application/json"
    assert TEXT not in plain.data


def test_attachments_true_on_a_query_sends_every_attachment_once(lrs: Lrs) -> None:
    """Communication 2.1.3 ``attachments``: multipart response with the statements first."""
    verb = {"id": f"https://example.com/verbs/{new_id()}"}
    other = b"here is another simple attachment"
    stmts = [
        statement(verb=verb, attachments=[attachment()]),
        statement(verb=verb, attachments=[attachment(), attachment(other)]),
    ]
    body, content_type = multipart(stmts, part(), part(other))
    assert post_multipart(lrs, body, content_type).status_code == 200
    got = lrs.get(params={"verb": verb["id"], "attachments": "true"})
    assert got.data.count(b"X-Experience-API-Hash:") == 2
    boundary = got.headers["Content-Type"].split("boundary=")[1].strip('"')
    first = got.data.split(b"--" + boundary.encode())[1]
    assert b"Content-Type: application/json" in first
    assert len(orjson.loads(first.split(b"\r\n\r\n", 1)[1])["statements"]) == 2


def test_multipart_with_lf_line_ends_is_accepted(lrs: Lrs) -> None:
    """Robustness: bare LF delimiters (as some clients and the conformance suite send)."""
    body, content_type = multipart(statement(attachments=[attachment()]), part(), newline=b"\n")
    assert post_multipart(lrs, body, content_type).status_code == 200


def test_put_multipart(lrs: Lrs) -> None:
    """Communication 1.5.2.s2.b2.b2: attachments also with PUT."""
    statement_id = new_id()
    body, content_type = multipart(statement(attachments=[attachment()]), part())
    response = post_multipart(lrs, body, content_type, statementId=statement_id)
    assert response.status_code == 204


@pytest.mark.parametrize(
    ("stmt", "parts", "reason"),
    [
        (statement(attachments=[attachment()]), [], "no part with its data"),
        (statement(attachments=[attachment()]), [part(b"other data", sha=TEXT_SHA)], "SHA-2"),
        (statement(), [part()], "not declared"),
        (statement(attachments=[attachment()]), [part(content_type="image/png")], "Content-Type"),
        (
            statement(attachments=[attachment()]),
            [({"Content-Type": "text/plain"}, TEXT)],
            "X-Experience-API-Hash",
        ),
        (
            statement(attachments=[attachment()]),
            [
                (
                    {
                        "Content-Type": "text/plain",
                        "Content-Transfer-Encoding": "base64",
                        "X-Experience-API-Hash": TEXT_SHA,
                    },
                    TEXT,
                )
            ],
            "binary",
        ),
    ],
)
def test_multipart_mismatches_are_400(lrs: Lrs, stmt: dict, parts: list, reason: str) -> None:
    """Communication 1.5.2.s3.b5 and 1.5.2.s2.b2.b3-b7: every part matched by its SHA-2."""
    body, content_type = multipart(stmt, *parts)
    response = post_multipart(lrs, body, content_type)
    assert response.status_code == 400
    assert reason in response.json["message"]


def test_multipart_structure_errors_are_400(lrs: Lrs) -> None:
    """Data 2.4.11 tests: boundary required, first part application/json, closed body."""
    body, _ = multipart(statement(attachments=[attachment()]), part())
    assert post_multipart(lrs, body, "multipart/mixed").status_code == 400
    wrong_first = body.replace(b"application/json", b"text/plain", 1)
    content_type = 'multipart/mixed; boundary="abcABC0123\'()+_,-./:=?"'
    assert post_multipart(lrs, wrong_first, content_type).status_code == 400
    assert post_multipart(lrs, body[:-10], content_type).status_code == 400


def test_json_request_with_file_url_attachments(lrs: Lrs) -> None:
    """Communication 1.5.1.s1.b2 (fileUrl: JSON is enough) and 1.5.2.s2.b1 (else not)."""
    with_url = attachment(fileUrl="https://files.example.vn/a.txt")
    assert lrs.post(statement(attachments=[with_url])).status_code == 200
    assert lrs.post(statement(attachments=[attachment()])).status_code == 400


def test_multipart_without_attachments_is_accepted(lrs: Lrs) -> None:
    """Communication 1.5.2.s3.b8: multipart/mixed with no attachment objects."""
    body, content_type = multipart(statement())
    assert post_multipart(lrs, body, content_type).status_code == 200


# --- signed statements ---------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def signer() -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "LMS 146 test signer")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return key, certificate


def sign(stmt: dict, signer: tuple, alg: str = "RS256", with_cert: bool = True) -> bytes:
    key, certificate = signer
    header: dict[str, object] = {"alg": alg}
    if with_cert:
        der = certificate.public_bytes(serialization.Encoding.DER)
        header["x5c"] = [base64.b64encode(der).decode()]
    signing_input = f"{_b64(orjson.dumps(header))}.{_b64(orjson.dumps(stmt))}"
    digest = {"RS256": hashes.SHA256(), "RS384": hashes.SHA384(), "RS512": hashes.SHA512()}
    signature = key.sign(
        signing_input.encode(), padding.PKCS1v15(), digest.get(alg, hashes.SHA256())
    )
    return f"{signing_input}.{_b64(signature)}".encode()


def signed(stmt: dict, jws: bytes) -> dict:
    sig = attachment(jws, content_type="application/octet-stream", usageType=SIGNATURE)
    return dict(stmt, attachments=[*stmt.get("attachments", []), sig])


def test_spec_example_signed_statement_is_accepted(lrs: Lrs) -> None:
    """Data Appendix D: the spec's own signed statement (RS256, x5c) verifies."""
    jws = (DATA / "appendix_d.jws").read_bytes().strip()
    stmt = orjson.loads((DATA / "appendix_d_statement.json").read_bytes())
    body, content_type = multipart(stmt, part(jws, "application/octet-stream"))
    response = post_multipart(lrs, body, content_type)
    assert response.status_code == 200, response.json
    assert response.json == [stmt["id"]]


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512"])
def test_signed_statement_is_accepted(lrs: Lrs, signer: tuple, alg: str) -> None:
    """Data 2.6.s4.b4 / s5.b3: RS256/384/512, payload equal to the statement sent."""
    stmt = statement(id=new_id(), timestamp="2025-05-05T05:05:05.000Z")
    jws = sign(stmt, signer, alg)
    body, content_type = multipart(signed(stmt, jws), part(jws, "application/octet-stream"))
    assert post_multipart(lrs, body, content_type).status_code == 200


def test_signed_statement_without_certificate_is_checked_for_its_payload(
    lrs: Lrs, signer: tuple
) -> None:
    """Data 2.6.s5.b3: without x5c the signature cannot be checked, the payload still is."""
    stmt = statement(id=new_id())
    jws = sign(stmt, signer, with_cert=False)
    body, content_type = multipart(signed(stmt, jws), part(jws, "application/octet-stream"))
    assert post_multipart(lrs, body, content_type).status_code == 200
    changed = dict(stmt, result={"success": True})
    body, content_type = multipart(signed(changed, jws), part(jws, "application/octet-stream"))
    assert post_multipart(lrs, body, content_type).status_code == 400


def test_signature_errors_are_400(lrs: Lrs, signer: tuple) -> None:
    """Data 2.6.s5.b1: malformed signatures are rejected with 400 Bad Request."""
    stmt = statement(id=new_id())
    good = sign(stmt, signer)
    cases = {
        "differs": (signed(dict(stmt, verb={"id": "https://example.com/verbs/other"}), good), good),
        "does not verify": (signed(stmt, good[:-6] + b"AAAAAA"), good[:-6] + b"AAAAAA"),
        "RS256, RS384 or RS512": (
            signed(stmt, sign(stmt, signer, "HS256")),
            sign(stmt, signer, "HS256"),
        ),
        "compact": (signed(stmt, b"not-a-jws"), b"not-a-jws"),
    }
    for reason, (sent, jws) in cases.items():
        body, content_type = multipart(sent, part(jws, "application/octet-stream"))
        response = post_multipart(lrs, body, content_type)
        assert response.status_code == 400, reason
        assert reason in response.json["message"], (reason, response.json["message"])


def test_signature_attachment_must_be_octet_stream(lrs: Lrs, signer: tuple) -> None:
    """Data 2.6.s4.b1: usageType signature, contentType application/octet-stream."""
    stmt = statement(id=new_id())
    jws = sign(stmt, signer)
    sent = dict(stmt, attachments=[attachment(jws, content_type="text/plain", usageType=SIGNATURE)])
    body, content_type = multipart(sent, part(jws, "text/plain"))
    assert post_multipart(lrs, body, content_type).status_code == 400


def sign_json(stmt: dict, signer: tuple, *, general: bool) -> bytes:
    """The same signature in JWS JSON serialisation (RFC 7515 7.2), flattened or general."""
    compact = sign(stmt, signer).decode()
    protected, payload, signature = compact.split(".")
    entry = {"protected": protected, "signature": signature}
    if general:
        return orjson.dumps({"payload": payload, "signatures": [entry]})
    return orjson.dumps({"payload": payload, **entry})


def post_signed(lrs: Lrs, stmt: dict, jws: bytes, version: str):  # type: ignore[no-untyped-def]
    body, content_type = multipart(signed(stmt, jws), part(jws, "application/octet-stream"))
    return lrs.client.post(
        "/xapi/statements",
        data=body,
        content_type=content_type,
        headers=lrs.h(X_Experience_API_Version=version),
    )


@pytest.mark.parametrize("general", [False, True], ids=["flattened", "general"])
def test_json_serialised_signature_is_checked_in_1_0(
    lrs: Lrs, signer: tuple, general: bool
) -> None:
    """Data 2.6.s4.b2 (1.0.3): compact serialisation SHOULD* be used, so a JSON-serialised JWS
    is still a signature: it is verified (x5c) and its payload compared like a compact one."""
    stmt = statement(id=new_id())
    jws = sign_json(stmt, signer, general=general)
    assert post_signed(lrs, stmt, jws, "1.0.3").status_code == 200
    changed = dict(stmt, id=new_id(), result={"success": True})
    response = post_signed(lrs, changed, jws, "1.0.3")
    assert response.status_code == 400
    assert "differs" in response.json["message"]
    tampered = orjson.loads(jws)
    if general:
        tampered["signatures"][0]["signature"] = (
            tampered["signatures"][0]["signature"][:-6] + "AAAAAA"
        )
    else:
        tampered["signature"] = tampered["signature"][:-6] + "AAAAAA"
    bad = orjson.dumps(tampered)
    response = post_signed(lrs, dict(stmt, id=new_id()), bad, "1.0.3")
    assert response.status_code == 400


def test_2_0_signatures_must_be_compact(lrs: Lrs, signer: tuple) -> None:
    """2.0 Data 2.6 (2.6.s4.b2 SHOULD* -> SHALL): the JWS is in compact serialisation; a
    JSON-serialised one is refused with 400, a compact one is accepted as in 1.0.3."""
    stmt = statement(id=new_id())
    response = post_signed(lrs, stmt, sign_json(stmt, signer, general=False), "2.0.0")
    assert response.status_code == 400
    assert "compact serialisation" in response.json["message"]
    assert post_signed(lrs, stmt, sign(stmt, signer), "2.0.0").status_code == 200
