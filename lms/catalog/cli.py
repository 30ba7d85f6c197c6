"""``flask --app wsgi courses ...``: import and check course packages."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from lms.catalog.importer import import_path
from lms.catalog.models import Course
from lms.catalog.packages import PackageInvalid
from lms.extensions import db


@click.group("courses", help="Course packages: import, list.")
def courses_cli() -> None:
    pass


@courses_cli.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--force", is_flag=True, help="Rewrite courses even when nothing changed.")
@click.option("--dry-run", is_flag=True, help="Validate only; write nothing.")
@with_appcontext
def import_command(path: Path, force: bool, dry_run: bool) -> None:
    """Import a package folder, a folder of packages (e.g. courses/) or a .zip.

    Every package is validated first; on any error nothing is imported and each error is
    printed as file:line: message.
    """
    try:
        results = import_path(path, force=force)
    except PackageInvalid as exc:
        db.session.rollback()
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(exc.problems)} error(s); nothing was imported.", err=True)
        sys.exit(1)
    if dry_run:
        db.session.rollback()
        click.echo(f"{len(results)} package(s) valid; nothing written (--dry-run).")
        return
    db.session.commit()
    for result in results:
        click.echo(
            f"{result.status:9} {result.slug} v{result.version} ({result.lessons} lessons)"
            + (
                f", inactive now: {', '.join(result.lessons_deactivated)}"
                if result.lessons_deactivated
                else ""
            )
        )


@courses_cli.command("list")
@with_appcontext
def list_command() -> None:
    """List the catalog's courses."""
    for course in db.session.scalars(select(Course).order_by(Course.slug)):
        click.echo(
            f"{course.slug:40} v{course.version:<3} {len(course.lessons):>2} lessons  "
            f"{'open' if course.open else 'closed':6} {course.title}"
        )
