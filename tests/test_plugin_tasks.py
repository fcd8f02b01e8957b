"""A task of one's own: the README's example task, extracted from the README verbatim, lives outside the repository
with its data in a folder of its own, and goes through `tasks`, `train`, `sweep`, `report` and `export-lm-eval`;
an installed package's entry point registers a task too."""
import json
import re
import sys
from pathlib import Path

import pytest
import yaml

from benchmark.cli import main

ROOT = Path(__file__).resolve().parent.parent
ROWS = [("Is water wet?", "yes"), ("Is fire cold?", "no"), ("Is the sea salty?", "yes"), ("Do fish fly?", "no")]


@pytest.fixture
def registry(monkeypatch):
    """Tasks registered by a test leave the registry (and the exported include path) as they were."""
    import tasks.base as base
    import tasks.plugins as plugins

    monkeypatch.setattr(base.TASKS, "_records", dict(base.TASKS._records))
    monkeypatch.setattr(plugins, "_LOADED", set(plugins._LOADED))
    monkeypatch.delenv(plugins.INCLUDE_ENV, raising=False)
    return base.TASKS._records


def readme_task() -> str:
    """The README's "Adding a task" code block, as written there."""
    section = (ROOT / "README.md").read_text().split("## Adding a task", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```python\n(.*?)```", section, re.S)
    return block


def write_rows(path: Path, rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps({"messages": [{"role": "system", "content": "Answer yes or no."},
                                                     {"role": "user", "content": u},
                                                     {"role": "assistant", "content": a}]}) + "\n"
                            for u, a in rows))


def test_the_readme_task_goes_through_every_command_from_outside_the_repository(tmp_path, registry, capsys,
                                                                                monkeypatch):
    plugins = tmp_path / "my_tasks"
    plugins.mkdir()
    (plugins / "boolq.py").write_text(readme_task())
    write_rows(plugins / "boolq_data" / "boolq_train.jsonl", ROWS * 2)
    write_rows(plugins / "boolq_data" / "boolq_test.jsonl", ROWS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JEPA_BENCH_DATA_DIR", str(tmp_path / "elsewhere"))  # the paper tasks' folder: not boolq's

    assert main(["tasks", "--include-path", str(plugins)]) == 0
    listing = capsys.readouterr().out
    line = next(ln for ln in listing.splitlines() if ln.startswith("boolq"))
    assert "train 8, test 4" in line and f"(in {plugins / 'boolq_data'})" in line

    run = tmp_path / "run"
    assert main(["train", "--include-path", str(plugins), "--task", "boolq", "--model", "tiny-random-llama",
                 "--epochs", "1", "--batch-size", "2", "--grad-accum", "1", "--eval-splits", "test",
                 "--eval-max-new-tokens", "3", "--out", str(run), "--no-progress"]) == 0
    assert json.loads((run / "summary.json").read_text())["task"]["name"] == "boolq"

    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({"name": "boolq-try", "include_path": "my_tasks",
                                    "fixed": {"task": "boolq", "model": "tiny-random-llama", "epochs": 1,
                                              "batch_size": 2, "grad_accum": 1},
                                    "grid": {"objective": ["regular", "jepa"]},
                                    "eval": {"splits": ["test"], "max_new_tokens": 3}}))
    assert main(["sweep", "run", str(spec), "--results", str(tmp_path / "results"), "--no-progress"]) == 0
    assert main(["report", str(tmp_path / "results"), "--out", str(tmp_path / "report")]) == 0
    report = (tmp_path / "report" / "README.md").read_text()
    first = report.split("\n")[2]
    assert "boolq" in first and "none of them the authors' check for parity" in first  # no parity metric declared
    assert main(["export-lm-eval", str(tmp_path / "lm"), "--tasks", "boolq"]) == 0
    assert (tmp_path / "lm" / "jepa_boolq.yaml").is_file()


def test_an_installed_packages_entry_point_registers_its_task(tmp_path, registry, monkeypatch):
    """A throwaway distribution on sys.path with a `jepa_bench.tasks` entry point: its task is registered."""
    site = tmp_path / "site"
    (site / "toy_tasks").mkdir(parents=True)
    (site / "toy_tasks" / "__init__.py").write_text(readme_task().replace('name="boolq"', 'name="toy_boolq"'))
    info = site / "toy_tasks-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-tasks\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[jepa_bench.tasks]\ntoy = toy_tasks\n")
    monkeypatch.syspath_prepend(str(site))
    from tasks import get_task
    from tasks.plugins import load_entry_points

    load_entry_points()
    assert get_task("toy_boolq").data_dir == str(site / "toy_tasks" / "boolq_data")
    sys.modules.pop("toy_tasks", None)


def test_a_bad_include_path_is_one_line(tmp_path, registry, capsys):
    assert main(["tasks", "--include-path", str(tmp_path / "missing")]) == 2
    assert "is not a folder of task modules" in capsys.readouterr().err
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "bad.py").write_text("raise RuntimeError('half-written task')\n")
    assert main(["tasks", "--include-path", str(broken)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad.py cannot be imported" in err[0] and "half-written task" in err[0]


def test_the_missing_file_hint_names_the_fetch_command_only_for_files_it_can_fetch(tmp_path, registry):
    import dataclasses

    from tasks import DataError, get_task, load_split
    from tasks.base import register

    with pytest.raises(DataError, match="fetch it with `jepa-bench data fetch --tasks synth`"):
        load_split(get_task("synth"), "train", tmp_path)
    with pytest.raises(DataError) as e:  # the paraphrase training file is not among the upstream files
        load_split(get_task("paraphrase"), "train", tmp_path)
    assert "data fetch" not in str(e.value) and "holding paraphrase_train.jsonl" in str(e.value)
    own = register(dataclasses.replace(get_task("synth"), name="synth_own", data_dir=str(tmp_path / "mine")))
    with pytest.raises(DataError) as e:
        load_split(own, "train")
    assert "data fetch" not in str(e.value) and "its own folder" in str(e.value)
