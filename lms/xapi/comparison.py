"""Statement comparison (Data 2.3.1.s9): is a re-sent statement the one already stored?

Differences that the LRS itself could have caused are ignored: the properties it assigns
(id, authority, stored, and timestamp/version when the sender left them out), activity
definitions and verb displays (not part of the statement, Data 2.3.1.b2-b3), the
serialisation of timestamps, the order of Group members, single versus array
contextActivities, and the case of case-insensitive values (UUIDs, e-mail domains,
language tags). Everything else must be equal, including result durations to 0.01 s.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from lms.xapi.constants import SIGNATURE_USAGE
from lms.xapi.validation.errors import XapiValidationError
from lms.xapi.validation.fields import instant

#: Properties the LRS overwrites, never compared.
_ASSIGNED = ("stored", "authority")
_DURATION_SECONDS = re.compile(r"(\d+)\.(\d+)S$")


def same_statement(incoming: dict[str, Any], stored: dict[str, Any]) -> bool:
    """Whether ``incoming`` (as a client sent it) matches ``stored`` (as the LRS keeps it)."""
    a = _statement(incoming, top=True)
    b = _statement(stored, top=True)
    for key in ("id", "timestamp", "version"):
        # Filled in by the LRS when absent: only values both sides have can differ.
        if key not in a:
            b.pop(key, None)
        elif key not in b:
            a.pop(key, None)
    return a == b


def without_signature(stmt: dict[str, Any]) -> dict[str, Any]:
    """The statement as it was before its JWS attachment was added (Data 2.6.s4.b3)."""
    copy = dict(stmt)
    attachments = [a for a in stmt.get("attachments", ()) if a.get("usageType") != SIGNATURE_USAGE]
    if attachments:
        copy["attachments"] = attachments
    else:
        copy.pop("attachments", None)
    return copy


def _statement(stmt: dict[str, Any], *, top: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in stmt.items():
        if top and key in _ASSIGNED:
            continue
        if key == "actor":
            out[key] = _actor(value)
        elif key == "verb":
            out[key] = {"id": value.get("id")}
        elif key == "object":
            out[key] = _object(value)
        elif key == "context":
            out[key] = _context(value)
        elif key == "result":
            out[key] = _result(value)
        elif key == "timestamp":
            out[key] = _instant(value)
        elif key == "id" and isinstance(value, str):
            out[key] = value.lower()
        elif key == "attachments":
            out[key] = [_attachment(a) for a in value]
        else:
            out[key] = value
    return out


def _actor(actor: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"objectType": actor.get("objectType", "Agent")}
    for key, value in actor.items():
        if key == "mbox" and isinstance(value, str):
            address = value[7:] if value[:7].lower() == "mailto:" else value
            local, _, domain = address.rpartition("@")
            out[key] = f"mailto:{local}@{domain.lower()}"
        elif key == "mbox_sha1sum" and isinstance(value, str):
            out[key] = value.lower()
        elif key == "member":
            members = [_actor(m) for m in value]
            out[key] = sorted(members, key=lambda m: orjson.dumps(m, option=orjson.OPT_SORT_KEYS))
        elif key != "objectType":
            out[key] = value
    return out


def _object(obj: dict[str, Any]) -> dict[str, Any]:
    object_type = obj.get("objectType", "Activity")
    if object_type == "Activity":
        return {"objectType": "Activity", "id": obj.get("id")}
    if object_type in ("Agent", "Group"):
        return _actor(obj)
    if object_type == "StatementRef":
        return {"objectType": "StatementRef", "id": str(obj.get("id", "")).lower()}
    return {"objectType": object_type, **_statement(obj, top=False)}


def _context(context: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in context.items():
        if key == "registration" and isinstance(value, str):
            out[key] = value.lower()
        elif key in ("instructor", "team"):
            out[key] = _actor(value)
        elif key == "statement" and isinstance(value, dict):
            out[key] = _object(value)
        elif key == "contextActivities":
            out[key] = {
                kind: [
                    {"objectType": "Activity", "id": a.get("id")}
                    for a in (entries if isinstance(entries, list) else [entries])
                ]
                for kind, entries in value.items()
            }
        elif key == "contextAgents":
            out[key] = [{**e, "agent": _actor(e["agent"])} for e in value]
        elif key == "contextGroups":
            out[key] = [{**e, "group": _actor(e["group"])} for e in value]
        else:
            out[key] = value
    return out


def _result(result: dict[str, Any]) -> dict[str, Any]:
    out = dict(result)
    duration = out.get("duration")
    if isinstance(duration, str):
        # Data 4.6.s1.b5: precision beyond 0.01 s is not compared.
        out["duration"] = _DURATION_SECONDS.sub(
            lambda m: f"{m.group(1)}.{m.group(2)[:2].ljust(2, '0')}S", duration
        )
    return out


def _attachment(attachment: dict[str, Any]) -> dict[str, Any]:
    out = dict(attachment)
    for key in ("display", "description"):
        if isinstance(out.get(key), dict):
            out[key] = {tag.lower(): text for tag, text in out[key].items()}
    if isinstance(out.get("sha2"), str):
        out["sha2"] = out["sha2"].lower()
    return out


def _instant(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        parsed = instant(value)
    except XapiValidationError:
        return value
    # Milliseconds are the precision the LRS keeps (Data 4.5.s1.b3, b7).
    return round(parsed.timestamp() * 1000)
