"""Read a cmi5 course structure (``cmi5.xml``, cmi5 spec section 13 and CourseStructure.xsd).

The parser is expat with document type declarations refused, so no entity can expand or
reach outside the file. Every problem is reported with its line, all at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.parsers import expat

from lms.catalog.packages import PackageError

NS = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"
MOVE_ON = ("NotApplicable", "Passed", "Completed", "CompletedAndPassed", "CompletedOrPassed")
LAUNCH_METHODS = ("AnyWindow", "OwnWindow")
IRI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*:\S+$")
MAX_BYTES = 5 * 1024 * 1024
#: The title columns of courses and AUs (``String(300)``): PostgreSQL refuses a longer value.
MAX_TITLE = 300


@dataclass
class Node:
    tag: str  #: local name
    ns: str
    attrs: dict[str, str]
    line: int
    children: list[Node] = field(default_factory=list)
    text: str = ""

    def kids(self, name: str) -> list[Node]:
        return [c for c in self.children if c.tag == name and c.ns == NS]

    def kid(self, name: str) -> Node | None:
        found = self.kids(name)
        return found[0] if found else None


@dataclass
class AuData:
    publisher_id: str
    title: str
    title_en: str | None
    description: str
    url: str
    move_on: str
    mastery_score: float | None
    launch_method: str
    launch_parameters: str | None
    entitlement_key: str | None
    activity_type: str | None
    blocks: list[str]  #: publisher ids of the enclosing blocks, outermost first
    line: int


@dataclass
class BlockData:
    publisher_id: str
    title: str
    title_en: str | None
    aus: list[str] = field(default_factory=list)  #: publisher ids of the AUs inside, deep
    blocks: list[BlockData] = field(default_factory=list)


@dataclass
class CourseStructure:
    publisher_id: str
    title: str
    title_en: str | None
    description: str
    description_en: str | None
    aus: list[AuData]
    blocks: list[BlockData]


class _Refused(Exception):
    pass


def _parse_tree(data: bytes) -> Node:
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[Node] = []
    root: list[Node] = []

    def refuse(*_args: Any) -> None:
        raise _Refused("document type declarations and entities are not allowed")

    def start(name: str, attrs: dict[str, str]) -> None:
        ns, _sep, tag = name.rpartition(" ")
        node = Node(tag=tag, ns=ns, attrs=attrs, line=parser.CurrentLineNumber)
        if stack:
            stack[-1].children.append(node)
        else:
            root.append(node)
        stack.append(node)

    def end(name: str) -> None:
        stack.pop()

    def chars(text: str) -> None:
        if stack:
            stack[-1].text += text

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.Parse(data, True)
    if not root:
        raise expat.ExpatError("no element found")
    return root[0]


class _Reader:
    def __init__(self, file: str) -> None:
        self.file = file
        self.errors: list[PackageError] = []
        self.ids: dict[str, int] = {}

    def error(self, line: int | None, message: str) -> None:
        self.errors.append(PackageError(self.file, line, message))

    def iri(self, node: Node, what: str) -> str:
        value = (node.attrs.get("id") or "").strip()
        if not value:
            self.error(node.line, f"{what}: the id attribute is required")
        elif not IRI.match(value):
            self.error(node.line, f"{what}: id {value!r} is not an IRI")
        elif value in self.ids:
            self.error(node.line, f"{what}: id {value!r} is also used on line {self.ids[value]}")
        else:
            self.ids[value] = node.line
        return value

    def text(
        self, parent: Node, name: str, what: str, *, limit: int | None = None
    ) -> tuple[str, str | None]:
        """(Vietnamese or first language, English) of a ``title``/``description``; each at
        most ``limit`` characters, the length of the column it is stored in."""
        node = parent.kid(name)
        if node is None:
            self.error(parent.line, f"{what}: <{name}> is required")
            return "", None
        strings = [
            (s.attrs.get("lang", "").lower(), s.text.strip()) for s in node.kids("langstring")
        ]
        strings = [(lang, text) for lang, text in strings if text]
        if not strings:
            self.error(node.line, f"{what}: <{name}> needs at least one non-empty <langstring>")
            return "", None
        vi = next((t for lang, t in strings if lang.startswith("vi")), None)
        en = next((t for lang, t in strings if lang.startswith("en")), None)
        chosen, english = (vi or en or strings[0][1]), (en if vi else None)
        if limit is not None and max(len(chosen), len(english or "")) > limit:
            self.error(node.line, f"{what}: <{name}> is longer than {limit} characters")
        return chosen, english

    def au(self, node: Node, blocks: list[str]) -> AuData:
        publisher_id = self.iri(node, "au")
        title, title_en = self.text(node, "title", f"au {publisher_id}", limit=MAX_TITLE)
        description, _en = self.text(node, "description", f"au {publisher_id}")
        url_node = node.kid("url")
        url = url_node.text.strip() if url_node is not None else ""
        if not url:
            self.error(node.line, f"au {publisher_id}: <url> is required")
        move_on = (node.attrs.get("moveOn") or "NotApplicable").strip()
        if move_on not in MOVE_ON:
            self.error(node.line, f"au {publisher_id}: moveOn must be one of {', '.join(MOVE_ON)}")
        method = (node.attrs.get("launchMethod") or "AnyWindow").strip()
        if method not in LAUNCH_METHODS:
            self.error(node.line, f"au {publisher_id}: launchMethod must be AnyWindow or OwnWindow")
        mastery = None
        raw = node.attrs.get("masteryScore")
        if raw is not None:
            try:
                value = Decimal(raw.strip())
            except InvalidOperation:
                value = Decimal(-1)
            if not Decimal(0) <= value <= Decimal(1):
                self.error(node.line, f"au {publisher_id}: masteryScore must be between 0 and 1")
            else:
                mastery = float(value)
        params = node.kid("launchParameters")
        key = node.kid("entitlementKey")
        return AuData(
            publisher_id=publisher_id,
            title=title,
            title_en=title_en,
            description=description,
            url=url,
            move_on=move_on,
            mastery_score=mastery,
            launch_method=method,
            launch_parameters=params.text.strip() if params is not None else None,
            entitlement_key=key.text.strip() if key is not None else None,
            activity_type=(node.attrs.get("activityType") or "").strip() or None,
            blocks=list(blocks),
            line=node.line,
        )

    def members(self, parent: Node, blocks: list[str], aus: list[AuData]) -> list[BlockData]:
        """The AUs and blocks of a course or block, in document order."""
        found: list[BlockData] = []
        members = [c for c in parent.children if c.ns == NS and c.tag in ("au", "block")]
        if not members:
            self.error(parent.line, f"<{parent.tag}> needs at least one <au> or <block>")
        for child in members:
            if child.tag == "au":
                aus.append(self.au(child, blocks))
                continue
            block_id = self.iri(child, "block")
            title, title_en = self.text(child, "title", f"block {block_id}", limit=MAX_TITLE)
            self.text(child, "description", f"block {block_id}")
            inner: list[AuData] = []
            block = BlockData(publisher_id=block_id, title=title, title_en=title_en)
            block.blocks = self.members(child, [*blocks, block_id], inner)
            block.aus = [a.publisher_id for a in inner]
            aus.extend(inner)
            found.append(block)
        return found


def parse(
    data: bytes, *, file: str = "cmi5.xml"
) -> tuple[CourseStructure | None, list[PackageError]]:
    """Parse and check a course structure; the structure only when there is no error."""
    reader = _Reader(file)
    if len(data) > MAX_BYTES:
        return None, [PackageError(file, None, f"larger than {MAX_BYTES // 1024 // 1024} MB")]
    try:
        root = _parse_tree(data)
    except _Refused as exc:
        return None, [PackageError(file, None, str(exc))]
    except expat.ExpatError as exc:
        return None, [PackageError(file, exc.lineno or None, f"not well-formed XML: {exc}")]
    if root.tag != "courseStructure" or root.ns != NS:
        reader.error(root.line, f'the root element must be <courseStructure xmlns="{NS}">')
        return None, reader.errors
    course = root.kid("course")
    if course is None:
        reader.error(root.line, "<course> is required")
        return None, reader.errors
    course_id = reader.iri(course, "course")
    title, title_en = reader.text(course, "title", "course", limit=MAX_TITLE)
    description, description_en = reader.text(course, "description", "course")
    aus: list[AuData] = []
    blocks = reader.members(root, [], aus)
    if reader.errors:
        return None, sorted(reader.errors, key=lambda e: e.line or 0)
    return (
        CourseStructure(
            publisher_id=course_id,
            title=title,
            title_en=title_en,
            description=description,
            description_en=description_en,
            aus=aus,
            blocks=blocks,
        ),
        [],
    )
