"""Launchers: build the missing runs of a sweep here, in worker processes, or as a SLURM job array.

Each calls `runner.run_one` per run; the store's per-run locks let several launchers share one sweep.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from benchmark import store
from benchmark.runs.runner import check_inputs, run_one
from benchmark.runs.spec import RunSpec
from benchmark.runs.sweep import Sweep, describe


def _check_before_building(sweep: Sweep, accept_stale: bool = False) -> None:
    """Every run still to do, checked as `jepa-bench train` checks one (settings, model name, every data
    line it will read, scorers' needs), before the results folder is made: bad input in run 7 of 12 stops
    the sweep before run 1 starts, and leaves nothing behind. A finished run made with another task version
    or other data (runs/staleness.py) stops the sweep too, unless `accept_stale`."""
    from benchmark.runs.staleness import stale_runs
    from benchmark.training.options import ConfigError

    if Path(sweep.results).is_dir():
        store.check_schema(sweep.results)  # ids of an older schema would not be found: every run would rebuild
    stale = {} if accept_stale else stale_runs(sweep.runs, Path(sweep.results))
    if stale:
        listed = "; ".join(f"{run_id}: {why}" for run_id, why in sorted(stale.items())[:5])
        raise ConfigError(f"{len(stale)} finished run(s) under {sweep.results} were made with another task version or "
                          f"other data ({listed}{'; ...' if len(stale) > 5 else ''}): remove those run folders to "
                          "rebuild them, or pass --accept-stale to keep them as they are")
    for run in sweep.runs:
        if not store.is_done(sweep.results, run.run_id):
            check_inputs(run)


def run_local(sweep: Sweep, *, progress: bool = True, max_runs: int | None = None, accept_stale: bool = False,
              log=print) -> dict[str, int]:
    """Build the missing runs of the sweep from this process, one after another, in the spec's order; with
    `max_runs`, stop after building that many (a pilot run, or a sweep fitted into a time window)."""
    _check_before_building(sweep, accept_stale)
    store.check_writable(sweep.results)
    todo = [r for r in sweep.runs if not store.is_done(sweep.results, r.run_id)]
    counts = {"done": len(sweep.runs) - len(todo), "built": 0, "busy": 0}
    log(f"sweep {sweep.name}: {len(sweep.runs)} runs, {counts['done']} done, {len(todo)} to run"
        + (f"; building at most {max_runs}" if max_runs is not None and max_runs < len(todo) else ""))
    for i, run in enumerate(todo, 1):
        if max_runs is not None and counts["built"] >= max_runs:
            log(f"stopped after {max_runs} built run(s) (--max-runs); {len(todo) - i + 1} still to run")
            break
        log(f"[{i}/{len(todo)}] {run.run_id}  {describe(run, sweep.grid_keys)}")
        path, status = run_one(run, sweep.results, progress=progress)
        counts[status] += 1
        if status == "busy":
            log("          being built by another process: skipped")
        elif status == "built":
            s = store.read_summary(path)
            finals = ", ".join(f"{split} {v['main_metric']} {100 * v['accuracy']:.2f}%" for split, v in s["final"].items())
            log(f"          {finals}  ({s['wall_seconds']:.0f} s, {s['flops']:.3g} FLOPs)")
    log(f"results in {sweep.results}")
    return counts


def run_workers(spec_path: Path, sweep: Sweep, devices: list[str], *, progress: bool = False,
                only: list[str] | tuple[str, ...] = (), accept_stale: bool = False, log=print) -> int:
    """One worker process per device (CUDA_VISIBLE_DEVICES=<device>, or 'cpu'), all running the same
    sweep (cut by the same `--only` selectors): the per-run locks share the runs out. Returns the number of
    workers that failed."""
    _check_before_building(sweep, accept_stale)
    store.check_writable(sweep.results)
    procs = []
    for dev in devices:
        env = dict(os.environ)
        if dev != "cpu":
            env["CUDA_VISIBLE_DEVICES"] = dev
        cmd = [sys.executable, "-m", "benchmark.cli", "sweep", "run", str(spec_path), "--results", str(sweep.results)]
        if not progress:
            cmd.append("--no-progress")
        cmd += [a for sel in only for a in ("--only", sel)] + (["--accept-stale"] if accept_stale else [])
        log(f"worker on {dev}: {' '.join(cmd)}")
        procs.append(subprocess.Popen(cmd, env=env))
    return sum(p.wait() != 0 for p in procs)


def _submitit_entry(spec: dict, results: str) -> str:
    """What one SLURM array task runs (module-level so submitit can pickle it). With several GPUs per run
    (`world_size`) the task starts that many data-parallel processes itself (torchrun inside the job), so the
    Trainer runs DDP instead of falling back to nn.DataParallel over the job's GPUs."""
    path, status = run_one(RunSpec.from_dict(spec), results, progress=False)
    return f"{status} {path}"


def run_submitit(sweep: Sweep, *, folder: str | Path, cluster: str | None = None, timeout_min: int = 240,
                 partition: str | None = None, parallelism: int = 16, accept_stale: bool = False,
                 extra: dict | None = None, wait: bool = True, log=print) -> list:
    """Submit the missing runs as one job array (at most `parallelism` at once). `cluster="local"` runs
    the same code on this machine (tests); None lets submitit pick SLURM where it is available."""
    import submitit

    _check_before_building(sweep, accept_stale)
    store.check_writable(sweep.results)
    todo = [r for r in sweep.runs if not store.is_done(sweep.results, r.run_id)]
    if not todo:
        log("nothing to run: every run of the sweep is done")
        return []
    executor = submitit.AutoExecutor(folder=str(folder), cluster=cluster)
    params = {"timeout_min": timeout_min, "slurm_array_parallelism": parallelism, "name": f"jepa-{sweep.name}"}
    if executor.cluster == "slurm":  # a job gets the GPUs of its runs' processes
        params.update(gpus_per_node=max(r.train.world_size for r in todo), **({"slurm_partition": partition} if partition else {}))
    executor.update_parameters(**params, **(extra or {}))
    args = ([r.to_dict() for r in todo], [str(sweep.results)] * len(todo))
    jobs = executor.map_array(_submitit_entry, *args)
    log(f"submitted {len(jobs)} runs as a {executor.cluster} job array (first job id {jobs[0].job_id})")
    if wait:
        for job in jobs:
            log(f"  {job.job_id}: {job.result()}")
    return jobs
