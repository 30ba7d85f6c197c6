"""Data 2.4.2 Actor: Agents, Groups, Inverse Functional Identifiers, Account objects, and the
``agent`` parameter and canonical IFI used for queries (XAPI-00031 .. XAPI-00043)."""

from __future__ import annotations

from typing import Any

import pytest

from lms.xapi.validation import XapiValidationError, agent_ifi, validate_agent_param
from tests.xapi.validation.support import (
    AGENT,
    AGENT_ACCOUNT,
    ANONYMOUS_GROUP,
    GROUP,
    MISSING,
    STATEMENT,
    SUBSTATEMENT,
    assert_verdict,
    case,
    patched,
)

SHA1 = "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"
ACCOUNT = {"homePage": "https://lms.example.vn", "name": "42"}

ACTOR_CASES = [
    # Agents (2.4.2.1) and their IFIs (2.4.2.3).
    case({"actor": AGENT}, None, "2.4.2.1 agent with mbox"),
    case(
        {"actor": {"mbox": "mailto:an@example.vn"}}, None, "2.4.2.1 objectType optional for actor"
    ),
    case({"actor": {"mbox_sha1sum": SHA1}}, None, "2.4.2.3 mbox_sha1sum"),
    case({"actor": {"mbox_sha1sum": SHA1.upper()}}, None, "2.4.2.3 mbox_sha1sum uppercase hex"),
    case({"actor": {"openid": "http://toby.openid.example.org/"}}, None, "2.4.2.3 openid"),
    case({"actor": AGENT_ACCOUNT}, None, "2.4.2.4 account"),
    case({"actor": {"name": "An"}}, "actor", "XAPI-00034 agent without IFI"),
    case({"actor": {"objectType": "Agent"}}, "actor", "XAPI-00034 agent with only objectType"),
    case(
        {"actor": {"mbox": "mailto:a@b.c", "openid": "http://a.b/"}}, "actor", "XAPI-00034 two IFIs"
    ),
    case(
        {"actor": {"mbox": "mailto:a@b.c", "mbox_sha1sum": SHA1}},
        "actor",
        "XAPI-00034 mbox and sha1",
    ),
    case(
        {"actor": {"mbox": "mailto:a@b.c", "account": ACCOUNT}},
        "actor",
        "XAPI-00034 mbox and account",
    ),
    case({"actor.objectType": "Person"}, "actor.objectType", "XAPI-00031 objectType Person"),
    case({"actor.objectType": "Activity"}, "actor.objectType", "XAPI-00031 objectType Activity"),
    case({"actor.objectType": ""}, "actor.objectType", "XAPI-00031 objectType empty"),
    case({"actor.name": ""}, None, "XAPI-00033 empty name is still a string"),
    case({"actor.member": [AGENT]}, "actor.member", "XAPI-00035 member on an Agent"),
    # mbox (XAPI-00038).
    case(
        {"actor.mbox": "mailto:an.nguyen+lms@so-khcn.haiphong.gov.vn"},
        None,
        "XAPI-00038 mbox with plus and subdomains",
    ),
    case({"actor.mbox": "mailto:an@bộ-tttt.vn"}, None, "XAPI-00038 internationalised domain"),
    case({"actor.mbox": "MAILTO:an@example.vn"}, None, "XAPI-00038 scheme is case-insensitive"),
    case({"actor.mbox": "an@example.vn"}, "actor.mbox", "XAPI-00038 missing mailto"),
    case({"actor.mbox": "http://should.fail.com"}, "actor.mbox", "XAPI-00038 http IRI"),
    case({"actor.mbox": "mailto:should.fail.com"}, "actor.mbox", "XAPI-00038 no @"),
    case({"actor.mbox": "mailto:"}, "actor.mbox", "XAPI-00038 empty address"),
    case({"actor.mbox": "mailto:@example.vn"}, "actor.mbox", "XAPI-00038 empty local part"),
    case({"actor.mbox": "mailto:an@"}, "actor.mbox", "XAPI-00038 empty domain"),
    case({"actor.mbox": "mailto:an@@example.vn"}, "actor.mbox", "XAPI-00038 two @"),
    case({"actor.mbox": "mailto:an @example.vn"}, "actor.mbox", "XAPI-00038 space"),
    case({"actor.mbox": "mailto:a@b.c,d@e.f"}, "actor.mbox", "XAPI-00038 two addresses"),
    case(
        {"actor.mbox": "mailto:an@example.vn?subject=hi"}, "actor.mbox", "XAPI-00038 query headers"
    ),
    case({"actor.mbox": "mailto:an@example..vn"}, "actor.mbox", "XAPI-00038 empty domain label"),
    case(
        {"actor.mbox": "mailto:an@-example.vn"},
        "actor.mbox",
        "XAPI-00038 label starting with hyphen",
    ),
    case({"actor.mbox": ["mailto:an@example.vn"]}, "actor.mbox", "XAPI-00038 array"),
    # mbox_sha1sum (XAPI-00039).
    case({"actor": {"mbox_sha1sum": {"key": "value"}}}, "actor.mbox_sha1sum", "XAPI-00039 object"),
    case({"actor": {"mbox_sha1sum": SHA1[:-1]}}, "actor.mbox_sha1sum", "XAPI-00039 39 digits"),
    case({"actor": {"mbox_sha1sum": SHA1 + "0"}}, "actor.mbox_sha1sum", "XAPI-00039 41 digits"),
    case({"actor": {"mbox_sha1sum": "z" * 40}}, "actor.mbox_sha1sum", "XAPI-00039 not hex"),
    case({"actor": {"mbox_sha1sum": ""}}, "actor.mbox_sha1sum", "XAPI-00039 empty"),
    # openid (XAPI-00040).
    case(
        {"actor": {"openid": "ab=c://should.fail.com"}}, "actor.openid", "XAPI-00040 invalid scheme"
    ),
    case({"actor": {"openid": "toby.openid.example.org"}}, "actor.openid", "XAPI-00040 no scheme"),
    case({"actor": {"openid": 42}}, "actor.openid", "XAPI-00040 number"),
    # account (XAPI-00041 .. XAPI-00043).
    case(
        {"actor": {"account": {"homePage": "http://www.example.com", "name": "1625378"}}},
        None,
        "2.4.2.4.s3 spec example",
    ),
    case(
        {"actor": {"account": {"name": "42"}}},
        "actor.account.homePage",
        "XAPI-00042 homePage missing",
    ),
    case(
        {"actor": {"account": {"homePage": "ab=c://should.fail.com", "name": "42"}}},
        "actor.account.homePage",
        "XAPI-00042 homePage invalid IRL",
    ),
    case(
        {"actor": {"account": {"homePage": "lms.example.vn", "name": "42"}}},
        "actor.account.homePage",
        "XAPI-00042 homePage without scheme",
    ),
    case(
        {"actor": {"account": {"homePage": "urn:lms:146", "name": "42"}}},
        "actor.account.homePage",
        "XAPI-00042 homePage is an IRI but not an IRL",
    ),
    case(
        {"actor": {"account": {"homePage": "https://lms.example.vn"}}},
        "actor.account.name",
        "XAPI-00043 name missing",
    ),
    case(
        {"actor": {"account": {"homePage": "https://lms.example.vn", "name": {"key": "x"}}}},
        "actor.account.name",
        "XAPI-00043 name object",
    ),
    case(
        {"actor": {"account": {"homePage": "https://lms.example.vn", "name": 42}}},
        "actor.account.name",
        "XAPI-00043 name number",
    ),
    case(
        {"actor": {"account": {"homePage": "https://lms.example.vn", "name": "42", "id": 1}}},
        "actor.account.id",
        "2.4.2.4 unknown account property",
    ),
    case({"actor": {"account": {}}}, "actor.account", "XAPI-00001 empty account"),
    case({"actor": {"account": "42"}}, "actor.account", "XAPI-00041 account string"),
    # Groups (2.4.2.2).
    case({"actor": GROUP}, None, "2.4.2.2 identified group with members"),
    case({"actor": ANONYMOUS_GROUP}, None, "2.4.2.2 anonymous group"),
    case(
        {"actor": {"objectType": "Group", "mbox": "mailto:team@example.vn"}},
        None,
        "2.4.2.2.s5.b4 identified group without members",
    ),
    case(
        {"actor": {"objectType": "Group", "mbox": "mailto:team@example.vn", "member": []}},
        None,
        "2.4.2.2.s5.b4 identified group, empty member list",
    ),
    case(
        {"actor": {"objectType": "Group", "name": "Tổ 1"}},
        "actor.member",
        "XAPI-00037 anonymous group without member",
    ),
    case(
        {"actor": {"objectType": "Group", "member": []}},
        "actor.member",
        "XAPI-00037 anonymous group with no members",
    ),
    case(
        {"actor": {"objectType": "Group", "member": AGENT}},
        "actor.member",
        "XAPI-00036 member not an array",
    ),
    case(
        {"actor": {"objectType": "Group", "member": [AGENT, {"name": "no IFI"}]}},
        "actor.member[1]",
        "XAPI-00036 member without IFI",
    ),
    case(
        {"actor": {"objectType": "Group", "member": [GROUP]}},
        "actor.member[0].objectType",
        "2.4.2.2.s4.b2 group in anonymous group",
    ),
    case(
        {"actor": {**GROUP, "member": [AGENT, ANONYMOUS_GROUP]}},
        "actor.member[1].objectType",
        "2.4.2.2.s5.b2 group in identified group",
    ),
    case(
        {"actor": {"objectType": "Group", "member": [None]}},
        "actor.member[0]",
        "XAPI-00001 null member",
    ),
    case(
        {"actor": {"objectType": "Group", "member": ["mailto:a@b.c"]}},
        "actor.member[0]",
        "XAPI-00036 member string",
    ),
    case(
        {"actor": {**GROUP, "mbox": "mailto:team@example.vn"}},
        "actor",
        "2.4.2.2.s5.b1 group with two IFIs",
    ),
    case(
        {"actor": {"objectType": "Group", "mbox": "mailto:bad", "member": [AGENT]}},
        "actor.mbox",
        "XAPI-00038 group mbox invalid",
    ),
    case({"actor": {**ANONYMOUS_GROUP, "name": 7}}, "actor.name", "XAPI-00033 group name number"),
    case(
        {"actor": {**ANONYMOUS_GROUP, "members": [AGENT]}},
        "actor.members",
        "XAPI-00010 'members' misspelt",
    ),
    case(
        {"actor": {"member": [AGENT]}}, "actor.member", "XAPI-00035 member without objectType Group"
    ),
    case(
        {"actor": {"objectType": "group", "member": [AGENT]}},
        "actor.objectType",
        "XAPI-00009 objectType group lowercase",
    ),
]


@pytest.mark.parametrize(("changes", "error"), ACTOR_CASES)
def test_actor_rules(changes: dict[str, Any], error: str | None) -> None:
    assert_verdict(patched(STATEMENT, changes), error)


PLACES = {
    "authority": lambda agent: patched(STATEMENT, {"authority": agent}),
    "context.instructor": lambda agent: patched(STATEMENT, {"context": {"instructor": agent}}),
    "object": lambda agent: patched(STATEMENT, {"object": agent}),
    "object.actor": lambda agent: patched(STATEMENT, {"object": {**SUBSTATEMENT, "actor": agent}}),
    "object.context.instructor": lambda agent: patched(
        STATEMENT, {"object": {**SUBSTATEMENT, "context": {"instructor": agent}}}
    ),
}
BAD_AGENTS = [
    pytest.param(
        {"objectType": "Agent", "mbox": "mailto:should.fail.com"}, "mbox", id="XAPI-00038"
    ),
    pytest.param(
        {"objectType": "Agent", "account": {"homePage": "https://a.vn", "name": {"x": 1}}},
        "account.name",
        id="XAPI-00043",
    ),
    pytest.param({"objectType": "Agent"}, "", id="XAPI-00034"),
    pytest.param(
        {"objectType": "Group", "mbox": "http://should.fail.com"}, "mbox", id="XAPI-00038-group"
    ),
]


@pytest.mark.parametrize("where", PLACES)
@pytest.mark.parametrize(("agent", "suffix"), BAD_AGENTS)
def test_agent_rules_apply_wherever_agents_appear(
    where: str, agent: dict[str, Any], suffix: str
) -> None:
    """The Agent rules hold for authority, instructor, object and inside a SubStatement."""
    assert_verdict(PLACES[where](agent), f"{where}.{suffix}" if suffix else where)


AUTHORITY_CASES = [
    case({"authority": AGENT_ACCOUNT}, None, "2.4.9.s3.b1 authority agent"),
    case(
        {"authority": {"objectType": "Group", "member": [AGENT_ACCOUNT, AGENT]}},
        None,
        "2.4.9.s8 3-legged OAuth group of two agents",
    ),
    case(
        {"authority": {"objectType": "Group", "member": [AGENT]}},
        "authority.member",
        "XAPI-00098 authority group with one agent",
    ),
    case(
        {"authority": {"objectType": "Group", "member": [AGENT, AGENT_ACCOUNT, AGENT]}},
        "authority.member",
        "XAPI-00100 authority group with three agents",
    ),
    case(
        {"authority": {"objectType": "Group", "mbox": "mailto:team@example.vn"}},
        "authority.member",
        "XAPI-00098 identified authority group without members",
    ),
    case(
        {
            "authority": {
                "objectType": "Group",
                "mbox": "mailto:team@example.vn",
                "member": [AGENT_ACCOUNT, AGENT],
            }
        },
        "authority",
        "2.4.9.s3.b1 OAuth authority group with an mbox of its own",
    ),
    case(
        {"authority": {**GROUP, "member": [AGENT_ACCOUNT, AGENT]}},
        "authority",
        "2.4.9.s3.b1 OAuth authority group with an account of its own",
    ),
    case(
        {
            "authority": {
                "objectType": "Group",
                "openid": "https://openid.example.vn/team",
                "member": [AGENT_ACCOUNT, AGENT],
            }
        },
        "authority",
        "2.4.9.s3.b1 OAuth authority group with an openid of its own",
    ),
    case(
        {
            "authority": {
                "objectType": "Group",
                "mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9",
                "member": [AGENT_ACCOUNT, AGENT],
            }
        },
        "authority",
        "2.4.9.s3.b1 OAuth authority group with an mbox_sha1sum of its own",
    ),
    case({"authority": {"name": "LMS"}}, "authority", "XAPI-00024 authority without IFI"),
    case({"authority": "LMS 146"}, "authority", "XAPI-00024 authority string"),
    case(
        {"authority": {"objectType": "Activity", "id": "http://a.b"}},
        "authority.objectType",
        "XAPI-00024 activity authority",
    ),
]


@pytest.mark.parametrize(("changes", "error"), AUTHORITY_CASES)
@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
def test_authority_rules(changes: dict[str, Any], error: str | None, version: str) -> None:
    """Data 2.4.9.s3.b1: an Agent, or (3-legged OAuth) a Group of exactly two Agents with no
    identifier of its own; the same in xAPI 2.0."""
    assert_verdict(patched(STATEMENT, changes), error, version=version)


def test_actor_without_ifi_reports_the_actor_path() -> None:
    with pytest.raises(XapiValidationError, match="exactly one identifier"):
        assert_verdict(patched(STATEMENT, {"actor.mbox": MISSING}), None)


# --- the agent parameter (Communication 2.1.3, XAPI-00012) ------------------------------------

AGENT_PARAM_CASES = [
    pytest.param({"mbox": "mailto:an@example.vn"}, None, id="agent with mbox"),
    pytest.param({"objectType": "Agent", "account": ACCOUNT}, None, id="agent with account"),
    pytest.param(
        {"objectType": "Group", "mbox": "mailto:t@example.vn"}, None, id="identified group"
    ),
    pytest.param(GROUP, None, id="identified group with members"),
    pytest.param(ANONYMOUS_GROUP, "agent", id="anonymous group cannot be looked up"),
    pytest.param({"name": "An"}, "agent", id="no IFI"),
    pytest.param({"mbox": "an@example.vn"}, "agent.mbox", id="mbox without mailto"),
    pytest.param({"mbox": "mailto:a@b.c", "openid": "http://a.b/"}, "agent", id="two IFIs"),
    pytest.param({"objectType": "Activity", "id": "http://a.b"}, "agent.objectType", id="activity"),
    pytest.param("mailto:an@example.vn", "agent", id="string"),
    pytest.param(None, "agent", id="null"),
    pytest.param({}, "agent", id="empty object"),
]


@pytest.mark.parametrize(("value", "error"), AGENT_PARAM_CASES)
def test_agent_parameter(value: Any, error: str | None) -> None:
    if error is None:
        assert validate_agent_param(value) == value
    else:
        with pytest.raises(XapiValidationError) as caught:
            validate_agent_param(value)
        assert caught.value.path == error


def test_agent_parameter_path_can_be_renamed() -> None:
    with pytest.raises(XapiValidationError) as caught:
        validate_agent_param({"mbox": "x"}, path="agent")
    assert str(caught.value).startswith("agent.mbox: ")


# --- canonical IFI strings ---------------------------------------------------------------------

IFI_CASES = [
    pytest.param({"mbox": "mailto:an@example.vn"}, "mbox:mailto:an@example.vn", id="mbox"),
    pytest.param(
        {"mbox": "MAILTO:An.Nguyen@Example.VN"},
        "mbox:mailto:An.Nguyen@example.vn",
        id="mbox scheme and domain lowercased, local part kept",
    ),
    pytest.param({"mbox_sha1sum": SHA1.upper()}, f"mbox_sha1sum:{SHA1}", id="sha1 lowercased"),
    pytest.param(
        {"openid": "http://toby.openid.example.org/"},
        "openid:http://toby.openid.example.org/",
        id="openid",
    ),
    pytest.param({"account": ACCOUNT}, "account:https://lms.example.vn|42", id="account"),
    pytest.param(GROUP, "account:https://lms.example.vn|group-1", id="identified group"),
]


@pytest.mark.parametrize(("agent", "expected"), IFI_CASES)
def test_agent_ifi(agent: dict[str, Any], expected: str) -> None:
    assert agent_ifi(agent) == expected
