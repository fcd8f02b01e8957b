"""Sweeps and the results store: specs, plans, resumption after SIGKILL, locks, determinism, budgets."""
import dataclasses
import errno
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from benchmark import store
from benchmark.cli import main
from benchmark.training.config import ConfigError
from benchmark.runs.runner import run_one
from benchmark.runs.launchers import run_local
from benchmark.runs.sweep import load_spec, parse_spec, plan_lines

ROOT = Path(__file__).resolve().parent.parent

SPEC = {
    "name": "t",
    "fixed": {"task": "synth", "model": "tiny-random-llama", "limit_train": 8, "epochs": 2, "batch_size": 4,
              "grad_accum": 1, "lr": 1e-3, "max_length": 96},
    "grid": {"objective": ["regular", "jepa"], "seed": [82, 23]},
    "eval": {"splits": ["test"], "limit": 4, "max_new_tokens": 6, "batch_size": 4},
}


def spec_file(tmp_path, data_dir, **changes) -> Path:
    d = json.loads(json.dumps(SPEC))
    d["fixed"]["data_dir"] = str(data_dir)
    for k, v in changes.items():
        d[k] = v
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(d))
    return path


def numbers(run_dir: Path) -> dict:
    """What a run measured, without times and provenance."""
    s = store.read_summary(run_dir)
    evals = [{k: v for k, v in e.items() if k != "seconds"} for e in s["evaluations"]]
    log = [json.loads(line) for line in (run_dir / "train_log.jsonl").read_text().splitlines()]
    log = [{k: v for k, v in r.items() if "runtime" not in k and "per_second" not in k} for r in log]
    preds = sorted(p.read_text() for p in run_dir.rglob("predictions.jsonl"))
    return {"evaluations": evals, "final": s["final"], "flops": s["flops"], "tokens": s["tokens_processed"],
            "log": log, "predictions": preds}


def tree(results: Path) -> dict:
    return {p.name: numbers(p) for p in store.run_dirs(results)}


@pytest.mark.parametrize("change, message", [
    ({"grdi": {}}, "Did you mean 'grid'"),
    ({"grid": {"objectve": ["jepa"]}}, "Did you mean 'objective'"),
    ({"grid": {"lbd": [1.0, -2.0], "objective": ["jepa"]}}, "run with lbd=-2.0"),
    ({"grid": {"seed": 82}}, "must be a non-empty list"),
    ({"eval": {"splits": ["val"]}}, "no split 'val'"),
    ({"eval": {"limt": 3}}, "Did you mean 'limit'"),
    ({"grid": {"out": ["x"]}}, "set by the results store"),
])
def test_bad_specs_fail_before_anything_runs(change, message, tmp_path, data_dir):
    d = json.loads(json.dumps(SPEC))
    d.update(change)
    with pytest.raises(ConfigError, match=message):
        parse_spec(d, results=tmp_path / "r")
    assert not (tmp_path / "r").exists()


def test_cli_bad_spec_is_one_line(tmp_path, data_dir, capsys):
    path = spec_file(tmp_path, data_dir, grid={"lbd": [-1.0], "objective": ["jepa"]})
    assert main(["sweep", "run", str(path), "--results", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "lbd must be >= 0" in err and str(path) in err


def test_only_selects_part_of_a_grid_and_names_what_the_spec_has(tmp_path):
    """`sweep plan|run --only FIELD=VALUE`: values typed as their field (seed=82 is the int, lbd=1 matches
    1.0), one field's values are alternatives, fields combine; a bad selector is one ConfigError."""
    from benchmark.runs.sweep import select_runs

    d = json.loads(json.dumps(SPEC))
    d["grid"] = {"seed": [82, 23, 37]}
    d["variants"] = [{"objective": "regular"}, {"objective": "jepa", "lbd": 1.0}, {"objective": "jepa", "lbd": 2.0}]
    sweep = parse_spec(d, results=tmp_path / "r")

    def picked(*sel):
        return [(r.train.objective, r.train.resolved().lbd, r.train.seed) for r in select_runs(sweep, sel).runs]

    assert select_runs(sweep, []) is sweep
    assert picked("seed=82") == [("regular", 0.0, 82), ("jepa", 1.0, 82), ("jepa", 2.0, 82)]
    assert picked("lbd=1", "seed=23") == [("jepa", 1.0, 23)]
    assert picked("seed=82", "seed=37", "objective=regular") == [("regular", 0.0, 82), ("regular", 0.0, 37)]
    assert select_runs(sweep, ["seed=82"]).name == "t (only seed=82)"
    for bad, message in [("seed", "takes FIELD=VALUE"), ("sede=82", "Did you mean 'seed'"),
                         ("seed=x", "seed must be an integer"), ("seed=5", "its runs have seed = 82, 23, 37"),
                         ("model=tiny-random-llama", None)]:
        if message is None:
            assert len(select_runs(sweep, [bad]).runs) == 9
            continue
        with pytest.raises(ConfigError, match=message):
            select_runs(sweep, [bad])
    with pytest.raises(ConfigError, match="matches them all"):
        select_runs(sweep, ["objective=regular", "lbd=2"])


def test_cli_only_plans_the_selected_runs(tmp_path, data_dir, capsys):
    path = spec_file(tmp_path, data_dir)
    assert main(["sweep", "plan", str(path), "--results", str(tmp_path / "r"), "--only", "objective=jepa"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("sweep t (only objective=jepa): 2 runs, 0 done, 2 to run")
    assert main(["sweep", "run", str(path), "--results", str(tmp_path / "r"), "--only", "seed=5"]) == 2
    assert "its runs have seed = 82, 23" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_plan_run_resume_and_store_layout(tmp_path, data_dir):
    sweep = load_spec(spec_file(tmp_path, data_dir), results=tmp_path / "r")
    assert len(sweep.runs) == 4 and len({r.run_id for r in sweep.runs}) == 4
    assert plan_lines(sweep)[0].startswith("sweep t: 4 runs, 0 done, 4 to run")
    said = []
    assert run_local(sweep, progress=False, max_runs=1, log=said.append) == {"done": 0, "built": 1, "busy": 0}
    assert "building at most 1" in said[0] and said[-2].startswith("stopped after 1 built run(s)")
    assert run_local(sweep, progress=False, log=lambda *a: None) == {"done": 1, "built": 3, "busy": 0}
    assert run_local(sweep, progress=False, log=lambda *a: None) == {"done": 4, "built": 0, "busy": 0}
    run = tmp_path / "r" / sweep.runs[2].run_id
    s = store.read_summary(run)
    assert s["config"]["objective"] == "jepa" and s["task"]["version"] >= 2 and s["git"] and s["versions"]
    assert [(e["epoch"], e["split"]) for e in s["evaluations"]] == [(1.0, "test"), (2.0, "test")]
    assert (run / "epochs" / "epoch_1" / "test" / "predictions.jsonl").is_file()
    assert s["tokens_processed"] > 0 and s["flops"] == 6.0 * json.loads((run / "config.json").read_text())[
        "parameters"] * s["tokens_processed"]
    jepa, regular = s["tokens_processed"], store.read_summary(tmp_path / "r" / sweep.runs[0].run_id)["tokens_processed"]
    assert jepa > regular  # the views are forwarded too
    from benchmark.analysis.runs import load_results

    df = load_results(tmp_path / "r")
    assert len(df) == 4 * 2 * 3  # runs x epochs x metrics
    assert set(df["cfg.objective"]) == {"regular", "jepa"} and set(df["metric"]) == {"exact", "prefix", "dfa"}
    # runs to do are estimated from the runs now measured beside them (runs/estimate.py)
    more = load_spec(spec_file(tmp_path, data_dir), results=tmp_path / "more")
    more = dataclasses.replace(more, runs=more.runs[:1])
    lines = plan_lines(more, measured_root=tmp_path)
    assert "≈" in lines[1] and lines[-1].startswith("estimated time here:")


def test_same_run_twice_gives_identical_numbers(tmp_path, data_dir):
    sweep = load_spec(spec_file(tmp_path, data_dir, grid={"objective": ["jepa"]}), results=tmp_path / "a")
    run_one(sweep.runs[0], tmp_path / "a", progress=False)
    run_one(sweep.runs[0], tmp_path / "b", progress=False)
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


def _sweep_cmd(spec: Path, results: Path) -> list[str]:
    return [sys.executable, "-m", "benchmark.cli", "sweep", "run", str(spec), "--results", str(results), "--no-progress"]


def test_sigkill_at_random_moments_then_resume_equals_an_uninterrupted_sweep(tmp_path, data_dir):
    spec = spec_file(tmp_path, data_dir, grid={"objective": ["regular", "jepa"], "seed": [82, 23, 37, 84, 4]})
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run(_sweep_cmd(spec, tmp_path / "clean"), env=env, check=True, capture_output=True, cwd=ROOT)
    rng, results, kills = random.Random(0), tmp_path / "killed", []
    for _ in range(5):
        proc = subprocess.Popen(_sweep_cmd(spec, results), env=env, cwd=ROOT, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        target, seen = rng.randint(1, 2), 0  # let it finish 0 or 1 runs, then kill during the next one
        for line in proc.stdout:
            seen += line.startswith("[")
            if seen == target:
                break
        time.sleep(rng.uniform(0.0, 0.4))  # a run takes about half a second: mid-training, -eval or -write
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        kills.append(len(store.run_dirs(results)))
        for p in results.iterdir():  # nothing half-written ever looks done
            if not p.name.startswith("."):
                assert p.name.endswith(".partial") or store.read_summary(p) is not None, p
    assert len(kills) == 5 and kills[-1] < 10, kills  # five kills, all before the sweep could finish
    subprocess.run(_sweep_cmd(spec, results), env=env, check=True, capture_output=True, cwd=ROOT)
    assert sorted(p.name for p in results.iterdir() if not p.name.startswith(".")) == sorted(tree(tmp_path / "clean"))
    assert tree(results) == tree(tmp_path / "clean")


def test_two_worker_processes_on_one_store_build_each_run_once(tmp_path, data_dir):
    """--executor workers --devices cpu,cpu: two sweep processes share the runs out through the locks."""
    spec = spec_file(tmp_path, data_dir)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = _sweep_cmd(spec, tmp_path / "r") + ["--executor", "workers", "--devices", "cpu,cpu"]
    out = subprocess.run(cmd, env=env, cwd=ROOT, text=True, capture_output=True, check=True).stdout
    assert out.count("FLOPs)") == 4, out  # one such line per run built, whichever worker built it
    assert len(store.run_dirs(tmp_path / "r")) == 4


def test_checkpoints_are_optional(tmp_path, data_dir):
    d = json.loads(json.dumps(SPEC))
    d["fixed"].update(data_dir=str(data_dir), save_checkpoints=True)
    d["grid"] = {"objective": ["jepa"]}
    run = parse_spec(d).runs[0]
    d["fixed"]["save_checkpoints"] = False
    assert parse_spec(d).runs[0].run_id == run.run_id  # keeping checkpoints does not change the results
    path, _ = run_one(run, tmp_path / "r", progress=False)
    assert (path / "epochs" / "epoch_1" / "model" / "config.json").is_file()
    assert (path / "epochs" / "epoch_2" / "model" / "tokenizer.json").is_file()


def test_flop_budget_stops_early_and_evaluates_the_final_state(tmp_path, data_dir):
    sweep = load_spec(spec_file(tmp_path, data_dir, grid={"objective": ["jepa"]}), results=tmp_path / "full")
    full = store.read_summary(run_one(sweep.runs[0], tmp_path / "full", progress=False)[0])
    d = json.loads(json.dumps(SPEC))
    d["fixed"].update(data_dir=str(data_dir), flop_budget=full["flops"] * 0.4)
    d["grid"] = {"objective": ["jepa"]}
    short = store.read_summary(run_one(parse_spec(d).runs[0], tmp_path / "short", progress=False)[0])
    assert short["stopped_by_budget"] and short["optimizer_steps"] < full["optimizer_steps"]
    assert full["flops"] * 0.4 <= short["flops"] < full["flops"]
    assert short["evaluations"][-1]["step"] == short["optimizer_steps"]  # the stopped state is evaluated


def test_unwritable_results_directory_is_a_clear_error(tmp_path, data_dir, capsys):
    if os.geteuid() == 0:  # root writes anywhere: use a path below a regular file instead
        target = tmp_path / "file" / "results"
        (tmp_path / "file").write_text("")
    else:
        target = tmp_path / "ro"
        target.mkdir(mode=0o500)
    rc = main(["sweep", "run", str(spec_file(tmp_path, data_dir)), "--results", str(target), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2 and ("cannot write to" in err or "a file is in the way" in err) and len(err.strip().splitlines()) == 1


def test_full_disk_fails_clearly_and_keeps_finished_runs(tmp_path, data_dir, monkeypatch, capsys):
    path = spec_file(tmp_path, data_dir)
    results = tmp_path / "r"
    real, calls = store.write_json_atomic, {"n": 0}

    def fill_up(p, obj):  # the disk fills while the second run writes its config
        calls["n"] += Path(p).name == "config.json"
        if calls["n"] == 2 and Path(p).name == "config.json":
            raise store._explain(OSError(errno.ENOSPC, "No space left on device"), Path(p))
        return real(p, obj)

    monkeypatch.setattr(store, "write_json_atomic", fill_up)
    assert main(["sweep", "run", str(path), "--results", str(results), "--no-progress"]) == 2
    assert "no space left" in capsys.readouterr().err
    assert len(store.run_dirs(results)) == 1  # the first run is intact and counts as done
    monkeypatch.setattr(store, "write_json_atomic", real)
    assert main(["sweep", "run", str(path), "--results", str(results), "--no-progress"]) == 0
    assert len(store.run_dirs(results)) == 4 and not list(results.glob("*.partial"))


def test_submitit_local_executor_runs_the_sweep(tmp_path, data_dir):
    from benchmark.runs.launchers import run_submitit

    sweep = load_spec(spec_file(tmp_path, data_dir, grid={"objective": ["regular", "jepa"]}), results=tmp_path / "r")
    jobs = run_submitit(sweep, folder=tmp_path / "jobs", cluster="local", timeout_min=5, parallelism=2,
                        log=lambda *a: None)
    assert len(jobs) == 2 and len(store.run_dirs(tmp_path / "r")) == 2
    assert all(store.is_done(tmp_path / "r", r.run_id) for r in sweep.runs)


def test_torchrun_launch_trains_one_run_data_parallel(tmp_path, data_dir):
    """--nproc-per-node 2: the run is a torchrun launch (gloo on CPU); rank 0 writes, the store publishes. The
    number of processes is part of the run: the 1-process run of the same spec is another run, never reused."""
    from benchmark.runs.sweep import with_processes

    sweep = load_spec(spec_file(tmp_path, data_dir, grid={"objective": ["jepa"]}), results=tmp_path / "r")
    two = with_processes(sweep, 2)
    path, status = run_one(two.runs[0], tmp_path / "r", progress=False)
    s = store.read_summary(path)
    assert status == "built" and s["world_size"] == 2 and s["config"]["world_size"] == 2
    assert s["optimizer_steps"] == 2  # 8 examples / (batch 4 x 2 processes) = 1 step per epoch, 2 epochs
    assert s["evaluations"] and s["last_log"]["jepa_loss"] > 0
    assert two.runs[0].run_id != sweep.runs[0].run_id and not store.is_done(tmp_path / "r", sweep.runs[0].run_id)
    assert "world_size" not in sweep.runs[0].train.identity()  # one process: committed ids stay
    with pytest.raises(ConfigError, match="sets world_size 2 and --nproc-per-node is 4"):
        with_processes(two, 4)


def test_a_flop_budget_stops_every_process_at_the_same_step(tmp_path, data_dir):
    """Each rank counts its own tokens; the stop decision reads their sum, so two processes with unequal rows stop
    together (a rank that stopped alone would leave the other waiting in a collective: a gloo abort, a NCCL hang)."""
    from benchmark.runs.sweep import with_processes

    from conftest import FIXTURE_ROWS, write_jsonl

    rows = [(u * (i + 1), a) for i, (u, a) in enumerate(FIXTURE_ROWS)]  # rows of unequal lengths
    write_jsonl(data_dir / "synth_train.jsonl", rows * 2)
    d = json.loads(json.dumps(SPEC))
    d["fixed"].update(data_dir=str(data_dir), limit_train=16, epochs=4, batch_size=2)
    d["grid"] = {"objective": ["jepa"]}
    full = store.read_summary(run_one(with_processes(parse_spec(d), 2).runs[0], tmp_path / "full", progress=False)[0])
    d["fixed"]["flop_budget"] = full["flops"] * 0.4
    path, status = run_one(with_processes(parse_spec(d), 2).runs[0], tmp_path / "short", progress=False)
    short = store.read_summary(path)
    assert status == "built" and short["stopped_by_budget"] and short["world_size"] == 2
    assert 0 < short["optimizer_steps"] < full["optimizer_steps"]
    assert full["flops"] * 0.4 <= short["flops"] < full["flops"]  # the global count crossed the budget at the stop
    log = [json.loads(line) for line in (path / "train_log.jsonl").read_text().splitlines()]
    assert max(r["step"] for r in log) == short["optimizer_steps"]


@pytest.mark.parametrize("path", sorted(str(p.relative_to(ROOT)) for p in (ROOT / "configs").rglob("*.yaml")))
def test_every_shipped_spec_validates(path):
    sweep = load_spec(ROOT / path)
    assert sweep.runs and sweep.results


def test_variants_multiply_the_grid(tmp_path, data_dir):
    d = json.loads(json.dumps(SPEC))
    d["variants"] = [{"objective": "regular"}, {"objective": "jepa", "lbd": 2.0}]
    d["grid"] = {"seed": [1, 2, 3]}
    sweep = parse_spec(d)
    assert [(r.train.objective, r.train.lbd, r.train.seed) for r in sweep.runs] == [
        ("regular", None, 1), ("regular", None, 2), ("regular", None, 3),
        ("jepa", 2.0, 1), ("jepa", 2.0, 2), ("jepa", 2.0, 3)]
    assert sweep.grid_keys == ("objective", "lbd", "seed")


def test_a_slurm_task_starts_one_process_per_gpu_itself(monkeypatch, tmp_path):
    """--nproc-per-node N on SLURM: each array task builds a run whose world_size is N (run_one then launches N
    processes with torchrun), not one process that would see N GPUs and fall back to nn.DataParallel; and one
    process that sees several GPUs is refused before anything loads."""
    import benchmark.runs.launchers as launchers
    import benchmark.runs.runner as runner

    seen = {}
    monkeypatch.setattr(launchers, "run_one", lambda spec, results, progress:
                        seen.update(processes=spec.train.world_size) or (Path(results) / spec.run_id, "built"))
    spec = {"train": {"task": "synth", "model": "tiny-random-llama", "world_size": 4}, "eval": {}}
    assert launchers._submitit_entry(spec, "r").startswith("built") and seen["processes"] == 4
    from benchmark.training.config import TrainConfig

    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 4)
    with pytest.raises(ConfigError, match="4 GPUs are visible to one process.*--nproc-per-node 4"):
        runner._check_processes(TrainConfig())
    runner._check_processes(TrainConfig(world_size=4))
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(ConfigError, match="instead of wrapping it in torchrun"):
        runner._check_processes(TrainConfig(world_size=4))


def test_estimates_scale_the_measured_medians_of_the_same_kind(tmp_path):
    """A planned run = median training seconds per row-epoch × rows × epochs + median evaluation seconds per
    example × examples × evaluations, from measured runs of its kind on this kind of machine only."""
    from benchmark.evaluation.plan import EvalPlan
    from benchmark.runs.estimate import Measured, estimate_seconds
    from benchmark.runs.spec import RunSpec
    from benchmark.training.config import TrainConfig

    machine = (2, ())
    kind = ("tiny-random-llama", True, False, False)
    ev = ("tiny-random-llama", "synth", 48)

    def m(rate, eval_rate, where=machine, train_kind=kind):
        return Measured(where, train_kind, ev, 64, rate, eval_rate, {"test": 100})

    measured = [m(1.0, 0.1), m(2.0, 0.2), m(3.0, 0.3), m(100.0, 9.0, where=(16, ("H200",))),
                m(50.0, 0.2, train_kind=("tiny-random-llama", False, False, False))]
    run = RunSpec(TrainConfig(task="synth", model="tiny-random-llama", objective="jepa", limit_train=32, epochs=3),
                  EvalPlan(limit=50, max_new_tokens=48))
    est = estimate_seconds(run, measured, machine)
    assert est.seconds == pytest.approx(2.0 * 32 * 3 + 0.2 * 50 * 3) and not est.rough
    once = RunSpec(run.train, EvalPlan(limit=50, max_new_tokens=48, every_epoch=False))
    assert estimate_seconds(once, measured, machine).seconds == pytest.approx(2.0 * 32 * 3 + 0.2 * 50)
    assert estimate_seconds(run, measured, (8, ())) is None  # nothing measured on a machine like that
    other = RunSpec(TrainConfig(task="turk", model="tiny-random-llama", objective="jepa", limit_train=32, epochs=3),
                    EvalPlan(limit=50, max_new_tokens=48))
    est = estimate_seconds(other, measured, machine)  # no evaluation of that task: the model's others stand in
    assert est.rough and est.seconds == pytest.approx(2.0 * 32 * 3 + 0.2 * 50 * 3)
    lora = RunSpec(TrainConfig(task="synth", model="tiny-random-llama", objective="jepa", limit_train=32, epochs=3,
                               lora=True), EvalPlan(limit=50, max_new_tokens=48))
    assert estimate_seconds(lora, measured, machine).rough  # full fine-tuning stands in: an upper bound
    unseen = RunSpec(TrainConfig(task="synth", model="small-random-llama", objective="jepa", limit_train=32),
                     EvalPlan(limit=50, max_new_tokens=48))
    assert estimate_seconds(unseen, measured, machine) is None  # a model never measured here


def test_a_preset_never_measured_is_scaled_from_a_measured_preset_by_its_cost_per_token():
    from benchmark.evaluation.plan import EvalPlan
    from benchmark.runs.estimate import Measured, estimate_seconds, preset_cost
    from benchmark.runs.spec import RunSpec
    from benchmark.training.config import TrainConfig

    machine = (2, ())
    small = [Measured(machine, ("small-random-llama", True, True, False), ("small-random-llama", "synth", 48), 1000,
                      r, 0.05, {"test": 200}) for r in (0.04, 0.05, 0.06)]
    medium = RunSpec(TrainConfig(task="synth", model="medium-random-llama", pretrain=True, objective="jepa",
                                 limit_train=1000, epochs=4), EvalPlan(limit=200, max_new_tokens=48))
    est = estimate_seconds(medium, small, machine)
    ratio = preset_cost("medium-random-llama") / preset_cost("small-random-llama")
    assert est.rough and est.seconds == pytest.approx((0.05 * 1000 * 4 + 0.05 * 200 * 4) * ratio)
    assert 3 < ratio < 3.5  # 52 M vs 16 M multiply-adds per token, the output layer included
    regular = RunSpec(TrainConfig(task="synth", model="medium-random-llama", pretrain=True, objective="regular",
                                  limit_train=1000, epochs=4), EvalPlan(limit=200, max_new_tokens=48))
    assert estimate_seconds(regular, small, machine) is None  # no measured preset of its kind (no views)


@pytest.mark.parametrize("args, message", [
    (["--max-runs", "0"], "--max-runs must be >= 1"),
    (["--max-runs", "1", "--executor", "workers", "--devices", "cpu"], "--max-runs is for the local executor"),
])
def test_bad_max_runs_is_one_line_before_anything_runs(args, message, tmp_path, data_dir, capsys):
    assert main(["sweep", "run", str(spec_file(tmp_path, data_dir)), "--results", str(tmp_path / "r")] + args) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()


def test_a_spec_outside_the_repository_it_writes_into_is_warned_about(tmp_path):
    """A sweep run from a spec outside the git tree that holds its results records a command naming this
    machine's path (no clone can rerun it): the runner says so and how to fix it; a spec inside is quiet."""
    from benchmark.store.provenance import spec_outside_results_tree

    repo = tmp_path / "repo"
    (repo / "configs").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    inside = repo / "configs" / "s.yaml"
    outside = tmp_path / "elsewhere" / "s.yaml"
    for spec in (inside, outside):
        spec.parent.mkdir(parents=True, exist_ok=True)
        spec.write_text("name: s\n")
    results = repo / "results" / "s"          # not created yet: the nearest existing parent decides
    assert spec_outside_results_tree(inside, results) is None
    warning = spec_outside_results_tree(outside, results)
    assert warning is not None and "elsewhere/s.yaml" in warning
    assert "configs/" in warning
    # Results outside any git tree: nothing to protect, no warning.
    assert spec_outside_results_tree(outside, tmp_path / "plain" / "results") is None
