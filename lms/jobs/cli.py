"""``flask jobs ...``: see background jobs and run a queued one by hand."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from lms.extensions import db
from lms.jobs import services
from lms.jobs.models import Job, JobStatus


@click.group("jobs", help="Background jobs and their progress.")
def jobs_cli() -> None:
    pass


@jobs_cli.command("list")
@click.option("--limit", type=int, default=20, show_default=True)
@with_appcontext
def list_jobs(limit: int) -> None:
    """The most recent jobs with their progress."""
    for job in db.session.scalars(select(Job).order_by(Job.created_at.desc()).limit(limit)):
        click.echo(
            f"{job.id}  {job.kind:<28} {job.status:<8} {job.done}/{job.total}"
            f"  {job.created_at:%Y-%m-%d %H:%M}" + (f"  {job.error}" if job.error else "")
        )


@jobs_cli.command("run")
@click.argument("job_id")
@click.option("--force", is_flag=True, help="Also a job marked running (its worker died).")
@with_appcontext
def run_job(job_id: str, force: bool) -> None:
    """Run a queued (or failed) job in this process, e.g. when no worker is running."""
    statuses = (JobStatus.queued, JobStatus.failed) + ((JobStatus.running,) if force else ())
    job = services.run(job_id, from_statuses=statuses)
    click.echo(f"{job.id} {job.status} {job.done}/{job.total}")
    if job.error:
        raise click.ClickException(job.error)


@jobs_cli.command("requeue")
@with_appcontext
def requeue() -> None:
    """Send again the jobs queued longer than LMS_JOB_STALE_SECONDS (the worker does it too)."""
    click.echo(f"sent again: {services.requeue_stale()}")
