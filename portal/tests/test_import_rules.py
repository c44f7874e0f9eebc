"""The import rules of the project, checked on the source (ast, no import is executed).

Every .py file under portal, counseling, aid and homevisits is read, tests/ and migrations/ excepted, and
every import in it, those inside functions included:

(a) app order: portal ← counseling ← aid ← homevisits. An app imports only itself and the apps before it:
    portal (the kernel) imports none of the others, counseling neither aid nor homevisits, aid not homevisits.
(b) cross-app: an app reaches another app (other than portal, which every app may use) only through that
    app's service functions: `Y.services` or `Y.services.<module>`, never its models, selectors, access,
    views, forms or anything else.
(c) selectors never import services: a `selectors` module or package imports no `services` module, of its own
    app or any other (pure rules live in the models, a rules module or portal.kernel).
(d) no import cycles: the graph of module-level imports has no cycle. A function-level ("lazy") import that
    would close a cycle is allowed only when LAZY_CYCLE_ALLOWLIST names it, with the reason; a lazy import
    that closes no cycle is an ordinary import and needs no entry.
(e) nothing imports portal.uploads or portal.spreadsheets: they are portal.kernel.files and
    portal.kernel.spreadsheets.

Every failure names the file, the line and the rule. An allowlist entry that matches nothing fails too,
so the lists cannot go stale: remove the entry when its import goes.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("portal", "counseling", "aid", "homevisits")  # each may import only itself and those before it
GONE = ("portal.uploads", "portal.spreadsheets")

# Lazy imports that close a cycle, as (importing file, imported module): keep this tiny, a reason each.
LAZY_CYCLE_ALLOWLIST: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Import:
    path: str  # file, relative to the project root
    line: int
    module: str  # the importing module
    target: str  # the project module imported (a submodule where `from package import name` names one)
    written: str  # the module as written, resolved to absolute
    lazy: bool  # inside a function
    via: str = ""  # set on the package a submodule import runs first (its __init__): the submodule imported

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _source_files() -> list[Path]:
    files = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if "tests" in parts or "migrations" in parts:
                continue
            files.append(path)
    return files


FILES = _source_files()
MODULES = {_module_name(p): p for p in FILES}
PACKAGES = {_module_name(p) for p in FILES if p.name == "__init__.py"}


def _project(name: str) -> bool:
    return name.split(".")[0] in APPS


def _existing(name: str) -> str:
    """The longest prefix of `name` that is a module of the project (an attribute path is cut off)."""
    parts = name.split(".")
    while parts and ".".join(parts) not in MODULES:
        parts.pop()
    return ".".join(parts) or name


def _imports_of(path: Path) -> list[Import]:
    rel = path.relative_to(ROOT).as_posix()
    module = _module_name(path)
    package = module if module in PACKAGES else module.rpartition(".")[0]
    found: list[Import] = []

    def add(node: ast.stmt, written: str, targets: list[str], lazy: bool) -> None:
        for target in targets:
            found.append(Import(rel, node.lineno, module, target, written, lazy))
            # Importing a.b.c runs a.b's __init__ first (a cycle through a package's re-exports is a cycle),
            # except from inside a.b itself, where a.b is already being imported.
            parts = target.split(".")
            for n in range(1, len(parts)):
                parent = ".".join(parts[:n])
                if parent in PACKAGES and not module.startswith(parent + ".") and module != parent:
                    found.append(Import(rel, node.lineno, module, parent, written, lazy, via=target))

    def visit(node: ast.AST, lazy: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = lazy or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if _project(alias.name):
                        add(child, alias.name, [_existing(alias.name)], lazy)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[: len(base) - (child.level - 1)]
                    written = ".".join([*base, *([child.module] if child.module else [])])
                else:
                    written = child.module or ""
                if not _project(written):
                    continue
                targets = []
                for alias in child.names:
                    sub = f"{written}.{alias.name}"
                    targets.append(sub if sub in MODULES else _existing(written))
                add(child, written, sorted(set(targets)), lazy)
            visit(child, inner)

    visit(ast.parse(path.read_text(encoding="utf-8"), filename=rel), False)
    return found


IMPORTS = [imp for path in FILES for imp in _imports_of(path)]


def _app(module: str) -> str:
    return module.split(".")[0]


def _is_selectors(module: str) -> bool:
    return "selectors" in module.split(".")[1:]


def _is_services(module: str) -> bool:
    return "services" in module.split(".")[1:]


# --- Violations -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    imp: Import
    rule: str
    message: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.imp.path, self.rule, self.imp.target)

    def __str__(self) -> str:
        return f"{self.imp.where}: [{self.rule}] {self.message}"


def _order_and_boundaries() -> list[Violation]:
    out = []
    for imp in IMPORTS:
        if imp.via:
            continue
        src, dst = _app(imp.module), _app(imp.target)
        if imp.written.startswith(GONE) or imp.target.startswith(GONE):
            out.append(Violation(imp, "gone", f"imports {imp.target}, which is now in portal.kernel"))
        if APPS.index(dst) > APPS.index(src):
            out.append(
                Violation(imp, "order", f"{src} may not import {dst} (order: {' <- '.join(APPS)}): {imp.target}")
            )
        elif dst not in (src, "portal"):
            layer = imp.target.split(".")[1:2]
            if layer != ["services"]:
                out.append(
                    Violation(
                        imp,
                        "cross-app",
                        f"{src} reaches {dst} only through {dst}.services functions, not {imp.target}",
                    )
                )
        if _is_selectors(imp.module) and _is_services(imp.target):
            out.append(Violation(imp, "selectors", f"selectors import no services: {imp.target}"))
    return out


def _graph(edges: list[Import]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for imp in edges:
        if imp.target != imp.module:
            graph[imp.module].add(imp.target)
    return graph


def _reaches(graph: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, stack = set(), [start]
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            stack.extend(graph.get(node, ()))
    return False


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    nodes = sorted(set(graph) | {t for ts in graph.values() for t in ts})
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        components.append(sorted(component))
    return components


def _cycle_exemption(imp: Import) -> tuple | None:
    """The allowlist entry that leaves this import out of the cycle check, if any."""
    module = imp.via or imp.target
    if imp.lazy and (imp.path, module) in LAZY_CYCLE_ALLOWLIST:
        return (imp.path, module)
    return None


def _cycle_violations() -> tuple[list[Violation], set[tuple]]:
    """Cycles of the imports no allowlist exempts; and the allowlist entries whose import would close one."""
    exempt = [imp for imp in IMPORTS if _cycle_exemption(imp)]
    checked = [imp for imp in IMPORTS if not _cycle_exemption(imp)]
    graph = _graph(checked)
    out = []
    for component in _cycles(graph):
        members = set(component)
        for imp in checked:
            if imp.module in members and imp.target in members:
                kind = "lazy import" if imp.lazy else "import"
                what = f"{imp.via} (which runs {imp.target}/__init__ first)" if imp.via else imp.target
                out.append(Violation(imp, "cycle", f"{kind} of {what} is part of the cycle {' / '.join(component)}"))
    used = {_cycle_exemption(imp) for imp in exempt if _reaches(graph, imp.target, imp.module)}
    return out, used


def _fail(violations: list[Violation], stale: list[str]) -> None:
    lines = [str(v) for v in sorted(violations, key=lambda v: (v.imp.path, v.imp.line, v.rule))]
    lines += stale
    assert not lines, "import rules broken:\n  " + "\n  ".join(lines)


# --- Tests ------------------------------------------------------------------------------------------------


def test_the_source_is_found():
    assert len(FILES) > 100
    assert "portal.kernel.dates" in MODULES


def test_import_rules():
    cycle_violations, used_exemptions = _cycle_violations()
    violations = _order_and_boundaries() + cycle_violations
    stale = [
        f"LAZY_CYCLE_ALLOWLIST entry {entry} matches no lazy import that closes a cycle: remove it"
        for entry in sorted(set(LAZY_CYCLE_ALLOWLIST) - used_exemptions)
    ]
    _fail(violations, stale)


def test_the_checker_sees_each_rule():
    """The checker itself: each rule fires on a small made-up import."""

    def imp(module: str, target: str, *, lazy: bool = False, written: str = "") -> Import:
        return Import(module.replace(".", "/") + ".py", 1, module, target, written or target, lazy)

    global IMPORTS
    saved = IMPORTS
    try:
        IMPORTS = [
            imp("portal.views", "counseling.models"),
            imp("homevisits.views", "aid.selectors.funds"),
            imp("aid.selectors.funds", "aid.services.funds"),
            imp("aid.views", "portal.uploads", written="portal.uploads"),
        ]
        rules = sorted(v.rule for v in _order_and_boundaries())
        assert rules == ["cross-app", "gone", "order", "selectors"]
        IMPORTS = [imp("portal.a", "portal.b"), imp("portal.b", "portal.a", lazy=True)]
        cycles, _ = _cycle_violations()
        assert sorted(v.imp.module for v in cycles) == ["portal.a", "portal.b"]
    finally:
        IMPORTS = saved
