"""Every message of the personal-data pages has a Vietnamese translation."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

from tests.web.test_translations import _messages

LMS = Path(__file__).resolve().parents[2] / "lms"


def test_every_privacy_message_has_a_vietnamese_translation() -> None:
    wanted = _messages(LMS / "privacy", "**.py", "python")
    wanted |= _messages(LMS / "templates" / "privacy", "**.html", "jinja2")
    wanted |= _messages(LMS / "templates" / "messages", "**.txt", "jinja2")
    translated: set[str] = set()
    for path in (LMS / "privacy", LMS):
        with open(path / "translations" / "vi" / "LC_MESSAGES" / "messages.po", "rb") as fh:
            translated |= {str(m.id) for m in read_po(fh) if m.id and m.string}
    assert sorted(wanted - translated) == []
