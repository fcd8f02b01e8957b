"""Resuming a killed run mid-run: the latest epoch's full training state is kept in the run's `.partial`
folder, and a run started again continues from it instead of from step 0.

The Trainer's own checkpoint (model, optimizer, scheduler, RNG states, the data position) is written at
every epoch end (`save_strategy="epoch"`, only the latest kept); beside it this module keeps what the
Trainer does not know about: the evaluations made so far, the token counters behind the FLOPs, the
loss-dropout and STP-span generators, and the wall time. On resume the train log is cut back to the
checkpoint's step, so lines of the lost part are written once. A resumed run's numbers equal an
uninterrupted run's (tests/test_resume.py). Cost: about three times the model's size on disk (weights plus
AdamW's two moments; SmolLM2-135M: ~1.6 GB) while the run is being built, and a few seconds per epoch;
`checkpoint_every_epoch: false` turns it off.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch
from transformers import TrainerCallback

EXTRA = "jepa_bench_state.json"  # beside the Trainer's files in checkpoint-<step>/
GENERATOR = "jepa_bench_term_generator.pt"


def latest_checkpoint(trainer_dir: Path) -> Path | None:
    """The checkpoint with the highest step that holds our extra state (a complete save), if any."""
    found = [p for p in Path(trainer_dir).glob("checkpoint-*") if (p / EXTRA).is_file() and (p / GENERATOR).is_file()]
    return max(found, key=lambda p: int(p.name.split("-")[1])) if found else None


class SaveExtraState(TrainerCallback):
    """After each Trainer checkpoint, write what resuming needs beyond it."""

    def __init__(self, epoch_eval, wall_before: float = 0.0):
        self.epoch_eval, self.wall_before = epoch_eval, wall_before
        self.started = None
        self.resumed_loss_total = None  # set by `restore`: the Trainer's running loss total at the checkpoint

    def on_train_begin(self, args, state, control, **kw):
        import time

        self.started = time.time()
        if self.resumed_loss_total is not None:  # the end-of-training mean loss covers every step, as without a kill
            trainer = self.epoch_eval.trainer
            trainer._total_loss_scalar = self.resumed_loss_total
            trainer._initial_global_step = 0

    def on_save(self, args, state, control, **kw):
        import time

        if not state.is_world_process_zero:
            return
        trainer = self.epoch_eval.trainer
        folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        torch.save(trainer._term_generator.get_state(), folder / GENERATOR)
        extra = {"step": state.global_step, "evaluations": self.epoch_eval.evaluations,
                 "tokens_processed": trainer.global_tokens[0], "tokens_computed": trainer.global_tokens[1],
                 "dropout_rng": _jsonable(trainer._dropout_rng.getstate()), "diagnosed_step": trainer._diagnosed_step,
                 "total_loss_scalar": trainer._total_loss_scalar,
                 "wall_seconds": self.wall_before + (time.time() - (self.started or time.time()))}
        tmp = folder / (EXTRA + ".tmp")
        tmp.write_text(json.dumps(extra))
        tmp.replace(folder / EXTRA)  # written last: a checkpoint without it is not resumed from


def _jsonable(state):
    return [list(x) if isinstance(x, tuple) else x for x in state]


def restore(trainer, epoch_eval, checkpoint: Path, train_log: Path, saver: SaveExtraState | None = None) -> float:
    """Put back our state from `checkpoint` (the Trainer restores its own); returns the wall time so far."""
    extra = json.loads((checkpoint / EXTRA).read_text())
    if saver is not None:
        saver.resumed_loss_total = extra["total_loss_scalar"]
    epoch_eval.mark_done(extra["evaluations"])
    trainer.set_global_tokens(extra["tokens_processed"], extra["tokens_computed"])  # all processes' counts
    version, internal, gauss = extra["dropout_rng"]
    trainer._dropout_rng.setstate((version, tuple(internal), gauss))
    trainer._term_generator.set_state(torch.load(checkpoint / GENERATOR))
    trainer._diagnosed_step = extra["diagnosed_step"]
    if train_log.is_file():  # drop the log lines of the lost part: they are written again
        kept = [line for line in train_log.read_text().splitlines()
                if line.strip() and json.loads(line)["step"] <= extra["step"]]
        train_log.write_text("".join(line + "\n" for line in kept))
    return float(extra["wall_seconds"])

