"""Sweeps: a YAML file of fixed settings and a grid, expanded into runs of the results store.

    name: synth-tiny                  # a label for listings
    results: results/synth-tiny       # default results directory (--results overrides)
    fixed: {task: synth, model: tiny-random-llama, epochs: 2, limit_train: 16}
    variants: [{objective: regular}, {objective: jepa, lbd: 2}]   # optional: named settings, times the grid
    grid: {seed: [82, 23, 37]}                                    # any TrainConfig field; lists multiply
    eval: {splits: [test], limit: 32, max_new_tokens: 48}       # benchmark.runs.runner.EvalPlan

Every key is checked and every expanded run validated before anything runs. `plan` lists the runs and
what is done; `run` builds what is missing, in the order of the grid, skipping runs that are done or that
another process is building (a lock per run), so interrupted sweeps resume and several processes (one
per GPU, or SLURM array tasks) can share one sweep.
"""
from __future__ import annotations

import dataclasses
import itertools
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from benchmark import store
from benchmark.training.config import ConfigError, TrainConfig
from benchmark.runs.runner import EvalPlan, RunSpec, run_one

SPEC_KEYS = ("name", "description", "results", "fixed", "variants", "grid", "eval")


@dataclass(frozen=True)
class Sweep:
    name: str
    results: Path
    runs: tuple[RunSpec, ...]
    grid_keys: tuple[str, ...]  # the fields that vary, for listings
    source: Path | None = None


def _unknown(kind: str, keys, known) -> None:
    from tasks.base import did_you_mean

    bad = sorted(set(keys) - set(known))
    if bad:
        raise ConfigError("; ".join(did_you_mean(kind, b, sorted(known)) for b in bad))


def parse_spec(d: dict, *, source: Path | None = None, results: str | Path | None = None) -> Sweep:
    if not isinstance(d, dict):
        raise ConfigError("a sweep spec is a YAML mapping with keys " + ", ".join(SPEC_KEYS))
    _unknown("sweep key", d, SPEC_KEYS)
    fields = [f.name for f in dataclasses.fields(TrainConfig)]
    fixed, grid = dict(d.get("fixed") or {}), dict(d.get("grid") or {})
    variants = d.get("variants") or [{}]
    if not isinstance(variants, list) or not all(isinstance(v, dict) for v in variants):
        raise ConfigError("variants must be a list of mappings of config fields")
    _unknown("config field", list(fixed) + list(grid) + [k for v in variants for k in v], fields)
    for k in ("out",):
        if k in fixed or k in grid or any(k in v for v in variants):
            raise ConfigError(f"'{k}' is set by the results store; remove it from the sweep spec")
    both = sorted(set(fixed) & set(grid))
    if both:
        raise ConfigError(f"{', '.join(both)} both fixed and in the grid")
    for k, v in grid.items():
        if not isinstance(v, list) or not v:
            raise ConfigError(f"grid.{k} must be a non-empty list, got {v!r}")
    plan = EvalPlan.from_dict(d.get("eval"))
    keys = list(grid)
    runs = []
    for variant, values in itertools.product(variants, itertools.product(*(grid[k] for k in keys))):
        settings = {**fixed, **variant, **dict(zip(keys, values))}
        where = ", ".join(f"{k}={v}" for k, v in [*variant.items(), *zip(keys, values)]) or "the fixed settings"
        try:
            runs.append(RunSpec(TrainConfig.from_dict(settings), plan).check())
        except (ConfigError, TypeError) as e:  # TypeError: a value of the wrong type for its field
            raise ConfigError(f"run with {where}: {e}") from None
    ids = [r.run_id for r in runs]
    if len(set(ids)) != len(ids):
        raise ConfigError("two grid points give the same run (a grid value that changes nothing?)")
    name = d.get("name") or (source.stem if source else "sweep")
    root = Path(results or d.get("results") or Path("results") / name)
    shown = tuple(dict.fromkeys([k for v in variants for k in v] + keys))
    return Sweep(name=name, results=root, runs=tuple(runs), grid_keys=shown, source=source)


def load_spec(path: str | Path, results: str | Path | None = None) -> Sweep:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"sweep spec {path} not found (shipped specs are in configs/)")
    try:
        d = yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML ({str(e).splitlines()[0]})") from None
    try:
        return parse_spec(d, source=path, results=results)
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}") from None


def describe(run: RunSpec, keys: tuple[str, ...]) -> str:
    cfg = run.train.resolved()
    return " ".join(f"{k}={getattr(cfg, k)}" for k in keys) or cfg.task


def plan_lines(sweep: Sweep) -> list[str]:
    done = [store.is_done(sweep.results, r.run_id) for r in sweep.runs]
    lines = [f"sweep {sweep.name}: {len(sweep.runs)} runs, {sum(done)} done, {len(done) - sum(done)} to run; "
             f"results in {sweep.results}"]
    for r, d in zip(sweep.runs, done):
        lines.append(f"  {'done' if d else 'todo'}  {r.run_id}  {describe(r, sweep.grid_keys)}")
    return lines


def run_local(sweep: Sweep, *, progress: bool = True, nproc_per_node: int = 1, log=print) -> dict[str, int]:
    """Build every missing run of the sweep from this process, one after another."""
    store.check_writable(sweep.results)
    todo = [r for r in sweep.runs if not store.is_done(sweep.results, r.run_id)]
    counts = {"done": len(sweep.runs) - len(todo), "built": 0, "busy": 0}
    log(f"sweep {sweep.name}: {len(sweep.runs)} runs, {counts['done']} done, {len(todo)} to run")
    for i, run in enumerate(todo, 1):
        log(f"[{i}/{len(todo)}] {run.run_id}  {describe(run, sweep.grid_keys)}")
        path, status = run_one(run, sweep.results, progress=progress, nproc_per_node=nproc_per_node)
        counts[status] += 1
        if status == "busy":
            log("          being built by another process: skipped")
        elif status == "built":
            s = store.read_summary(path)
            finals = ", ".join(f"{split} {v['main_metric']} {100 * v['accuracy']:.2f}%" for split, v in s["final"].items())
            log(f"          {finals}  ({s['wall_seconds']:.0f} s, {s['flops']:.3g} FLOPs)")
    log(f"results in {sweep.results}")
    return counts


def run_workers(spec_path: Path, sweep: Sweep, devices: list[str], *, progress: bool = False, log=print) -> int:
    """One worker process per device (CUDA_VISIBLE_DEVICES=<device>, or 'cpu'), all running the same
    sweep: the per-run locks share the runs out. Returns the number of workers that failed."""
    store.check_writable(sweep.results)
    procs = []
    for dev in devices:
        env = dict(os.environ)
        if dev != "cpu":
            env["CUDA_VISIBLE_DEVICES"] = dev
        cmd = [sys.executable, "-m", "benchmark.cli", "sweep", "run", str(spec_path), "--results", str(sweep.results)]
        if not progress:
            cmd.append("--no-progress")
        log(f"worker on {dev}: {' '.join(cmd)}")
        procs.append(subprocess.Popen(cmd, env=env))
    return sum(p.wait() != 0 for p in procs)


def _submitit_entry(spec_dict: dict, eval_dict: dict, results: str) -> str:
    """What one SLURM array task runs (module-level so submitit can pickle it)."""
    spec = RunSpec(TrainConfig.from_dict(spec_dict), EvalPlan.from_dict(eval_dict))
    path, status = run_one(spec, results, progress=False)
    return f"{status} {path}"


def run_submitit(sweep: Sweep, *, folder: str | Path, cluster: str | None = None, timeout_min: int = 240,
                 gpus_per_node: int = 1, partition: str | None = None, parallelism: int = 16,
                 extra: dict | None = None, wait: bool = True, log=print) -> list:
    """Submit the missing runs as one job array (at most `parallelism` at once). `cluster="local"` runs
    the same code on this machine (tests); None lets submitit pick SLURM where it is available."""
    import submitit

    store.check_writable(sweep.results)
    todo = [r for r in sweep.runs if not store.is_done(sweep.results, r.run_id)]
    if not todo:
        log("nothing to run: every run of the sweep is done")
        return []
    executor = submitit.AutoExecutor(folder=str(folder), cluster=cluster)
    params = {"timeout_min": timeout_min, "slurm_array_parallelism": parallelism, "name": f"jepa-{sweep.name}"}
    if executor.cluster == "slurm":
        params.update(gpus_per_node=gpus_per_node, **({"slurm_partition": partition} if partition else {}))
    executor.update_parameters(**params, **(extra or {}))
    args = ([r.train.to_dict() for r in todo], [dataclasses.asdict(r.eval) for r in todo],
            [str(sweep.results)] * len(todo))
    jobs = executor.map_array(_submitit_entry, *args)
    log(f"submitted {len(jobs)} runs as a {executor.cluster} job array (first job id {jobs[0].job_id})")
    if wait:
        for job in jobs:
            log(f"  {job.job_id}: {job.result()}")
    return jobs


# ------------------------------------------------------------------------------------------------ CLI
def register_cli(sub) -> None:
    sw = sub.add_parser("sweep", help="plan or run a sweep spec (configs/*.yaml) into a results store")
    ssub = sw.add_subparsers(dest="sweep_command", required=True)
    plan = ssub.add_parser("plan", help="list the runs a spec expands to and which are done")
    plan.add_argument("spec", help="a sweep YAML file, e.g. configs/cpu/synth-tiny.yaml")
    plan.add_argument("--results", default=None, help="results directory (default: the spec's `results`)")
    plan.set_defaults(handler=cmd_plan)
    run = ssub.add_parser("run", help="build the missing runs of a spec; resumable, safe to run twice at once")
    run.add_argument("spec")
    run.add_argument("--results", default=None, help="results directory (default: the spec's `results`)")
    run.add_argument("--executor", choices=("local", "workers", "slurm", "submitit-local"), default="local",
                     help="local: one run after another here; workers: one process per --devices entry; "
                          "slurm: one submitit job array; submitit-local: the same on this machine")
    run.add_argument("--devices", default="cpu", help="workers: comma-separated GPU ids (or 'cpu,cpu')")
    run.add_argument("--nproc-per-node", type=int, default=1,
                     help="GPUs per run: each run is a torchrun launch of this many processes (DDP)")
    run.add_argument("--slurm-folder", default="slurm_logs", help="submitit's job folder (shared filesystem)")
    run.add_argument("--partition", default=None, help="SLURM partition")
    run.add_argument("--timeout-min", type=int, default=240, help="SLURM time limit per run")
    run.add_argument("--parallelism", type=int, default=16, help="SLURM: at most this many runs at once")
    run.add_argument("--no-progress", action="store_true", help="no progress bars")
    run.set_defaults(handler=cmd_run)


def cmd_plan(ns) -> int:
    sweep = load_spec(ns.spec, ns.results)
    print("\n".join(plan_lines(sweep)))
    return 0


def cmd_run(ns) -> int:
    sweep = load_spec(ns.spec, ns.results)
    progress = not ns.no_progress
    if ns.executor == "workers":
        failed = run_workers(Path(ns.spec), sweep, [d.strip() for d in ns.devices.split(",") if d.strip()],
                             progress=progress)
        print("\n".join(plan_lines(sweep)))
        return 1 if failed else 0
    if ns.executor in ("slurm", "submitit-local"):
        run_submitit(sweep, folder=ns.slurm_folder, cluster="local" if ns.executor == "submitit-local" else "slurm",
                     timeout_min=ns.timeout_min, gpus_per_node=ns.nproc_per_node, partition=ns.partition,
                     parallelism=ns.parallelism)
        print("\n".join(plan_lines(sweep)))
        return 0
    run_local(sweep, progress=progress, nproc_per_node=ns.nproc_per_node, log=lambda m: print(m, flush=True))
    return 0
