"""`jepa-bench sweep plan|run SPEC`: expand a sweep spec into runs and build the missing ones."""
from __future__ import annotations

import sys
from pathlib import Path

HELP = "plan or run a sweep spec (configs/*.yaml) into a results store"
EPILOG = """examples:
  jepa-bench sweep plan configs/cpu/synth_smollm2.yaml
  jepa-bench sweep run configs/ci.yaml --results results/ci
  jepa-bench sweep run configs/cpu/sizes_pretrain_synth.yaml --only model=tiny-random-llama
  jepa-bench sweep run SPEC --executor workers --devices 0,1,2,3
  jepa-bench sweep run SPEC --executor slurm --partition gpu --parallelism 20 --slurm-folder /shared/logs"""


def register(sub) -> None:
    import argparse

    sw = sub.add_parser("sweep", help=HELP, description=HELP, epilog=EPILOG,
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    ssub = sw.add_subparsers(dest="sweep_command", required=True)
    plan = ssub.add_parser("plan", help="list the runs a spec expands to and which are done",
                           description="List the runs a spec expands to and which are done.")
    plan.add_argument("spec", help="a sweep YAML file, e.g. configs/ci.yaml")
    plan.add_argument("--results", default=None, help="results directory (default: the spec's `results`)")
    _add_processes(plan)
    _add_only(plan)
    plan.set_defaults(handler=run_plan)
    run = ssub.add_parser("run", help="build the missing runs of a spec; resumable, safe to run twice at once",
                           description="Build the missing runs of a spec; resumable, safe to run twice at once.")
    run.add_argument("spec", help="a sweep YAML file, e.g. configs/ci.yaml")
    run.add_argument("--results", default=None, help="results directory (default: the spec's `results`)")
    run.add_argument("--executor", choices=("local", "workers", "slurm", "submitit-local"), default="local",
                     help="local: one run after another here; workers: one process per --devices entry; "
                          "slurm: one submitit job array; submitit-local: the same on this machine (default: local)")
    run.add_argument("--devices", default="cpu", help="workers: comma-separated GPU ids (or 'cpu,cpu')")
    _add_processes(run)
    run.add_argument("--slurm-folder", default="slurm_logs", help="submitit's job folder (shared filesystem)")
    run.add_argument("--partition", default=None, help="SLURM partition")
    run.add_argument("--timeout-min", type=int, default=240, help="SLURM time limit per run (minutes)")
    run.add_argument("--parallelism", type=int, default=16, help="SLURM: at most this many runs at once")
    run.add_argument("--no-progress", action="store_true", help="no progress bars")
    run.add_argument("--accept-stale", action="store_true",
                     help="keep finished runs made with another task version or other data as done (default: refuse, "
                          "naming them; remove their folders to rebuild them)")
    run.add_argument("--max-runs", type=int, default=None,
                     help="local: stop after building this many runs (a pilot, or a sweep fitted into a time "
                          "window; `sweep plan` estimates each run's time); the rest stay to do")
    _add_only(run)
    run.set_defaults(handler=run_run)


def _add_processes(parser) -> None:
    parser.add_argument("--nproc-per-node", type=int, default=None,
                        help="GPUs per run: each run is a torchrun launch of this many processes (DDP); part of each "
                             "run's settings (world_size), so plan and run must be given the same (default: the "
                             "spec's world_size, else 1)")


def _add_only(parser) -> None:
    parser.add_argument("--only", action="append", default=[], metavar="FIELD=VALUE",
                        help="only the runs whose config has this value (repeat it: values of one field are "
                             "alternatives, different fields must all match), e.g. --only model=tiny-random-llama")


def _load(ns):
    from benchmark.runs.sweep import load_spec, select_runs, with_processes

    return select_runs(with_processes(load_spec(ns.spec, ns.results), ns.nproc_per_node), ns.only)


def run_plan(ns) -> int:
    from benchmark.runs.sweep import plan_lines

    print("\n".join(plan_lines(_load(ns))))
    return 0


def run_run(ns) -> int:
    from benchmark.runs.launchers import run_local, run_submitit, run_workers
    from benchmark.runs.sweep import plan_lines
    from benchmark.store.provenance import spec_outside_results_tree
    from benchmark.training.config import ConfigError

    if ns.max_runs is not None and ns.executor != "local":
        raise ConfigError(f"--max-runs is for the local executor; {ns.executor} shares the runs out by locks")
    for name in ("timeout_min", "parallelism", "max_runs"):
        if getattr(ns, name) is not None and getattr(ns, name) < 1:
            raise ConfigError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(ns, name)}")
    sweep = _load(ns)
    outside = spec_outside_results_tree(ns.spec, sweep.results)
    if outside:
        print(outside, file=sys.stderr, flush=True)
    progress = not ns.no_progress
    if ns.executor == "workers":
        if any(r.train.world_size > 1 for r in sweep.runs):
            raise ConfigError("--executor workers gives each worker one device (--devices): for several GPUs per run "
                              "use --nproc-per-node with the local or slurm executor")
        failed = run_workers(Path(ns.spec), sweep, [d.strip() for d in ns.devices.split(",") if d.strip()],
                             progress=progress, only=ns.only, accept_stale=ns.accept_stale)
        print("\n".join(plan_lines(sweep)))
        return 1 if failed else 0
    if ns.executor in ("slurm", "submitit-local"):
        run_submitit(sweep, folder=ns.slurm_folder, cluster="local" if ns.executor == "submitit-local" else "slurm",
                     timeout_min=ns.timeout_min, partition=ns.partition,
                     parallelism=ns.parallelism, accept_stale=ns.accept_stale)
        print("\n".join(plan_lines(sweep)))
        return 0
    run_local(sweep, progress=progress, max_runs=ns.max_runs, accept_stale=ns.accept_stale,
              log=lambda m: print(m, flush=True))
    return 0
