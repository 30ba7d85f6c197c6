"""Credentials bound to one learner, one registration and one activity (a cmi5 session).

Most LRS clients are programs an administrator trusts with a scope. A *bound* client is
handed to content running in a learner's browser (cmi5's fetch URL), so whatever the
learner can type into the browser's console, they can do with it. Its binding says what
that may be, and every resource of the LRS asks this module, and only this module:

* statements written: the actor is the bound Agent, ``context.registration`` is the bound
  registration, and the object is the bound activity or an activity under it
  (``<activity>/...`` or ``<activity>#...``); never a StatementRef, a SubStatement or an
  Agent, so never voiding (cmi5 6.3);
* statements read: only those written with these credentials (``statements/read/mine``
  whatever its scopes say);
* State: the bound Agent, the bound activity (or under it), the bound registration when one
  is given; documents the LMS keeps for itself (``LMS.LaunchData``, cmi5 10.2) are read-only;
* Agent Profile: the bound Agent only;
* Activity Profile and Activities: the bound activity (or under it), read only;
* Agents: never (it needs ``statements/read``, which a bound client never has).

Anything else is ``403``. Bound clients also expire (``lrs_clients.expires_at``), end when
they store a statement with one of their closing verbs (cmi5 ``terminated``), and are never
cached by the credentials cache, so revoking one takes effect in every process at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lms.xapi.constants import DocumentKind
from lms.xapi.protocol import XapiError
from lms.xapi.validation import agent_ifi

#: What separates an activity from the activities under it (``<au>/q1``, ``<au>#q1``).
SUB_ACTIVITY_SEPARATORS = ("/", "#")


@dataclass(frozen=True, slots=True)
class Binding:
    """What a bound client may touch; kept as JSON in ``lrs_clients.binding``."""

    agent: dict[str, Any]
    registration: str
    activity_id: str
    #: State documents the client may read but never write or delete.
    protected_state_ids: tuple[str, ...] = ()
    #: Storing a statement with one of these verbs ends the credentials.
    closing_verbs: tuple[str, ...] = ()

    @property
    def agent_ifi(self) -> str:
        return agent_ifi(self.agent)

    def to_json(self) -> dict[str, Any]:
        return {
            "agent": self.agent,
            "registration": self.registration,
            "activity_id": self.activity_id,
            "protected_state_ids": list(self.protected_state_ids),
            "closing_verbs": list(self.closing_verbs),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Binding | None:
        if not data:
            return None
        return cls(
            agent=dict(data["agent"]),
            registration=str(data["registration"]).lower(),
            activity_id=str(data["activity_id"]),
            protected_state_ids=tuple(data.get("protected_state_ids") or ()),
            closing_verbs=tuple(data.get("closing_verbs") or ()),
        )

    def covers_activity(self, activity_id: str | None) -> bool:
        """The bound activity itself or one under it."""
        if not isinstance(activity_id, str):
            return False
        if activity_id == self.activity_id:
            return True
        rest = activity_id[len(self.activity_id) :]
        return activity_id.startswith(self.activity_id) and rest[:1] in SUB_ACTIVITY_SEPARATORS

    def is_agent(self, agent: Mapping[str, Any] | None) -> bool:
        if not isinstance(agent, Mapping) or agent.get("objectType", "Agent") != "Agent":
            return False
        try:
            return agent_ifi(dict(agent)) == self.agent_ifi
        except KeyError:
            return False


def _forbid(message: str, path: str | None = None) -> XapiError:
    return XapiError(403, f"These session credentials {message}", path=path)


def check_statements(binding: Binding | None, statements: Iterable[Mapping[str, Any]]) -> None:
    """Refuse (403, nothing stored) a batch holding any statement outside the binding."""
    if binding is None:
        return
    for number, stmt in enumerate(statements):
        where = f"[{number}]."
        if not binding.is_agent(stmt.get("actor")):
            raise _forbid("only write statements about their own learner.", f"{where}actor")
        obj = stmt.get("object") or {}
        if obj.get("objectType", "Activity") != "Activity":
            raise _forbid(
                "only write statements about their activity (no voiding, no references).",
                f"{where}object",
            )
        if not binding.covers_activity(obj.get("id")):
            raise _forbid("only write statements about their own activity.", f"{where}object.id")
        registration = (stmt.get("context") or {}).get("registration")
        if str(registration or "").lower() != binding.registration:
            raise _forbid(
                "only write statements of their own registration.",
                f"{where}context.registration",
            )


def closes(binding: Binding | None, statements: Iterable[Mapping[str, Any]]) -> bool:
    """Whether storing these statements ends the credentials (cmi5 ``terminated``)."""
    if binding is None or not binding.closing_verbs:
        return False
    return any((s.get("verb") or {}).get("id") in binding.closing_verbs for s in statements)


def check_document(
    binding: Binding | None,
    kind: DocumentKind,
    *,
    activity_id: str | None,
    agent: str | None,
    registration: str | None,
    doc_id: str | None,
    writing: bool,
) -> None:
    """Refuse (403) a document request outside the binding; ``agent`` is an IFI."""
    if binding is None:
        return
    if kind == DocumentKind.activity_profile:
        if writing:
            raise _forbid("cannot change activity profiles (other learners read them).")
        if not binding.covers_activity(activity_id):
            raise _forbid("only read their own activity's profile.", "activityId")
        return
    if agent != binding.agent_ifi:
        raise _forbid("only reach their own learner's documents.", "agent")
    if kind == DocumentKind.agent_profile:
        return
    if not binding.covers_activity(activity_id):
        raise _forbid("only reach the state of their own activity.", "activityId")
    if registration is not None and registration.lower() != binding.registration:
        raise _forbid("only reach the state of their own registration.", "registration")
    if writing and (doc_id is None or doc_id in binding.protected_state_ids):
        raise _forbid("cannot change or delete the documents the LMS keeps for itself.")


def check_activity(binding: Binding | None, activity_id: str) -> None:
    """Refuse (403) reading an Activity outside the binding."""
    if binding is not None and not binding.covers_activity(activity_id):
        raise _forbid("only read their own activity.", "activityId")
