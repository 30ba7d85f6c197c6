"""``flask privacy ...``: removing accounts nobody activated."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from lms.extensions import db
from lms.privacy import services


@click.group("privacy", help="Personal data: removing accounts never activated.")
def privacy_cli() -> None:
    pass


@privacy_cli.command("purge-unactivated")
@click.option("--days", type=int, default=None, help="Default: LMS_UNACTIVATED_RETENTION_DAYS.")
@with_appcontext
def purge_unactivated(days: int | None) -> None:
    """Remove the identifying data of accounts created for someone who never activated them."""
    days = days if days is not None else int(current_app.config["UNACTIVATED_RETENTION_DAYS"])
    count = services.purge_unactivated(days=days)
    db.session.commit()
    click.echo(f"Removed {count} account(s) not activated within {days} days")
