"""One run: train with per-epoch evaluation into a run directory of the results store.

`run_one(spec, results)` is the unit every sweep launcher calls (local loop, local workers, torchrun,
submitit): it takes the run's lock, skips a run that is done and builds `RESULTS/<run_id>`. `train_one(spec,
out)` is `jepa-bench train`: the same build into a folder the user names. Either way the run is built in
`<dir>.partial/`, evaluated after every epoch on the plan's splits (the curves of the paper's Fig. 1),
its tokens and analytic FLOPs counted, stopped at a FLOP budget when asked (Table 6's equal-FLOP
comparison), and published with its summary written last.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from transformers import TrainerCallback

from benchmark import store
from benchmark.runs.spec import RunSpec
from benchmark.store.schema import SCHEMA_VERSION, RunRecord, RunSummary


_TRAINER_DIR = "trainer"  # the Trainer's own output folder inside the work directory; removed before publishing
_SPEC_FILE = "spec.json"  # a torchrun launch reads its RunSpec from here


def training_flops(n_params: int, tokens: int) -> float:
    """Analytic training FLOPs, 6·N·T (forward 2·N·T, backward 4·N·T; Kaplan et al. 2020), with N every
    parameter of the model (the tied embedding stands in for the LM-head matmul) and T the real tokens
    forwarded in training (conversation plus views). Padding is not counted; LoRA is not discounted."""
    return 6.0 * n_params * tokens


class EpochEval(TrainerCallback):
    """Evaluate after every epoch (and at the end of a budget-stopped run) into epochs/epoch_<k>/<split>/: the
    plan's `splits` every epoch (or at the end only, without `every_epoch`), its `final_splits` at the end."""

    def __init__(self, spec: RunSpec, task, examples: dict, tok, workdir: Path, n_params: int, progress: bool):
        self.spec, self.task, self.examples, self.tok = spec, task, examples, tok
        self.workdir, self.n_params, self.progress = workdir, n_params, progress
        self.trainer = None  # set after the trainer exists (token counts live there)
        self.evaluations: list[dict] = []
        self._done: set[tuple[int, str]] = set()  # (step, split): never evaluate one state twice
        self._saved_step = -1

    def flops(self) -> float:
        t = self.trainer
        return training_flops(self.n_params, t.global_tokens[0]) if t else 0.0

    def mark_done(self, evaluations: list[dict]) -> None:
        """Evaluations made before a resume: kept, and not made again."""
        self.evaluations = list(evaluations)
        self._done |= {(e["step"], e["split"]) for e in evaluations}

    def evaluate_now(self, model, state, *, final: bool) -> None:
        from benchmark.evaluation.evaluate import evaluate

        if not state.is_world_process_zero:
            return
        plan = self.spec.eval
        splits = plan.all_splits() if final else plan.splits
        todo = [s for s in splits if (state.global_step, s) not in self._done]
        if not todo:
            return
        epoch = round(state.epoch or 0.0, 3)
        if self.spec.train.save_checkpoints and self.trainer is not None and self._saved_step != state.global_step:
            self._saved_step = state.global_step
            folder = self.workdir / store.EPOCHS / store.epoch_label(epoch) / store.MODEL
            self.trainer.save_model(str(folder))
            self.tok.save_pretrained(str(folder))
        for split in todo:
            self._done.add((state.global_step, split))
            where = store.eval_dir(self.workdir, epoch, split)
            summary = evaluate(model, self.tok, self.task, self.examples[split], split=split, plan=plan,
                               plain=self.spec.train.plain, progress=self.progress, out_dir=where,
                               extra={"epoch": epoch, "step": state.global_step})
            self.evaluations.append({
                "epoch": epoch, "step": state.global_step, "split": split, "flops": self.flops(),
                "n": summary["n"], "main_metric": summary["main_metric"], "accuracy": summary["accuracy"],
                "metrics": {k: {f: v[f] for f in ("accuracy", "correct", "wrong", "undecided", "upper_bound")}
                            for k, v in summary["metrics"].items()},
                "seconds": summary["seconds"], "path": str(where.relative_to(self.workdir)),
            })

    def on_train_begin(self, args, state, control, model=None, **kw):
        if self.spec.eval.at_start:
            self.evaluate_now(model, state, final=False)

    def on_epoch_end(self, args, state, control, model=None, **kw):
        last = state.global_step >= state.max_steps or control.should_training_stop
        if self.spec.eval.every_epoch or last:
            self.evaluate_now(model, state, final=last)

    def on_train_end(self, args, state, control, model=None, **kw):
        self.evaluate_now(model, state, final=True)  # a no-op unless the final state has not been evaluated


class GlobalTokens(TrainerCallback):
    """After every optimizer step, sum the token counts over processes (one all-reduce of two numbers; every rank
    at the same step): the FLOPs of the evaluations, the budget and the summary all read the global counts."""

    def __init__(self):
        self.trainer = None

    def on_step_end(self, args, state, control, **kw):
        self.trainer.sum_tokens_over_processes()


class FlopBudget(TrainerCallback):
    """Stop training once the analytic FLOPs reach the budget (checked after each optimizer step, on the counts
    of all processes: every rank stops at the same step)."""

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
    from benchmark.runs.resume import SaveExtraState, latest_checkpoint, restore
    from benchmark.training.prepare import make_trainer, prepare
    from benchmark.training.trainer import JsonlLogCallback
    from tasks import load_split

    work = Path(work)
    main_process = int(os.environ.get("RANK", "0")) == 0
    launched = int(os.environ.get("WORLD_SIZE", "1"))
    if launched != spec.train.world_size:  # execute() launches exactly world_size processes: never another batch
        raise RuntimeError(f"run {spec.run_id} is for {spec.train.world_size} process(es), launched on {launched}")
    cfg, task, model, tok, items = prepare(spec.train)
    examples = {s: load_split(task, s, cfg.data_dir, spec.eval.limit, val_fraction=cfg.val_fraction,
                              subset=spec.eval.subset)
                for s in spec.eval.all_splits()}
    record = run_record(spec, cfg, task, model, items, {s: len(e) for s, e in examples.items()})
    n_params = record["parameters"]
    if main_process:
        store.write_json_atomic(work / store.CONFIG, record)
    epoch_eval = EpochEval(spec, task, examples, tok, work, n_params, progress)
    saver = SaveExtraState(epoch_eval)
    counter = GlobalTokens()  # first: what the others read after a step is already summed
    callbacks = [counter, JsonlLogCallback(work / store.TRAIN_LOG), epoch_eval, saver]
    budget = FlopBudget(cfg.flop_budget, epoch_eval) if cfg.flop_budget else None
    if budget:
        callbacks.append(budget)
    trainer = make_trainer(cfg, model, tok, items, work / _TRAINER_DIR, progress, callbacks=callbacks)
    epoch_eval.trainer = counter.trainer = trainer
    checkpoint = latest_checkpoint(work / _TRAINER_DIR) if cfg.checkpoint_every_epoch else None
    if checkpoint is not None:  # a killed run started again: continue where its last epoch ended
        saver.wall_before = restore(trainer, epoch_eval, checkpoint, work / store.TRAIN_LOG, saver)
    started = time.time()
    trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    wall = time.time() - started + saver.wall_before
    if cfg.save_model:
        trainer.save_model(str(work / store.MODEL))
    trainer.accelerator.wait_for_everyone()  # no rank may still read the trainer folder when rank 0 removes it
    if not main_process:
        return None
    shutil.rmtree(work / _TRAINER_DIR, ignore_errors=True)
    if cfg.save_model:
        tok.save_pretrained(str(work / store.MODEL))
    world = max(trainer.args.world_size, 1)
    final_evals = [e for e in epoch_eval.evaluations if e["step"] == trainer.state.global_step]
    summary: RunSummary = {
        "schema": SCHEMA_VERSION, "run_id": spec.run_id, "complete": True, "task": record["task"], "config": record["config"],
        "eval": record["eval"], "optimizer_steps": trainer.state.global_step,
        "epochs_run": round(trainer.state.epoch or 0.0, 3), "world_size": world,
        "tokens_processed": trainer.global_tokens[0], "tokens_computed": trainer.global_tokens[1],  # all processes
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


def check_inputs(spec: RunSpec) -> None:
    """Everything of a run that the user's input can break, checked before any folder is made or model
    loaded: the settings, the model name, every line of the data it will read, the scorers' needs."""
    from benchmark.training.models import check_hub_model, resolve_model_source
    from tasks import get_task, load_split

    spec.check()
    cfg = spec.train.resolved()
    _check_processes(cfg)
    task = get_task(cfg.task)
    resolve_model_source(cfg.model)
    check_hub_model(cfg.model)
    load_split(task, "train", cfg.data_dir, cfg.limit_train, val_fraction=cfg.val_fraction, subset=cfg.train_subset)
    for split in spec.eval.all_splits():
        examples = load_split(task, split, cfg.data_dir, spec.eval.limit, val_fraction=cfg.val_fraction,
                              subset=spec.eval.subset)
        task.check_context(examples, spec.eval.scoring_context())


def _check_processes(cfg) -> None:
    """A run launches its own processes (`world_size`): refuse a launch that would train another global batch."""
    import torch

    from benchmark.training.options import ConfigError

    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise ConfigError("jepa-bench launches a run's processes itself: run `jepa-bench train --nproc-per-node N` "
                          "(or `sweep run --nproc-per-node N`) instead of wrapping it in torchrun")
    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if gpus > 1 and cfg.world_size == 1:
        raise ConfigError(f"{gpus} GPUs are visible to one process: the Trainer would split each batch over them with "
                          "nn.DataParallel (another global batch, and slower): train with --nproc-per-node "
                          f"{gpus} (one process per GPU), or make one GPU visible (CUDA_VISIBLE_DEVICES=0)")


def execute(spec: RunSpec, final: Path, *, replace: bool, progress: bool = True) -> Path:
    """Build the run into `final` through `final.partial`: removed if the build fails, kept on Ctrl-C (and of
    course on SIGKILL) so that starting the run again resumes from its latest epoch checkpoint."""
    from benchmark.runs.resume import latest_checkpoint

    partial = final.with_name(final.name + store.PARTIAL)
    resumable = (spec.train.checkpoint_every_epoch and latest_checkpoint(partial / _TRAINER_DIR) is not None
                 and _partial_run_id(partial) == spec.run_id)  # never continue another run's work
    with store.building(final, replace=replace, keep_partial=resumable, keep_on_interrupt=True) as work:
        if spec.train.world_size > 1:
            _torchrun(spec, work, spec.train.world_size, progress)
        else:
            build(spec, work, progress=progress)
        if store.read_summary(work, spec.run_id) is None:
            raise store.StoreError(f"{final}: the run finished without a valid summary")
    return final


def _partial_run_id(partial: Path) -> str | None:
    try:
        return store.read_json(partial / store.CONFIG).get("run_id")
    except store.StoreError:
        return None


def run_one(spec: RunSpec, results: str | Path, *, progress: bool = True) -> tuple[Path, str]:
    """Build one run in the store. Returns (run directory, "done" | "built" | "busy").

    This process holds the run's lock, owns the `.partial` work directory and publishes it; with a
    `world_size` > 1 the training itself is a `torchrun` launch of `build` (data parallel, one process per GPU)."""
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
        check_inputs(spec)
        return execute(spec, final, replace=True, progress=progress), "built"


def train_one(spec: RunSpec, out: str | Path, *, overwrite: bool = False, progress: bool = True) -> Path:
    """`jepa-bench train`: one run into the folder `out`, with the layout, id and summary of a sweep run.
    Every setting and the output path are checked before the model loads."""
    check_inputs(spec)
    out = store.check_creatable(Path(out), overwrite=overwrite)
    return execute(spec, out, replace=True, progress=progress)


def run_record(spec: RunSpec, cfg, task, model, items: list[dict], n_eval: dict[str, int]) -> RunRecord:
    """What config.json records: resolved config and plan, task version, data counts, provenance."""
    from benchmark.runs.staleness import data_hashes
    from benchmark.store.provenance import provenance

    return {"schema": SCHEMA_VERSION, "run_id": spec.run_id, "config": cfg.to_dict(), "eval": spec.eval.to_dict(),
            "task": {"name": task.name, "version": task.version, "files": task.files,
                     "sha256": data_hashes(spec)},  # the data a run read: a regenerated file makes it stale
            "n_train": len(items), "n_truncated": sum(i["truncated"] for i in items),
            "parameters": sum(p.numel() for p in model.parameters()),
            "trainable_parameters": sum(p.numel() for p in model.parameters() if p.requires_grad),
            "n_eval": n_eval, "world_size": int(os.environ.get("WORLD_SIZE", "1")), **provenance()}


def _torchrun(spec: RunSpec, work: Path, nproc: int, progress: bool) -> None:
    import subprocess
    import sys

    (work / _SPEC_FILE).write_text(json.dumps(spec.to_dict()))
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
           "-m", "benchmark.runs.runner", str(work / _SPEC_FILE), str(work)] + ([] if progress else ["--no-progress"])
    done = subprocess.run(cmd)
    if done.returncode != 0:
        raise RuntimeError(f"torchrun exited with code {done.returncode} for run {spec.run_id} (see its output above)")


def main(argv: list[str] | None = None) -> int:
    """`python -m benchmark.runs.runner SPEC_JSON WORKDIR [--no-progress]`: each process of a torchrun launch."""
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    progress = "--no-progress" not in args
    if not progress:  # each torchrun process is as quiet as the command that launched it
        from benchmark.training.models import quiet_libraries

        quiet_libraries()
    spec_file, work = [a for a in args if a != "--no-progress"]
    build(RunSpec.from_dict(json.loads(Path(spec_file).read_text())), Path(work), progress=progress)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
