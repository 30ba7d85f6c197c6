"""Attachment objects of a statement (Data 2.4.11)."""

from __future__ import annotations

import re
from typing import Any

from lms.xapi.validation.errors import XapiValidationError
from lms.xapi.validation.fields import (
    check_iri,
    check_irl,
    check_object,
    fail_type,
    require,
)
from lms.xapi.validation.languages import check_language_map

ATTACHMENT_KEYS = frozenset(
    ("usageType", "display", "description", "contentType", "length", "sha2", "fileUrl")
)
# RFC 2045/6838 media type with optional parameters, e.g. "text/plain; charset=ascii".
_TOKEN = r"[A-Za-z0-9!#$%&'*+.^_`|~-]+"  # noqa: S105 - an RFC 7230 token pattern, not a secret
_MEDIA_TYPE = re.compile(
    rf"{_TOKEN}/{_TOKEN}(?:[ \t]*;[ \t]*{_TOKEN}=(?:{_TOKEN}|\"(?:[^\"\\]|\\.)*\"))*[ \t]*\Z"
)
# Hex digest of one of the SHA-2 family: SHA-224, SHA-256, SHA-384, SHA-512.
_SHA2 = re.compile(r"(?:[0-9a-fA-F]{56}|[0-9a-fA-F]{64}|[0-9a-fA-F]{96}|[0-9a-fA-F]{128})\Z")


def check_attachments(value: Any, path: str) -> None:
    """An array of Attachment objects (XAPI-00025, XAPI-00102-107)."""
    if type(value) is not list:
        fail_type(path, "an array of Attachment objects", value)
    for index, attachment in enumerate(value):
        check_attachment(attachment, f"{path}[{index}]")


def check_attachment(value: Any, path: str) -> None:
    attachment = check_object(value, path, "an Attachment object", ATTACHMENT_KEYS, "an Attachment")
    check_iri(require(attachment, "usageType", path), f"{path}.usageType")
    check_language_map(require(attachment, "display", path), f"{path}.display")
    if "description" in attachment:
        check_language_map(attachment["description"], f"{path}.description")
    content_type = require(attachment, "contentType", path)
    if type(content_type) is not str:
        fail_type(f"{path}.contentType", "an Internet media type string", content_type)
    if _MEDIA_TYPE.match(content_type) is None:
        raise XapiValidationError(
            f"{path}.contentType", f"{content_type!r} is not an Internet media type"
        )
    length = require(attachment, "length", path)
    if type(length) is not int:
        fail_type(f"{path}.length", "an integer number of octets", length)
    if length < 0:
        raise XapiValidationError(f"{path}.length", "must not be negative")
    sha2 = require(attachment, "sha2", path)
    if type(sha2) is not str:
        fail_type(f"{path}.sha2", "a hex-encoded SHA-2 digest string", sha2)
    if _SHA2.match(sha2) is None:
        raise XapiValidationError(
            f"{path}.sha2",
            "is not a hex-encoded SHA-2 digest (56, 64, 96 or 128 hexadecimal digits)",
        )
    if "fileUrl" in attachment:
        check_irl(attachment["fileUrl"], f"{path}.fileUrl")
