"""Statements, SubStatements, Verbs and the statement Object (Data 2.2, 2.4, 2.3.2 voiding)."""

from __future__ import annotations

import re
from typing import Any

from lms.xapi.validation.activities import check_activity
from lms.xapi.validation.agents import check_actor, check_agent, check_authority, check_group
from lms.xapi.validation.attachments import check_attachments
from lms.xapi.validation.context import check_context, check_statement_ref
from lms.xapi.validation.errors import XapiValidationError
from lms.xapi.validation.fields import (
    ValidCache,
    check_iri,
    check_keys,
    check_object,
    check_timestamp,
    check_uuid,
    fail_type,
    part_key,
    require,
)
from lms.xapi.validation.languages import check_language_map
from lms.xapi.validation.results import check_result

VOIDED = "http://adlnet.gov/expapi/verbs/voided"
STATEMENT_KEYS = frozenset(
    (
        "id",
        "actor",
        "verb",
        "object",
        "result",
        "context",
        "timestamp",
        "stored",
        "authority",
        "version",
        "attachments",
    )
)
SUBSTATEMENT_KEYS = frozenset(
    ("objectType", "actor", "verb", "object", "result", "context", "timestamp", "attachments")
)
#: Statement properties a SubStatement must not have (Data 2.4.4.3.s8.b3, XAPI-00067-70).
SUBSTATEMENT_FORBIDDEN = ("id", "stored", "version", "authority")
VERB_KEYS = frozenset(("id", "display"))
OBJECT_TYPES = ("Activity", "Agent", "Group", "StatementRef", "SubStatement")
# Statement "version" (Data 2.4.10, XAPI-00101): 1.0 or 1.0.x; xAPI 2.0 adds 2.0.x.
_VERSION_1 = re.compile(r"1\.0(?:\.\d+)?\Z")
_VERSION_2 = re.compile(r"[12]\.0(?:\.\d+)?\Z")


def is_v2(version: str) -> bool:
    """Whether the X-Experience-API-Version header selects the xAPI 2.0 data model."""
    return version.startswith("2.")


def validate_statement(stmt: Any, *, version: str = "1.0.3", path: str = "") -> None:
    """Validate one statement as received from a client; raise on the first problem.

    ``version`` is the request's X-Experience-API-Version header: with ``2.0.0`` the 2.0
    additions (context.contextAgents/contextGroups, statement version 2.0.x, RFC 3339 space
    separator in timestamps) are accepted; with 1.0.x they are unknown properties.
    """
    check_statement(stmt, path, v2=is_v2(version))


def validate_statements(
    payload: Any, *, version: str = "1.0.3", parsed: bool = False
) -> list[dict[str, Any]]:
    """Validate a POST body: one statement or a non-empty array of them; return the list.

    Errors inside an array are prefixed with the index (``[3].verb.id``). Two statements of one
    batch with the same id reject the batch (Communication 2.1.2.s2.b6). ``parsed``: the
    payload is what a JSON body parsed to (plain dicts, lists, strings, numbers), so parts
    already found valid in earlier statements are known by their JSON text and not checked
    again (see :func:`lms.xapi.validation.fields.part_key`).
    """
    v2 = is_v2(version)
    if type(payload) is dict:
        check_statement(payload, "", v2=v2, parsed=parsed)
        return [payload]
    if type(payload) is not list:
        fail_type("statements", "a statement object or an array of statements", payload)
    if not payload:
        raise XapiValidationError("statements", "must contain at least one statement")
    seen: dict[str, int] = {}
    for index, stmt in enumerate(payload):
        path = f"[{index}]"
        check_statement(stmt, path, v2=v2, parsed=parsed)
        statement_id = stmt.get("id")
        if statement_id is not None:
            key = statement_id.lower()
            if key in seen:
                raise XapiValidationError(
                    f"{path}.id", f"is the same id as statement [{seen[key]}] of this batch"
                )
            seen[key] = index
    return payload


#: Parts of statements parsed from JSON already found valid, by their JSON text.
_ACTORS: ValidCache[bytes] = ValidCache()
_VERBS: ValidCache[bytes] = ValidCache()
_ACTIVITIES: ValidCache[bytes] = ValidCache()


def check_statement(stmt: Any, path: str, *, v2: bool, parsed: bool = False) -> None:
    if type(stmt) is not dict:
        fail_type(path or "statement", "a statement object", stmt)
    check_keys(stmt, STATEMENT_KEYS, path, "a Statement")
    if "id" in stmt:
        check_uuid(stmt["id"], f"{path}.id")
    actor = require(stmt, "actor", path)
    key = part_key(actor) if parsed else None
    if key is None or key not in _ACTORS.items:
        check_actor(actor, f"{path}.actor")
        if key is not None:
            _ACTORS.add(key)
    verb = require(stmt, "verb", path)
    key = part_key(verb) if parsed else None
    if key is not None and key in _VERBS.items:
        verb_id = verb["id"]
    else:
        verb_id = check_verb(verb, f"{path}.verb")
        if key is not None:
            _VERBS.add(key)
    object_path = f"{path}.object"
    obj = require(stmt, "object", path)
    # Only an Activity: the other objects are rare, or (a StatementRef) never the same twice.
    activity = parsed and type(obj) is dict and obj.get("objectType", "Activity") == "Activity"
    key = part_key(obj) if activity else None
    if key is not None and key in _ACTIVITIES.items:
        object_type = "Activity"
    else:
        object_type = check_statement_object(obj, object_path, v2=v2, in_substatement=False)
        if key is not None:
            _ACTIVITIES.add(key)
    if verb_id == VOIDED and object_type != "StatementRef":
        # Data 2.3.2.s2.b1, XAPI-00017.
        raise XapiValidationError(
            f"{object_path}.objectType",
            f'must be "StatementRef" in a voiding statement (verb {VOIDED})',
        )
    _check_common(stmt, path, object_type, v2, parsed)
    if "stored" in stmt:
        check_timestamp(stmt["stored"], f"{path}.stored", v2=v2)
    if "authority" in stmt:
        check_authority(stmt["authority"], f"{path}.authority")
    if "version" in stmt:
        _check_version(stmt["version"], f"{path}.version", v2)


def _check_common(
    stmt: dict[str, Any], path: str, object_type: str, v2: bool, parsed: bool = False
) -> None:
    """Properties shared by Statements and SubStatements."""
    if "result" in stmt:
        check_result(stmt["result"], f"{path}.result")
    if "context" in stmt:
        check_context(
            stmt["context"],
            f"{path}.context",
            object_is_activity=object_type == "Activity",
            v2=v2,
            parsed=parsed,
        )
    if "timestamp" in stmt:
        check_timestamp(stmt["timestamp"], f"{path}.timestamp", v2=v2)
    if "attachments" in stmt:
        check_attachments(stmt["attachments"], f"{path}.attachments")


def check_verb(value: Any, path: str) -> str:
    """Verb: ``id`` IRI required, ``display`` language map (Data 2.4.3, XAPI-00044/45)."""
    verb = check_object(value, path, "a Verb object", VERB_KEYS, "a Verb")
    verb_id = check_iri(require(verb, "id", path), f"{path}.id")
    if "display" in verb:
        check_language_map(verb["display"], f"{path}.display")
    return verb_id


def check_statement_object(value: Any, path: str, *, v2: bool, in_substatement: bool) -> str:
    """Dispatch on ``objectType`` (absent means Activity; XAPI-00046) and return it."""
    if type(value) is not dict:
        fail_type(path, "an Activity, Agent, Group, StatementRef or SubStatement object", value)
    object_type = value.get("objectType", "Activity")
    if object_type == "Activity":
        check_activity(value, path)
    elif object_type == "Agent":
        check_agent(value, path)
    elif object_type == "Group":
        check_group(value, path)
    elif object_type == "StatementRef":
        check_statement_ref(value, path)
    elif object_type == "SubStatement":
        if in_substatement:
            raise XapiValidationError(
                f"{path}.objectType", "a SubStatement must not contain another SubStatement"
            )
        _check_substatement(value, path, v2)
    elif type(object_type) is not str:
        fail_type(f"{path}.objectType", "an object type string", object_type)
    else:
        raise XapiValidationError(
            f"{path}.objectType",
            f"{object_type!r} is not an object type; use one of: " + ", ".join(OBJECT_TYPES),
        )
    return object_type


def _check_substatement(sub: dict[str, Any], path: str, v2: bool) -> None:
    """Validated as a Statement, minus id/stored/version/authority (Data 2.4.4.3.s8)."""
    for key in SUBSTATEMENT_FORBIDDEN:
        if key in sub:
            raise XapiValidationError(f"{path}.{key}", "is not allowed in a SubStatement")
    check_keys(sub, SUBSTATEMENT_KEYS, path, "a SubStatement")
    check_actor(require(sub, "actor", path), f"{path}.actor")
    check_verb(require(sub, "verb", path), f"{path}.verb")
    object_type = check_statement_object(
        require(sub, "object", path), f"{path}.object", v2=v2, in_substatement=True
    )
    _check_common(sub, path, object_type, v2)


def _check_version(value: Any, path: str, v2: bool) -> None:
    if type(value) is not str:
        fail_type(path, 'a version string such as "1.0.0"', value)
    if (_VERSION_2 if v2 else _VERSION_1).match(value) is None:
        allowed = '"1.0.x" or "2.0.x"' if v2 else '"1.0.x"'
        raise XapiValidationError(path, f"{value!r} is not a supported version; use {allowed}")
