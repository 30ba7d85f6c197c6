"""A class's bulk issue as a background job: refused up front, progress per person, the same
result as the immediate bulk issue."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient

from lms.certificates import services
from lms.certificates.models import CertificateTemplate
from lms.classes.models import EnrollmentStatus
from lms.extensions import db
from tests.certificates.conftest import World
from tests.factories import make_enrollment, make_user

Headers = Callable[[object], dict[str, str]]


def _more_learners(world: World, count: int) -> None:
    for _ in range(count):
        make_enrollment(make_user(unit=world.units["HP-HONGBANG"]), world.course,
                        klass=world.klass, status=EnrollmentStatus.completed)  # fmt: skip


def test_the_job_issues_and_reports_progress(
    client: FlaskClient, auth_headers: Headers, world: World
) -> None:
    _more_learners(world, 3)
    db.session.commit()
    url = f"/api/v1/classes/{world.klass.code}/certificates/jobs"
    response = client.post(url, json={}, headers=auth_headers(world.trainer))
    assert response.status_code == 202
    job = response.json
    assert response.headers["Location"].endswith(f"/api/v1/jobs/{job['id']}")
    polled = client.get(f"/api/v1/jobs/{job['id']}", headers=auth_headers(world.trainer)).json
    assert (polled["status"], polled["done"], polled["total"], polled["percent"]) == (
        "done", 4, 4, 100
    )  # fmt: skip
    assert len(polled["result"]["issued"]) == 4
    assert polled["result"]["class"] == world.klass.code
    # Run again: everyone already has one.
    again = client.post(url, json={}, headers=auth_headers(world.trainer)).json
    assert {row["reason"] for row in again["result"]["skipped"]} == {"already_issued"}
    # Somebody else's job is not theirs to read.
    other = client.get(f"/api/v1/jobs/{job['id']}", headers=auth_headers(world.other_trainer))
    assert other.status_code == 404


def test_progress_is_told_after_each_person(world: World) -> None:
    _more_learners(world, 2)
    seen: list[tuple[int, int]] = []
    result = services.run_issue_class(
        {"class_id": world.klass.id, "by_id": world.trainer.id}, lambda d, t: seen.append((d, t))
    )
    assert seen == [(0, 3), (1, 3), (2, 3), (3, 3)]
    assert len(result["issued"]) == 3


def test_refused_before_queueing_without_a_signer(
    client: FlaskClient, auth_headers: Headers, world: World
) -> None:
    db.session.execute(db.delete(CertificateTemplate))
    db.session.commit()
    response = client.post(
        f"/api/v1/classes/{world.klass.code}/certificates/jobs",
        json={},
        headers=auth_headers(world.trainer),
    )
    assert response.status_code == 409
    assert "/certificates/templates" in response.json["message"]
