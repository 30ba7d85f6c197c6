"""The core catalog translates every message of the shell, the shared modules and auth."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

LMS = Path(__file__).resolve().parents[2] / "lms"
#: ``N_`` marks messages translated where they are shown (schema validators' messages).
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "_l": None,
    "lazy_gettext": None,
    "N_": None,
}


def _messages(directory: Path, pattern: str, method: str, recursive: bool = True) -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(directory),
        method_map=[(pattern, method)],
        keywords=KEYWORDS,
        options_map={pattern: {"extensions": "jinja2.ext.do"}},
    ):
        if not recursive and "/" in _file:
            continue
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_core_message_has_a_vietnamese_translation() -> None:
    wanted = _messages(LMS, "*.py", "python", recursive=False)
    for package in ("auth", "web", "jobs"):
        wanted |= _messages(LMS / package, "**.py", "python")
    templates = LMS / "templates"
    wanted |= _messages(templates, "*.html", "jinja2", recursive=False)
    for folder in ("web", "auth"):
        wanted |= _messages(templates / folder, "**.html", "jinja2")
    with open(LMS / "translations" / "vi" / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = read_po(fh)
    translated = {
        (m.id[0] if isinstance(m.id, tuple) else m.id)
        for m in catalog
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    assert sorted(wanted - translated) == []


def test_every_message_of_every_domain_has_a_vietnamese_translation() -> None:
    """Flask-Babel merges the catalogs: a message of any module or template, in any of them.

    The per-catalog checks only see the entries a catalog has; a message never extracted
    (a new ``_()``, a schema's ``N_()``) would be shown in English and no check would fail.
    """
    wanted = _messages(LMS, "**.py", "python") | _messages(LMS / "templates", "**.html", "jinja2")
    translated: set[str] = set()
    for path in LMS.glob("**/translations/vi/LC_MESSAGES/messages.po"):
        with open(path, "rb") as fh:
            translated |= {
                (m.id[0] if isinstance(m.id, tuple) else m.id)
                for m in read_po(fh)
                if m.id
                and not m.fuzzy
                and (all(m.string) if isinstance(m.string, tuple) else m.string)
            }
    assert sorted(wanted - translated) == []
