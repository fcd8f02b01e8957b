"""`jepa-bench preflight SPEC`: every distinct arm of a sweep spec, run end to end on CPU before a GPU hour is spent.

Each arm (the spec's runs that differ only in their seed) runs once through the exact code path of a sweep
run (`runner.run_one`: the input checks, views and Enc positions, the packed or reference layout, LoRA and
the [PRED] embeddings, loss dropout, a FLOP budget, per-epoch evaluation with the template's stop tokens and
the task's scorers, the run's summary), with these changes and nothing else:

* the model is its family's stand-in (training/stand_ins.py): the same architecture class and chat template
  at a few thousand parameters per layer, randomly initialised;
* `PREFLIGHT_STEPS` optimizer steps (one epoch over steps x batch x accumulation rows), and the first
  `EVAL_EXAMPLES` examples of each evaluated split with at most `EVAL_TOKENS` new tokens;
* a FLOP budget becomes one that stops the run after its first optimizer step (the stop path runs);
* a LoRA rank above the stand-in's width is cut to it; nothing is saved or checkpointed;
* Spider without its databases is scored against empty stand-in databases (the scorer runs; every query fails).

An arm that cannot run here says why (no stand-in for its family, a data file that is missing) and what a GPU
user must provide. Beside each arm, what the full arm will cost (runs/cost.py, estimates).
"""
from __future__ import annotations

import dataclasses
import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmark.runs.cost import (CHARS_PER_TOKEN, DEFAULT_GPU, DEFAULT_UTILISATION, Cost, estimate_cost,
                                 estimate_tokens)
from benchmark.runs.spec import RunSpec
from benchmark.runs.sweep import Sweep

PREFLIGHT_STEPS = 2
EVAL_EXAMPLES = 2
EVAL_TOKENS = 8
COST_SAMPLE = 256  # training rows rendered for the token estimate


@dataclass
class ArmCheck:
    label: str  # the settings that tell this arm from the spec's others
    model: str
    stand_in: str | None
    runs: int  # runs of the spec in this arm (its seeds)
    status: str  # ok | cannot | failed
    reason: str = ""  # why it failed or cannot run; for an arm that shared another's run, which one
    cost: Cost | None = None
    seconds: float = 0.0


# Fields whose value scales a number but takes no other code path: with `distinct_paths`, arms that differ only in
# these share one preflight run (the others still get their cost row). A weight of 0 or a ratio below 1 does take
# another path (a term off, loss dropout), so those keep apart.
VALUE_ONLY = ("lr", "lbd", "gamma", "flop_budget", "jepa_ratio", "infonce_temperature", "lora_rank", "warmup_steps",
              "weight_decay", "max_grad_norm")


def _path_value(name: str, value):
    if name in ("lbd", "gamma", "flop_budget"):
        return bool(value)
    if name == "jepa_ratio":
        return value < 1.0
    return None


def distinct_arms(sweep: Sweep, *, distinct_paths: bool = False) -> list[list[list[RunSpec]]]:
    """The spec's arms (runs that differ only in their seed), in the spec's order, grouped: each group is one
    arm, or with `distinct_paths` the arms that take one code path (they differ only in VALUE_ONLY fields)."""
    arms: dict[str, list[RunSpec]] = {}
    for run in sweep.runs:
        key = json.dumps({"train": {k: v for k, v in run.train.identity().items() if k != "seed"},
                          "eval": run.eval.identity()}, sort_keys=True, default=str)
        arms.setdefault(key, []).append(run)
    groups: dict[str, list[list[RunSpec]]] = {}
    for key, runs in arms.items():
        if distinct_paths:
            train = {k: (_path_value(k, v) if k in VALUE_ONLY else v) for k, v in runs[0].train.identity().items()
                     if k != "seed"}
            key = json.dumps({"train": train, "eval": runs[0].eval.identity()}, sort_keys=True, default=str)
        groups.setdefault(key, []).append(runs)
    return list(groups.values())


def arm_label(run: RunSpec, sweep: Sweep) -> str:
    cfg = run.train.resolved()
    return " ".join(f"{k}={cfg.setting(k)}" for k in sweep.grid_keys if k != "seed") or cfg.task


def stand_in_run(run: RunSpec, stand_in: str, spider_dbs: Path | None = None) -> RunSpec:
    """The arm's run on its stand-in, as small as the module docstring says."""
    from benchmark.training.models import TINY_HIDDEN_SIZE

    cfg = run.train.resolved()
    train = dataclasses.replace(
        cfg, model=stand_in, epochs=1, limit_train=PREFLIGHT_STEPS * cfg.batch_size * cfg.grad_accum,
        flop_budget=1.0 if cfg.flop_budget else None, lora_rank=min(cfg.lora_rank, TINY_HIDDEN_SIZE),
        save_model=False, save_checkpoints=False, checkpoint_every_epoch=False, report_to="none",
        jepa_diagnostic_every=1 if cfg.jepa_diagnostic_every else 0)
    plan = dataclasses.replace(run.eval, limit=EVAL_EXAMPLES, max_new_tokens=min(run.eval.max_new_tokens, EVAL_TOKENS),
                               spider_db_dir=str(spider_dbs) if spider_dbs else run.eval.spider_db_dir)
    return RunSpec(train, plan)


def _stand_in_databases(run: RunSpec, root: Path) -> Path | None:
    """Empty sqlite files for the Spider examples preflight evaluates, when the real databases are not here."""
    import sqlite3

    from tasks import get_task, load_split

    cfg, plan = run.train.resolved(), run.eval
    if cfg.task != "spider" or (plan.spider_db_dir and Path(plan.spider_db_dir).is_dir()):
        return None
    from tasks.spider import db_id

    for split in plan.all_splits():
        for ex in load_split(get_task("spider"), split, cfg.data_dir, EVAL_EXAMPLES, val_fraction=cfg.val_fraction,
                             subset=plan.subset):
            path = root / db_id(ex) / f"{db_id(ex)}.sqlite"
            path.parent.mkdir(parents=True, exist_ok=True)
            sqlite3.connect(path).close()
    return root


def _cost(run: RunSpec, stand_in: str, runs: int, gpu: str, utilisation: float, cache: dict) -> Cost:
    from benchmark.training.chat import template_variables
    from benchmark.training.models import load_model_and_tokenizer
    from benchmark.training.prepare import view_builder
    from tasks import get_task, load_split

    cfg = run.train.resolved()
    what = ("task", "data_dir", "limit_train", "val_fraction", "train_subset", "predictors", "front_pred",
            "reverse_pred", "label_mode", "plain", "max_length", "last_token", "date_string", "enable_thinking")
    key = (stand_in, *(cfg.setting(k) for k in what))  # the arms of a (k, lambda) grid share their data
    if key not in cache:
        rows = load_split(get_task(cfg.task), "train", cfg.data_dir, cfg.limit_train, val_fraction=cfg.val_fraction,
                          subset=cfg.train_subset)
        _, tok = load_model_and_tokenizer(stand_in, template_variables=template_variables(cfg), plain=cfg.plain)
        # every arm gets its views built: an arm that reads them counts them (cost.py), the others do not
        builder = view_builder(dataclasses.replace(cfg, jepa_diagnostic_every=1), tok)
        step = max(len(rows) // COST_SAMPLE, 1)
        items = [builder.build(e).to_dict() for e in rows[::step][:COST_SAMPLE]]
        cache[key] = estimate_tokens(tok, items, len(rows))
    return estimate_cost(cfg, cache[key], runs, gpu=gpu, utilisation=utilisation)


def check_arm(group: list[list[RunSpec]], sweep: Sweep, work: Path, *, gpu: str = DEFAULT_GPU,
              utilisation: float = DEFAULT_UTILISATION, cache: dict | None = None) -> list[ArmCheck]:
    """Run the group's first arm on its stand-in into `work`; a row per arm of the group (its outcome, and the
    full arm's estimated cost). Never raises for an arm's own failure: the failure is the row."""
    from benchmark import store
    from benchmark.runs.runner import run_one
    from benchmark.training.models import EMBEDDED_MODELS
    from benchmark.training.stand_ins import no_stand_in, stand_in_for
    from tasks import DataError

    cache = {} if cache is None else cache
    first = group[0][0]
    model = first.train.model
    stand_in = model if model in EMBEDDED_MODELS else stand_in_for(model)  # an embedded model stands for itself
    status, reason, started = "ok", "", time.time()
    if stand_in is None:
        status, reason = "cannot", no_stand_in(model)
    else:
        try:
            run = stand_in_run(first, stand_in, _stand_in_databases(first, work / "spider_db"))
            path, _ = run_one(run, work / "results", progress=False)
            summary = store.read_summary(path)
            if summary["optimizer_steps"] < 1 or not summary["final"]:
                raise RuntimeError(f"the run trained {summary['optimizer_steps']} steps and evaluated "
                                   f"{list(summary['final'])}")
        except DataError as e:
            status, reason = "cannot", str(e)
        except Exception as e:  # noqa: BLE001 -- every arm is tried; the failure is the report
            status, reason = "failed", f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
    seconds = time.time() - started
    rows = []
    for i, runs in enumerate(group):
        shared = "" if i == 0 else f"shares the run of {arm_label(first, sweep)}: same code path"
        cost = _cost(runs[0], stand_in, len(runs), gpu, utilisation, cache) if status == "ok" else None
        rows.append(ArmCheck(arm_label(runs[0], sweep), model, stand_in, len(runs), status,
                             reason or shared, cost, seconds if i == 0 else 0.0))
    return rows


def preflight(sweep: Sweep, *, gpu: str = DEFAULT_GPU, utilisation: float = DEFAULT_UTILISATION,
              distinct_paths: bool = False, work: Path | None = None, log=print) -> list[ArmCheck]:
    """Every distinct arm of `sweep` on its stand-in (or one arm per code path, with `distinct_paths`), in
    `work` (default: a temporary folder, removed after)."""
    groups = distinct_arms(sweep, distinct_paths=distinct_paths)
    n_arms = sum(len(g) for g in groups)
    log(f"preflight {sweep.name}: {n_arms} distinct arm(s) of {len(sweep.runs)} runs"
        + (f" in {len(groups)} code path(s)" if distinct_paths else "")
        + f", each run on its family's stand-in for {PREFLIGHT_STEPS} optimizer steps and a "
          f"{EVAL_EXAMPLES}-example evaluation")
    cache: dict = {}
    with tempfile.TemporaryDirectory(prefix="jepa-bench-preflight-") as tmp:
        root = Path(work) if work else Path(tmp)
        checks = []
        for i, group in enumerate(groups, 1):
            rows = check_arm(group, sweep, root / f"arm{i}", gpu=gpu, utilisation=utilisation, cache=cache)
            head = rows[0]
            log(f"  [{i}/{len(groups)}] {head.status:7s} {head.label}"
                + (f" ({head.seconds:.1f} s)" if head.status == "ok" else f": {head.reason}")
                + (f" (+{len(rows) - 1} arm(s) of the same code path)" if len(rows) > 1 else ""))
            checks += rows
    return checks


def cost_table(checks: list[ArmCheck], *, gpu: str = DEFAULT_GPU, utilisation: float = DEFAULT_UTILISATION) -> list[str]:
    """One row per arm: how its stand-in run went and what the full arm will cost (estimates)."""
    def num(x, fmt):
        return "—" if x is None else format(x, fmt)

    lines = ["| arm | model (stand-in) | runs | preflight | parameters | tokens / epoch | PFLOPs / run | "
             f"{gpu}-hours, all runs | peak GB / GPU |", "|---|---|---|---|---|---|---|---|---|"]
    for c in checks:
        k = c.cost
        shown = (c.status + (f" ({c.reason})" if c.reason else "")) if c.status == "ok" else f"**{c.status}**: {c.reason}"
        params = k.parameters / 1e9 if k and k.parameters else None
        flops = k.flops_per_run / 1e15 if k and k.flops_per_run else None
        lines.append(f"| {c.label} | {c.model} ({c.stand_in or 'none'}) | {c.runs} | {shown} | "
                     f"{num(params, '.2f')} B | {num(k and k.tokens_per_epoch / 1e6, '.2f')} M | {num(flops, '.1f')} | "
                     f"{num(k and k.gpu_hours, '.1f')} | {num(k and k.memory_gb, '.1f')} |")
    total = sum(c.cost.gpu_hours for c in checks if c.cost and c.cost.gpu_hours)
    lines += ["", f"Estimates (runs/cost.py), not measurements: 6·N·T training FLOPs with T from the rendered "
                  f"data at {CHARS_PER_TOKEN} characters per non-special token; {gpu} at {utilisation:.0%} of its "
                  "dense bf16 peak; evaluation not counted; memory = model states + one micro-batch's activations + "
                  f"fp32 logits, without the framework's workspace. All arms: {total:.1f} {gpu}-hours."]
    return lines
