"""Fixed vocabulary of the LRS: versions, scopes, verbs, index kinds and limits."""

from __future__ import annotations

import enum
import re

#: The version a 1.0.x request is answered in (Communication 3.3.s3.b2: the latest patch).
XAPI_VERSION = "1.0.3"
#: The version a 2.0 request is answered in (xAPI 2.0, IEEE 9274.1.1-2023, Versioning).
XAPI_2_VERSION = "2.0.0"
#: The versions /xapi/about lists to 1.0.x clients (Communication 2.8.s5.b1) ...
ABOUT_1_VERSIONS = ("1.0.0", "1.0.1", "1.0.2", "1.0.3")
#: ... and to 2.0 clients and clients that send no version.
ABOUT_VERSIONS = (*ABOUT_1_VERSIONS, XAPI_2_VERSION)
#: Request versions accepted: 1.0, 1.0.x, 2.0 and 2.0.x (Communication 3.3.s3.b3-b6 and the
#: same rules in 2.0: "2.0" is read as "2.0.0", 2.1.0 and later are refused).
VERSION_RE = re.compile(r"^(?:1|2)\.0(\.\d+)?$")

SIGNATURE_USAGE = "http://adlnet.gov/expapi/attachments/signature"

#: Hex lengths of the SHA-2 digests an attachment may declare (224, 256, 384, 512 bits).
SHA2_HEX_LENGTHS = {56: "sha224", 64: "sha256", 96: "sha384", 128: "sha512"}

#: Statements per page: the default (``limit=0`` or absent) and the most one page holds.
MAX_PAGE_SIZE = 100
#: The values of a statement query's ``format`` (Communication 2.1.3).
STATEMENT_FORMATS = ("ids", "exact", "canonical")

#: Index values longer than this (in UTF-8 bytes) are stored as a SHA-256 digest, because
#: B-tree entries are capped (about 2.7 kB on PostgreSQL) and IRIs have no length limit.
MAX_KEY_BYTES = 512


class Scope(enum.StrEnum):
    """The OAuth scopes of Communication 4.2, applied to HTTP Basic clients."""

    statements_write = "statements/write"
    statements_read = "statements/read"
    statements_read_mine = "statements/read/mine"
    state = "state"
    profile = "profile"
    define = "define"
    all_read = "all/read"
    all = "all"


#: Communication 4.2.s5.b2: what a client gets when no scope is named.
DEFAULT_SCOPES = (Scope.statements_write, Scope.statements_read_mine)


class KeyKind(enum.IntEnum):
    """What an index row of ``xapi_statement_keys`` says about its statement.

    Each query filter reads exactly one kind, so every filter is one range of one index;
    the "related" kinds repeat the direct values so that no query needs an OR.
    """

    verb = 1
    registration = 2
    agent = 3  #: actor or object Agent/Group, or one of their members
    related_agent = 4  #: any agent anywhere (actor, object, authority, context, sub-statement)
    activity = 5  #: the object Activity
    related_activity = 6  #: object, context activities, and the same inside a sub-statement
    #: verb and object Activity together ("who completed course X"), one range instead of
    #: probing the verb's very long range for each statement about the activity
    verb_activity = 7


class DocumentKind(enum.StrEnum):
    state = "state"
    activity_profile = "activity_profile"
    agent_profile = "agent_profile"
