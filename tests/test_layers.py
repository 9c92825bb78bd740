"""The layering rules of docs/architecture.md ("Rules"): imports go down the layer order, never up, and no
modules import each other in a circle. Imports inside functions and under ``TYPE_CHECKING`` count: an import
moved into a function still makes a circle, it only postpones it to run time."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOT = ROOT / "bot"

# Low to high: a module may import its own package and those before it, never one after it.
LAYERS = ("clock", "ports", "private_file", "served_in_thread", "body_limit", "config", "store", "outbox", "audit", "subscriptions", "oncall", "deadlines", "incidents",
          "alerts", "notify", "learning", "scheduling", "purge", "metrics_endpoint", "importers", "reports",
          "pictures", "web", "alerts_http", "slack", "drill", "cli", "__main__")
RANK = {name: i for i, name in enumerate(LAYERS)}


def _modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the ``bot`` package."""
    out = {}
    for path in sorted(BOT.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _imports(name: str, path: Path, modules: dict[str, Path]) -> list[tuple[int, str]]:
    """(line, imported bot module) for every import in the file, at any depth (``from a import b`` names the
    module ``a.b`` when there is one, else ``a``)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against the importing module's package
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.append((node.lineno, candidate if candidate in modules else base))
    return [(line, target) for line, target in found if target == "bot" or target.startswith("bot.")]


def _graph() -> tuple[dict[str, Path], dict[str, list[tuple[int, str]]]]:
    modules = _modules()
    return modules, {name: _imports(name, path, modules) for name, path in modules.items()}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
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
                    found.append(sorted(component))
    return found


def test_every_package_has_a_place_in_the_layer_order():
    modules = _modules()
    unplaced = sorted({_layer(m) for m in modules if _layer(m) is not None} - set(RANK))
    assert not unplaced, f"add {unplaced} to LAYERS here and to the order in docs/architecture.md"


def test_the_documented_order_is_the_tested_one():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert " < ".join(f"`{name}`" for name in LAYERS) in " ".join(text.split()), \
        "docs/architecture.md (Rules) must list the layer order of tests/test_layers.py"


def test_no_module_imports_a_layer_above_its_own():
    modules, graph = _graph()
    upward = []
    for name, imports in graph.items():
        source = _layer(name)
        if source not in RANK:
            continue
        for line, target in imports:
            layer = _layer(target)
            if layer in RANK and RANK[layer] > RANK[source]:
                upward.append(f"{modules[name].relative_to(ROOT)}:{line}: {source} -> {target}")
    assert not upward, "imports up the layer order (docs/architecture.md, Rules):\n" + "\n".join(
        sorted(set(upward)))


def test_no_import_cycle_among_modules_counting_imports_inside_functions():
    modules, graph = _graph()
    edges = {name: {t for _line, t in imports if t in modules and t != name} for name, imports in graph.items()}
    cycles = _cycles(edges)
    assert not cycles, "modules importing each other in a circle:\n" + "\n".join(
        f"{len(c)}: {', '.join(c)}" for c in cycles)
