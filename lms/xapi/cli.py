"""``flask --app wsgi lrs-client ...``: credentials for programs that use the LRS."""

from __future__ import annotations

import sys

import click
import orjson
from flask.cli import with_appcontext

from lms.audit import services as audit
from lms.audit.constants import AuditAction
from lms.errors import DomainError
from lms.extensions import db
from lms.xapi import clients
from lms.xapi.constants import DEFAULT_SCOPES, Scope

SCOPES = [s.value for s in Scope]


@click.group("lrs-client", help="Manage LRS clients (HTTP Basic key/secret for /xapi).")
def lrs_client_cli() -> None:
    pass


def _fail(exc: DomainError) -> None:
    db.session.rollback()
    click.echo(f"Error: {exc.message}", err=True)
    for field, messages in exc.errors.items():
        click.echo(f"  {field}: {' '.join(messages)}", err=True)
    sys.exit(1)


@lrs_client_cli.command("create")
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(SCOPES),
    help="xAPI scope (repeatable). Default: " + ", ".join(str(s) for s in DEFAULT_SCOPES) + ".",
)
@click.option("--authority", help="The authority Agent as JSON (default: the client itself).")
@with_appcontext
def create(name: str, scopes: tuple[str, ...], authority: str | None) -> None:
    """Create a client; prints one JSON object {"key", "secret", "endpoint"}.

    The secret is shown only now: it is not stored, only its keyed hash.
    """
    try:
        agent = orjson.loads(authority) if authority else None
    except orjson.JSONDecodeError:
        click.echo("Error: --authority is not valid JSON.", err=True)
        sys.exit(2)
    try:
        client, secret = clients.create_client(name, scopes=scopes, authority=agent)
    except DomainError as exc:
        _fail(exc)
        return
    audit.record(AuditAction.lrs_client_created, client, actor=None, details=clients.shown(client))
    db.session.commit()
    click.echo(orjson.dumps({"key": client.key, "secret": secret, "endpoint": clients.endpoint()}))


@lrs_client_cli.command("list")
@click.option("--all", "include_revoked", is_flag=True, help="Include revoked clients.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@with_appcontext
def list_(include_revoked: bool, as_json: bool) -> None:
    """List clients (never their secrets)."""
    for client in clients.list_clients(include_revoked=include_revoked):
        if as_json:
            click.echo(orjson.dumps(clients.to_dict(client)))
            continue
        state = "active" if client.active and client.revoked_at is None else "revoked"
        click.echo(f"{client.id}\t{client.key}\t{state}\t{','.join(client.scopes)}\t{client.name}")


@lrs_client_cli.command("revoke")
@click.argument("key_or_id")
@with_appcontext
def revoke(key_or_id: str) -> None:
    """Revoke a client by key (or id): its credentials stop working."""
    try:
        client = clients.find_client(key_or_id)
        clients.revoke_client(client)
    except DomainError as exc:
        _fail(exc)
        return
    audit.record(AuditAction.lrs_client_revoked, client, actor=None)
    db.session.commit()
    click.echo(f"Revoked {client.key} ({client.name}).", err=True)
