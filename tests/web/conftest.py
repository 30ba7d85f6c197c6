from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from lms.ratelimit import MemoryStore


@pytest.fixture(autouse=True)
def fresh_rate_limits(app: Flask) -> Iterator[None]:
    saved = app.extensions["lms_ratelimit"]
    app.extensions["lms_ratelimit"] = MemoryStore()
    yield
    app.extensions["lms_ratelimit"] = saved
