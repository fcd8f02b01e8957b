"""One run of a sweep: train with per-epoch evaluation into the results store.

`run_one(spec, results)` is the unit every launcher calls (local loop, local workers, torchrun, submitit):
it takes the run's lock, skips a run that is done, builds the run in `<run_id>.partial/`, evaluates after
every epoch on the requested splits (the curves of the paper's Fig. 1), counts tokens and analytic FLOPs,
stops at a FLOP budget when asked (Table 6's equal-FLOP comparison), and publishes the directory with its
summary written last.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from transformers import TrainerCallback

from benchmark import store
from benchmark.training.config import ConfigError, TrainConfig


@dataclass(frozen=True)
class EvalPlan:
    """What to evaluate after each epoch; part of a run's identity (it changes the numbers reported)."""

    splits: tuple[str, ...] = ("test",)  # test (the paper's curves) and/or val (needs val_fraction > 0)
    limit: int | None = None  # first N examples of each split (CPU-scale runs); None = the whole split
    batch_size: int = 16  # generation batch; equals batch 1 in fp32 (tests/test_generate.py)
    max_new_tokens: int = 128  # the authors' evaluate.py
    metrics: tuple[str, ...] | None = None  # None = every metric of the task
    bf16: bool = False  # autocast bf16 generation (faster; may differ from batch 1)
    every_epoch: bool = True  # False = only after the last epoch
    at_start: bool = False  # also evaluate before training (epoch 0)
    spider_db_dir: str | None = None  # Spider's database/ folder; not part of the identity
    dfa_timeout: float = 10.0  # seconds per NL-RX equivalence check
    sql_timeout: float = 10.0  # seconds per SQL query
    keep_inputs: bool = False  # write prompts and golds into predictions.jsonl; not part of the identity

    @classmethod
    def from_dict(cls, d: dict | None) -> "EvalPlan":
        d = dict(d or {})
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            from tasks.base import did_you_mean
            raise ConfigError("; ".join(did_you_mean("eval setting", u, sorted(known)) for u in unknown))
        for key in ("splits", "metrics"):
            if isinstance(d.get(key), str):
                d[key] = (d[key],)
            if d.get(key) is not None:
                d[key] = tuple(d[key])
        plan = cls(**d)
        if not plan.splits:
            raise ConfigError("eval.splits must name at least one split")
        if plan.limit is not None and plan.limit < 1:
            raise ConfigError("eval.limit must be >= 1")
        if plan.batch_size < 1 or plan.max_new_tokens < 1:
            raise ConfigError("eval.batch_size and eval.max_new_tokens must be >= 1")
        return plan

    def identity(self) -> dict:
        d = dataclasses.asdict(self)
        d.pop("spider_db_dir")  # where the databases live does not change results
        d.pop("keep_inputs")  # nor does keeping a copy of the inputs beside the outputs
        return d


@dataclass(frozen=True)
class RunSpec:
    train: TrainConfig
    eval: EvalPlan = field(default_factory=EvalPlan)

    @property
    def run_id(self) -> str:
        """Hash of the resolved training config (minus paths and logging) and the evaluation plan."""
        blob = json.dumps({"train": self.train.identity(), "eval": self.eval.identity()}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:12]

    def check(self) -> "RunSpec":
        """Everything that can be checked without loading a model or data."""
        from tasks import get_task, splits

        cfg = self.train.resolved().validate()
        task = get_task(cfg.task)
        for split in self.eval.splits:
            if split not in splits(task, cfg.val_fraction):
                hint = " (set val_fraction)" if split == "val" else ""
                raise ConfigError(f"task {task.name!r} has no split {split!r}{hint}")
        for name in self.eval.metrics or ():
            task.metric(name)
        if task.requires and "spider_db_dir" in task.requires and self.eval.spider_db_dir is None:
            raise ConfigError(f"task {task.name!r} needs eval.spider_db_dir (the Spider database/ folder)")
        return self


def training_flops(n_params: int, tokens: int) -> float:
    """Analytic training FLOPs, 6·N·T (forward 2·N·T, backward 4·N·T; Kaplan et al. 2020), with N every
    parameter of the model (the tied embedding stands in for the LM-head matmul) and T the real tokens
    forwarded in training (conversation plus views). Padding is not counted; LoRA is not discounted."""
    return 6.0 * n_params * tokens


class EpochEval(TrainerCallback):
    """Evaluate after every epoch (and at the end of a budget-stopped run) into epochs/epoch_<k>/<split>/."""

    def __init__(self, spec: RunSpec, task, examples: dict, tok, workdir: Path, n_params: int, progress: bool):
        self.spec, self.task, self.examples, self.tok = spec, task, examples, tok
        self.workdir, self.n_params, self.progress = workdir, n_params, progress
        self.trainer = None  # set after the trainer exists (token counts live there)
        self.evaluations: list[dict] = []
        self._last_step = -1

    def flops(self) -> float:
        t = self.trainer
        return training_flops(self.n_params, t.tokens_processed * max(t.args.world_size, 1)) if t else 0.0

    def evaluate_now(self, model, state) -> None:
        from benchmark.evaluation.evaluate import EvalSettings, evaluate
        from tasks.base import ScoringContext

        if not state.is_world_process_zero or state.global_step == self._last_step:
            return
        self._last_step = state.global_step
        plan = self.spec.eval
        epoch = round(state.epoch or 0.0, 3)
        settings = EvalSettings(batch_size=plan.batch_size, max_new_tokens=plan.max_new_tokens, bf16=plan.bf16,
                                progress=self.progress, plain=self.spec.train.plain, keep_inputs=plan.keep_inputs)
        ctx = ScoringContext(spider_db_dir=Path(plan.spider_db_dir) if plan.spider_db_dir else None,
                             dfa_timeout=plan.dfa_timeout, sql_timeout=plan.sql_timeout)
        label = f"epoch_{epoch:g}"
        if self.spec.train.save_checkpoints and self.trainer is not None:
            self.trainer.save_model(str(self.workdir / "epochs" / label / "model"))
            self.tok.save_pretrained(str(self.workdir / "epochs" / label / "model"))
        for split, exs in self.examples.items():
            summary = evaluate(model, self.tok, self.task, exs, split=split, ctx=ctx, settings=settings,
                               metrics=plan.metrics, out_dir=self.workdir / "epochs" / label / split,
                               extra={"epoch": epoch, "step": state.global_step})
            self.evaluations.append({
                "epoch": epoch, "step": state.global_step, "split": split, "flops": self.flops(),
                "n": summary["n"], "main_metric": summary["main_metric"], "accuracy": summary["accuracy"],
                "metrics": {k: {f: v[f] for f in ("accuracy", "correct", "wrong", "undecided", "upper_bound")}
                            for k, v in summary["metrics"].items()},
                "seconds": summary["seconds"], "path": f"epochs/{label}/{split}",
            })

    def on_train_begin(self, args, state, control, model=None, **kw):
        if self.spec.eval.at_start:
            self.evaluate_now(model, state)

    def on_epoch_end(self, args, state, control, model=None, **kw):
        last = state.global_step >= state.max_steps or control.should_training_stop
        if self.spec.eval.every_epoch or last:
            self.evaluate_now(model, state)

    def on_train_end(self, args, state, control, model=None, **kw):
        self.evaluate_now(model, state)  # a no-op unless the final state has not been evaluated


class FlopBudget(TrainerCallback):
    """Stop training once the analytic FLOPs reach the budget (checked after each optimizer step)."""

    def __init__(self, budget: float, epoch_eval: EpochEval):
        self.budget, self.epoch_eval, self.stopped = budget, epoch_eval, False

    def on_step_end(self, args, state, control, **kw):
        if self.epoch_eval.flops() >= self.budget:
            control.should_training_stop = True
            self.stopped = True


def build(spec: RunSpec, work: Path, *, progress: bool = True) -> dict | None:
    """Train and evaluate one run into the directory `work`; returns the summary (None on ranks > 0).

    Runs in the sweep process, or in every process of a `torchrun` launch: the Trainer then trains data
    parallel, and only the main process writes files and evaluates (the others wait at the next
    collective operation)."""
    from benchmark.training.prepare import make_trainer, prepare, run_record
    from benchmark.training.trainer import JsonlLogCallback
    from tasks import load_split

    work = Path(work)
    main_process = int(os.environ.get("RANK", "0")) == 0
    cfg, task, model, tok, items = prepare(spec.train)
    examples = {s: load_split(task, s, cfg.data_dir, spec.eval.limit, val_fraction=cfg.val_fraction)
                for s in spec.eval.splits}
    record = {"run_id": spec.run_id, "eval": dataclasses.asdict(spec.eval), **run_record(cfg, task, model, items),
              "n_eval": {s: len(e) for s, e in examples.items()}, "world_size": int(os.environ.get("WORLD_SIZE", "1"))}
    n_params = record["parameters"]
    if main_process:
        store.write_json_atomic(work / "config.json", record)
    epoch_eval = EpochEval(spec, task, examples, tok, work, n_params, progress)
    callbacks = [JsonlLogCallback(work / "train_log.jsonl"), epoch_eval]
    budget = FlopBudget(cfg.flop_budget, epoch_eval) if cfg.flop_budget else None
    if budget:
        callbacks.append(budget)
    trainer = make_trainer(cfg, model, tok, items, work / "trainer", progress, callbacks=callbacks)
    epoch_eval.trainer = trainer
    started = time.time()
    trainer.train()
    wall = time.time() - started
    if cfg.save_model:
        trainer.save_model(str(work / "model"))
    trainer.accelerator.wait_for_everyone()  # no rank may still read the trainer folder when rank 0 removes it
    if not main_process:
        return None
    shutil.rmtree(work / "trainer", ignore_errors=True)
    if cfg.save_model:
        tok.save_pretrained(str(work / "model"))
    world = max(trainer.args.world_size, 1)
    final_evals = [e for e in epoch_eval.evaluations if e["step"] == trainer.state.global_step]
    summary = {
        "run_id": spec.run_id, "complete": True, "task": record["task"], "config": record["config"],
        "eval": record["eval"], "optimizer_steps": trainer.state.global_step,
        "epochs_run": round(trainer.state.epoch or 0.0, 3), "world_size": world,
        "tokens_processed": trainer.tokens_processed * world,  # per-process count x processes (approximate)
        "tokens_computed": trainer.tokens_computed * world,
        "flops": epoch_eval.flops(), "flop_budget": cfg.flop_budget,
        "stopped_by_budget": bool(budget and budget.stopped), "wall_seconds": round(wall, 2),
        "final": {e["split"]: {"epoch": e["epoch"], "main_metric": e["main_metric"], "accuracy": e["accuracy"],
                               "metrics": {k: v["accuracy"] for k, v in e["metrics"].items()}}
                  for e in final_evals},
        "last_log": next((h for h in reversed(trainer.state.log_history) if "loss" in h), None),
        "evaluations": epoch_eval.evaluations,
        "versions": record["versions"], "git": record["git"],
    }
    store.write_json_atomic(work / store.SUMMARY, summary)
    return summary


def run_one(spec: RunSpec, results: str | Path, *, progress: bool = True,
            nproc_per_node: int = 1) -> tuple[Path, str]:
    """Build one run in the store. Returns (run directory, "done" | "built" | "busy").

    This process holds the run's lock, owns the `.partial` work directory and publishes it; with
    `nproc_per_node` > 1 the training itself is a `torchrun` launch of `build` (data parallel)."""
    results = Path(results)
    run_id = spec.run_id
    final = results / run_id
    if store.is_done(results, run_id):
        return final, "done"
    with store.run_lock(results, run_id) as mine:
        if not mine:
            return final, "busy"
        if store.is_done(results, run_id):  # finished by another process while we waited to lock
            return final, "done"
        spec.check()
        work = store.fresh_partial(results, run_id)
        if nproc_per_node > 1:
            _torchrun(spec, work, nproc_per_node, progress)
        else:
            build(spec, work, progress=progress)
        final = store.publish(work, results, run_id)
        if store.read_summary(final) is None:
            raise store.StoreError(f"{final}: the run finished without a valid summary")
        return final, "built"


def _torchrun(spec: RunSpec, work: Path, nproc: int, progress: bool) -> None:
    import subprocess
    import sys

    (work / "spec.json").write_text(json.dumps({"train": spec.train.to_dict(), "eval": dataclasses.asdict(spec.eval)}))
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
           "-m", "benchmark.runs.runner", str(work / "spec.json"), str(work)] + ([] if progress else ["--no-progress"])
    done = subprocess.run(cmd)
    if done.returncode != 0:
        raise RuntimeError(f"torchrun exited with code {done.returncode} for run {spec.run_id} (see its output above)")


def main(argv: list[str] | None = None) -> int:
    """`python -m benchmark.runs.runner SPEC_JSON WORKDIR`: the per-process entry of a torchrun launch."""
    import argparse

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("spec")
    ap.add_argument("work")
    ap.add_argument("--no-progress", action="store_true")
    ns = ap.parse_args(argv)
    d = json.loads(Path(ns.spec).read_text())
    build(RunSpec(TrainConfig.from_dict(d["train"]), EvalPlan.from_dict(d["eval"])), Path(ns.work),
          progress=not ns.no_progress)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
