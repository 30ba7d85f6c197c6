"""Statement shapes the LRS returns: arrays in contextActivities, UTC timestamps, ``format``.

Spec: Data 2.4.6.2.s4.b3-b4 (contextActivities always returned as arrays), 2.3.1.b4 and 4.5
(timestamps returned in UTC), Communication 2.1.3 ``format`` parameter and 2.1.3.s4 (language
filtering for canonical format).
"""

from __future__ import annotations

import copy
from typing import Any

import orjson

from lms.xapi.validation.agents import IFI_KEYS, has_ifi
from lms.xapi.validation.fields import utc_timestamp

# --- what the LRS stores ----------------------------------------------------------------------


def normalise_statement(stmt: dict[str, Any]) -> dict[str, Any]:
    """Give a validated statement the shape the LRS stores and returns to both versions, in place.

    contextActivities values become arrays and timestamps become UTC RFC 3339 (see
    :func:`lms.xapi.validation.fields.utc_timestamp`), in the statement and its SubStatement.
    The caller passes a statement whose ``context`` and SubStatement it owns. Returns ``stmt``.
    """
    normalise_context_activities(stmt)
    if "timestamp" in stmt:
        stmt["timestamp"] = utc_timestamp(stmt["timestamp"])
    obj = stmt.get("object")
    if type(obj) is dict and "timestamp" in obj and obj.get("objectType") == "SubStatement":
        obj["timestamp"] = utc_timestamp(obj["timestamp"])
    return stmt


def normalise_context_activities(stmt: dict[str, Any]) -> dict[str, Any]:
    """Rewrite single-Activity contextActivities values as one-element arrays, in place.

    Called by the LRS on a validated statement before storing it, so every stored statement
    already has the shape the spec requires the LRS to return. Returns ``stmt``.
    """
    _normalise(stmt.get("context"))
    obj = stmt.get("object")
    if type(obj) is dict and obj.get("objectType") == "SubStatement":
        _normalise(obj.get("context"))
    return stmt


def _normalise(context: Any) -> None:
    if type(context) is not dict:
        return
    activities = context.get("contextActivities")
    if type(activities) is not dict:
        return
    for key, value in activities.items():
        if type(value) is dict:
            activities[key] = [value]


# --- format=canonical: one language per map ---------------------------------------------------


def parse_accept_language(header: str | None) -> list[str]:
    """Language ranges of an Accept-Language header, best first (RFC 7231 5.3.5).

    Ranges with ``q=0`` are dropped; equal weights keep header order.
    """
    if not header:
        return []
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        language, _, params = part.strip().partition(";")
        language = language.strip()
        if not language:
            continue
        weight = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                weight = float(params[2:])
            except ValueError:
                weight = 0.0
        if weight > 0:
            ranked.append((-weight, position, language))
    ranked.sort()
    return [language for _, _, language in ranked]


def pick_language(language_map: dict[str, str], languages: list[str]) -> dict[str, str]:
    """The single most relevant entry of a language map for the preferred ``languages``.

    RFC 2616 14.4 matching: a range matches a tag equal to it or starting with it followed by
    "-"; ``*`` matches anything. When nothing matches, a tag sharing the preferred primary
    language ("en-GB" for "en-US") is taken, then the first entry, so a map is never emptied.
    """
    if len(language_map) <= 1:
        return dict(language_map)
    tags = [(tag.lower(), tag) for tag in language_map]
    for wanted in languages:
        wanted = wanted.lower()
        if wanted == "*":
            break
        prefix = wanted + "-"
        for lowered, tag in tags:
            if lowered == wanted or lowered.startswith(prefix):
                return {tag: language_map[tag]}
    else:
        for wanted in languages:
            primary = wanted.lower().split("-", 1)[0]
            prefix = primary + "-"
            for lowered, tag in tags:
                if lowered == primary or lowered.startswith(prefix):
                    return {tag: language_map[tag]}
    first = tags[0][1]
    return {first: language_map[first]}


def canonical_language(stmt: dict[str, Any], languages: list[str]) -> dict[str, Any]:
    """A copy of ``stmt`` with every language map reduced to its best entry (format=canonical).

    Covers the Verb ``display``, Activity ``name``/``description`` and interaction component
    descriptions (object, context activities, SubStatement) and attachment display/description.
    Language maps inside extensions are left alone: their meaning belongs to the extension.
    """
    copy = _deep_copy(stmt)
    _canonical_statement(copy, languages)
    return copy


def _canonical_statement(stmt: dict[str, Any], languages: list[str]) -> None:
    verb = stmt.get("verb")
    if verb and "display" in verb:
        verb["display"] = pick_language(verb["display"], languages)
    obj = stmt.get("object") or {}
    object_type = obj.get("objectType", "Activity")
    if object_type == "Activity":
        _canonical_activity(obj, languages)
    elif object_type == "SubStatement":
        _canonical_statement(obj, languages)
    for activity in _context_activities(stmt):
        _canonical_activity(activity, languages)
    for attachment in stmt.get("attachments") or ():
        for key in ("display", "description"):
            if key in attachment:
                attachment[key] = pick_language(attachment[key], languages)


def _canonical_activity(activity: dict[str, Any], languages: list[str]) -> None:
    definition = activity.get("definition")
    if not definition:
        return
    for key in ("name", "description"):
        if key in definition:
            definition[key] = pick_language(definition[key], languages)
    for key in ("choices", "scale", "source", "target", "steps"):
        for component in definition.get(key) or ():
            if "description" in component:
                component["description"] = pick_language(component["description"], languages)


def _context_activities(stmt: dict[str, Any]) -> list[dict[str, Any]]:
    context = stmt.get("context") or {}
    found: list[dict[str, Any]] = []
    for value in (context.get("contextActivities") or {}).values():
        if type(value) is dict:
            found.append(value)
        else:
            found.extend(value)
    return found


# --- format=ids: only what identifies each object ---------------------------------------------


def ids_format(stmt: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``stmt`` in ``format=ids`` (Communication 2.1.3 table row 12).

    Agents and identified Groups keep objectType and their one IFI; anonymous Groups keep the
    IFIs of their members (the minimum that identifies them); an Activity is its ``id`` alone,
    wherever it is (object, context activities, inside a SubStatement), as in ADL's reference
    LRS: without ``objectType`` an object is an Activity anyway (Data 2.4.4.s2). Verbs keep id.
    Result, timestamps, ids, attachments and other context fields are unchanged.
    """
    copy = _deep_copy(stmt)
    _ids_statement(copy)
    return copy


def _deep_copy(stmt: dict[str, Any]) -> dict[str, Any]:
    """Copy JSON data; orjson's round trip is ~10x faster than deepcopy but stops at 64-bit ints."""
    try:
        return orjson.loads(orjson.dumps(stmt))
    except orjson.JSONEncodeError:
        return copy.deepcopy(stmt)


def _ids_statement(stmt: dict[str, Any]) -> None:
    if "actor" in stmt:
        stmt["actor"] = ids_actor(stmt["actor"])
    if "verb" in stmt:
        stmt["verb"] = {"id": stmt["verb"]["id"]}
    if "authority" in stmt:
        stmt["authority"] = ids_actor(stmt["authority"])
    obj = stmt.get("object")
    if obj is not None:
        object_type = obj.get("objectType", "Activity")
        if object_type == "Activity":
            stmt["object"] = {"id": obj["id"]}
        elif object_type in ("Agent", "Group"):
            stmt["object"] = ids_actor(obj)
        elif object_type == "SubStatement":
            _ids_statement(obj)
    context = stmt.get("context")
    if not context:
        return
    for key in ("instructor", "team"):
        if key in context:
            context[key] = ids_actor(context[key])
    activities = context.get("contextActivities")
    if activities:
        for key, value in activities.items():
            entries = [value] if type(value) is dict else value
            activities[key] = [{"id": entry["id"]} for entry in entries]
    for entry in context.get("contextAgents") or ():
        entry["agent"] = ids_actor(entry["agent"])
    for entry in context.get("contextGroups") or ():
        entry["group"] = ids_actor(entry["group"])


def ids_actor(actor: dict[str, Any]) -> dict[str, Any]:
    """Minimal form of an Agent or Group (see :func:`ids_format`)."""
    object_type = actor.get("objectType", "Agent")
    reduced: dict[str, Any] = {"objectType": object_type}
    if has_ifi(actor):
        for key in IFI_KEYS:
            if key in actor:
                reduced[key] = actor[key]
                break
    else:
        reduced["member"] = [ids_actor(member) for member in actor.get("member", ())]
    return reduced
