"""Sweeps: a YAML file of fixed settings and a grid, expanded into runs of the results store.

    name: synth-tiny                  # a label for listings
    results: results/synth-tiny       # default results directory (--results overrides)
    include_path: my_tasks            # optional: folders of task modules (relative to this file; tasks/plugins.py)
    fixed: {task: synth, model: tiny-random-llama, epochs: 2, limit_train: 16}
    variants: [{objective: regular}, {objective: jepa, lbd: 2}]   # optional: named settings, times the grid
    grid: {seed: [82, 23, 37]}                                    # any TrainConfig field; lists multiply
    eval: {splits: [test], limit: 32, max_new_tokens: 48}       # benchmark.evaluation.plan.EvalPlan

Every key is checked and every expanded run validated before anything runs. `plan` lists the runs and
what is done; the launchers (runs/launchers.py) build what is missing, in the order of the grid, skipping
runs that are done or that another process is building (a lock per run), so interrupted sweeps resume and
several processes (one per GPU, or SLURM array tasks) can share one sweep.
"""
from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass
from pathlib import Path

import yaml

from benchmark import store
from benchmark.evaluation.plan import EvalPlan
from benchmark.runs.spec import RunSpec
from benchmark.training.config import ConfigError, TrainConfig, coerce_setting, setting_names
from tasks.registry import UnknownNameError

SPEC_KEYS = ("name", "description", "results", "include_path", "fixed", "variants", "grid", "eval")


@dataclass(frozen=True)
class Sweep:
    name: str
    results: Path
    runs: tuple[RunSpec, ...]
    grid_keys: tuple[str, ...]  # the fields that vary, for listings
    source: Path | None = None


def _unknown(kind: str, keys, known) -> None:
    from tasks.registry import did_you_mean

    bad = sorted(set(keys) - set(known))
    if bad:
        raise ConfigError("; ".join(did_you_mean(kind, b, sorted(known)) for b in bad))


def parse_spec(d: dict, *, source: Path | None = None, results: str | Path | None = None) -> Sweep:
    if not isinstance(d, dict):
        raise ConfigError("a sweep spec is a YAML mapping with keys " + ", ".join(SPEC_KEYS))
    _unknown("sweep key", d, SPEC_KEYS)
    fields = setting_names()
    for key in ("fixed", "grid", "eval"):
        if not isinstance(d.get(key) or {}, dict):
            raise ConfigError(f"{key} must be a mapping (field: value lines), got {type(d[key]).__name__} {d[key]!r}")
    _include(d.get("include_path"), source)
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
    try:
        plan = EvalPlan.from_dict(d.get("eval"))
    except ConfigError as e:
        raise ConfigError(f"eval: {e}") from None
    keys = list(grid)
    runs = []
    for variant, values in itertools.product(variants, itertools.product(*(grid[k] for k in keys))):
        settings = {**fixed, **variant, **dict(zip(keys, values))}
        where = ", ".join(f"{k}={v}" for k, v in [*variant.items(), *zip(keys, values)]) or "the fixed settings"
        try:
            runs.append(RunSpec(TrainConfig.from_dict(settings), plan).check())
        except (ConfigError, UnknownNameError) as e:
            raise ConfigError(f"run with {where}: {e}") from None
    _check_lambda_per_objective(fixed, grid, runs)
    ids = [r.run_id for r in runs]
    if len(set(ids)) != len(ids):
        raise ConfigError("two grid points give the same run (a grid value that changes nothing?)")
    name = d.get("name") or (source.stem if source else "sweep")
    root = Path(results or d.get("results") or Path("results") / name)
    shown = tuple(dict.fromkeys([k for v in variants for k in v] + keys))
    return Sweep(name=name, results=root, runs=tuple(runs), grid_keys=shown, source=source)


def _include(value, source: Path | None) -> None:
    """`include_path:` (a folder or a list of them, relative to the spec's folder): task modules to import."""
    from tasks.plugins import PluginError, add_include_paths

    if value is None:
        return
    paths = [value] if isinstance(value, str) else value
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise ConfigError(f"include_path must be a folder or a list of folders, got {value!r}")
    base = source.parent if source else Path(".")
    try:
        add_include_paths([base / p for p in paths])
    except PluginError as e:
        raise ConfigError(str(e)) from None


def _check_lambda_per_objective(fixed: dict, grid: dict, runs: list[RunSpec]) -> None:
    """λ means something different for each objective (LLM-JEPA's is ~1, STP's ~0.02): a λ set for all runs
    (fixed or grid) while variants switch between objectives with a term would silently give one of them
    the other's λ. Such a spec must set lbd in each variant."""
    from benchmark.training.objectives import get_objective

    if "lbd" not in fixed and "lbd" not in grid:
        return
    with_term = sorted({r.train.objective for r in runs if get_objective(r.train.objective).term is not None})
    if len(with_term) > 1:
        defaults = ", ".join(f"{o} {get_objective(o).default_lbd:g}" for o in with_term)
        where = "fixed" if "lbd" in fixed else "grid"
        raise ConfigError(f"lbd is set in `{where}` for runs of the objectives {', '.join(with_term)}, whose λ scales "
                          f"differ (defaults: {defaults}): set lbd in each variant instead")


def load_spec(path: str | Path, results: str | Path | None = None) -> Sweep:
    from benchmark.data.shipped import find_spec_file, load_yaml

    path = find_spec_file(path)
    if not path.is_file():
        raise ConfigError(f"sweep spec {path} not found (shipped specs are in configs/)")
    try:
        d = load_yaml(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8 text (byte {e.start})") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML ({str(e).splitlines()[0]})") from None
    try:
        return parse_spec(d, source=path, results=results)
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}") from None


def describe(run: RunSpec, keys: tuple[str, ...]) -> str:
    cfg = run.train.resolved()
    return " ".join(f"{k}={cfg.setting(k)}" for k in keys) or cfg.task


def plan_lines(sweep: Sweep, measured_root: Path | None = None) -> list[str]:
    """The runs and which are done; each run to do with its estimated time on this machine (runs/estimate.py,
    from the runs measured under `measured_root`, default: the folder that holds the sweep's results)."""
    from benchmark.runs.estimate import estimate_seconds, format_duration, machine_key, measured_runs
    from benchmark.store.provenance import hardware

    from benchmark.runs.staleness import stale_runs

    if Path(sweep.results).is_dir():
        store.check_schema(sweep.results)  # an older schema's ids would all read as "todo"
    stale = stale_runs(sweep.runs, Path(sweep.results))
    done = [store.is_done(sweep.results, r.run_id) and r.run_id not in stale for r in sweep.runs]
    measured = measured_runs(measured_root or Path(sweep.results).parent)
    machine = machine_key(hardware())
    lines = [f"sweep {sweep.name}: {len(sweep.runs)} runs, {sum(done)} done, {len(done) - sum(done)} to run"
             + (f" ({len(stale)} of them stale)" if stale else "") + f"; results in {sweep.results}"]
    total, unknown, rough = 0.0, 0, 0
    for r, d in zip(sweep.runs, done):
        est = None if d else estimate_seconds(r, measured, machine)
        if not d:
            total += est.seconds if est else 0.0
            unknown += est is None
            rough += bool(est and est.rough)
        when = "" if d else "  (no estimate)" if est is None else \
            f"  ≈ {format_duration(est.seconds)}" + (" (rough)" if est.rough else "")
        state = "stale" if r.run_id in stale else "done" if d else "todo"
        why = f"  (stale: {stale[r.run_id]})" if r.run_id in stale else when
        lines.append(f"  {state}  {r.run_id}  {describe(r, sweep.grid_keys)}{why}")
    todo = len(done) - sum(done)
    if todo and unknown == todo:
        lines.append(f"no estimate: none of the {todo} runs to do has a measured run of its model and objective kind "
                     f"on a machine like this one among {len(measured)} measured runs")
    elif todo:
        known = todo - unknown
        lines.append(f"estimated time here: {format_duration(total)} for {known} of the {todo} runs to do (medians of "
                     f"{len(measured)} measured runs on machines like this one; a busy machine takes longer)"
                     + (f"; {rough} rough (no measured run of their exact kind: another task's evaluations, "
                        "full fine-tuning, or a measured preset scaled by its cost per token stand in)" if rough else "")
                     + (f"; {unknown} run(s) have no measured run of their model here" if unknown else ""))
    return lines


def with_processes(sweep: Sweep, processes: int | None) -> Sweep:
    """The sweep's runs on `processes` data-parallel processes each (`--nproc-per-node`; None: as the spec says).
    The number is part of each run (`world_size`: the global batch depends on it), so a run built on another
    number of processes is another run, never reused. A spec that sets world_size itself must agree."""
    if processes is None:
        return sweep
    if processes < 1:
        raise ConfigError(f"--nproc-per-node must be >= 1, got {processes}")
    other = sorted({r.train.world_size for r in sweep.runs} - {1, processes})
    if other:
        raise ConfigError(f"the spec sets world_size {other[0]} and --nproc-per-node is {processes}: drop one")
    runs = tuple(dataclasses.replace(r, train=dataclasses.replace(r.train, world_size=processes)) for r in sweep.runs)
    return dataclasses.replace(sweep, runs=runs)


def select_runs(sweep: Sweep, selectors: list[str] | tuple[str, ...]) -> Sweep:
    """The sweep cut to the runs whose resolved config matches every `FIELD=VALUE` selector (`--only`): a
    part of a grid fitted into a time window, e.g. the tiny model's cells of a model-size sweep before the
    medium one's. Several values of one field select any of them; different fields must all match. Each
    value is read as YAML and typed as its config field (`lbd=2` matches 2.0). A field that is not a config
    field, or a value no run of the spec has, is a ConfigError naming what the spec does have."""
    if not selectors:
        return sweep
    fields = setting_names()
    wanted: dict[str, list] = {}
    for sel in selectors:
        name, sep, raw = sel.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ConfigError(f"--only takes FIELD=VALUE (e.g. model=tiny-random-llama), got {sel!r}")
        _unknown("config field", [name], fields)
        try:
            value = yaml.safe_load(raw) if raw.strip() else raw
        except yaml.YAMLError:
            value = raw
        try:
            wanted.setdefault(name, []).append(coerce_setting(name, value))
        except ConfigError as e:
            raise ConfigError(f"--only {sel}: {e}") from None
    resolved = [r.train.resolved() for r in sweep.runs]
    for name, values in wanted.items():
        present = list(dict.fromkeys(c.setting(name) for c in resolved))
        missing = [v for v in values if v not in present]
        if missing:
            raise ConfigError(f"--only {name}={missing[0]}: no run of sweep {sweep.name} has it; its runs have "
                              f"{name} = {', '.join(str(v) for v in present)}")
    kept = tuple(r for r, c in zip(sweep.runs, resolved)
                 if all(c.setting(name) in values for name, values in wanted.items()))
    if not kept:
        raise ConfigError(f"--only {' '.join(selectors)}: no run of sweep {sweep.name} matches them all")
    label = " ".join(f"{k}={'|'.join(str(v) for v in vs)}" for k, vs in wanted.items())
    return dataclasses.replace(sweep, name=f"{sweep.name} (only {label})", runs=kept)
