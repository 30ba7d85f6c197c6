"""Every ``LMS_*`` variable the app reads has its row in a README settings table."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_setting_read_by_the_config_is_in_the_readme() -> None:
    source = (ROOT / "lms" / "config.py").read_text(encoding="utf-8")
    read = set(re.findall(r"""env(?:\.get\(|\[)["'](LMS_[A-Z0-9_]+)["']""", source))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `(LMS_[A-Z0-9_]+)`", readme, flags=re.MULTILINE))
    assert len(read) > 10  # the pattern still finds what config.py reads
    assert sorted(read - documented) == []
