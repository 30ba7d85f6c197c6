"""Administration of LRS clients under /api/v1/lrs-clients (admins only)."""

from __future__ import annotations

from flask import Blueprint, url_for
from flask.typing import ResponseReturnValue

from lms.audit import services as audit
from lms.audit.constants import AuditAction
from lms.auth.models import Role
from lms.auth.permissions import auth_required, current
from lms.extensions import db
from lms.http import created, load, no_content, paginate
from lms.openapi import doc
from lms.xapi import clients
from lms.xapi.models import LrsClient
from lms.xapi.schemas import (
    LrsClientCreatedSchema,
    LrsClientCreateSchema,
    LrsClientSchema,
    LrsClientUpdateSchema,
)

bp = Blueprint("xapi_admin", __name__, url_prefix="/api/v1")

TAGS = ["lrs-clients"]


def _write_first() -> None:
    """End the transaction that authenticating the request read in, then take the clients'
    lock before reading anything else: on SQLite a write must not start from an older
    snapshot (the lock would fail instead of waiting)."""
    if db.session().in_transaction():
        db.session.commit()
    clients.lock_clients()


@bp.get("/lrs-clients")
@auth_required(Role.admin)
@doc(summary="List LRS clients", tags=TAGS, response=LrsClientSchema, paginated=True)
def list_clients() -> ResponseReturnValue:
    """Every client that can use /xapi, newest last; secrets are never shown."""
    from sqlalchemy import select

    return paginate(select(LrsClient).order_by(LrsClient.id), clients.to_dict)


@bp.post("/lrs-clients")
@auth_required(Role.admin)
@doc(
    summary="Create an LRS client",
    tags=TAGS,
    body=LrsClientCreateSchema,
    response=LrsClientCreatedSchema,
    status=201,
)
def create_client() -> ResponseReturnValue:
    """The response holds the secret: it is shown this once and never stored in clear."""
    data = load(LrsClientCreateSchema())
    by = current()
    _write_first()
    client, secret = clients.create_client(
        data["name"], scopes=data["scopes"], authority=data["authority"], by=by
    )
    audit.record(
        AuditAction.lrs_client_created, client, actor=current(), details=clients.shown(client)
    )
    db.session.commit()
    body = clients.to_dict(client, secret=secret)
    return created(body, url_for("xapi_admin.get_client", client_id=client.id))


@bp.get("/lrs-clients/<int:client_id>")
@auth_required(Role.admin)
@doc(summary="Show an LRS client", tags=TAGS, response=LrsClientSchema)
def get_client(client_id: int) -> ResponseReturnValue:
    return clients.to_dict(clients.get_client(client_id))


@bp.patch("/lrs-clients/<int:client_id>")
@auth_required(Role.admin)
@doc(
    summary="Change an LRS client's name, scopes, authority or active flag",
    tags=TAGS,
    body=LrsClientUpdateSchema,
    response=LrsClientSchema,
)
def update_client(client_id: int) -> ResponseReturnValue:
    data = load(LrsClientUpdateSchema())
    _write_first()
    client = clients.update_client(clients.get_client(client_id), **data)
    audit.record(AuditAction.lrs_client_changed, client, actor=current(), details=data)
    db.session.commit()
    return clients.to_dict(client)


@bp.delete("/lrs-clients/<int:client_id>")
@auth_required(Role.admin)
@doc(summary="Revoke an LRS client", tags=TAGS, status=204)
def revoke_client(client_id: int) -> ResponseReturnValue:
    """The credentials stop working; the client's statements stay."""
    client = clients.revoke_client(clients.get_client(client_id))
    audit.record(AuditAction.lrs_client_revoked, client, actor=current())
    db.session.commit()
    return no_content()
