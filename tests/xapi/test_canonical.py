"""The Activities and Agents resources (Communication 2.4, 2.5) and canonical definitions."""

from __future__ import annotations

from tests.xapi.conftest import Lrs, new_id, statement


def _iri() -> str:
    return f"https://lms146.example.vn/courses/{new_id()}"


def test_activity_definitions_merge_into_the_canonical_one(lrs: Lrs) -> None:
    """Data 2.4.4.1.s4.b3-b5: languages are added or corrected, interactions kept."""
    iri = _iri()
    first = {
        "name": {"vi-VN": "Câu 1"},
        "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
        "interactionType": "choice",
        "correctResponsesPattern": ["a"],
        "choices": [{"id": "a", "description": {"vi-VN": "A"}}],
    }
    lrs.post(statement(object={"id": iri, "definition": first}))
    second = {
        "name": {"en-US": "Question 1"},
        "description": {"en-US": "The first one"},
        "interactionType": "choice",
        "correctResponsesPattern": ["b"],
        "choices": [{"id": "b", "description": {"en-US": "B"}}],
    }
    assert lrs.post(statement(object={"id": iri, "definition": second})).status_code == 200
    response = lrs.get("/xapi/activities", {"activityId": iri})
    assert response.status_code == 200
    assert response.headers["ETag"].startswith('"')
    activity = response.json
    assert activity["objectType"] == "Activity"
    assert activity["id"] == iri
    definition = activity["definition"]
    assert definition["name"] == {"vi-VN": "Câu 1", "en-US": "Question 1"}
    assert definition["description"] == {"en-US": "The first one"}
    assert definition["correctResponsesPattern"] == ["a"]


def test_context_activity_definitions_count_too(lrs: Lrs) -> None:
    iri = _iri()
    parent = {"id": iri, "definition": {"name": {"vi-VN": "Khoá học"}}}
    lrs.post(statement(context={"contextActivities": {"parent": [parent]}}))
    assert (
        lrs.get("/xapi/activities", {"activityId": iri}).json["definition"] == parent["definition"]
    )


def test_unknown_activity_is_returned_bare(lrs: Lrs) -> None:
    """Communication 2.5.s2.b1: an Activity object even without a canonical definition."""
    iri = _iri()
    assert lrs.get("/xapi/activities", {"activityId": iri}).json == {
        "objectType": "Activity",
        "id": iri,
    }


def test_without_define_scope_the_canonical_definition_stays(lrs_factory) -> None:  # type: ignore[no-untyped-def]
    """Communication 4.2 ``define``: without it the LRS SHOULD NOT update canonical forms."""
    definer: Lrs = lrs_factory(["all"])
    writer: Lrs = lrs_factory(["statements/write", "statements/read"])
    iri = _iri()
    definer.post(statement(object={"id": iri, "definition": {"name": {"en-US": "Right"}}}))
    writer.post(statement(object={"id": iri, "definition": {"name": {"en-US": "Wrong"}}}))
    other = _iri()
    writer.post(statement(object={"id": other, "definition": {"name": {"en-US": "X"}}}))
    assert definer.get("/xapi/activities", {"activityId": iri}).json["definition"]["name"] == {
        "en-US": "Right"
    }
    assert "definition" not in definer.get("/xapi/activities", {"activityId": other}).json


def test_agents_resource_returns_a_person(lrs: Lrs) -> None:
    """Communication 2.4: a Person with array properties, even for an unknown agent."""
    mbox = f"mailto:{new_id()}@example.vn"
    lrs.post(statement(actor={"name": "Trần Văn Khoa", "mbox": mbox}))
    lrs.post(statement(actor={"name": "Khoa Trần", "mbox": mbox}))
    person = lrs.get("/xapi/agents", {"agent": f'{{"mbox": "{mbox}"}}'}).json
    assert person["objectType"] == "Person"
    assert person["mbox"] == [mbox]
    assert set(person["name"]) == {"Trần Văn Khoa", "Khoa Trần"}
    stranger = lrs.get(
        "/xapi/agents", {"agent": '{"account": {"homePage": "https://x.vn", "name": "9"}}'}
    ).json
    assert stranger == {
        "objectType": "Person",
        "account": [{"homePage": "https://x.vn", "name": "9"}],
    }


def test_activities_and_agents_need_their_parameter(lrs: Lrs) -> None:
    assert lrs.get("/xapi/activities").status_code == 400
    assert lrs.get("/xapi/agents").status_code == 400
    assert (
        lrs.get("/xapi/agents", {"agent": '{"objectType": "Group", "member": []}'}).status_code
        == 400
    )
    assert lrs.client.post("/xapi/activities", headers=lrs.h()).status_code == 405
