"""The document resources (Communication 2.2-2.7) and the Activities and Agents resources."""

from __future__ import annotations

from typing import Any

from flask import Response

from lms.extensions import db
from lms.xapi import binding, canonical, documents
from lms.xapi.api import (
    METHODS,
    agent_param,
    authenticated_client,
    bp,
    current_request,
    forbid,
    json_with_etag,
    not_allowed,
)
from lms.xapi.constants import DocumentKind, Scope
from lms.xapi.documents import Preconditions, etag_of, parse_etags
from lms.xapi.documents import Scope as DocScope
from lms.xapi.keys import http_date
from lms.xapi.protocol import XapiError, XRequest, check_params, json_response
from lms.xapi.validation import (
    agent_ifi,
    is_v2,
    validate_activity_id,
    validate_timestamp,
    validate_uuid,
)


class _DocResource:
    def __init__(
        self,
        kind: DocumentKind,
        id_param: str,
        *,
        activity: bool,
        agent: bool,
        registration: bool,
        scope: Scope,
    ) -> None:
        self.kind = kind
        self.id_param = id_param
        self.activity = activity
        self.agent = agent
        self.registration = registration
        self.scope = scope

    @property
    def base_params(self) -> tuple[str, ...]:
        names = []
        if self.activity:
            names.append("activityId")
        if self.agent:
            names.append("agent")
        if self.registration:
            names.append("registration")
        return tuple(names)


STATE = _DocResource(
    DocumentKind.state,
    "stateId",
    activity=True,
    agent=True,
    registration=True,
    scope=Scope.state,
)
ACTIVITY_PROFILE = _DocResource(
    DocumentKind.activity_profile,
    "profileId",
    activity=True,
    agent=False,
    registration=False,
    scope=Scope.profile,
)
AGENT_PROFILE = _DocResource(
    DocumentKind.agent_profile,
    "profileId",
    activity=False,
    agent=True,
    registration=False,
    scope=Scope.profile,
)


@bp.route("/activities/state", methods=METHODS)
def state() -> Response:
    return _documents(STATE)


@bp.route("/activities/profile", methods=METHODS)
def activity_profile() -> Response:
    return _documents(ACTIVITY_PROFILE)


@bp.route("/agents/profile", methods=METHODS)
def agent_profile() -> Response:
    return _documents(AGENT_PROFILE)


def _documents(res: _DocResource) -> Response:

    xreq = current_request()
    client = authenticated_client()
    method = xreq.method
    if method not in ("GET", "HEAD", "PUT", "POST", "DELETE"):
        raise not_allowed("GET, HEAD, PUT, POST, DELETE")
    reading = method in ("GET", "HEAD")
    if not (client.can_read(res.scope) if reading else client.has(res.scope)):
        raise forbid(("reading " if reading else "writing ") + res.kind.replace("_", " "))
    params = xreq.params
    allowed = (*res.base_params, res.id_param)
    if reading:
        allowed += ("since",)
    required: tuple[str, ...] = tuple(p for p in res.base_params if p != "registration")
    if method in ("PUT", "POST") or (method == "DELETE" and res.kind != DocumentKind.state):
        required += (res.id_param,)
    check_params(params, allowed, required=required)
    if "since" in params and res.id_param in params:
        raise XapiError(400, f"since lists documents; it cannot be used with {res.id_param}.")
    scope = _doc_scope(res, xreq)
    doc_id = params.get(res.id_param)
    if doc_id is not None and not doc_id:
        raise XapiError(400, f"{res.id_param} must not be empty.", path=res.id_param)
    binding.check_document(
        client.binding,
        res.kind,
        activity_id=scope.activity_id,
        agent=scope.agent_ifi,
        registration=scope.registration,
        doc_id=doc_id,
        writing=not reading,
    )
    pre = Preconditions(
        if_match=parse_etags(xreq.header("If-Match")),
        if_none_match=parse_etags(xreq.header("If-None-Match")),
    )
    if reading:
        if doc_id is None:
            since = None
            if "since" in params:
                since = validate_timestamp(params["since"], path="since", version=xreq.version)
            ids, latest = documents.list_ids(scope, since)
            body = documents.ids_body(ids)
            response = json_response(body)
            response.headers["ETag"] = f'"{etag_of(body)}"'
            if latest is not None:
                response.headers["Last-Modified"] = http_date(latest)
            return response
        doc = documents.get(scope, doc_id)
        if doc is None:
            raise XapiError(404, f"No document {doc_id!r} here.")
        response = Response(doc.content, content_type=doc.content_type)
        response.headers["ETag"] = f'"{doc.etag}"'
        response.headers["Last-Modified"] = http_date(doc.updated)
        return response
    content_type = xreq.content_type or "application/octet-stream"
    if len(content_type) > 255:
        raise XapiError(400, "The Content-Type of the document is too long (255 at most).")
    if method == "PUT":
        documents.put(
            scope,
            doc_id or "",
            xreq.body,
            content_type,
            pre,
            rule=documents.put_rule(res.kind, v2=is_v2(xreq.version)),
        )
    elif method == "POST":
        documents.post(scope, doc_id or "", xreq.body, content_type, pre)
    elif doc_id is None:
        documents.delete_all(scope)
    else:
        documents.delete_one(scope, doc_id, pre)
    db.session.commit()
    return Response(status=204)


def _doc_scope(res: _DocResource, xreq: XRequest) -> DocScope:
    params = xreq.params
    activity_id = agent = registration = None
    if res.activity:
        activity_id = validate_activity_id(params["activityId"], path="activityId")
    if res.agent:
        value = agent_param(params["agent"], "agent")
        if value.get("objectType") == "Group":
            _check_group_agent(value, v2=is_v2(xreq.version))
        agent = agent_ifi(value)
    if res.registration and "registration" in params:
        registration = validate_uuid(params["registration"], path="registration")
    return DocScope(
        kind=res.kind, activity_id=activity_id, agent_ifi=agent, registration=registration
    )


def _check_group_agent(group: dict[str, Any], *, v2: bool) -> None:
    """The ``agent`` parameter of a document resource given as a Group.

    1.0.3 takes an Agent only (Communication 2.3.s3, 2.6.s3 tables). xAPI 2.0 also takes an
    identified Group, sent without its member list; its documents are those of its identifier
    (the same as an Agent with that identifier). Anonymous Groups have no identifier and were
    refused already (:func:`lms.xapi.validation.validate_agent_param`).
    """
    if not v2:
        raise XapiError(
            400,
            "agent must be an Agent (xAPI 1.0.3); to keep documents for a Group, use the "
            "Group's identifier in an Agent object, or send the request as xAPI 2.0.",
            path="agent",
        )
    if "member" in group:
        raise XapiError(
            400, "agent: send the identified Group without its member list.", path="agent.member"
        )


@bp.route("/activities", methods=METHODS)
def activities() -> Response:
    xreq = current_request()
    client = authenticated_client()
    if xreq.method not in ("GET", "HEAD"):
        raise not_allowed("GET, HEAD")
    if not client.can_read(
        Scope.statements_read, Scope.statements_read_mine, Scope.state, Scope.profile, Scope.define
    ):
        raise forbid("reading activities")
    check_params(xreq.params, ("activityId",), required=("activityId",))
    activity_id = validate_activity_id(xreq.params["activityId"], path="activityId")
    binding.check_activity(client.binding, activity_id)
    return json_with_etag(canonical.activity(activity_id, answer_keys=client.sees_answer_keys))


@bp.route("/agents", methods=METHODS)
def agents() -> Response:
    xreq = current_request()
    client = authenticated_client()
    if xreq.method not in ("GET", "HEAD"):
        raise not_allowed("GET, HEAD")
    # Communication 2.4.s3.b1: combined agent information needs more than read/mine.
    if not client.can_read(Scope.statements_read):
        raise forbid("reading agents")
    check_params(xreq.params, ("agent",), required=("agent",))
    agent = agent_param(xreq.params["agent"], "agent")
    if agent.get("objectType") == "Group":
        raise XapiError(400, "agent must be an Agent, not a Group.", path="agent")
    return json_with_etag(canonical.person(agent))
