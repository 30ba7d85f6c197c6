"""Activities, Activity Definitions and interaction components (Data 2.4.4.1)."""

from __future__ import annotations

from typing import Any

from lms.xapi.validation.errors import XapiValidationError
from lms.xapi.validation.fields import (
    check_extensions,
    check_iri,
    check_irl,
    check_keys,
    check_object,
    check_string,
    fail_type,
    require,
)
from lms.xapi.validation.languages import check_language_map

ACTIVITY_KEYS = frozenset(("objectType", "id", "definition"))
DEFINITION_KEYS = frozenset(
    (
        "name",
        "description",
        "type",
        "moreInfo",
        "extensions",
        "interactionType",
        "correctResponsesPattern",
        "choices",
        "scale",
        "source",
        "target",
        "steps",
    )
)
_PLAIN_DEFINITION_KEYS = frozenset(("name", "description", "type", "moreInfo", "extensions"))
COMPONENT_KEYS = frozenset(("id", "description"))
COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")
#: interactionType -> the interaction component lists it may use (Data 2.4.4.1.s15 table 2).
INTERACTION_TYPES: dict[str, frozenset[str]] = {
    "true-false": frozenset(),
    "choice": frozenset(("choices",)),
    "fill-in": frozenset(),
    "long-fill-in": frozenset(),
    "matching": frozenset(("source", "target")),
    "performance": frozenset(("steps",)),
    "sequencing": frozenset(("choices",)),
    "likert": frozenset(("scale",)),
    "numeric": frozenset(),
    "other": frozenset(),
}
_IFI_KEYS = ("mbox", "mbox_sha1sum", "openid", "account", "member")


def check_activity(value: Any, path: str) -> dict[str, Any]:
    """An Activity: optional ``objectType: "Activity"``, ``id`` IRI, optional definition."""
    activity = check_object(value, path, "an Activity object")
    if "objectType" in activity and activity["objectType"] != "Activity":
        object_type = activity["objectType"]
        if type(object_type) is not str:
            fail_type(f"{path}.objectType", 'the string "Activity"', object_type)
        raise XapiValidationError(f"{path}.objectType", f'must be "Activity", not {object_type!r}')
    if not activity.keys() <= ACTIVITY_KEYS:
        for key in _IFI_KEYS:
            if key in activity and "objectType" not in activity:
                # XAPI-00065: without objectType an object is an Activity; say why it failed.
                raise XapiValidationError(
                    f"{path}.objectType",
                    'is required when the object is an Agent or Group ("Agent" or "Group")',
                )
        check_keys(activity, ACTIVITY_KEYS, path, "an Activity")
    check_iri(require(activity, "id", path), f"{path}.id")
    if "definition" in activity:
        check_definition(activity["definition"], f"{path}.definition")
    return activity


def check_definition(value: Any, path: str) -> None:
    """Activity Definition (Data 2.4.4.1.s2) including interaction properties (s8-s16).

    ``{}`` is accepted: every property of a definition is optional and an empty object is only
    something a Statement SHOULD NOT contain (Data 2.2.s2.b1), not a reason to refuse it.
    """
    if type(value) is dict and not value:
        return
    definition = check_object(
        value, path, "an Activity Definition object", DEFINITION_KEYS, "an Activity Definition"
    )
    if "name" in definition:
        check_language_map(definition["name"], f"{path}.name")
    if "description" in definition:
        check_language_map(definition["description"], f"{path}.description")
    if "type" in definition:
        check_iri(definition["type"], f"{path}.type")
    if "moreInfo" in definition:
        check_irl(definition["moreInfo"], f"{path}.moreInfo")
    if "extensions" in definition:
        check_extensions(definition["extensions"], f"{path}.extensions")
    if not definition.keys() <= _PLAIN_DEFINITION_KEYS:
        _check_interaction(definition, path)


def _check_interaction(definition: dict[str, Any], path: str) -> None:
    if "interactionType" not in definition:
        for key in ("correctResponsesPattern", *COMPONENT_LISTS):
            if key in definition:
                # XAPI-00064: interaction properties only make sense with an interactionType.
                raise XapiValidationError(
                    f"{path}.interactionType", f'is required when "{key}" is present'
                )
        return
    interaction_type = definition["interactionType"]
    type_path = f"{path}.interactionType"
    if type(interaction_type) is not str:
        fail_type(type_path, "an interaction type string", interaction_type)
    allowed_lists = INTERACTION_TYPES.get(interaction_type)
    if allowed_lists is None:
        raise XapiValidationError(
            type_path,
            f"{interaction_type!r} is not an interaction type; use one of: "
            + ", ".join(INTERACTION_TYPES),
        )
    if "correctResponsesPattern" in definition:
        patterns_path = f"{path}.correctResponsesPattern"
        patterns = definition["correctResponsesPattern"]
        if type(patterns) is not list:
            fail_type(patterns_path, "an array of strings", patterns)
        for index, pattern in enumerate(patterns):
            check_string(pattern, f"{patterns_path}[{index}]")
    for key in COMPONENT_LISTS:
        if key in definition:
            if key not in allowed_lists:
                raise XapiValidationError(
                    f"{path}.{key}",
                    f'is not allowed for interactionType "{interaction_type}"'
                    + (f" (it uses {', '.join(sorted(allowed_lists))})" if allowed_lists else ""),
                )
            _check_components(definition[key], f"{path}.{key}")


def _check_components(value: Any, path: str) -> None:
    """Interaction components: ``id`` string (unique in the list), ``description`` map."""
    if type(value) is not list:
        fail_type(path, "an array of interaction components", value)
    seen: set[str] = set()
    for index, component in enumerate(value):
        item_path = f"{path}[{index}]"
        component = check_object(
            component,
            item_path,
            "an interaction component object",
            COMPONENT_KEYS,
            "an interaction component",
        )
        component_id = check_string(require(component, "id", item_path), f"{item_path}.id")
        if not component_id:
            raise XapiValidationError(f"{item_path}.id", "must not be empty")
        if component_id in seen:
            raise XapiValidationError(
                f"{item_path}.id", f"{component_id!r} is used twice in this list"
            )
        seen.add(component_id)
        if "description" in component:
            check_language_map(component["description"], f"{item_path}.description")


def validate_activity_id(value: Any, *, path: str = "activityId") -> str:
    """The ``activityId``/``activity`` parameter: an absolute IRI (Communication 2.2.s4.b4)."""
    return check_iri(value, path)
