"""The Statement resource: PUT, POST, GET and HEAD /xapi/statements (Communication 2.1)."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from flask import Response, url_for
from sqlalchemy.exc import SQLAlchemyError

from lms.edge import ascii_digits
from lms.events import statements_stored
from lms.extensions import db
from lms.replicas import reads_from_replica
from lms.xapi import binding, canonical, clients, queries, rendering
from lms.xapi.api import (
    METHODS,
    agent_param,
    authenticated_client,
    bp,
    current_request,
    forbid,
    not_allowed,
)
from lms.xapi.attachments import (
    build_multipart,
    match_attachments,
    media_type,
    parse_multipart,
    require_file_urls,
    statement_part,
)
from lms.xapi.clients import ClientInfo
from lms.xapi.constants import STATEMENT_FORMATS, Scope
from lms.xapi.keys import http_date
from lms.xapi.protocol import (
    XapiError,
    XRequest,
    check_params,
    json_response,
    parse_bool,
    reject_nul,
)
from lms.xapi.signatures import verify_signatures
from lms.xapi.statements import Blob, Writer, complete, store
from lms.xapi.validation import (
    agent_ifi,
    is_v2,
    parse_accept_language,
    parse_json,
    validate_activity_id,
    validate_statement,
    validate_statements,
    validate_timestamp,
    validate_uuid,
)

logger = logging.getLogger(__name__)

QUERY_PARAMS = (
    "agent",
    "verb",
    "activity",
    "registration",
    "related_activities",
    "related_agents",
    "since",
    "until",
    "limit",
    "format",
    "attachments",
    "ascending",
)
FORMATS = STATEMENT_FORMATS


@bp.route("/statements", methods=METHODS)
def statements() -> Response:
    xreq = current_request()
    client = authenticated_client()
    if xreq.method in ("GET", "HEAD"):
        return _get_statements(xreq, client)
    if xreq.method == "PUT":
        return _put_statement(xreq, client)
    if xreq.method == "POST":
        return _post_statements(xreq, client)
    raise not_allowed("GET, HEAD, PUT, POST")


def _statement_payload(xreq: XRequest) -> tuple[Any, list[Any] | None]:
    """The parsed statements, and the attachment parts when the request is multipart."""
    kind = media_type(xreq.content_type)
    parts = None
    if kind == "multipart/mixed":
        all_parts = parse_multipart(xreq.body, xreq.content_type)
        raw = statement_part(all_parts)
        parts = all_parts[1:]
    elif kind in ("application/json", ""):
        raw = xreq.body
    else:
        raise XapiError(
            400,
            f"Statements are sent as application/json or multipart/mixed, not {kind}.",
        )
    if not raw.strip():
        raise XapiError(400, "The request has no statement in its body.")
    reject_nul(raw)
    try:
        return parse_json(raw), parts
    except RecursionError:
        raise XapiError(400, "The JSON body is nested too deeply.") from None


def _blobs(statements: list[dict[str, Any]], parts: list[Any] | None) -> dict[str, Blob]:
    if parts is None:
        require_file_urls(statements)
        return {}
    return match_attachments(statements, parts)


def _write(
    xreq: XRequest, client: ClientInfo, statements: list[dict[str, Any]], blobs: dict[str, Blob]
) -> list[str]:
    writer = Writer(
        authority=client.authority,
        client_id=client.id,
        define=client.has(Scope.define),
        version=xreq.version,
    )
    binding.check_statements(client.binding, statements)
    prepared = [complete(s, writer) for s in statements]
    # No SAVEPOINT: this request owns its transaction, and any error rolls it all back.
    ids = store(prepared, writer, blobs=blobs, savepoint=False)
    if binding.closes(client.binding, statements):
        clients.end_bound_client(client.id)
    db.session.commit()
    statements_stored.send(None, count=len(ids))
    if writer.define:
        # After the commit: canonical definitions never hold up statement writers.
        try:
            canonical.apply(canonical.collect(prepared))
            db.session.commit()
        except SQLAlchemyError:
            db.session.rollback()
            logger.warning("Canonical definitions not updated for this batch", exc_info=True)
    return ids


def _post_statements(xreq: XRequest, client: ClientInfo) -> Response:
    check_params(xreq.params, ())
    if not client.has(Scope.statements_write):
        raise forbid("writing statements")
    payload, parts = _statement_payload(xreq)
    statements = validate_statements(payload, version=xreq.version, parsed=True)
    blobs = _blobs(statements, parts)
    batch = isinstance(payload, list)
    v2 = is_v2(xreq.version)
    for number, stmt in enumerate(statements):
        if "attachments" in stmt:  # a signature is an attachment: most statements have none
            verify_signatures(stmt, blobs, where=f"[{number}]" if batch else "statement", v2=v2)
    ids = _write(xreq, client, statements, blobs)
    return json_response(orjson.dumps(ids))


def _put_statement(xreq: XRequest, client: ClientInfo) -> Response:
    check_params(xreq.params, ("statementId",), required=("statementId",))
    if not client.has(Scope.statements_write):
        raise forbid("writing statements")
    statement_id = validate_uuid(xreq.params["statementId"], path="statementId")
    payload, parts = _statement_payload(xreq)
    if not isinstance(payload, dict):
        raise XapiError(400, "PUT stores one statement: send a JSON object, not an array.")
    validate_statement(payload, version=xreq.version)
    if "id" in payload and str(payload["id"]).lower() != statement_id:
        raise XapiError(
            400, "The statement's id differs from the statementId parameter.", path="id"
        )
    if "id" not in payload:
        payload = {"id": xreq.params["statementId"], **payload}
    blobs = _blobs([payload], parts)
    verify_signatures(payload, blobs, where="statement", v2=is_v2(xreq.version))
    _write(xreq, client, [payload], blobs)
    return Response(status=204)


def _get_statements(xreq: XRequest, client: ClientInfo) -> Response:
    if client.reads_all_statements:
        mine = None
    elif client.has(Scope.statements_read_mine):
        mine = client.authority_ifi
    else:
        raise forbid("reading statements")
    params = xreq.params
    languages = parse_accept_language(xreq.header("Accept-Language"))
    keys = client.sees_answer_keys
    if "statementId" in params or "voidedStatementId" in params:
        return _get_one(params, mine, languages, keys)
    if "more" in params:
        check_params(params, ("more",))
        try:
            f, options, cursor = queries.decode_more(params["more"])
        except ValueError:
            raise XapiError(400, "The more parameter is not a link this LRS gave.") from None
        f.mine = mine
        fmt, attachments = options.get("format", "exact"), bool(options.get("attachments"))
    else:
        check_params(params, QUERY_PARAMS)
        f = _statement_filter(xreq)
        f.mine = mine
        fmt = _format(params)
        attachments = parse_bool(params, "attachments")
        cursor = None
    # A query may be answered by a replica; a statement by id (often read right after it was
    # written) and Consistent-Through's own figure come from the primary.
    page = reads_from_replica(queries.find)(f, cursor)
    rendered = rendering.render(page.rows, fmt, languages, answer_keys=keys)
    more = ""
    if page.cursor is not None:
        options = {"format": fmt, "attachments": attachments}
        token = queries.encode_more(f, options, page.cursor)
        more = url_for("xapi.statements", more=token)
    body = b'{"statements":[' + b",".join(rendered) + b'],"more":' + orjson.dumps(more) + b"}"
    response = _statements_response(body, rendered, attachments)
    if page.rows:
        response.headers["Last-Modified"] = http_date(max(r.stored for r in page.rows))
    return response


def _get_one(
    params: dict[str, str], mine: str | None, languages: list[str], keys: bool
) -> Response:
    check_params(params, ("statementId", "voidedStatementId", "format", "attachments"))
    if "statementId" in params and "voidedStatementId" in params:
        raise XapiError(400, "Give statementId or voidedStatementId, not both.")
    voided = "voidedStatementId" in params
    name = "voidedStatementId" if voided else "statementId"
    statement_id = validate_uuid(params[name], path=name)
    fmt = _format(params)
    attachments = parse_bool(params, "attachments")
    row = queries.get_one(statement_id, voided=voided, mine=mine)
    if row is None:
        if voided:
            raise XapiError(404, f"No voided statement {statement_id}.")
        raise XapiError(404, f"No statement {statement_id} (or it has been voided).")
    body = rendering.render([row], fmt, languages, answer_keys=keys)[0]
    response = _statements_response(body, [body], attachments)
    response.headers["Last-Modified"] = http_date(row.stored)
    return response


def _statements_response(body: bytes, statements: list[bytes], attachments: bool) -> Response:
    if not attachments:
        return json_response(body)
    blobs = [
        {"sha2": b.sha2, "content_type": b.content_type, "content": b.content}
        for b in rendering.attachment_blobs(statements)
    ]
    data, boundary = build_multipart(body, blobs)
    return Response(data, content_type=f'multipart/mixed; boundary="{boundary}"')


def _format(params: dict[str, str]) -> str:
    fmt = params.get("format", "exact")
    if fmt not in FORMATS:
        raise XapiError(400, "format must be ids, exact or canonical.", path="format")
    return fmt


def _statement_filter(xreq: XRequest) -> queries.StatementFilter:
    params = xreq.params
    f = queries.StatementFilter()
    if "agent" in params:
        f.agent = agent_ifi(agent_param(params["agent"], "agent"))
    if "verb" in params:
        f.verb = validate_activity_id(params["verb"], path="verb")
    if "activity" in params:
        f.activity = validate_activity_id(params["activity"], path="activity")
    if "registration" in params:
        f.registration = validate_uuid(params["registration"], path="registration")
    for name in ("since", "until"):
        if name in params:
            setattr(f, name, validate_timestamp(params[name], path=name, version=xreq.version))
    if "limit" in params:
        raw = params["limit"]
        if not ascii_digits(raw):
            raise XapiError(400, "limit must be a whole number, 0 or more.", path="limit")
        f.limit = int(raw)
    f.related_activities = parse_bool(params, "related_activities")
    f.related_agents = parse_bool(params, "related_agents")
    f.ascending = parse_bool(params, "ascending")
    return f
