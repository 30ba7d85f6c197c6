"""``flask --app wsgi units ...`` and ``flask --app wsgi headcounts ...``."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from lms import periods
from lms.errors import DomainError
from lms.extensions import db
from lms.org import services
from lms.org.csvfile import read_rows
from lms.org.models import Unit, UnitPlacement
from lms.org.services.imports import COLUMNS, REQUIRED_COLUMNS
from lms.tabular import decode

HEADCOUNT_COLUMNS = ("unit_code", "target_group", "year", "count")


class _Date(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not a date (YYYY-MM-DD)", param, ctx)


DATE = _Date()


def _fail(exc: DomainError) -> None:
    """Roll back and print the error with every row/field message, then exit 1."""
    db.session.rollback()
    lines = [exc.message]
    lines += [f"  {field}: {' '.join(messages)}" for field, messages in sorted(exc.errors.items())]
    raise click.ClickException("\n".join(lines))


@click.group("units", help="The organisation tree: import, merge, print.")
def units_cli() -> None:
    pass


@units_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--on", type=DATE, default=None, help="Date of the moves the file makes (today).")
@with_appcontext
def import_units_command(file: Path, on: date | None) -> None:
    """Import (create or update) units from a CSV file, all rows or none."""
    try:
        rows = read_rows(decode(file.read_bytes()), required=REQUIRED_COLUMNS, optional=COLUMNS)
        result = services.import_units(
            [row for _n, row in rows], numbers=[n for n, _row in rows], on=on, by=None
        )
    except DomainError as exc:
        _fail(exc)
        return
    db.session.commit()
    click.echo(", ".join(f"{key}: {value}" for key, value in result.items()))


@units_cli.command("merge")
@click.argument("code")
@click.option("--into", "into_code", required=True, help="Code of the successor unit.")
@click.option("--on", type=DATE, required=True, help="First day the unit is part of the other.")
@with_appcontext
def merge_command(code: str, into_code: str, on: date) -> None:
    """Merge unit CODE into another from a date (it exists until the day before)."""
    try:
        unit = services.merge_unit(
            services.get_unit(code), services.get_unit(into_code), on=on, by=None
        )
    except DomainError as exc:
        _fail(exc)
        return
    db.session.commit()
    click.echo(f"{unit.code} merged into {into_code} on {on} (open until {unit.valid_to}).")


@units_cli.command("tree")
@click.argument("code", required=False)
@click.option("--on", type=DATE, default=None, help="Print the tree as it was on this day.")
@click.option("--open-only", is_flag=True, help="Leave out closed units.")
@with_appcontext
def tree_command(code: str | None, on: date | None, open_only: bool) -> None:
    """Print the tree (or the subtree of CODE), children sorted by code."""
    try:
        root = services.get_unit(code) if code else None
    except DomainError as exc:
        _fail(exc)
        return
    for line in tree_lines(root, on=on, open_only=open_only):
        click.echo(line)


def tree_lines(root: Unit | None, *, on: date | None = None, open_only: bool = False) -> list[str]:
    """The indented lines ``units tree`` prints: children sorted by code, closed units marked."""
    if on is None:
        ids = services.subtree_ids(root) if root else select(Unit.id)
        parent_of = dict(db.session.execute(select(Unit.id, Unit.parent_id)).all())
    else:
        ids = (
            services.subtree_ids(root, on=on)
            if root
            else select(UnitPlacement.unit_id).where(services.valid_on_clause(UnitPlacement, on))
        )
        placed = select(UnitPlacement.unit_id, UnitPlacement.parent_id).where(
            services.valid_on_clause(UnitPlacement, on)
        )
        parent_of = dict(db.session.execute(placed).all())
    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(ids)))}
    day = on or periods.today()
    if open_only:
        units = {i: u for i, u in units.items() if u.is_current(day)}
    children: dict[int | None, list[Unit]] = defaultdict(list)
    for unit in units.values():
        parent = parent_of.get(unit.id)
        children[parent if parent in units else None].append(unit)
    codes = {u.id: u.code for u in units.values()}
    lines: list[str] = []

    def walk(unit: Unit, level: int) -> None:
        note = ""
        if unit.valid_to is not None and unit.valid_to < day:
            note = f"  (closed {unit.valid_to}"
            note += (
                f", → {codes.get(unit.successor_id) or unit.successor_id})"
                if unit.successor_id
                else ")"
            )
        lines.append(f"{'  ' * level}{unit.code}  {unit.name}  [{unit.kind}]{note}")
        for child in sorted(children.get(unit.id, []), key=lambda u: u.code):
            walk(child, level + 1)

    for top in sorted(children.get(None, []), key=lambda u: u.code):
        walk(top, 0)
    return lines


@click.group("headcounts", help="Headcounts: the denominators of the plans' shares.")
def headcounts_cli() -> None:
    pass


@headcounts_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_headcounts_command(file: Path) -> None:
    """Load headcounts from CSV (unit_code,target_group,year,count) or a JSON list."""
    try:
        text = decode(file.read_bytes())
        if file.suffix.lower() == ".json" or text.lstrip().startswith("["):
            try:
                data = json.loads(text)
            except ValueError as exc:
                raise click.ClickException(f"{file} is not valid JSON: {exc}") from exc
            if not isinstance(data, list):
                raise click.ClickException(f"{file} must hold a JSON list of rows.")
            result = services.import_headcounts(data, by=None)
        else:
            rows = read_rows(text, required=HEADCOUNT_COLUMNS)
            result = services.import_headcounts(
                [row for _n, row in rows], numbers=[n for n, _row in rows], by=None
            )
    except DomainError as exc:
        _fail(exc)
        return
    db.session.commit()
    click.echo(", ".join(f"{key}: {value}" for key, value in result.items()))
