"""The layout holds: no import cycle among the modules, imports run one way between the stages of
`benchmark/` (cli -> api -> analysis -> runs -> evaluation -> training -> data -> store, tasks below all),
library code has no argparse, and no module grows past ~400 lines (the regex automata excepted).

Imports are read from the source (ast), function-level ones included: a lazy import is still a dependency."""
import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Lower rank = lower layer; a module may import its own stage and any stage of a lower rank.
STAGES = {"tasks": 0, "store": 1, "data": 2, "training": 3, "evaluation": 4, "runs": 5, "analysis": 6, "api": 7,
          "cli": 8, "__init__": 9}
MAX_LINES = 400
LONG_ALLOWED = {"tasks/brics.py"}  # the NL-RX regex automata: one algorithm, kept whole


def modules() -> dict[str, Path]:
    out = {}
    for pkg in ("benchmark", "tasks"):
        for path in sorted((ROOT / pkg).rglob("*.py")):
            rel = path.relative_to(ROOT).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


def imports(path: Path, name: str, known: set[str]) -> set[str]:
    """The project modules `path` imports (resolved to the longest known module name)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_pkg = path.name == "__init__.py"
    package = name if is_pkg else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(up + ([base] if base else []))
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        for t in targets:
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t and t != name:
                found.add(t)
    return found


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    g = {}
    for name, path in mods.items():
        deps = imports(path, name, known)
        # `from benchmark import store` names the package front (benchmark/__init__.py, the lazy API) only
        # as a path: the dependency is on benchmark.store
        g[name] = {d for d in deps if d != "benchmark"}
    return g


def stage(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "tasks":
        return "tasks"
    return parts[1] if len(parts) > 1 else "__init__"


def test_no_import_cycles():
    g = graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(g.get(n, ())):
            if state.get(m) == 1:
                cycle = stack[stack.index(m):] + [m]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if m not in state:
                visit(m)
        stack.pop()
        state[n] = 2

    for n in sorted(g):
        if n not in state:
            visit(n)


def test_imports_run_one_way_between_stages():
    bad = []
    for module, deps in graph().items():
        if module == "benchmark":  # the package's lazy API front (benchmark/__init__.py)
            continue
        for dep in deps:
            if STAGES[stage(dep)] > STAGES[stage(module)]:
                bad.append(f"{module} ({stage(module)}) imports {dep} ({stage(dep)})")
    assert not bad, "imports against the stage order:\n" + "\n".join(sorted(bad))


def test_every_stage_is_a_documented_package():
    for name in STAGES:
        if name in ("tasks", "api", "__init__"):
            continue
        init = ROOT / "benchmark" / name / "__init__.py"
        assert init.is_file(), name
        doc = ast.get_docstring(ast.parse(init.read_text()))
        assert doc and "owns" in doc.lower() and "imports" in doc, f"benchmark/{name}/__init__.py: say what it owns and imports"
    listed = {p.name for p in (ROOT / "benchmark").iterdir() if p.is_dir() and not p.name.startswith("__")}
    assert listed == {n for n in STAGES if n not in ("tasks", "api", "__init__")}


def test_library_code_has_no_argparse():
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "benchmark").rglob("*.py")
                 if "cli" not in p.relative_to(ROOT).parts and "argparse" in p.read_text()]
    assert not offenders, f"argparse outside benchmark/cli: {offenders}"


def test_modules_stay_small():
    long = {str(p.relative_to(ROOT)): n for p in modules().values()
            if (n := len(p.read_text().splitlines())) > MAX_LINES and str(p.relative_to(ROOT)) not in LONG_ALLOWED}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_the_checker_sees_a_planted_cycle_and_a_wrong_direction(tmp_path, monkeypatch):
    """The two checks above can fail: a cycle and an upward import planted in a copy are both found."""
    import shutil

    for pkg in ("benchmark", "tasks"):
        shutil.copytree(ROOT / pkg, tmp_path / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    store = tmp_path / "benchmark" / "store" / "__init__.py"
    store.write_text(store.read_text() + "\nfrom benchmark.analysis import runs  # planted\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    with pytest.raises(AssertionError, match="benchmark.store .store. imports benchmark.analysis.runs"):
        test_imports_run_one_way_between_stages()
    with pytest.raises(pytest.fail.Exception, match="import cycle"):
        test_no_import_cycles()


def test_every_named_record_kind_has_one_registry():
    """Tasks, objectives and comparisons each live in one `tasks.registry.Registry` (collisions refused, unknown
    names answered with "did you mean"); no module keeps a registry dict of its own, and `did_you_mean` is defined
    once, in tasks/registry.py."""
    from benchmark.analysis import comparisons
    from benchmark.training import objectives
    from tasks import base
    from tasks.registry import Registry

    assert all(isinstance(r, Registry) for r in (base.TASKS, objectives.OBJECTIVES, comparisons.COMPARISONS))
    own_dicts, defined = [], []
    for name, path in modules().items():
        tree = ast.parse(path.read_text())
        for node in tree.body:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] \
                if isinstance(node, ast.AnnAssign) else []
            for target in (t for t in targets if isinstance(t, ast.Name) and "REGISTRY" in t.id.upper()):
                if "Registry(" not in ast.unparse(node.value) if node.value is not None else True:
                    own_dicts.append(f"{name}: {target.id}")
            if isinstance(node, ast.FunctionDef) and node.name == "did_you_mean":
                defined.append(name)
    assert not own_dicts, own_dicts
    assert defined == ["tasks.registry"], defined


def test_a_new_task_objective_and_comparison_are_found_through_their_registries(monkeypatch):
    """Each kind's one-file rule: a record registered in its own module is listed and looked up by the public
    getters (what the CLI, sweeps, reports and the ledger call), with no edit anywhere else; a clash is refused."""
    import dataclasses

    from benchmark.analysis import comparisons
    from benchmark.training import objectives
    from tasks import all_tasks, base, get_task

    # Load every comparison module into the real registry first: loading happens once per process, so loading
    # into the copy below would leave the real registry without them for every later test.
    comparisons._load()
    for registry in (base.TASKS, objectives.OBJECTIVES, comparisons.COMPARISONS):
        monkeypatch.setattr(registry, "_records", dict(registry._records))
    task = base.register(dataclasses.replace(get_task("synth"), name="synth_copy"))
    objective = objectives.register(objectives.Objective("copy", "a copy of regular", 0.0))
    comparison = comparisons.register(dataclasses.replace(comparisons.get_comparison("score", "regular"),
                                                          measure="copy_gain"))
    assert get_task("synth_copy") is task and task in all_tasks()
    assert objectives.get_objective("copy") is objective and objective in objectives.all_objectives()
    assert comparisons.get_comparison("copy_gain") is comparison and comparison in comparisons.all_comparisons()
    with pytest.raises(ValueError, match="registered twice"):
        base.register(task)
    with pytest.raises(KeyError, match="Did you mean 'synth_copy'"):
        get_task("synth_cpy")
