"""The house's rules that import-linter's layers do not cover: no import circle anywhere
(within a layer either), no module over 400 lines, the App's module at most 300."""

from __future__ import annotations

from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("tui", "widgets", "actions")


def circles() -> list[list[str]]:
    graph = grimp.build_graph(*PACKAGES)
    ours = {m for m in graph.modules if m.split(".")[0] in PACKAGES}
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) & ours) for m in ours}
    found: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        path.append(module)
        for nxt in edges[module]:
            if state.get(nxt) == 1:
                found.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, path)
        path.pop()
        state[module] = 2

    for module in sorted(ours):
        if module not in state:
            visit(module, [])
    return found


def test_the_import_graph_has_no_circle() -> None:
    assert circles() == []


def test_no_module_is_over_400_lines_and_the_app_is_at_most_300() -> None:
    sizes = {
        str(p.relative_to(ROOT)): len(p.read_text().splitlines())
        for top in (*PACKAGES, "bench", "tests")
        for p in (ROOT / top).rglob("*.py")
    }
    assert {p: n for p, n in sizes.items() if n > 400} == {}
    assert sizes["tui/app.py"] <= 300


def test_the_licence_is_an_spdx_expression() -> None:
    """Issue 28.10: a TOML table for project.license is deprecated (setuptools warned at
    every install); an SPDX string needs setuptools 77."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == "Apache-2.0"
    assert "setuptools>=77" in project["build-system"]["requires"]
