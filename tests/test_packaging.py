"""The suite installs as a package, not only from the source tree: a non-editable wheel carries the shipped
specs and the paper's numbers, runs from any folder (one that holds an unrelated tasks/ folder included),
and the runtime imports nothing that only the test extras install."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(base / "dist")], check=True, capture_output=True, text=True)
    (wheel,) = (base / "dist").glob("llm_jepa_bench-*.whl")
    target = base / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, text=True)
    return target


def _run(target: Path, cwd: Path, *code_or_args: str) -> subprocess.CompletedProcess:
    import os

    env = dict(os.environ, PYTHONPATH=str(target))
    return subprocess.run([sys.executable, *code_or_args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


def test_the_wheel_runs_without_the_source_tree(installed, tmp_path):
    (tmp_path / "tasks").mkdir()  # an unrelated, empty tasks/ folder in the working directory
    where = _run(installed, tmp_path, "-c", "import benchmark, tasks; print(benchmark.__file__); print(tasks.__file__)")
    assert where.returncode == 0, where.stderr
    assert all(line.startswith(str(installed)) for line in where.stdout.split()), where.stdout
    listing = _run(installed, tmp_path, "-m", "benchmark.cli", "tasks")
    assert listing.returncode == 0 and "synth" in listing.stdout and "gsm8k" in listing.stdout, listing.stderr
    plan = _run(installed, tmp_path, "-m", "benchmark.cli", "sweep", "plan", "configs/ci.yaml")
    assert plan.returncode == 0 and "sweep ci: 12 runs" in plan.stdout, plan.stderr
    paper = _run(installed, tmp_path, "-c", "from benchmark.analysis.paper import load_paper_numbers, PAPER_CSV; "
                                            "print(len(load_paper_numbers()), PAPER_CSV)")
    assert paper.returncode == 0 and str(installed) in paper.stdout and int(paper.stdout.split()[0]) > 100


def test_exported_lm_eval_hooks_import_where_a_tasks_folder_shadows_ours(tmp_path):
    from benchmark.evaluation.lm_eval_hooks import utils_source
    from tasks import get_task
    from tasks.base import ScoringContext

    (tmp_path / "tasks").mkdir()
    (tmp_path / "utils.py").write_text(utils_source([get_task("synth")], ScoringContext()))
    code = ("import sys; sys.path.insert(0, '.'); import utils; "
            "doc = {'messages': [{'role': 'system', 'content': 's'}, {'role': 'user', 'content': 'u'}, "
            "{'role': 'assistant', 'content': '.*a.*'}]}; print(utils.process_results_synth(doc, ['.*a.*']))")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0 and "'exact': 1.0" in done.stdout, done.stderr


def test_runtime_imports_need_no_test_extras(tmp_path):
    """Every runtime module imports, and a report renders, with the test-only packages unimportable (the
    libraries we build on are imported first, so their own optional probes are not what is tested)."""
    code = r"""
import importlib, pkgutil, sys
import torch, transformers, peft, pandas, matplotlib, datasets  # third-party probes run before the block
for name in ("pytest", "lm_eval", "scipy", "sklearn", "statsmodels"):
    for loaded in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[loaded]
    sys.modules[name] = None  # `import name` now fails as if it were not installed
import benchmark, tasks
names = [m.name for m in pkgutil.walk_packages(benchmark.__path__, "benchmark.")]
names += [m.name for m in pkgutil.walk_packages(tasks.__path__, "tasks.")]
for n in [n for n in names if not n.endswith("__main__")]:
    importlib.import_module(n)
from benchmark.analysis.report import build_report
build_report("results/ci-baseline", sys.argv[1])  # tables through pandas.to_markdown (tabulate), figures
print(len(names), "modules")
"""
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "rep")], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "rep" / "README.md").is_file()
