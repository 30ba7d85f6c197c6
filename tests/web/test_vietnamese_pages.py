"""Every page, as every kind of person, in Vietnamese: no English message, no raw code.

Three nets, each for a way English or codes reached a Vietnamese page before:

* the catalogs: an entry marked fuzzy or left empty shows its English msgid;
* the pages: each GET page of the access matrix, rendered as each actor of
  ``tests.access_world`` on its seeded world, must show no English msgid of the catalogs
  (as a whole text, or the start of a message with placeholders), no English sentence that
  never went through a catalog, and no code of an enumeration (``community_tech``,
  ``learner``) where words belong;
* the API page: every operation's summary has its Vietnamese line.

Inside ``<code>``, ``<pre>``, ``<script>`` and ``<style>`` codes are what is meant (a column
name to type, a JSON shape), so they are not read. The API page's reference text (operation and
field descriptions, written for developers from the code) stays English; its summaries and
headings do not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import Flask

from lms.assessment.items import TYPES
from lms.auth.models import Role
from lms.catalog.labels import LEVEL_LABELS, MODE_LABELS, STATUS_LABELS
from lms.constants import TargetGroup
from tests.access_world import ACTORS, World, world_of
from tests.test_access_matrix import PAGES, fill

LMS = Path(__file__).resolve().parents[2] / "lms"
CATALOGS = sorted(LMS.glob("**/translations/vi/LC_MESSAGES/messages.po"))

#: Codes a person must never read as text (they have labels).
CODES = (
    {g.value for g in TargetGroup}
    | {r.value for r in Role}
    | set(LEVEL_LABELS)
    | set(MODE_LABELS)
    | set(STATUS_LABELS)
    | set(TYPES)
)
#: Words that mark an English sentence (rare in Vietnamese text, frequent in English).
ENGLISH = {"the", "and", "of", "is", "are", "was", "your", "you", "with", "not", "this", "to"}
SKIPPED_TAGS = {"code", "pre", "script", "style", "textarea"}
#: Data, not pages: JSON, SVG, files, health checks.
NOT_PAGES = ("/api/v1/openapi.json", "/.well-known/", "/healthz", "/readyz", "/profile/", "qr.svg")


def _catalog(path: Path):  # type: ignore[no-untyped-def]
    with open(path, "rb") as fh:
        return read_po(fh)


@pytest.mark.parametrize("path", CATALOGS, ids=[str(p.relative_to(LMS)) for p in CATALOGS])
def test_catalogs_have_no_fuzzy_or_empty_entries(path: Path) -> None:
    """A fuzzy or empty entry is shown in English: each one is an untranslated message."""
    bad = []
    for message in _catalog(path):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            bad.append(message.id)
    assert bad == []


def _english_messages() -> tuple[set[str], dict[str, list[re.Pattern[str]]]]:
    """English msgids that have a different Vietnamese text: whole texts, and patterns for
    messages with placeholders (keyed by their first three words)."""
    whole: set[str] = set()
    patterns: dict[str, list[re.Pattern[str]]] = {}
    for path in CATALOGS:
        for message in _catalog(path):
            if not message.id or isinstance(message.id, tuple):
                continue
            english = " ".join(message.id.split())
            if english == " ".join(str(message.string).split()) or len(english.split()) < 2:
                continue
            if "%(" not in english:
                whole.add(english)
                continue
            literal = re.split(r"%\(\w+\)[sd]", english)
            head = literal[0].split()
            if len(head) >= 3:
                pattern = ".+?".join(re.escape(part) for part in literal)
                patterns.setdefault(" ".join(head[:3]), []).append(re.compile(pattern))
    return whole, patterns


class _Text(HTMLParser):
    """The texts a person reads: text nodes and the labels of controls."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED_TAGS:
            self.skipping += 1
            return  # a code editor's placeholder is code too
        for name, value in attrs:
            if name in {"aria-label", "placeholder", "title", "alt"} and value:
                self.texts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_TAGS and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and not self.skipping:
            self.texts.append(text)


def problems_of(html: str, english: tuple[set[str], dict[str, list[re.Pattern[str]]]]) -> set[str]:
    whole, patterns = english
    parser = _Text()
    parser.feed(html)
    found = set()
    for text in parser.texts:
        words = text.split()
        if text in whole or (
            len(words) >= 3 and any(p.match(text) for p in patterns.get(" ".join(words[:3]), []))
        ):
            found.add(f"English message: {text!r}")
        elif len(words) >= 4 and len({w.lower().strip(".,:;()") for w in words} & ENGLISH) >= 2:
            found.add(f"English text: {text!r}")
        for word in re.findall(r"[a-z_]+", text):
            if word in CODES and ("_" in word or text == word):
                found.add(f"raw code: {word!r} in {text!r}")
    return found


def test_the_check_finds_what_it_looks_for() -> None:
    """The nets catch the cases of the issue, and let Vietnamese pass."""
    english = _english_messages()
    assert problems_of("<p>Nothing is held.</p>", english)
    assert problems_of("<td><span class='badge'>learner</span></td>", english)
    assert problems_of("<td>community_tech</td>", english)
    assert problems_of("<p>Must not be before starts_on for this class.</p>", english)
    assert not problems_of("<p>Không có bản ghi nào bị giữ lại.</p>", english)
    assert not problems_of("<code>full_name, unit_code</code>", english)


@pytest.fixture(scope="module")
def world(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with world_of(app, tmp_path_factory.mktemp("vietnamese")) as built:
        yield built


#: Each GET page of the access matrix, but downloads and course assets.
GET_PAGES = sorted(
    (path, obj)
    for method, path, obj, _outcomes in PAGES
    if method == "GET"
    and not any(part in path for part in NOT_PAGES)
    and "{fmt}" not in path
    and "{asset}" not in path
)


@pytest.mark.parametrize(("path", "obj"), GET_PAGES, ids=[f"{p} {o}" for p, o in GET_PAGES])
def test_every_page_is_in_vietnamese(world: World, path: str, obj: str) -> None:
    english = _english_messages()
    url = fill(path, world.objects[obj])
    failures: dict[str, set[str]] = {}
    for actor in ACTORS:
        response = world.request(actor, "GET", url, page=True)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        html = response.get_data(as_text=True)
        if path == "/api/docs":
            # The reference text, written for developers from the code, stays English.
            html = re.sub(r'<div class="op-body">.*?</div>\s*</details>', "", html, flags=re.S)
            html = re.sub(r'<section class="card" id="schemas">.*?</section>', "", html, flags=re.S)
        found = problems_of(html, english)
        if found:
            failures[actor] = found
    assert failures == {}, url


def test_every_api_summary_has_its_vietnamese_line(app: Flask) -> None:
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    summaries = {
        op["summary"]
        for item in spec["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and op.get("summary")
    }
    catalog = _catalog(LMS / "translations" / "vi" / "LC_MESSAGES" / "messages.po")
    translated = {m.id for m in catalog if m.id and m.string}
    assert sorted(summaries - translated) == []


def test_the_api_page_reads_in_vietnamese(app: Flask) -> None:
    """Officials have the API page in their menu: its summaries and sections were English codes
    and sentences ("Create an LRS client" under "lrs-clients")."""
    html = app.test_client().get("/api/docs").get_data(as_text=True)
    assert "<h2>Ứng dụng kết nối LRS</h2>" in html
    assert "<span>Tạo ứng dụng kết nối LRS</span>" in html
    assert "<h2>lrs-clients</h2>" not in html
    assert "Create an LRS client" not in html
