"""Every message of the audit log, and every action's label, has a Vietnamese translation."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from lms.audit.constants import ACTION_LABELS, DETAIL_LABELS, TARGET_LABELS, AuditAction

LMS = Path(__file__).resolve().parents[2] / "lms"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def _messages(directory: Path, pattern: str, method: str) -> set[str]:
    return {
        message[0] if isinstance(message, tuple) else message
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(directory),
            method_map=[(pattern, method)],
            keywords=KEYWORDS,
            options_map={pattern: {"extensions": "jinja2.ext.do"}},
        )
    }


def test_every_audit_message_has_a_vietnamese_translation() -> None:
    wanted = _messages(LMS / "audit", "**.py", "python")
    wanted |= _messages(LMS / "templates" / "audit", "**.html", "jinja2")
    with open(LMS / "audit" / "translations" / "vi" / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = read_po(fh)
    translated = {
        (m.id[0] if isinstance(m.id, tuple) else m.id)
        for m in catalog
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    assert sorted(wanted - translated) == []


def test_every_action_has_a_label() -> None:
    assert set(ACTION_LABELS) == set(AuditAction)
    assert all(str(label) for label in [*TARGET_LABELS.values(), *DETAIL_LABELS.values()])
