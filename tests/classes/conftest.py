"""Messages in English here, so assertions read like the msgids (pages test Vietnamese)."""

from __future__ import annotations

import pytest
from flask import Flask


@pytest.fixture(autouse=True)
def english(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "en")
