"""Agents, Groups, their Inverse Functional Identifiers and the statement authority.

Spec: Data 2.4.2 (Actor), 2.4.2.1 Agent, 2.4.2.2 Group, 2.4.2.3 IFI, 2.4.2.4 Account,
2.4.9 Authority; Communication 2.1.3 (the ``agent`` query parameter).
"""

from __future__ import annotations

from typing import Any, NoReturn

from lms.xapi.validation.errors import XapiValidationError
from lms.xapi.validation.fields import (
    check_iri,
    check_irl,
    check_keys,
    check_mbox,
    check_object,
    check_sha1,
    check_string,
    fail_type,
    require,
)

IFI_KEYS = ("mbox", "mbox_sha1sum", "openid", "account")
AGENT_KEYS = frozenset(("objectType", "name", *IFI_KEYS))
GROUP_KEYS = frozenset(("objectType", "name", "member", *IFI_KEYS))
ACCOUNT_KEYS = frozenset(("homePage", "name"))


def _check_ifis(obj: dict[str, Any], path: str) -> int:
    """Validate every IFI present and return how many there are."""
    count = 0
    if "mbox" in obj:
        check_mbox(obj["mbox"], f"{path}.mbox")
        count += 1
    if "mbox_sha1sum" in obj:
        check_sha1(obj["mbox_sha1sum"], f"{path}.mbox_sha1sum")
        count += 1
    if "openid" in obj:
        check_iri(obj["openid"], f"{path}.openid")
        count += 1
    if "account" in obj:
        _check_account(obj["account"], f"{path}.account")
        count += 1
    return count


def _check_account(value: Any, path: str) -> None:
    """Account object: ``homePage`` IRL and ``name`` string, both required (XAPI-00041-43)."""
    account = check_object(value, path, "an account object", ACCOUNT_KEYS, "an account")
    check_irl(require(account, "homePage", path), f"{path}.homePage")
    check_string(require(account, "name", path), f"{path}.name")


def check_agent(value: Any, path: str) -> dict[str, Any]:
    """An Agent: optional ``objectType: "Agent"``, optional name, exactly one IFI (XAPI-00034)."""
    agent = check_object(value, path, "an Agent object")
    if "objectType" in agent and agent["objectType"] != "Agent":
        _bad_object_type(agent["objectType"], f"{path}.objectType", '"Agent"')
    if "member" in agent:
        raise XapiValidationError(
            f"{path}.member", 'only a Group has members (set "objectType": "Group")'
        )
    check_keys(agent, AGENT_KEYS, path, "an Agent")
    if "name" in agent:
        check_string(agent["name"], f"{path}.name")
    count = _check_ifis(agent, path)
    if count != 1:
        raise XapiValidationError(
            path,
            "an Agent must have exactly one identifier (mbox, mbox_sha1sum, openid or account)"
            if count == 0
            else "an Agent must not have more than one identifier"
            " (mbox, mbox_sha1sum, openid, account)",
        )
    return agent


def check_group(value: Any, path: str) -> dict[str, Any]:
    """A Group: ``objectType: "Group"``; identified (one IFI) or anonymous (members required).

    Members are Agents only, never Groups (Data 2.4.2.2.s4.b2, s5.b2; XAPI-00036, XAPI-00037).
    """
    group = check_object(value, path, "a Group object")
    object_type = require(group, "objectType", path)
    if object_type != "Group":
        _bad_object_type(object_type, f"{path}.objectType", '"Group"')
    check_keys(group, GROUP_KEYS, path, "a Group")
    if "name" in group:
        check_string(group["name"], f"{path}.name")
    count = _check_ifis(group, path)
    if count > 1:
        raise XapiValidationError(
            path, "an identified Group must have exactly one identifier, not several"
        )
    if "member" in group:
        _check_members(group["member"], f"{path}.member", anonymous=count == 0)
    elif count == 0:
        raise XapiValidationError(
            f"{path}.member", "is required for an anonymous Group (a Group with no identifier)"
        )
    return group


def _check_members(value: Any, path: str, *, anonymous: bool) -> None:
    if type(value) is not list:
        fail_type(path, "an array of Agent objects", value)
    if anonymous and not value:
        raise XapiValidationError(path, "an anonymous Group must list at least one member")
    for index, member in enumerate(value):
        member_path = f"{path}[{index}]"
        if type(member) is dict and member.get("objectType") == "Group":
            raise XapiValidationError(
                f"{member_path}.objectType", "Group members must be Agents, not Groups"
            )
        check_agent(member, member_path)


def check_actor(value: Any, path: str) -> dict[str, Any]:
    """An Agent or a Group, told apart by ``objectType`` (absent means Agent; XAPI-00031)."""
    if type(value) is dict and value.get("objectType") == "Group":
        return check_group(value, path)
    if type(value) is dict and "objectType" in value and value["objectType"] != "Agent":
        _bad_object_type(value["objectType"], f"{path}.objectType", '"Agent" or "Group"')
    return check_agent(value, path)


def check_authority(value: Any, path: str) -> dict[str, Any]:
    """An Agent, or for 3-legged OAuth a Group of two Agents (Data 2.4.9.s3.b1, XAPI-00098).

    That Group is the pair (OAuth consumer, user) and nothing more: it has no identifier of
    its own (Data 2.4.9.s3.b1, s7.b1), as ADL's reference LRS also requires.
    """
    authority = check_actor(value, path)
    if authority.get("objectType") == "Group":
        members = authority.get("member")
        if type(members) is not list or len(members) != 2:
            raise XapiValidationError(
                f"{path}.member",
                "an authority Group must have exactly two Agents (OAuth consumer and user)",
            )
        if has_ifi(authority):
            raise XapiValidationError(
                path,
                "an authority Group is two Agents (OAuth consumer and user) and must not have "
                "an identifier of its own (mbox, mbox_sha1sum, openid or account)",
            )
    return authority


def validate_agent_param(value: Any, *, path: str = "agent") -> dict[str, Any]:
    """The ``agent`` parameter of the Statement and document resources.

    An Agent or an identified Group: exactly one IFI, so it can be matched (Communication
    2.1.3 table row 3). Anonymous Groups cannot be looked up and are rejected.
    """
    if type(value) is dict and value.get("objectType") == "Group":
        group = check_group(value, path)
        if not any(key in group for key in IFI_KEYS):
            raise XapiValidationError(
                path, "must be an Agent or an identified Group (with mbox, openid or account)"
            )
        return group
    return check_actor(value, path)


def _bad_object_type(value: Any, path: str, expected: str) -> NoReturn:
    if type(value) is not str:
        fail_type(path, f"the string {expected}", value)
    raise XapiValidationError(path, f"must be {expected}, not {value!r}")


def agent_ifi(agent: dict[str, Any]) -> str:
    """Canonical identifier of an Agent or identified Group, used for indexing and matching.

    ``mbox:mailto:local@domain`` (scheme and domain lowercased: both are case-insensitive, Data
    2.3.1.b7), ``mbox_sha1sum:<lowercase hex>``, ``openid:<uri>``, ``account:<homePage>|<name>``.
    Raises KeyError for an anonymous Group (no IFI); callers check with ``has_ifi`` first.
    """
    mbox = agent.get("mbox")
    if mbox is not None:
        local, _, domain = mbox[7:].rpartition("@")
        return f"mbox:mailto:{local}@{domain.lower()}"
    sha1 = agent.get("mbox_sha1sum")
    if sha1 is not None:
        return f"mbox_sha1sum:{sha1.lower()}"
    openid = agent.get("openid")
    if openid is not None:
        return f"openid:{openid}"
    account = agent["account"]
    return f"account:{account['homePage']}|{account['name']}"


def has_ifi(agent: dict[str, Any]) -> bool:
    return "mbox" in agent or "mbox_sha1sum" in agent or "openid" in agent or "account" in agent
