"""Templates format what people read through lms.formatting's filters, never by hand.

A number or a date formatted in a template (``'%.1f'|format``, ``strftime``) reads ``13.3%``
and ``180010`` beside a PDF that says ``14,4%`` and ``180.010``; moments formatted by hand
read in UTC. SVG coordinates are not read by people: ``_bar.html`` draws with them.
"""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "lms" / "templates"

BY_HAND = re.compile(
    r"""strftime\(\s*['"]%[dYm]"""  # dates (times of day, %H:%M, are wall-clock and fine)
    r"""|['"]%\.\d?f['"]\s*\|\s*format"""  # '%.1f'|format(...)
    r"""|\|\s*round\(1\)"""  # |round(1) shown as 24.0
    r"""|datetimeformat\("""  # Flask-Babel's, without the zone
    r"""|'\{:,\}'\.format"""  # thousands by hand: '{:,}'.format(n).replace(',', '.')
)


def test_no_template_formats_numbers_or_dates_by_hand() -> None:
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        if path.name == "_bar.html":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if BY_HAND.search(line):
                found.append(f"{path.relative_to(TEMPLATES)}:{number}")
    assert found == []
