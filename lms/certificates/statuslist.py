"""Revocation published the W3C way: one Bitstring Status List (v1.0) per issuer.

Each certificate gets an index in its issuer's list when it is issued; its Open Badges
credential names it in ``credentialStatus`` (a ``BitstringStatusListEntry``), and the list
credential at ``/credentials/status/<id>`` has that bit set once the certificate is revoked.
A wallet or an employer's verifier reads the list without asking about one certificate, so
nobody learns which certificate is being checked.

The list is drawn from the certificates when asked (a bit is set exactly when the certificate
holding it is revoked), so it can never disagree with the records; it is deterministic for a
given state, so caches and ETags work.
"""

from __future__ import annotations

import base64
import gzip
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from lms.certificates.models import Certificate, CertificateStatus, StatusList
from lms.db import utcnow
from lms.extensions import db
from lms.org.models import Unit

#: The smallest list the specification allows (16 KiB uncompressed), for herd privacy.
MIN_BITS = 131_072
PURPOSE = "revocation"


def issuer_key(unit: Unit | None) -> str:
    return f"unit-{unit.id}" if unit is not None else "lms"


def allocate(unit: Unit | None) -> tuple[int, int]:
    """The issuer's list (created on first use) and a fresh index in it: ``(list id, index)``.

    One ``INSERT ... ON CONFLICT DO UPDATE SET last_index = last_index + 1 RETURNING``: the row
    is locked until the transaction ends (PostgreSQL) or taken under SQLite's write lock, so
    concurrent issuers never share an index; a rolled-back issue takes its index back with it.
    """
    return allocate_many(unit, 1)


def allocate_many(unit: Unit | None, count: int) -> tuple[int, int]:
    """``count`` consecutive fresh indexes in the issuer's list in one upsert (as
    :func:`allocate`): ``(list id, first index)``."""
    table = StatusList.__table__
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(table)
        .values(issuer=issuer_key(unit), last_index=count - 1, created_at=utcnow())
        .on_conflict_do_update(
            index_elements=[table.c.issuer], set_={"last_index": table.c.last_index + count}
        )
        .returning(table.c.id, table.c.last_index)
    )
    row = db.session.execute(stmt).one()
    return int(row.id), int(row.last_index) - count + 1


def list_url(base_url: str, list_id: int) -> str:
    return f"{base_url.rstrip('/')}/credentials/status/{list_id}"


def entry(cert: Certificate, base_url: str) -> dict[str, Any] | None:
    """The credential's ``credentialStatus`` (None for a certificate without an index)."""
    if cert.status_list_id is None or cert.status_index is None:
        return None
    url = list_url(base_url, cert.status_list_id)
    return {
        "id": f"{url}#{cert.status_index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": PURPOSE,
        "statusListIndex": str(cert.status_index),
        "statusListCredential": url,
    }


def get_list(list_id: int) -> StatusList | None:
    return db.session.get(StatusList, list_id)


def unit_of(status_list: StatusList) -> Unit | None:
    if not status_list.issuer.startswith("unit-"):
        return None
    return db.session.get(Unit, int(status_list.issuer.removeprefix("unit-")))


def revoked_indexes(list_id: int) -> list[int]:
    return list(
        db.session.scalars(
            select(Certificate.status_index).where(
                Certificate.status_list_id == list_id,
                Certificate.status == CertificateStatus.revoked,
                Certificate.status_index.is_not(None),
            )
        )
    )


def last_change(status_list: StatusList) -> datetime:
    """When the list last changed: its newest revocation, or its creation."""
    newest = db.session.scalar(
        select(func.max(Certificate.revoked_at)).where(Certificate.status_list_id == status_list.id)
    )
    return newest or status_list.created_at


def encode(indexes: list[int], size: int) -> str:
    """The ``encodedList``: bits left to right from index 0, GZIP, base64url, multibase ``u``."""
    bits = bytearray(size // 8)
    for index in indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    packed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode("ascii")


def decode(encoded: str) -> bytes:
    """The raw bitstring of an ``encodedList`` (what a verifier does)."""
    if not encoded.startswith("u"):
        raise ValueError("not multibase base64url")
    body = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def is_set(bitstring: bytes, index: int) -> bool:
    return bool(bitstring[index // 8] & (0x80 >> (index % 8)))


def size_for(status_list: StatusList) -> int:
    """At least :data:`MIN_BITS`, grown in whole blocks as indexes are handed out."""
    blocks = status_list.last_index // MIN_BITS + 1
    return blocks * MIN_BITS


def credential(
    status_list: StatusList, base_url: str, *, issuer: str, valid_from: str
) -> dict[str, Any]:
    """The ``BitstringStatusListCredential`` (unsigned; secured as a VC-JWT when served)."""
    url = list_url(base_url, status_list.id)
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": valid_from,
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": PURPOSE,
            "encodedList": encode(revoked_indexes(status_list.id), size_for(status_list)),
        },
    }
