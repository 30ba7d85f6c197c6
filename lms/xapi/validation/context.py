"""Context (Data 2.4.6), contextActivities (2.4.6.2) and xAPI 2.0's contextAgents/contextGroups."""

from __future__ import annotations

from typing import Any

from lms.xapi.validation.activities import check_activity
from lms.xapi.validation.agents import check_actor, check_agent, check_group
from lms.xapi.validation.errors import XapiValidationError
from lms.xapi.validation.fields import (
    ValidCache,
    check_extensions,
    check_iri,
    check_keys,
    check_object,
    check_string,
    check_uuid,
    fail_type,
    part_key,
    require,
)
from lms.xapi.validation.languages import check_language_tag

CONTEXT_KEYS = frozenset(
    (
        "registration",
        "instructor",
        "team",
        "contextActivities",
        "revision",
        "platform",
        "language",
        "statement",
        "extensions",
    )
)
V2_CONTEXT_KEYS = CONTEXT_KEYS | {"contextAgents", "contextGroups"}
CONTEXT_ACTIVITY_KEYS = frozenset(("parent", "grouping", "category", "other"))
STATEMENT_REF_KEYS = frozenset(("objectType", "id"))
CONTEXT_AGENT_KEYS = frozenset(("objectType", "agent", "relevantTypes"))
CONTEXT_GROUP_KEYS = frozenset(("objectType", "group", "relevantTypes"))


#: contextActivities of statements parsed from JSON already found valid, by their JSON text
#: (a course's parent, grouping and category come with each of its statements).
_CONTEXT_ACTIVITIES: ValidCache[bytes] = ValidCache()


def check_context(
    value: Any, path: str, *, object_is_activity: bool, v2: bool, parsed: bool = False
) -> None:
    context = check_object(value, path, "a Context object")
    if v2:
        check_keys(context, V2_CONTEXT_KEYS, path, "a Context")
    elif not context.keys() <= CONTEXT_KEYS:
        for key in ("contextAgents", "contextGroups"):
            if key in context:
                raise XapiValidationError(
                    f"{path}.{key}",
                    "is an xAPI 2.0 property; send X-Experience-API-Version: 2.0.0 to use it",
                )
        check_keys(context, CONTEXT_KEYS, path, "a Context")
    if "registration" in context:
        check_uuid(context["registration"], f"{path}.registration")
    if "instructor" in context:
        check_actor(context["instructor"], f"{path}.instructor")
    if "team" in context:
        check_group(context["team"], f"{path}.team")
    if "contextActivities" in context:
        activities = context["contextActivities"]
        known = part_key(activities) if parsed else None
        if known is None or known not in _CONTEXT_ACTIVITIES.items:
            check_context_activities(activities, f"{path}.contextActivities")
            if known is not None:
                _CONTEXT_ACTIVITIES.add(known)
    for key in ("revision", "platform"):
        if key in context:
            check_string(context[key], f"{path}.{key}")
            if not object_is_activity:
                # Data 2.4.6.s4.b1-b2, XAPI-00084/85.
                raise XapiValidationError(
                    f"{path}.{key}", "is only allowed when the statement's object is an Activity"
                )
    if "language" in context:
        check_language_tag(context["language"], f"{path}.language")
    if "statement" in context:
        check_statement_ref(context["statement"], f"{path}.statement")
    if "extensions" in context:
        check_extensions(context["extensions"], f"{path}.extensions")
    if v2:
        if "contextAgents" in context:
            _check_context_agents(context["contextAgents"], f"{path}.contextAgents")
        if "contextGroups" in context:
            _check_context_groups(context["contextGroups"], f"{path}.contextGroups")


def check_context_activities(value: Any, path: str) -> None:
    """Keys parent/grouping/category/other; values an Activity or an array of them (XAPI-00093-95).

    A single Activity is accepted (0.95 compatibility, Data 2.4.6.2.s3) and turned into an
    array by ``normalise_context_activities`` before storing.
    """
    activities = check_object(
        value, path, "a contextActivities object", CONTEXT_ACTIVITY_KEYS, "contextActivities"
    )
    for key, entry in activities.items():
        entry_path = f"{path}.{key}"
        if type(entry) is list:
            for index, activity in enumerate(entry):
                check_activity(activity, f"{entry_path}[{index}]")
        elif type(entry) is dict:
            check_activity(entry, entry_path)
        else:
            fail_type(entry_path, "an Activity object or an array of Activity objects", entry)


def check_statement_ref(value: Any, path: str) -> dict[str, Any]:
    """StatementRef: ``objectType: "StatementRef"`` and a UUID ``id`` (XAPI-00072, XAPI-00092)."""
    ref = check_object(value, path, "a StatementRef object")
    object_type = require(ref, "objectType", path)
    if object_type != "StatementRef":
        if type(object_type) is not str:
            fail_type(f"{path}.objectType", 'the string "StatementRef"', object_type)
        raise XapiValidationError(
            f"{path}.objectType", f'must be "StatementRef", not {object_type!r}'
        )
    check_keys(ref, STATEMENT_REF_KEYS, path, "a StatementRef")
    check_uuid(require(ref, "id", path), f"{path}.id")
    return ref


def _check_context_agents(value: Any, path: str) -> None:
    """xAPI 2.0: ``[{objectType: "contextAgent", agent: Agent, relevantTypes?: [IRI, ...]}]``."""
    if type(value) is not list:
        fail_type(path, "an array of contextAgent objects", value)
    for index, entry in enumerate(value):
        entry_path = f"{path}[{index}]"
        entry = check_object(entry, entry_path, "a contextAgent object")
        _check_kind(entry, entry_path, "contextAgent")
        check_keys(entry, CONTEXT_AGENT_KEYS, entry_path, "a contextAgent")
        check_agent(require(entry, "agent", entry_path), f"{entry_path}.agent")
        if "relevantTypes" in entry:
            _check_relevant_types(entry["relevantTypes"], f"{entry_path}.relevantTypes")


def _check_context_groups(value: Any, path: str) -> None:
    """xAPI 2.0: ``[{objectType: "contextGroup", group: Group, relevantTypes?: [IRI, ...]}]``."""
    if type(value) is not list:
        fail_type(path, "an array of contextGroup objects", value)
    for index, entry in enumerate(value):
        entry_path = f"{path}[{index}]"
        entry = check_object(entry, entry_path, "a contextGroup object")
        _check_kind(entry, entry_path, "contextGroup")
        check_keys(entry, CONTEXT_GROUP_KEYS, entry_path, "a contextGroup")
        check_group(require(entry, "group", entry_path), f"{entry_path}.group")
        if "relevantTypes" in entry:
            _check_relevant_types(entry["relevantTypes"], f"{entry_path}.relevantTypes")


def _check_kind(entry: dict[str, Any], path: str, kind: str) -> None:
    object_type = require(entry, "objectType", path)
    if object_type != kind:
        if type(object_type) is not str:
            fail_type(f"{path}.objectType", f'the string "{kind}"', object_type)
        raise XapiValidationError(f"{path}.objectType", f'must be "{kind}", not {object_type!r}')


def _check_relevant_types(value: Any, path: str) -> None:
    if type(value) is not list:
        fail_type(path, "an array of IRIs", value)
    if not value:
        raise XapiValidationError(path, "must list at least one IRI when present")
    for index, iri in enumerate(value):
        check_iri(iri, f"{path}[{index}]")
