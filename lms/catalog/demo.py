"""Demo data of the catalog: the real course packages under ``courses/``."""

from __future__ import annotations

from pathlib import Path

from lms.catalog.importer import import_path

COURSES_DIR = Path(__file__).resolve().parent.parent.parent / "courses"


def seed() -> list[str]:
    """Import (or refresh) every package of ``courses/``; unchanged ones are left alone."""
    if not COURSES_DIR.is_dir():
        return ["catalog: no courses/ folder found; no courses imported"]
    results = import_path(COURSES_DIR)
    changed = [r for r in results if r.status != "unchanged"]
    return [
        f"catalog: {len(results)} courses ({len(changed)} imported or updated) from {COURSES_DIR}"
    ]
