"""Every message of the learning domain has a Vietnamese translation; pages default to it."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient

from tests.learning.conftest import World, login

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


def test_every_learning_message_has_a_vietnamese_translation() -> None:
    wanted = _messages(LMS / "learning", "**.py", "python")
    wanted |= _messages(LMS / "templates" / "learning", "**.html", "jinja2")
    with open(LMS / "learning" / "translations" / "vi" / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = read_po(fh)
    translated = {m.id for m in catalog if m.id and m.string}
    assert sorted(wanted - translated) == []


def test_results_page_is_vietnamese_by_default(
    app: Flask, client: FlaskClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "vi")
    login(client, world.admin)
    page = client.get("/learning/imports").text
    assert "Nhập kết quả" in page
    assert "Kiểm tra và xem trước" in page
