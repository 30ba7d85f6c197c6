"""Background jobs: eager runs, progress, failures recorded, and the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from lms.jobs import services
from lms.jobs.models import JobStatus


def _count(payload: dict[str, Any], progress: services.Progress) -> dict[str, Any]:
    for done in range(1, payload["n"] + 1):
        progress(done, payload["n"])
    return {"counted": payload["n"]}


def _fail(payload: dict[str, Any], progress: services.Progress) -> None:
    progress(1, 2)
    raise RuntimeError("the spreadsheet was empty")


@pytest.fixture(autouse=True)
def _test_kinds() -> Iterator[None]:
    """Two job kinds of the tests' own, registered the way ``create_app`` registers the app's."""
    services.register_handler("test.count", _count)
    services.register_handler("test.fail", _fail)
    yield
    del services.HANDLERS["test.count"], services.HANDLERS["test.fail"]


def test_eager_job_runs_to_the_end_with_progress(db: Any) -> None:
    job = services.submit("test.count", {"n": 3})
    assert (job.status, job.done, job.total, job.percent) == (JobStatus.done, 3, 3, 100)
    assert job.result == {"counted": 3}
    assert job.finished_at is not None


def test_a_failing_job_is_recorded_not_lost(db: Any) -> None:
    job = services.submit("test.fail", {})
    assert job.status == JobStatus.failed
    assert job.error == "the spreadsheet was empty"


def test_job_api_shows_progress_to_its_owner_only(client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import make_user

    owner, other = make_user(), make_user()
    job = services.submit("test.count", {"n": 2}, by_id=owner.id)
    seen = client.get(f"/api/v1/jobs/{job.id}", headers=auth_headers(owner))
    assert seen.status_code == 200
    assert (seen.json["status"], seen.json["percent"]) == ("done", 100)
    hidden = client.get(f"/api/v1/jobs/{job.id}", headers=auth_headers(other))
    assert hidden.status_code == 404


def test_cli_lists_and_reruns_jobs(app, db: Any) -> None:  # type: ignore[no-untyped-def]
    job = services.submit("test.count", {"n": 1})
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["jobs", "list"])
    assert job.id in listed.output
    rerun = runner.invoke(args=["jobs", "run", job.id])
    assert rerun.exit_code == 0
    assert "done 1/1" in rerun.output
