"""``flask --app wsgi assessment ...``: the time-limit sweep, regrading, the standard's banks."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from lms.assessment import attempts
from lms.assessment.models import Attempt, AttemptStatus
from lms.assessment.standard import import_standard as run
from lms.assessment.standard import summary
from lms.errors import Invalid
from lms.extensions import db


@click.group("assessment", help="Quizzes, exams and attempts.")
def assessment_cli() -> None:
    pass


@assessment_cli.command("grade-expired")
@click.option("--batch", default=500, show_default=True, help="Attempts per transaction.")
@with_appcontext
def grade_expired(batch: int) -> None:
    """Grade open attempts whose time ran out (run every minute from cron or a timer)."""
    total = 0
    while True:
        graded = attempts.grade_expired_attempts(limit=batch)
        db.session.commit()
        total += graded
        if graded < batch:
            break
    click.echo(f"Graded {total} expired attempt(s).")


@assessment_cli.command("regrade")
@click.argument("quiz_id", type=int)
@click.option("--apply", is_flag=True, help="Store results that differ (default: only report).")
@with_appcontext
def regrade(quiz_id: int, apply: bool) -> None:
    """Grade every graded attempt of a quiz again and report any that differs."""
    ids = db.session.scalars(
        select(Attempt.id).where(Attempt.quiz_id == quiz_id, Attempt.status == AttemptStatus.graded)
    ).all()
    changed = []
    for attempt_id in ids:
        result, differs = attempts.regrade(attempts.get_attempt(attempt_id), apply=apply)
        if differs:
            changed.append({"attempt": attempt_id, "score": result.score})
    if apply:
        db.session.commit()
    click.echo(json.dumps({"checked": len(ids), "changed": changed}))


@assessment_cli.command("import-standard")
@click.argument(
    "path", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@with_appcontext
def import_standard(path: Path | None) -> None:
    """Create or update the digital-skills standard's banks (default: the bundled file)."""
    try:
        banks = run(path)
    except Invalid as exc:
        for line in exc.errors.get("file", []):
            click.echo(line, err=True)
        raise click.exceptions.Exit(1) from exc
    db.session.commit()
    for row in summary(banks):
        click.echo(f"{row['code']}: {row['questions']} questions ({row['skill_area']})")
