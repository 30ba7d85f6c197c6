"""The PDF signed as an official document: PAdES (ETSI EN 319 142) with pyHanko.

Each issuing unit signs with its own X.509 certificate and private key, given as a PKCS#12
file ``<unit code>.p12`` in ``LMS_PDF_SIGNING_DIR`` (password ``LMS_PDF_SIGNING_PASSWORD``):
in production the certificate its government CA issued it. The nearest unit up the tree that
has a file signs (a department's own, else its province's).

For the demo and the tests (``LMS_PDF_SIGNING_DEMO_CA``, on unless turned off), a small
certificate authority is created in that directory on first use, and it issues each unit a
signing certificate when it first signs. A validator that trusts ``demo-ca.pem`` (pyHanko,
Adobe Reader after importing it) reports the signature valid and the document unmodified.
Creation runs under a file lock, so parallel workers never make two authorities.

pyHanko writes the signature as an incremental update: the rendered bytes stay as they were
(their markers, their metadata), and what is appended is covered by the signature.
"""

from __future__ import annotations

import asyncio
import fcntl
import io
import logging
import os
import warnings
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from flask import current_app

# pyHanko imports cryptography's DSA types (for DSA signatures, which the LMS never makes), and
# cryptography warns that DSA is deprecated: a stack trace on every `flask` command otherwise.
warnings.filterwarnings(
    "ignore", "DSA is deprecated", CryptographyDeprecationWarning, module="pyhanko"
)

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: E402
from pyhanko.sign import fields, signers  # noqa: E402

from lms.org.models import Unit  # noqa: E402

logger = logging.getLogger(__name__)

T = TypeVar("T")

CA_CERT = "demo-ca.pem"
CA_KEY = "demo-ca.key"
DEMO_PASSWORD = "lms146-demo-pades"  # noqa: S105 - the demo CA's files, never a real key


@dataclass(frozen=True)
class Settings:
    directory: Path
    password: bytes
    demo_ca: bool


def settings() -> Settings:
    config = current_app.config
    directory = Path(
        config.get("PDF_SIGNING_DIR") or Path(current_app.instance_path) / "pdf-signing"
    )
    password = config.get("PDF_SIGNING_PASSWORD") or DEMO_PASSWORD
    return Settings(
        directory, str(password).encode(), bool(config.get("PDF_SIGNING_DEMO_CA", True))
    )


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write(path: Path, data: bytes) -> None:
    """Write whole or not at all: readers never see half a key."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _name(common: str, unit: str | None = None) -> x509.Name:
    parts = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if unit:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, unit[:64]))
    parts.append(x509.NameAttribute(NameOID.COMMON_NAME, common[:64]))
    return x509.Name(parts)


def _demo_ca(directory: Path) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """The demo authority, created once (call under :func:`_locked`)."""
    cert_path, key_path = directory / CA_CERT, directory / CA_KEY
    if cert_path.exists() and key_path.exists():
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise TypeError("the demo CA key is not RSA")
        return cert, key
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(UTC)
    name = _name("LMS 146 Demo CA (not a real authority)", "LMS 146 demo")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write(key_path, key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ))  # fmt: skip
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    logger.warning("Created the DEMO certificate authority %s (not for production)", cert_path)
    return cert, key


def _issue_demo_p12(directory: Path, unit: Unit | None, password: bytes) -> Path:
    """A signing certificate for ``unit`` from the demo authority, as ``<code>.p12``."""
    ca_cert, ca_key = _demo_ca(directory)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(UTC)
    common = unit.name if unit is not None else "LMS 146"
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common, "LMS 146 demo"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1825))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
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
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    data = pkcs12.serialize_key_and_certificates(
        name=common.encode("utf-8"),
        key=key,
        cert=cert,
        cas=[ca_cert],
        encryption_algorithm=serialization.BestAvailableEncryption(password),
    )
    path = directory / f"{unit.code if unit is not None else 'lms'}.p12"
    _write(path, data)
    logger.info("Demo CA issued a signing certificate to %s", common)
    return path


def _p12_for(unit: Unit | None, config: Settings) -> Path | None:
    """The nearest unit's own PKCS#12 up the tree; a demo one when none and allowed."""
    chain: list[Unit] = []
    node = unit
    while node is not None:
        chain.append(node)
        node = node.parent
    for candidate in chain:
        path = config.directory / f"{candidate.code}.p12"
        if path.exists():
            return path
    if unit is None and (config.directory / "lms.p12").exists():
        return config.directory / "lms.p12"
    if not config.demo_ca:
        return None
    # The province signs in the demo (as the Department of Science and Technology would).
    signer = chain[-1] if chain else None
    with _locked(config.directory):
        path = config.directory / f"{signer.code if signer is not None else 'lms'}.p12"
        if path.exists():
            return path
        return _issue_demo_p12(config.directory, signer, config.password)


def sign_pdf(pdf: bytes, unit: Unit | None, *, reason: str, location: str | None) -> bytes:
    """``pdf`` with a PAdES B-B signature of ``unit``; unchanged (and logged) when the unit
    has no certificate and no demo authority may make one."""
    config = settings()
    path = _p12_for(unit, config)
    if path is None:
        logger.warning("No PDF signing certificate for %s: PDF served unsigned",
                       unit.code if unit is not None else "lms")  # fmt: skip
        return pdf
    signer = signers.SimpleSigner.load_pkcs12(str(path), passphrase=config.password)
    if signer is None:
        raise RuntimeError(f"cannot read {path}: wrong LMS_PDF_SIGNING_PASSWORD?")
    meta = signers.PdfSignatureMetadata(
        field_name="Signature1",
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    out = _run(lambda: signers.async_sign_pdf(writer, meta, signer=signer))
    return out.getvalue()


def _run(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run pyHanko's coroutine to the end from synchronous code.

    Its synchronous wrappers call ``asyncio.run``, which fails in a thread where an event loop
    is already running (an async server, a browser test driver); there the coroutine gets a
    short-lived thread of its own.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def demo_ca_certificate() -> bytes | None:
    """The demo authority's certificate (PEM), for validators to trust; None if absent."""
    path = settings().directory / CA_CERT
    return path.read_bytes() if path.exists() else None


def ensure_demo_ca() -> Path | None:
    """Create the demo authority now (``make run`` seeds it) so its certificate can be
    imported into a PDF reader before the first download; None when it is turned off."""
    config = settings()
    if not config.demo_ca:
        return None
    with _locked(config.directory):
        _demo_ca(config.directory)
    return config.directory / CA_CERT
