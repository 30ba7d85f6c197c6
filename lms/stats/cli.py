"""``flask reports ...``: the annual report, rebuilding aggregates, closing a year."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from lms import periods
from lms.auth.models import User
from lms.extensions import db
from lms.org import services as org
from lms.stats import report, reporting, services
from lms.stats.rebuild import rebuild as rebuild_aggregates
from lms.stats.schemas import SnapshotSchema


@click.group("reports", help="Indicator figures and annual reports.")
def reports_cli() -> None:
    pass


@reports_cli.command("annual")
@click.option("--unit", "code", required=True, help="Unit code, e.g. HP")
@click.option("--year", type=int, default=lambda: periods.current_year(), show_default="this year")
@click.option(
    "--format", "fmt", type=click.Choice(["pdf", "xlsx", "json"]), default="pdf", show_default=True
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@with_appcontext
def annual(code: str, year: int, fmt: str, output: Path | None) -> None:
    """Write the annual report of a unit (default file: bao-cao-<unit>-<year>.<format>): as
    submitted once submitted, else the draft."""
    import json

    unit = org.get_unit(code)
    snapshot = services.snapshot_for(unit, year)
    data = snapshot.payload if snapshot else report.annual_report_data(unit, year)
    output = output or Path(f"bao-cao-{unit.code}-{year}.{fmt}")
    if fmt == "pdf":
        if snapshot:
            pdf = report.sent_pdf(unit, data, closed=SnapshotSchema().dump(snapshot))
        else:
            pdf = report.render_pdf(data)
        output.write_bytes(pdf)
    elif fmt == "xlsx":
        output.write_bytes(report.render_xlsx(data))
    else:
        output.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    click.echo(str(output))


@reports_cli.command("rebuild")
@with_appcontext
def rebuild() -> None:
    """Recompute the indicator aggregates from the certificates, from scratch."""
    result = rebuild_aggregates()
    db.session.commit()
    click.echo(
        f"Rebuilt: {result['people']} people, {result['holdings']} holdings, "
        f"{result['rollups']} counters, {result['certificate_counts']} certificate counters"
    )


@reports_cli.command("close")
@click.option("--unit", "code", required=True)
@click.option("--year", type=int, required=True)
@click.option("--by", "email", required=True, help="Email of the official closing the year")
@click.option("--note", default=None)
@with_appcontext
def close(code: str, year: int, email: str, note: str | None) -> None:
    """Submit a unit's report of a year: its figures kept as sent, the report numbered."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"No user {email}")
    snapshot = services.close_year(org.get_unit(code), year, by=user, note=note)
    db.session.commit()
    number = snapshot.payload["document"]["number_text"]
    click.echo(
        f"Submitted {snapshot.year} for {code} ({number}) at {reporting.stamp(snapshot.closed_at)}"
    )
