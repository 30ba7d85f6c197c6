"""The acts the audit log records, and how people read them."""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l


class AuditAction(enum.StrEnum):
    certificate_issued_override = "certificate.issued_override"
    certificate_revoked = "certificate.revoked"
    certificate_template_saved = "certificate_template.saved"
    year_closed = "year.closed"
    year_reopened = "year.reopened"
    user_created = "user.created"
    user_roles_changed = "user.roles_changed"
    user_deactivated = "user.deactivated"
    user_reactivated = "user.reactivated"
    user_password_set = "user.password_set"  # noqa: S105 - the name of an act, not a secret
    lrs_client_created = "lrs_client.created"
    lrs_client_changed = "lrs_client.changed"
    lrs_client_revoked = "lrs_client.revoked"
    source_platform_created = "source_platform.created"
    source_platform_changed = "source_platform.changed"
    source_platform_deleted = "source_platform.deleted"
    held_statement_resolved = "held_statement.resolved"
    held_statement_dismissed = "held_statement.dismissed"
    unit_merged = "unit.merged"
    user_data_deleted = "user.data_deleted"


ACTION_LABELS: dict[str, object] = {
    AuditAction.certificate_issued_override: _l("Certificate issued with an override reason"),
    AuditAction.certificate_revoked: _l("Certificate revoked"),
    AuditAction.certificate_template_saved: _l("Certificate template or signer saved"),
    AuditAction.year_closed: _l("Year's figures closed"),
    AuditAction.year_reopened: _l("Year's figures reopened"),
    AuditAction.user_created: _l("Account created with a role"),
    AuditAction.user_roles_changed: _l("Roles changed"),
    AuditAction.user_deactivated: _l("Account deactivated"),
    AuditAction.user_reactivated: _l("Account reactivated"),
    AuditAction.user_password_set: _l("Password set by an operator"),
    AuditAction.lrs_client_created: _l("LRS client created"),
    AuditAction.lrs_client_changed: _l("LRS client changed"),
    AuditAction.lrs_client_revoked: _l("LRS client revoked"),
    AuditAction.source_platform_created: _l("Source platform registered"),
    AuditAction.source_platform_changed: _l("Source platform changed"),
    AuditAction.source_platform_deleted: _l("Source platform removed"),
    AuditAction.held_statement_resolved: _l("Held statement resolved"),
    AuditAction.held_statement_dismissed: _l("Held statement dismissed"),
    AuditAction.unit_merged: _l("Unit merged"),
    AuditAction.user_data_deleted: _l("Personal data deleted on the person's request"),
}

#: Names of the kinds of things an act is done to.
TARGET_LABELS: dict[str, object] = {
    "certificate": _l("Certificate"),
    "year": _l("Year's figures"),
    "user": _l("Person"),
    "lrs_client": _l("LRS client"),
    "source_platform": _l("Source platform"),
    "certificate_template": _l("Certificate template"),
    "held_statement": _l("Held statement"),
    "unit": _l("Unit"),
}


#: Names of the keys of an entry's details.
DETAIL_LABELS: dict[str, object] = {
    "roles": _l("Roles"),
    "roles_before": _l("Roles before"),
    "roles_after": _l("Roles after"),
    "name": _l("Name"),
    "scopes": _l("Scopes"),
    "authority": _l("Authority"),
    "signer_name": _l("Signer's name"),
    "signer_title": _l("Signer's title"),
    "signer_authority": _l("Signing authority"),
    "active": _l("Active"),
    "client_id": _l("LRS client"),
    "home_page": _l("Home page"),
    "provision_unknown": _l("Creates unknown learners"),
    "default_target_group": _l("Target group of new learners"),
    "person": _l("Linked to"),
    "applied": _l("Statements applied"),
    "still_held": _l("Statements still held"),
    "into": _l("Merged into"),
    "deletion_request": _l("Deletion request"),
    "on": _l("From"),
    "units_moved": _l("Units moved"),
    "people_moved": _l("People moved"),
    "number": _l("Document number"),
}


def action_label(code: str) -> str:
    return str(ACTION_LABELS.get(code, code))


def target_label(code: str) -> str:
    return str(TARGET_LABELS.get(code, code))


def detail_label(key: str) -> str:
    return str(DETAIL_LABELS.get(key, key))
