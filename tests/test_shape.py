"""The package's shape: dependencies point one way, and no module grows past 300 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import vertex_openai_env
from vertex_openai_env.tokens.registry import SOURCES

PACKAGE = Path(vertex_openai_env.__file__).parent
LIMIT = 300


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """The package's modules `path` imports, at the top or inside functions alike."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module or "") if part)
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    return {name: imports(path) & set(modules) - {name} for name, path in modules.items()}


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every module that can reach itself, with the way round."""
    found = []
    for start in sorted(edges):
        stack = [(start, [start])]
        seen: set[str] = set()
        while stack:
            node, way = stack.pop()
            for after in sorted(edges[node]):
                if after == start:
                    found.append([*way, start])
                    stack.clear()
                    break
                if after not in seen:
                    seen.add(after)
                    stack.append((after, [*way, after]))
    return found


def test_no_module_imports_a_module_that_imports_it_back() -> None:
    assert circles(graph()) == []


def test_the_circle_finder_finds_circles() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}})[0] == ["a", "b", "c", "a"]


def test_token_sources_are_named_only_by_the_registry() -> None:
    sources = {f"vertex_openai_env.tokens.{source.module}" for source in SOURCES.values()}
    assert sources  # the registry was read
    users = {name for name, deps in graph().items() if deps & sources}
    assert users <= sources | {"vertex_openai_env.tokens"}


def test_no_module_is_over_300_lines() -> None:
    long = {
        str(path.relative_to(PACKAGE)): lines
        for path in PACKAGE.rglob("*.py")
        if (lines := len(path.read_text().splitlines())) > LIMIT
    }
    assert long == {}
