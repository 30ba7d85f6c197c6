"""multipart/mixed statement requests and responses (Communication 1.5.2, Data 2.4.11).

The first part holds the statements (application/json); every other part is the raw data
of one attachment, named by its ``X-Experience-API-Hash`` and matched to the attachment
objects only by that SHA-2 (1.5.2.s1.b4). Parsing is lenient about line ends (bare LF is
accepted as well as CRLF) but strict about structure: a part without the hash, a hash the
data does not have, or data no statement declares is a 400.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lms.errors import BadRequest
from lms.xapi.constants import SHA2_HEX_LENGTHS
from lms.xapi.statements import Blob, attachments_of

_BOUNDARY = re.compile(r'boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))', re.IGNORECASE)


@dataclass(slots=True)
class Part:
    headers: dict[str, str]  #: lower-cased names
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


def media_type(value: str | None) -> str:
    """``type/subtype`` of a Content-Type value, lower-cased, without parameters."""
    return (value or "").split(";", 1)[0].strip().lower()


def boundary_of(content_type: str) -> str:
    match = _BOUNDARY.search(content_type)
    if not match:
        raise BadRequest("A multipart/mixed request needs a boundary parameter in Content-Type.")
    return match.group(1) or match.group(2)


def parse_multipart(body: bytes, content_type: str) -> list[Part]:
    """Split a multipart/mixed body (RFC 2046) into its parts."""
    boundary = re.escape(boundary_of(content_type).encode("latin-1"))
    delimiter = re.compile(rb"(?:\r?\n|\A)--" + boundary + rb"(--)?[ \t]*(?:\r?\n|\Z)")
    matches = list(delimiter.finditer(body))
    if not matches:
        raise BadRequest("The multipart body does not contain its boundary.")
    parts: list[Part] = []
    closed = False
    for current, following in itertools.pairwise(matches):
        if current.group(1):
            closed = True
            break
        parts.append(_part(body[current.end() : following.start()]))
    if matches[-1].group(1):
        closed = True
    if not closed:
        raise BadRequest("The multipart body is not closed by its final boundary.")
    if not parts:
        raise BadRequest("The multipart body has no parts.")
    return parts


def _part(raw: bytes) -> Part:
    head, body = _split_head(raw)
    headers: dict[str, str] = {}
    for line in re.split(rb"\r?\n", head):
        if not line.strip():
            continue
        name, colon, value = line.partition(b":")
        if not colon or not name.strip():
            shown = line[:60].decode("latin-1")
            raise BadRequest(f"A multipart part has a malformed header line: {shown!r}.")
        headers[name.strip().decode("latin-1").lower()] = value.strip().decode("latin-1")
    return Part(headers=headers, body=body)


def _split_head(raw: bytes) -> tuple[bytes, bytes]:
    if raw.startswith(b"\r\n"):
        return b"", raw[2:]
    if raw.startswith(b"\n"):
        return b"", raw[1:]
    match = re.search(rb"\r?\n\r?\n", raw)
    if match is None:
        raise BadRequest("A multipart part has no blank line between its headers and its data.")
    return raw[: match.start()], raw[match.end() :]


def statement_part(parts: list[Part]) -> bytes:
    """The statements of a multipart request: the first part, application/json."""
    if media_type(parts[0].content_type) != "application/json":
        raise BadRequest(
            "The first part of a multipart/mixed statement request must have "
            "Content-Type: application/json and hold the statements."
        )
    return parts[0].body


def digest(data: bytes, declared: str) -> str:
    algorithm = SHA2_HEX_LENGTHS.get(len(declared))
    if algorithm is None:
        raise BadRequest(
            f"X-Experience-API-Hash {declared!r} is not a SHA-2 digest "
            "(SHA-224, SHA-256, SHA-384 or SHA-512 in hexadecimal)."
        )
    return hashlib.new(algorithm, data).hexdigest()


def match_attachments(statements: Iterable[dict[str, Any]], parts: list[Part]) -> dict[str, Blob]:
    """Pair attachment parts with the attachment objects that declare them.

    Every attachment without a fileUrl needs a part with its SHA-2 (1.5.2.s3.b5); every
    part must belong to some attachment; content types and lengths must agree (1.5.2.s2.b2.b7).
    """
    declared: dict[str, dict[str, Any]] = {}
    needed: set[str] = set()
    for stmt in statements:
        for attachment in attachments_of(stmt):
            sha2 = attachment["sha2"].lower()
            declared.setdefault(sha2, attachment)
            if "fileUrl" not in attachment:
                needed.add(sha2)
    blobs: dict[str, Blob] = {}
    for number, part in enumerate(parts, start=2):
        sha2 = part.headers.get("x-experience-api-hash", "").strip().lower()
        if not sha2:
            raise BadRequest(f"Part {number} of the multipart body has no X-Experience-API-Hash.")
        encoding = part.headers.get("content-transfer-encoding")
        if encoding is not None and encoding.strip().lower() != "binary":
            raise BadRequest(
                f"Part {number} has Content-Transfer-Encoding {encoding!r}; attachment data "
                "is sent as binary."
            )
        if digest(part.body, sha2) != sha2:
            raise BadRequest(f"The data of part {number} does not have the SHA-2 {sha2} it claims.")
        found = declared.get(sha2)
        if found is None:
            raise BadRequest(f"Part {number} ({sha2}) is not declared by any statement attachment.")
        attachment = found
        if part.content_type and media_type(part.content_type) != media_type(
            attachment.get("contentType")
        ):
            raise BadRequest(
                f"Part {number} has Content-Type {part.content_type!r} but its attachment "
                f"declares {attachment.get('contentType')!r}."
            )
        declared_length = part.headers.get("content-length")
        if declared_length is not None and declared_length.strip() != str(attachment.get("length")):
            raise BadRequest(
                f"Part {number} has Content-Length {declared_length} but its attachment "
                f"declares length {attachment.get('length')}."
            )
        blobs[sha2] = Blob(content_type=attachment["contentType"], data=part.body)
    missing = sorted(needed - blobs.keys())
    if missing:
        raise BadRequest(
            f"Attachment {missing[0]} has no fileUrl and no part with its data; send it as a "
            "multipart/mixed part with that X-Experience-API-Hash."
        )
    return blobs


def require_file_urls(statements: Iterable[dict[str, Any]]) -> None:
    """An application/json request may only carry attachments with a fileUrl (1.5.1.s1.b2)."""
    for stmt in statements:
        for attachment in attachments_of(stmt):
            if "fileUrl" not in attachment:
                raise BadRequest(
                    f"Attachment {attachment.get('sha2')} has no fileUrl: send its data in a "
                    "multipart/mixed request."
                )


def build_multipart(first: bytes, blobs: Iterable[Mapping[str, Any]]) -> tuple[bytes, str]:
    """A multipart/mixed body: JSON first, then each attachment's raw data (1.5.2.s3.b1)."""
    items = list(blobs)
    while True:
        boundary = secrets.token_hex(16)
        marker = boundary.encode()
        if marker not in first and all(marker not in b["content"] for b in items):
            break
    chunks = [b"--", marker, b"\r\nContent-Type: application/json\r\n\r\n", first, b"\r\n"]
    for blob in items:
        chunks += [
            b"--",
            marker,
            b"\r\nContent-Type: ",
            blob["content_type"].encode("latin-1"),
            b"\r\nContent-Transfer-Encoding: binary\r\nX-Experience-API-Hash: ",
            blob["sha2"].encode("ascii"),
            b"\r\n\r\n",
            blob["content"],
            b"\r\n",
        ]
    chunks += [b"--", marker, b"--\r\n"]
    return b"".join(chunks), boundary
