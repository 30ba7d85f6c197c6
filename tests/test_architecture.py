"""The domains depend on each other in one direction, and nothing is wired by importing.

The test reads every module under ``lms/`` with :mod:`ast` (nothing is imported) and checks
each ``import`` of an ``lms`` module against :data:`LAYERS`, the order drawn in the README's
developer section. Imports under ``if TYPE_CHECKING:`` are left out: they exist for the type
checker only and never run. import-linter's layers contract was the first candidate, but it
cannot say that a domain's web edge may ask ``auth`` who the user is, nor put one module of a
package (reading the audit log) above another (recording in it).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import lms

ROOT = Path(lms.__file__).parent

#: Lowest first. A module belongs to the entry with the longest prefix naming it. A module may
#: import its own domain's modules, the foundation, and any domain in an earlier layer; the
#: domains of one layer are independent of each other.
LAYERS: tuple[tuple[str, ...], ...] = (
    # The foundation: helpers every domain uses; they import no domain.
    (
        "lms.config",
        "lms.db",
        "lms.extensions",
        "lms.errors",
        "lms.edge",
        "lms.locks",
        "lms.bulk_insert",
        "lms.http",
        "lms.openapi",
        "lms.constants",
        "lms.exports",
        "lms.tabular",
        "lms.text",
        "lms.headers",
        "lms.ratelimit",
        "lms.redisclient",
        "lms.replicas",
        "lms.requestlog",
        "lms.events",
        "lms.statements",
        "lms.periods",
        "lms.formatting",
        "lms.collation",
    ),
    # Recording privileged acts and running background jobs: every domain may.
    ("lms.audit", "lms.jobs"),
    # The LRS, the unit tree, and sending e-mail and SMS.
    ("lms.xapi", "lms.org", "lms.messages"),
    ("lms.auth",),
    # Reading the audit log applies auth's roles and reach.
    ("lms.audit.queries", "lms.audit.api", "lms.audit.views"),
    ("lms.catalog",),
    ("lms.classes",),
    ("lms.assessment",),
    ("lms.certificates",),
    ("lms.stats",),
    # The bridge, above every domain it drives.
    ("lms.learning",),
    # A person's data across every domain: their copy of it, and removing them.
    ("lms.privacy",),
    # The app and its entry points: they may import anything.
    ("lms", "lms.web", "lms.cli", "lms.seed", "lms.jobs.worker"),
)
FOUNDATION, TOP = 0, len(LAYERS) - 1

#: A domain's web edge (its JSON API, pages, commands and demo data) may also import ``auth``:
#: to answer a request it must know who asks, wherever its domain sits (``org`` is below
#: ``auth``, yet its pages are for signed-in officials).
EDGES = ("api", "views", "cli", "demo")
GATE = "lms.auth"

#: The imports against the order that are meant, each with its reason. Keep it short.
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("lms.org.services.people", "lms.auth.models"): (
        "a merger moves the merged unit's people (users.unit_id and their memberships) in "
        "set-based statements, inside the merger's own transaction"
    ),
    ("lms.jobs.worker", "lms"): "the Celery worker builds the app at import, as wsgi.py does",
}


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int
    in_function: bool
    has_reason: bool


def module_name(path: Path) -> str:
    parts = ["lms", *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def submodule(package: str, name: str) -> str:
    """``from package import name``: the module ``package.name`` if there is one, else
    ``package`` (the name is something defined in it)."""
    path = ROOT.joinpath(*package.split(".")[1:], name)
    is_module = path.with_suffix(".py").exists() or (path / "__init__.py").exists()
    return f"{package}.{name}" if is_module else package


def imports_of(source: str, importer: str) -> Iterator[Import]:
    """Every ``lms`` import in ``source``, outside ``if TYPE_CHECKING:`` blocks."""
    lines = source.splitlines()

    def reason_beside(node: ast.stmt) -> bool:
        """A comment on the import's own line, or on the line above it."""
        own = lines[node.lineno - 1]
        above = lines[node.lineno - 2].strip() if node.lineno > 1 else ""
        return "#" in own or above.startswith("#")

    def walk(node: ast.AST, in_function: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.ImportFrom) and child.module:
                if child.module == "lms" or child.module.startswith("lms."):
                    for name in sorted({submodule(child.module, a.name) for a in child.names}):
                        yield Import(
                            importer, name, child.lineno, in_function, reason_beside(child)
                        )
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name == "lms" or alias.name.startswith("lms."):
                        yield Import(
                            importer, alias.name, child.lineno, in_function, reason_beside(child)
                        )
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            yield from walk(child, inner)

    yield from walk(ast.parse(source), False)


def all_imports() -> list[Import]:
    found: list[Import] = []
    for path in sorted(ROOT.rglob("*.py")):
        found.extend(imports_of(path.read_text(encoding="utf-8"), module_name(path)))
    return found


def place(module: str) -> tuple[int, str]:
    """(layer, domain) of ``module``: the entry of :data:`LAYERS` with the longest prefix."""
    best: tuple[int, str] | None = None
    for layer, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            matches = module == prefix or (prefix != "lms" and module.startswith(prefix + "."))
            if matches and (best is None or len(prefix) > len(best[1])):
                best = (layer, prefix)
    if best is None:
        raise LookupError(f"{module} has no place in LAYERS: add it where it belongs")
    return best


def is_edge(module: str) -> bool:
    last = module.rsplit(".", 1)[-1]
    return any(last == edge or last.endswith(f"_{edge}") for edge in EDGES)


def package(module: str) -> str:
    return ".".join(module.split(".")[:2])


def violation(imp: Import) -> str | None:
    """Why ``imp`` goes against the order, or None when it keeps it."""
    if (imp.importer, imp.imported) in EXCEPTIONS:
        return None
    layer, domain = place(imp.importer)
    to_layer, to_domain = place(imp.imported)
    if to_domain == domain or layer == TOP or to_layer == FOUNDATION:
        return None
    if is_edge(imp.importer) and package(imp.imported) == GATE:
        return None
    if is_edge(imp.imported) and package(imp.imported) != package(imp.importer):
        return f"imports another domain's web edge {imp.imported}"
    if to_layer < layer or (to_layer == layer and package(imp.imported) == package(imp.importer)):
        return None
    where = "beside" if to_layer == layer else "above"
    return f"imports {imp.imported}, which is {where} {domain} in the order"


def describe(imports: list[Import]) -> list[str]:
    return [
        f"{imp.importer}:{imp.line} {reason}"
        for imp in imports
        if (reason := violation(imp)) is not None
    ]


def test_every_module_has_a_place_in_the_order() -> None:
    for imp in all_imports():
        place(imp.importer)
        place(imp.imported)


def test_every_import_follows_the_domain_order() -> None:
    assert describe(all_imports()) == []


def test_an_import_against_the_order_is_caught() -> None:
    """The check itself works: these imports, put into real modules, are reported."""
    wrong = {
        # classes (below) importing the bridge (above): what classes/services.py used to do
        "lms.classes.enrollments": "from lms.learning import statements\n",
        # catalog's pages reading enrollments, a domain above the catalog
        "lms.catalog.services": "def f():\n    from lms.classes.enrollments import enroll\n",
        # the foundation importing a domain
        "lms.events": "import lms.certificates.services\n",
        # the LRS and the unit tree share a layer: neither may import the other
        "lms.xapi.services": "from lms.org.models import Unit\n",
        # an edge may ask auth who the user is, but not import another domain's pages
        "lms.org.api": "from lms.classes.views import bp\n",
    }
    for importer, source in wrong.items():
        assert len(describe(list(imports_of(source, importer)))) == 1, importer
    allowed = {
        "lms.org.api": "from lms.auth.permissions import auth_required\n",
        "lms.certificates.services": "from lms.classes.models import Enrollment\n",
        "lms.classes.models": "if TYPE_CHECKING:\n    from lms.learning.models import X\n",
    }
    for importer, source in allowed.items():
        assert describe(list(imports_of(source, importer))) == [], importer


def test_imports_inside_functions_say_why() -> None:
    """An ``lms`` import inside a function hides a dependency (usually a cycle being dodged):
    it needs a comment beside it saying why it cannot be at the top."""
    silent = [
        f"{imp.importer}:{imp.line} imports {imp.imported}"
        for imp in all_imports()
        if imp.in_function and not imp.has_reason
    ]
    assert silent == []


def calls_in(path: Path, names: set[str]) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in names:
                found.append(f"{module_name(path)}:{node.lineno} {name}()")
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                if isinstance(target, ast.Attribute) and target.attr in names:
                    found.append(f"{module_name(path)}:{node.lineno} @{target.attr}")
    return found


@pytest.mark.parametrize(
    "registration", ["connect", "connect_via", "register_handler", "register_part"]
)
def test_nothing_is_registered_outside_the_app_factory(registration: str) -> None:
    """Receivers, job handlers and package parts are listed in ``lms/__init__.py`` only
    (``RECEIVERS``, ``JOB_HANDLERS``, ``PACKAGE_PARTS``), never wired by importing a module."""
    found = [
        call
        for path in sorted(ROOT.rglob("*.py"))
        if path != ROOT / "__init__.py"
        for call in calls_in(path, {registration})
    ]
    assert found == []


def test_input_patterns_match_the_whole_text() -> None:
    """``$`` also matches before a final newline, and marshmallow's ``Regexp`` uses
    ``re.match``: ``^[A-Za-z0-9._-]+$`` let the class code ``"LD-2026-01\\n"`` in. Schemas
    validate patterns with :class:`lms.edge.FullMatch`, spelling digits ``[0-9]`` (``\\d``
    takes every script's digits)."""
    found = []
    for path in sorted(Path(lms.__file__).parent.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            name = (
                getattr(node.func, "attr", getattr(node.func, "id", None))
                if isinstance(node, ast.Call)
                else None
            )
            pattern = node.args[0] if isinstance(node, ast.Call) and node.args else None
            literal = isinstance(pattern, ast.Constant) and isinstance(pattern.value, str)
            if name == "Regexp" or (name == "FullMatch" and literal and "\\d" in pattern.value):  # type: ignore[union-attr]
                found.append(f"{path.relative_to(Path(lms.__file__).parent)}:{node.lineno}")
    assert found == []


def test_digits_are_checked_as_ascii_before_int() -> None:
    """``"²".isdigit()`` is true and ``int("²")`` raises: ``?limit=²`` was a 500 of the LRS.
    Text becomes a number through :func:`lms.edge.ascii_digits` or :func:`lms.edge.row_id`
    (which also keeps an id in the ``INTEGER`` range); ``collation`` checks ``isascii`` on
    the same letter."""
    allowed = {"edge.py", "collation.py"}
    root = Path(lms.__file__).parent
    found = [
        f"{path.relative_to(root)}:{node.lineno}"
        for path in sorted(root.rglob("*.py"))
        if path.name not in allowed
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.Attribute) and node.attr == "isdigit"
    ]
    assert found == []
