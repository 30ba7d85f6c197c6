"""Recording privileged acts; reading them back is :mod:`lms.audit.queries`.

:func:`record` is the one function other domains call. It takes the thing acted on and works
out what to write about it (:func:`describe`), so that each act is wired with one call; where
the act happened (address, browser, request id; or the command line) is read from the request
or the command being run, because it belongs to the moment, not to the act's arguments.
This module imports no domain (the describers go by table name), so every domain can record.
"""

from __future__ import annotations

import getpass
import logging
import socket
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import click
from flask import g, has_request_context, request

from lms.audit.constants import AuditAction
from lms.audit.models import AuditEntry
from lms.extensions import db

if TYPE_CHECKING:
    from lms.auth.models import User
    from lms.org.models import Unit

logger = logging.getLogger(__name__)

#: ``record(..., unit=FROM_TARGET)``: the unit :func:`describe` finds on the target.
FROM_TARGET: Any = object()


def _certificate(cert: Any) -> tuple[str, str, str, int | None]:
    unit = cert.issuing_unit_id or cert.holder_unit_id
    return "certificate", cert.serial, f"{cert.serial} — {cert.holder_name}", unit


def _template(row: Any) -> tuple[str, str, str, int | None]:
    return "certificate_template", str(row.id), row.name, row.unit_id


def _user(user: Any) -> tuple[str, str, str, int | None]:
    return "user", str(user.id), user.full_name, user.unit_id


def _unit(unit: Any) -> tuple[str, str, str, int | None]:
    return "unit", unit.code, f"{unit.code} — {unit.name}", unit.id


def _snapshot(snapshot: Any) -> tuple[str, str, str, int | None]:
    unit = snapshot.unit
    return "year", f"{unit.code}/{snapshot.year}", f"{unit.name} — {snapshot.year}", unit.id


def _lrs_client(client: Any) -> tuple[str, str, str, int | None]:
    return "lrs_client", str(client.id), f"{client.name} ({client.key})", None


def _platform(platform: Any) -> tuple[str, str, str, int | None]:
    return "source_platform", str(platform.id), platform.name, None


def _held(row: Any) -> tuple[str, str, str, int | None]:
    verb = str(row.verb_id).rsplit("/", 1)[-1]
    return "held_statement", row.statement_id, f"{verb} {row.activity_iri}"[:500], None


#: By table, so that the audit log imports no domain above it.
_DESCRIBERS = {
    "certificates": _certificate,
    "certificate_templates": _template,
    "users": _user,
    "units": _unit,
    "stat_snapshots": _snapshot,
    "lrs_clients": _lrs_client,
    "source_platforms": _platform,
    "bridge_unmatched": _held,
}


def describe(target: Any) -> tuple[str, str, str, int | None]:
    """``(target_type, target_id, summary, unit_id)`` of a model instance acted on.

    The summary holds names, codes and serials only, never words: it reads the same in
    Vietnamese and in English, and the page puts the translated action before it.
    """
    describer = _DESCRIBERS.get(getattr(target, "__tablename__", ""))
    if describer is None:
        raise TypeError(f"The audit log does not know how to describe {target!r}")
    return describer(target)


def _shell_user() -> str:
    try:
        return f"{getpass.getuser()}@{socket.gethostname()}"
    except (KeyError, OSError):  # no user name in this container
        return socket.gethostname()


def _origin() -> dict[str, str | None]:
    """Where the act came from: the request, or the command being run, or the system."""
    if has_request_context():
        agent = request.user_agent.string or None
        return {
            "address": request.remote_addr,
            "user_agent": agent[:300] if agent else None,
            "request_id": g.get("request_id"),
        }
    command = click.get_current_context(silent=True)
    if command is not None:
        where = f"cli: {command.command_path} ({_shell_user()})"
        return {"address": None, "user_agent": where[:300], "request_id": None}
    return {"address": None, "user_agent": "system", "request_id": None}


def record(
    action: AuditAction,
    target: Any,
    *,
    actor: User | None,
    reason: str | None = None,
    details: Mapping[str, Any] | None = None,
    unit: Unit | None = FROM_TARGET,
) -> AuditEntry:
    """Write one entry about ``target`` in the current transaction (the caller commits).

    ``actor`` None is the system itself, or an operator at the command line. ``unit`` puts
    the entry in another unit's area than the target's own (None: administrators only).
    """
    target_type, target_id, summary, unit_id = describe(target)
    if unit is not FROM_TARGET:
        unit_id = unit.id if unit is not None else None
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        actor_name=actor.full_name if actor is not None else None,
        action=str(action),
        target_type=target_type,
        target_id=str(target_id)[:100],
        unit_id=unit_id,
        summary=summary[:500],
        reason=(reason or "").strip() or None,
        details=dict(details or {}),
        **_origin(),
    )
    db.session.add(entry)
    db.session.flush()
    logger.info(
        "Audit %s %s=%s by %s", entry.action, target_type, target_id, entry.actor_id or "system"
    )
    return entry
