"""The package's layering, read from the source: stages import only stages below them.

Every `import` in every module counts, including those inside functions (lazy
imports are still dependencies). A failure names the module, the line and the
import that breaks the table.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tracer.problem.kinds import KINDS, STAGE_OF_HOOK

PACKAGE = Path(__file__).resolve().parents[1] / "tracer"

# The pipeline, lowest first. A stage may import itself, the stages before it, and the
# modules listed as `base`; the top-level modules (api, cli) may import everything.
STAGES = ["base", "problem", "engine", "present", "grade", "homework", "top"]
BASE = {"tracer.cache", "tracer.errors", "tracer.files", "tracer.pool"}
TOP = {"tracer", "tracer.api", "tracer.cli", "tracer.render_many"}
# Heavy libraries, each allowed from a stage on (a lower stage importing one would load
# it for everything above, `bptrace --help` included).
LIBRARIES = {"sympy": "present", "jinja2": "present", "mpmath": "engine", "numpy": "problem"}


def module_name(path: Path) -> str:
    parts = ["tracer", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def stage_of(module: str) -> str:
    if module in BASE:
        return "base"
    if module in TOP:
        return "top"
    stage = module.split(".")[1]
    assert stage in STAGES, f"{module}: not in any stage; add its package to STAGES"
    return stage


def imports(module: str) -> list[tuple[int, str]]:
    """(line, imported module) for every import in `module`, relative ones resolved."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            # `from .pkg import mod` imports the module pkg.mod when there is one
            subs = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in MODULES]
            out += [(node.lineno, t) for t in (subs or [target])]
    return out


def internal_edges() -> dict[str, set[str]]:
    return {m: {t for _, t in imports(m) if t in MODULES} for m in MODULES}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_down_the_pipeline(module):
    rank = STAGES.index(stage_of(module))
    for line, target in imports(module):
        if target in MODULES:
            to = stage_of(target)
            assert to == "base" or STAGES.index(to) <= rank, (
                f"{MODULES[module].relative_to(PACKAGE.parent)}:{line}: the {stage_of(module)} stage "
                f"imports {target} from the later {to} stage")
        lib = target.split(".")[0]
        if lib in LIBRARIES:
            assert rank >= STAGES.index(LIBRARIES[lib]), (
                f"{MODULES[module].relative_to(PACKAGE.parent)}:{line}: {lib} is for the "
                f"{LIBRARIES[lib]} stage on, not {stage_of(module)}")


def test_no_import_circles():
    edges = internal_edges()
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for t in sorted(edges[m]):
            if t == m or t == "tracer":
                continue
            if state.get(t) == 1:
                circle = stack[stack.index(t):] + [t]
                pytest.fail("import circle: " + " -> ".join(circle))
            if t not in state:
                visit(t)
        stack.pop()
        state[m] = 2

    for m in sorted(edges):
        if m not in state:
            visit(m)


def test_the_checker_finds_an_upward_import(tmp_path, monkeypatch):
    """The rule above is not vacuous: an engine module importing the presenter fails it."""
    bad = tmp_path / "tracer" / "engine"
    bad.mkdir(parents=True)
    (bad / "x.py").write_text("from ..present.render import render\n")
    monkeypatch.setattr(__import__(__name__), "PACKAGE", tmp_path / "tracer")
    monkeypatch.setitem(MODULES, "tracer.engine.x", bad / "x.py")
    monkeypatch.setitem(MODULES, "tracer.present.render", PACKAGE / "present" / "render.py")
    with pytest.raises(AssertionError, match="imports tracer.present.render from the later present stage"):
        test_imports_go_down_the_pipeline("tracer.engine.x")


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("hook", sorted(STAGE_OF_HOOK))
def test_each_kind_hook_lives_in_its_stage_and_resolves(kind, hook):
    target = getattr(KINDS[kind], hook)
    module, _, func = target.partition(":")
    assert module in MODULES, f"{kind}.{hook}: no module {module}"
    assert stage_of(module) == STAGE_OF_HOOK[hook], f"{kind}.{hook} = {target} is not in the {STAGE_OF_HOOK[hook]} stage"
    assert callable(KINDS[kind].hook(hook))


def test_every_stage_states_its_modules():
    """Each stage's __init__ docstring lists its modules, so the tree explains itself."""
    for stage in STAGES[1:-1]:
        doc = ast.get_docstring(ast.parse((PACKAGE / stage / "__init__.py").read_text()))
        assert doc, f"tracer/{stage}/__init__.py has no docstring"
        for path in sorted((PACKAGE / stage).glob("*.py")):
            if path.name != "__init__.py":
                assert path.name in doc, f"tracer/{stage}/__init__.py does not mention {path.name}"
