"""Voiding (Data 2.3.2, Communication 2.1.4) and StatementRef filters (Communication 2.1.3.s3)."""

from __future__ import annotations

from tests.xapi.conftest import Lrs, new_id, statement

VOIDED = "http://adlnet.gov/expapi/verbs/voided"
ADMIN = {"objectType": "Agent", "mbox": "mailto:admin@example.vn"}
BEN = {"objectType": "Agent", "mbox": "mailto:ben@example.vn"}
ANDREW = {"objectType": "Agent", "mbox": "mailto:andrew@example.vn"}
COURSE = "https://lms146.example.vn/courses/explosives"


def voiding(target: str, **overrides: object) -> dict:
    return statement(
        actor=ADMIN,
        verb={"id": VOIDED, "display": {"en-US": "voided"}},
        object={"objectType": "StatementRef", "id": target},
        **overrides,
    )


def ref(target: str) -> dict:
    return statement(
        actor=ANDREW,
        verb={"id": "https://example.com/verbs/confirmed"},
        object={"objectType": "StatementRef", "id": target},
    )


def test_voided_statement_is_only_reachable_by_voided_statement_id(lrs: Lrs) -> None:
    """Data 2.3.2.s2.b3, Communication 2.1.4.s1.b1 (XAPI-00018)."""
    (target,) = lrs.post(statement(actor=BEN)).json
    (void,) = lrs.post(voiding(target)).json
    assert lrs.get(params={"statementId": target}).status_code == 404
    response = lrs.get(params={"voidedStatementId": target})
    assert response.status_code == 200
    assert response.json["id"] == target
    # A statement that is not voided is not returned by voidedStatementId.
    assert lrs.get(params={"voidedStatementId": void}).status_code == 404


def test_queries_skip_the_voided_statement_but_return_the_voiding_one(lrs: Lrs) -> None:
    """Communication 2.1.4.s1.b1-b2: the voiding statement matches the target's filters."""
    (target,) = lrs.post(statement(actor=BEN, object={"id": COURSE})).json
    (void,) = lrs.post(voiding(target)).json
    assert lrs.ids(agent=BEN) == [void]
    assert lrs.ids(activity=COURSE) == [void]
    assert lrs.ids(verb=VOIDED, agent=ADMIN)[0] == void
    assert target not in lrs.ids(limit="0")


def test_voiding_statement_arriving_first_still_voids(lrs: Lrs) -> None:
    """Data 2.3.2.s2.b5: the target need not exist yet; voided once it does (s2.b3)."""
    target = new_id()
    lrs.post(voiding(target))
    lrs.put(statement(id=target, actor=BEN), target)
    assert lrs.get(params={"statementId": target}).status_code == 404
    assert lrs.get(params={"voidedStatementId": target}).status_code == 200


def test_voiding_and_target_in_one_batch(lrs: Lrs) -> None:
    """Data 2.3.2.s2.b3 holds whatever the order inside a batch."""
    target = new_id()
    lrs.post([voiding(target), statement(id=target, actor=BEN)])
    assert lrs.get(params={"statementId": target}).status_code == 404
    assert lrs.ids(agent=BEN)[0] != target


def test_a_voiding_statement_cannot_be_voided(lrs: Lrs) -> None:
    """Data 2.3.2.s1 / XAPI-00016: voiding a voiding statement is rejected; it stays."""
    (target,) = lrs.post(statement(actor=BEN)).json
    (void,) = lrs.post(voiding(target)).json
    response = lrs.post(voiding(void))
    assert response.status_code == 400
    assert "voiding statement" in response.json["message"]
    assert lrs.get(params={"statementId": void}).status_code == 200


def test_voiding_an_already_voided_statement_is_accepted(lrs: Lrs) -> None:
    """XAPI-00016: a second voiding of the same target is a valid statement."""
    (target,) = lrs.post(statement(actor=BEN)).json
    lrs.post(voiding(target))
    assert lrs.post(voiding(target)).status_code == 200
    assert lrs.get(params={"voidedStatementId": target}).status_code == 200


def test_voiding_needs_a_statement_ref(lrs: Lrs) -> None:
    """Data 2.3.2.s2.b1: the object of a voiding statement MUST be a StatementRef."""
    bad = statement(verb={"id": VOIDED}, object={"id": COURSE})
    assert lrs.post(bad).status_code == 400


def test_statement_ref_matches_its_targets_filters(lrs: Lrs) -> None:
    """Communication 2.1.3.s3: "Andrew confirmed <Ben passed explosives training>"."""
    registration = new_id()
    (passed,) = lrs.post(
        statement(
            actor=BEN,
            verb={"id": "http://adlnet.gov/expapi/verbs/passed"},
            object={"id": COURSE},
            context={"registration": registration},
        )
    ).json
    (confirmed,) = lrs.post(ref(passed)).json
    assert lrs.ids(agent=BEN) == [confirmed, passed]
    assert lrs.ids(activity=COURSE) == [confirmed, passed]
    assert lrs.ids(verb="http://adlnet.gov/expapi/verbs/passed")[:2] == [confirmed, passed]
    assert lrs.ids(registration=registration) == [confirmed, passed]
    assert lrs.ids(agent=ANDREW) == [confirmed]


def test_statement_ref_chains_match_recursively(lrs: Lrs) -> None:
    """Communication 2.1.3.s3: a targets b targets c, and c matches: a matches."""
    (c,) = lrs.post(statement(actor=BEN, object={"id": COURSE})).json
    (b,) = lrs.post(ref(c)).json
    (a,) = lrs.post(ref(b)).json
    assert lrs.ids(agent=BEN) == [a, b, c]


def test_statement_ref_sent_before_its_target(lrs: Lrs) -> None:
    """The targeting statement may arrive first (Data 2.4.4.3.s4.b2: no need to exist)."""
    c = new_id()
    (b,) = lrs.post(ref(c)).json
    (a,) = lrs.post(ref(b)).json
    lrs.put(statement(id=c, actor=BEN, object={"id": COURSE}), c)
    assert lrs.ids(agent=BEN) == [c, a, b]
    assert lrs.ids(activity=COURSE) == [c, a, b]


def test_time_filters_apply_to_the_targeting_statement(lrs: Lrs) -> None:
    """Communication 2.1.3.s3: since/until/limit apply to the statement making the ref."""
    (target,) = lrs.post(statement(actor=BEN)).json
    stored = lrs.get(params={"statementId": target}).json["stored"]
    (confirmed,) = lrs.post(ref(target)).json
    assert lrs.ids(agent=BEN, since=stored) == [confirmed]


def test_context_statement_ref_does_not_affect_filters(lrs: Lrs) -> None:
    """Communication 2.1.3.s3 note: a StatementRef in context.statement does not count."""
    (target,) = lrs.post(statement(actor=BEN)).json
    (other,) = lrs.post(
        statement(actor=ANDREW, context={"statement": {"objectType": "StatementRef", "id": target}})
    ).json
    assert other not in lrs.ids(agent=BEN)
