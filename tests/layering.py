"""The layers of ``mmzoo/`` and a checker of its imports (imported by test_layers.py).

Every import counts: at module level, inside functions, and under ``if TYPE_CHECKING:``.
A module may import its own layer and the layers below it; no import may go up, and no
chain of imports may come back to where it started.
"""

from __future__ import annotations

import ast
from pathlib import Path

#: Top first. Names are relative to ``mmzoo``; a package's name covers its modules; "__init__" is
#: ``mmzoo`` itself (the public facade over the API); ``testing`` is the pytest plugin;
#: ``tasks.builtin`` is the built-in plugin of the core tasks.
LAYERS = (
    ("app", "cli", "__main__", "testing"),
    ("__init__", "api", "evaluate"),
    ("plugins", "hookspecs", "registry", "tasks.builtin"),
    ("tasks",),
    ("index",),
    ("media", "plots", "eval", "data", "train", "devices", "pretrained", "image_grids", "weights", "espeak", "matchmap"),
    ("errors", "_version"),
)


def modules(root: Path) -> dict[str, Path]:
    """Module name (relative to the package at ``root``) -> its file."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imports(root: Path) -> dict[str, dict[str, int]]:
    """Module -> {module of the package it imports: line of the first such import}."""
    known = modules(root)
    package = root.name
    edges: dict[str, dict[str, int]] = {}
    for name, path in known.items():
        here = [] if name == "__init__" else name.split(".")
        if path.name != "__init__.py":
            here = here[:-1]  # a module's relative imports start from its package
        targets: dict[str, int] = {}
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                wanted = [alias.name.split(".") for alias in node.names]
                wanted = [w[1:] for w in wanted if w[0] == package]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here[:len(here) - node.level + 1] + (node.module.split(".") if node.module else [])
                elif (node.module or "").split(".")[0] == package:
                    base = node.module.split(".")[1:]
                else:
                    continue
                wanted = [base + [alias.name] for alias in node.names]  # a submodule, or a name in base
            else:
                continue
            for parts in wanted:
                while parts and ".".join(parts) not in known:
                    parts = parts[:-1]
                target = ".".join(parts) or "__init__"
                if target != name:
                    targets.setdefault(target, node.lineno)
        edges[name] = targets
    return edges


def layer(module: str) -> int | None:
    """Index in :data:`LAYERS` of the longest name covering ``module`` (0 = top); None if unmapped."""
    best = None
    for i, names in enumerate(LAYERS):
        for prefix in names:
            if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), i)
    return best[1] if best else None


def problems(edges: dict[str, dict[str, int]]) -> list[str]:
    """One line per unmapped module, per import into a higher layer, and per import cycle."""
    found = [f"{m} is in no layer: add it to LAYERS in tests/layering.py" for m in edges if layer(m) is None]
    for source, targets in sorted(edges.items()):
        for target, line in sorted(targets.items()):
            if None not in (layer(source), layer(target)) and layer(target) < layer(source):
                found.append(f"{source} (line {line}) imports {target}, a higher layer: "
                             f"{' / '.join(LAYERS[layer(source)])} may import only its layer and those below")
    return found + [f"import cycle: {' -> '.join(cycle)}" for cycle in cycles(edges)]


def cycles(edges: dict[str, dict[str, int]]) -> list[list[str]]:
    """One cycle (``[a, b, ..., a]``) for each import that closes one, by depth-first search."""
    found, state, path = [], {}, []

    def visit(module: str) -> None:
        state[module] = "open"
        path.append(module)
        for target in sorted(edges.get(module, {})):
            if state.get(target) == "open":
                found.append(path[path.index(target):] + [target])
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = "done"

    for module in sorted(edges):
        if module not in state:
            visit(module)
    return found
