"""The tree's shape: which package may import which.

Read from the source (every import statement, at module level or inside a
function), so a new dependency that closes a circle, or a Django import in
the layers shared with the platform-side client, fails here first.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "extdesk"

# Layers that the platform side and the HTTP server share or run without Django.
WITHOUT_DJANGO = ("soap", "client", "serving")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.add(target)
            # "from . import x" may name a module x.
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def _sources() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts]


def _top(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "extdesk" else None


def _package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for path in _sources():
        own = _top(_module_name(path))
        if own is None:
            continue
        for target in _imports(path):
            other = _top(target)
            if other and other != own and (PACKAGE / other).is_dir():
                graph[own].add(other)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_two_packages_import_each_other_even_through_others():
    assert _cycle(_package_graph()) is None, " -> ".join(_cycle(_package_graph()) or [])


def test_no_two_modules_import_each_other():
    modules = {_module_name(p): p for p in _sources()}
    graph = {name: {t for t in _imports(path) if t in modules and t != name}
             for name, path in modules.items()}
    mutual = sorted((a, b) for a, targets in graph.items() for b in targets
                    if a < b and a in graph.get(b, ()))
    assert mutual == []


@pytest.mark.parametrize("layer", WITHOUT_DJANGO)
def test_shared_layers_import_no_django_and_nothing_of_the_server(layer):
    allowed = {"soap": {"soap"}, "client": {"client", "soap"}, "serving": {"serving"}}[layer]
    for path in (PACKAGE / layer).rglob("*.py"):
        for target in _imports(path):
            assert not target.startswith("django"), f"{path.name} imports {target}"
            other = _top(target)
            assert other is None or other in allowed or not (PACKAGE / other).exists(), (
                f"{path.relative_to(PACKAGE)} imports {target}")


def test_the_check_sees_a_circle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None



# The mail channel: storing a mail is Django's work (these modules); reading
# one (every other module of extdesk.mail) is pure functions over bytes, run
# by the fuzzer and the property tests without a database.
MAIL_STORING = {"admin", "apps", "models", "notices", "routing", "selectors", "services"}


def _mail_reading_modules() -> list[Path]:
    return sorted(p for p in (PACKAGE / "mail").glob("*.py")
                  if p.stem not in MAIL_STORING and p.stem != "__init__")


@pytest.mark.parametrize("path", _mail_reading_modules(), ids=lambda p: p.stem)
def test_reading_a_mail_needs_no_django(path):
    for target in _imports(path):
        assert not target.startswith("django"), f"mail/{path.name} imports {target}"
        other = _top(target)
        assert other in (None, "mail", "config"), f"mail/{path.name} imports {target}"
        if other == "mail" and target.count(".") >= 2:
            assert target.split(".")[2] not in MAIL_STORING, f"mail/{path.name} imports {target}"
