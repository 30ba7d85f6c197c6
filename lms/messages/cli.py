"""``flask messages ...``: where e-mail and SMS go, what was sent, and sending again."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from lms.extensions import db
from lms.messages import services
from lms.messages.models import Message


@click.group("messages", help="E-mail and SMS: where they go and what was sent.")
def messages_cli() -> None:
    pass


@messages_cli.command("where")
@with_appcontext
def where() -> None:
    """Say where e-mail and SMS go with the current settings (``make run`` prints it)."""
    click.echo(services.describe_setup())


@messages_cli.command("list")
@click.option("--limit", type=int, default=20, show_default=True)
@with_appcontext
def list_messages(limit: int) -> None:
    """The most recent messages with their state (never their code)."""
    for m in db.session.scalars(select(Message).order_by(Message.id.desc()).limit(limit)):
        error = f"  {m.last_error}" if m.last_error else ""
        click.echo(
            f"{m.id:>6}  {m.channel:<5} {m.purpose:<10} {m.status:<6} {m.attempts}x  "
            f"{m.recipient}{error}"
        )
