"""YAML loading that remembers where every value came from.

Package authors need "course.yaml line 12: unknown skill area", not "invalid course". PyYAML's
composer keeps a mark on every node; this module builds plain Python values from the node tree
and records the 1-based line of each path, so validators can point at the value they reject
(or, for a missing field, at the mapping that should hold it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path_ = tuple[str | int, ...]


class YamlLoadError(Exception):
    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass
class LinedYaml:
    """A parsed document plus the line of every path in it."""

    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)
    #: Duplicate keys found while building mappings: (line, key).
    duplicates: list[tuple[int, str]] = field(default_factory=list)

    def line(self, *path: str | int) -> int | None:
        """The line of ``path``, or of its nearest ancestor that exists (a missing field)."""
        current: Path_ = tuple(path)
        while current:
            if current in self.lines:
                return self.lines[current]
            current = current[:-1]
        return self.lines.get((), 1)


#: Deeper than any package or question of ours (a question is 4 levels).
MAX_DEPTH = 64


class _Refused(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class _Loader(yaml.SafeLoader):
    """``SafeLoader`` without aliases and with a depth limit.

    An alias (``*a``) re-uses a node, so nine levels of ten make 10^9 values for
    :func:`_build` to walk (the "billion laughs": a worker's memory ran out on a trainer's
    question form); no package needs one. The composer and :func:`_build` recurse once per
    level, so 5,000 nested lists were a ``RecursionError``.
    """

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            line = self.peek_event().start_mark.line + 1
            raise _Refused(line, "YAML error: aliases (*name) are not allowed")
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_DEPTH:
                line = self.peek_event().start_mark.line + 1
                raise _Refused(line, f"YAML error: nested deeper than {MAX_DEPTH} levels")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def load(text: str, *, line_offset: int = 0) -> LinedYaml:
    """Parse one YAML document; ``line_offset`` shifts lines (front matter inside a file)."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        result = LinedYaml(data=None)
        if node is not None:
            result.data = _build(loader, node, (), result, line_offset)
        return result
    except _Refused as exc:
        raise YamlLoadError(exc.line + line_offset, exc.message) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + line_offset if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlLoadError(line, f"YAML error: {problem}") from exc
    except yaml.YAMLError as exc:
        raise YamlLoadError(None, f"YAML error: {exc}") from exc
    finally:
        loader.dispose()


def _build(loader: yaml.SafeLoader, node: yaml.Node, path: Path_, out: LinedYaml, off: int) -> Any:
    out.lines.setdefault(path, node.start_mark.line + 1 + off)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) and key is not None:
                raise YamlLoadError(key_node.start_mark.line + 1 + off, "YAML error: bad key")
            key = str(key) if not isinstance(key, str) else key
            if key in mapping:
                out.duplicates.append((key_node.start_mark.line + 1 + off, key))
            child = (*path, key)
            out.lines[child] = key_node.start_mark.line + 1 + off
            mapping[key] = _build(loader, value_node, child, out, off)
            out.lines[child] = key_node.start_mark.line + 1 + off
        return mapping
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(loader, item, (*path, index), out, off) for index, item in enumerate(node.value)
        ]
    return loader.construct_object(node, deep=True)
