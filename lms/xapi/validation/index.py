"""The query columns of a stored statement, extracted once at write time.

GET /statements filters (Communication 2.1.3) need: the actor or object agent (``agent``),
group membership ("Groups that have members which match the specified Agent"), the verb, the
object activity (``activity``), ``registration``, and the broad ``related_activities`` /
``related_agents`` sets, which also look inside a SubStatement. Voiding needs the target id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lms.xapi.validation.agents import agent_ifi, has_ifi
from lms.xapi.validation.statements import VOIDED


@dataclass(slots=True)
class StatementIndex:
    """Index values of a validated, complete statement (ids and UUIDs lowercased)."""

    statement_id: str
    actor_ifi: str | None  #: None for an anonymous Group
    actor_member_ifis: list[str]  #: members of a Group actor
    verb_id: str
    object_type: str  #: "Activity" when the statement omits objectType
    object_activity_id: str | None
    object_agent_ifi: str | None  #: Agent or identified Group object
    object_statement_ref: str | None  #: StatementRef object id
    registration: str | None
    voided_statement_id: str | None  #: target of a voiding statement
    related_activity_ids: list[str] = field(default_factory=list)
    related_agent_ifis: list[str] = field(default_factory=list)
    timestamp: str | None = None  #: as given
    stored: str | None = None  #: as given
    object_member_ifis: list[str] = field(default_factory=list)  #: members of a Group object


def statement_index(stmt: dict[str, Any]) -> StatementIndex:
    """Extract the index of a statement already validated and completed by the LRS (id set)."""
    actor = stmt["actor"]
    obj = stmt["object"]
    verb_id = stmt["verb"]["id"]
    object_type = obj.get("objectType", "Activity")
    context = stmt.get("context")

    activities: dict[str, None] = {}  # insertion-ordered set
    agents: dict[str, None] = {}
    # The actor's identifier is the first of the related agents: computed once for both.
    actor_ifi = _add_actor(actor, agents)
    _collect_rest(obj, object_type, context, activities, agents)
    authority = stmt.get("authority")
    if authority is not None:
        _add_actor(authority, agents)
    if object_type == "SubStatement":
        _collect(obj, activities, agents)

    object_activity_id = obj["id"] if object_type == "Activity" else None
    is_agent_object = object_type in ("Agent", "Group")
    object_ref = obj["id"].lower() if object_type == "StatementRef" else None
    registration = context.get("registration") if context else None
    return StatementIndex(
        statement_id=stmt["id"].lower(),
        actor_ifi=actor_ifi,
        actor_member_ifis=_member_ifis(actor) if "member" in actor else [],
        verb_id=verb_id,
        object_type=object_type,
        object_activity_id=object_activity_id,
        object_agent_ifi=agent_ifi(obj) if is_agent_object and has_ifi(obj) else None,
        object_statement_ref=object_ref,
        registration=registration.lower() if registration else None,
        voided_statement_id=object_ref if verb_id == VOIDED else None,
        related_activity_ids=list(activities),
        related_agent_ifis=list(agents),
        timestamp=stmt.get("timestamp"),
        stored=stmt.get("stored"),
        object_member_ifis=_member_ifis(obj) if object_type == "Group" else [],
    )


def _collect(stmt: dict[str, Any], activities: dict[str, None], agents: dict[str, None]) -> None:
    """Activities and agents of a statement or SubStatement, without descending further."""
    _add_actor(stmt["actor"], agents)
    obj = stmt["object"]
    _collect_rest(obj, obj.get("objectType", "Activity"), stmt.get("context"), activities, agents)


def _collect_rest(
    obj: dict[str, Any],
    object_type: str,
    context: dict[str, Any] | None,
    activities: dict[str, None],
    agents: dict[str, None],
) -> None:
    """What :func:`_collect` finds after the actor: the object, then the context."""
    if object_type == "Activity":
        activities[obj["id"]] = None
    elif object_type in ("Agent", "Group"):
        _add_actor(obj, agents)
    if not context:
        return
    context_activities = context.get("contextActivities")
    if context_activities:
        for entry in context_activities.values():
            if type(entry) is dict:
                activities[entry["id"]] = None
            else:
                for activity in entry:
                    activities[activity["id"]] = None
    if "instructor" in context:
        _add_actor(context["instructor"], agents)
    if "team" in context:
        _add_actor(context["team"], agents)
    if "contextAgents" in context:
        for entry in context["contextAgents"]:
            _add_actor(entry["agent"], agents)
    if "contextGroups" in context:
        for entry in context["contextGroups"]:
            _add_actor(entry["group"], agents)


def _add_actor(actor: dict[str, Any], agents: dict[str, None]) -> str | None:
    """Add the actor's identifier (returned; None for an anonymous Group) and its members'."""
    ifi = None
    if "account" in actor or "mbox" in actor or "mbox_sha1sum" in actor or "openid" in actor:
        ifi = agent_ifi(actor)
        agents[ifi] = None
    if "member" in actor:
        for member in actor["member"]:
            agents[agent_ifi(member)] = None
    return ifi


def _member_ifis(actor: dict[str, Any]) -> list[str]:
    members = actor.get("member")
    if not members:
        return []
    return list(dict.fromkeys(agent_ifi(member) for member in members))
