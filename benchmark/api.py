"""The Python API: what the `jepa-bench` commands do, as functions (for notebooks and scripts).

    from benchmark import train, evaluate, sweep, report, TrainConfig, EvalPlan

    run = train({"task": "synth", "model": "tiny-random-llama", "objective": "jepa", "epochs": 1,
                 "limit_train": 16}, plan={"splits": ["test"], "limit": 8}, out="runs/try")
    scores = evaluate(model="tiny-random-llama", task="synth", plan={"limit": 8})["test"]["accuracy"]
    sweep("configs/ci.yaml", results="results/ci")
    report("results/ci", out="reports/ci")

Every function checks all of its inputs (settings, names, data files, output paths) before a model loads,
and raises the same errors the commands turn into one line on stderr.
"""
from __future__ import annotations

from pathlib import Path

from benchmark.evaluation.plan import EvalPlan
from benchmark.training.config import ConfigError, TrainConfig

__all__ = ["train", "evaluate", "sweep", "sweep_plan", "report", "TrainConfig", "EvalPlan"]


def _config(config: TrainConfig | dict) -> TrainConfig:
    return config if isinstance(config, TrainConfig) else TrainConfig.from_dict(dict(config))


def _plan(plan: EvalPlan | dict | None, default: EvalPlan = EvalPlan()) -> EvalPlan:
    if plan is None:
        return default
    return plan.validate() if isinstance(plan, EvalPlan) else EvalPlan.from_dict(dict(plan))


def train(config: TrainConfig | dict, *, plan: EvalPlan | dict | None = None, out: str | Path | None = None,
          overwrite: bool = False, progress: bool = True) -> Path:
    """Train one run into `out` (default: the config's `out`); with a plan, evaluate after each epoch.
    Returns the run folder (config.json, train_log.jsonl, epochs/, summary.json)."""
    from benchmark.runs.runner import train_one
    from benchmark.runs.spec import RunSpec

    cfg = _config(config)
    out = out or cfg.out
    if not out:
        raise ConfigError("an output directory is required (--out DIR)")
    spec = RunSpec(cfg, _plan(plan, EvalPlan(splits=())))
    return train_one(spec, out, overwrite=overwrite, progress=progress)


def _target(run, model, task, data_dir, val_fraction, plain, out) -> dict:
    """Resolve a finished run, or a model with a task, into what to load and where to write."""
    from benchmark import store

    if run:
        if model or task:
            raise ConfigError("give either --run or --model with --task, not both")
        run = Path(run)
        if not (run / store.CONFIG).is_file():
            raise ConfigError(f"{run} is not a finished run (no {store.CONFIG})")
        cfg = store.read_json(run / store.CONFIG)["config"]
        if not (run / store.MODEL).is_dir():
            raise ConfigError(f"run {run} saved no model: train with --save-model to evaluate it later")
        return {"model": str(run / store.MODEL), "task": cfg["task"], "data_dir": data_dir or cfg.get("data_dir"),
                "base": {"base": cfg["model"], "pretrain": bool(cfg.get("pretrain")), "seed": cfg.get("seed", 0)},
                "plain": cfg.get("plain", False) if plain is None else plain,
                "val_fraction": cfg.get("val_fraction", 0.0) if val_fraction is None else val_fraction,
                "out": Path(out) if out else run / "eval", "run": str(run)}
    if not (model and task):
        raise ConfigError("evaluate needs --run DIR, or --model NAME with --task TASK")
    safe = model.strip("/").replace("/", "--")
    return {"model": model, "task": task, "data_dir": data_dir, "plain": bool(plain), "base": {},
            "val_fraction": val_fraction or 0.0, "out": Path(out) if out else Path("runs") / "eval" / safe / task,
            "run": None}


def evaluate(*, run: str | Path | None = None, model: str | None = None, task: str | None = None,
             plan: EvalPlan | dict | None = None, data_dir: str | None = None, val_fraction: float | None = None,
             plain: bool | None = None, out: str | Path | None = None, progress: bool = True) -> dict[str, dict]:
    """Evaluate a finished run (`run`) or a model on a task on every split of the plan; writes
    OUT/<split>/{predictions.jsonl,metrics.json} and returns {split: summary}."""
    from benchmark import store
    from benchmark.evaluation.evaluate import evaluate as evaluate_split
    from benchmark.training.models import check_hub_model, load_for_evaluation, resolve_model_source
    from benchmark.training.options import check_values
    from tasks import get_task, load_split

    t = _target(run, model, task, data_dir, val_fraction, plain, out)
    the_task = get_task(t["task"])
    plan = _plan(plan)
    if not plan.splits:
        raise ConfigError("splits must name at least one split to evaluate")
    check_values(TrainConfig(val_fraction=t["val_fraction"]))  # the one range check of val_fraction
    plan.validate(the_task, t["val_fraction"])
    examples = {s: load_split(the_task, s, t["data_dir"], plan.limit, val_fraction=t["val_fraction"],
                             subset=plan.subset)
                for s in plan.splits}
    for exs in examples.values():
        the_task.check_context(exs, plan.scoring_context())  # e.g. every Spider database present
    store.check_creatable(t["out"], overwrite=True, what="evaluation folder")
    resolve_model_source(t["model"])
    check_hub_model(t["model"])
    loaded, tok = load_for_evaluation(t["model"], plain=t["plain"], **t["base"])
    done = {}
    for split, exs in examples.items():
        where = t["out"] / split
        summary = evaluate_split(loaded, tok, the_task, exs, split=split, plan=plan, plain=t["plain"],
                                 progress=progress, out_dir=where,
                                 extra={"model": t["model"], "run": t["run"], "limit": plan.limit,
                                        "val_fraction": t["val_fraction"]})
        done[split] = {**summary, "out": str(where)}
    return done


def sweep(spec: str | Path, *, results: str | Path | None = None, progress: bool = True,
          nproc_per_node: int | None = None, log=print) -> dict[str, int]:
    """Build every missing run of a sweep spec here, one after another; returns counts by status."""
    from benchmark.runs.launchers import run_local
    from benchmark.runs.sweep import load_spec

    from benchmark.runs.sweep import with_processes

    return run_local(with_processes(load_spec(spec, results), nproc_per_node), progress=progress, log=log)


def sweep_plan(spec: str | Path, *, results: str | Path | None = None) -> list[str]:
    """The runs a spec expands to and which are done, one line each."""
    from benchmark.runs.sweep import load_spec, plan_lines

    return plan_lines(load_spec(spec, results))


def report(results: str | Path, *, out: str | Path | None = None, split: str = "test", title: str | None = None,
           metric: str | None = None, skip_broken: bool = False) -> Path:
    """Render the report of a results tree (default folder: reports/<tree name>); returns its README."""
    from benchmark.analysis.report import build_report

    out = Path(out) if out else Path("reports") / Path(results).resolve().name
    return build_report(results, out, split=split, title=title, metric=metric, skip_broken=skip_broken)
