"""The certificate PDF carries a PAdES signature pyHanko validates against the demo CA, and a
unit's own certificate (its government CA's, configured by path and password) when it has one."""

from __future__ import annotations

import io
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from flask import Flask
from flask.testing import FlaskClient
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator import ValidationContext

from lms.certificates import pades, pdfs, services
from lms.certificates.models import Certificate
from lms.extensions import db
from tests.certificates.conftest import World

Headers = Callable[[object], dict[str, str]]


@pytest.fixture
def cert(world: World) -> Certificate:
    return services.issue_certificate(world.enrollment, by=world.trainer)[0]


def _trust(pem_bytes: bytes) -> ValidationContext:
    _type, _headers, der = pem.unarmor(pem_bytes)
    return ValidationContext(trust_roots=[asn1_x509.Certificate.load(der)])


def _validate(pdf: bytes, context: ValidationContext) -> PdfSignatureStatus:
    (signature,) = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES
    # pyHanko's synchronous API starts an event loop: not in a thread that runs one already
    # (the browser tests' driver), so in a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(validate_pdf_signature, signature, context).result()


def test_the_served_pdf_validates_against_the_demo_ca(
    client: FlaskClient, auth_headers: Headers, world: World, cert: Certificate
) -> None:
    db.session.commit()
    pdf = client.get(
        f"/api/v1/certificates/{cert.serial}.pdf", headers=auth_headers(world.holder)
    ).data
    ca = pades.demo_ca_certificate()
    assert ca is not None
    status = _validate(pdf, _trust(ca))
    assert status.intact
    assert status.valid
    assert status.trusted
    assert status.bottom_line
    assert status.coverage.name == "ENTIRE_FILE"  # nothing added after the signature
    assert status.signing_cert.subject.native["common_name"] == "Thành phố Hải Phòng"
    # The upload check still recognises the signed file as the one served.
    assert (
        client.post("/api/v1/certificates/verify", data={"file": (io.BytesIO(pdf), "c.pdf")}).json[
            "status"
        ]
        == "valid"
    )


def test_a_changed_byte_or_another_authority_fails(world: World, cert: Certificate) -> None:
    pdf = pdfs.certificate_pdf(cert)
    ca = pades.demo_ca_certificate()
    assert ca is not None
    at = pdf.index(b"Gi\xe1\xba\xa5y") if b"Gi\xe1\xba\xa5y" in pdf else pdf.index(b"/Title")
    altered = bytearray(pdf)
    altered[at + 2] ^= 0x01
    assert not _validate(bytes(altered), _trust(ca)).intact
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other = _self_signed(other_key, "Another CA")
    stranger = _validate(pdf, _trust(other.public_bytes(serialization.Encoding.PEM)))
    assert stranger.intact
    assert not stranger.trusted


def _self_signed(key: rsa.RSAPrivateKey, name: str) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )


def test_a_units_own_certificate_signs_when_configured(
    app: Flask, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, world: World, cert: Certificate
) -> None:
    """Production: the Department's certificate from its (here simulated) government CA."""
    monkeypatch.setitem(app.config, "PDF_SIGNING_DIR", str(tmp_path))
    monkeypatch.setitem(app.config, "PDF_SIGNING_PASSWORD", "mật khẩu của Sở")
    monkeypatch.setitem(app.config, "PDF_SIGNING_DEMO_CA", False)
    assert pdfs.certificate_pdf(cert) == pdfs.certificate_pdf(cert)  # unsigned, and logged
    assert b"/ETSI.CAdES.detached" not in pdfs.certificate_pdf(cert)
    db.session.query(pdfs.CertificatePdf).delete()

    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = _self_signed(ca_key, "Government CA (test)")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(UTC)
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Sở KH&CN Hải Phòng")]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    (tmp_path / "HP-SKHCN.p12").write_bytes(
        pkcs12.serialize_key_and_certificates(
            name=b"HP-SKHCN", key=key, cert=leaf, cas=[ca],
            encryption_algorithm=serialization.BestAvailableEncryption(
                "mật khẩu của Sở".encode()
            ),
        )
    )  # fmt: skip
    status = _validate(
        pdfs.certificate_pdf(cert), _trust(ca.public_bytes(serialization.Encoding.PEM))
    )
    assert status.bottom_line
    assert status.signing_cert.subject.native["common_name"] == "Sở KH&CN Hải Phòng"
    assert not (tmp_path / pades.CA_CERT).exists()  # no demo authority in production


def test_status_summary_is_what_adobe_would_call_valid(world: World, cert: Certificate) -> None:
    ca = pades.demo_ca_certificate()
    pdf = pdfs.certificate_pdf(cert)
    assert ca is not None
    status = _validate(pdf, _trust(ca))
    assert status.md_algorithm == "sha256"
    assert "INTACT:TRUSTED" in status.summary()
