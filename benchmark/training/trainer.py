"""A thin `transformers.Trainer` subclass: the LLM-JEPA / STP loss on the one shared training path.

total = gamma * LM + lambda * extra term (paper eq. 2). Regular fine-tuning is this same class with the
extra term off. Normalisation is the same for every objective and independent of the accumulation
split: the LM term is divided by the labelled tokens of the whole accumulation window (what stock
Trainer does for regular fine-tuning), the extra term by the examples of the window.
"""
from __future__ import annotations

import json
import math
import random
from pathlib import Path

import torch
from transformers import Trainer, TrainerCallback

from benchmark.training.config import TrainConfig
from benchmark.training.packing import IGNORE, only_full_segments
from benchmark.training.objectives import DIAGNOSTIC, DIAGNOSTIC_KEY, get_objective, term_seed
from benchmark.training.step import loss_parts


class TrainingDiverged(RuntimeError):
    """The loss or the gradient norm became NaN or infinite; the message names the step and what to change."""


class JepaTrainer(Trainer):
    # compute_loss returns a loss already normalised over the accumulation window: Trainer must not
    # divide it again (the authors' code is scaled by grad_accum on the JEPA path only: README, Normalisation).
    loss_is_scaled_for_ga = True

    def __init__(self, *args, run_config: TrainConfig, pad_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.run_config = run_config
        self.objective = get_objective(run_config.objective)
        self.options = run_config.options  # the objective's settings, handed to its term as they are
        self.pad_id = pad_id
        self._dropout_rng = random.Random(run_config.seed)  # loss-dropout draws, one per micro-batch
        # the term's draws (STP spans), one stream per process as the STP authors seed them
        self._term_generator = torch.Generator().manual_seed(term_seed(run_config.seed, self.args.process_index))
        self._window = None  # (labelled tokens, examples) of the current accumulation window
        self._sums: dict[str, float] = {}
        self.tokens_processed = 0  # real tokens forwarded in training on this process
        self.tokens_computed = 0  # the same with padding: what the hardware actually computed
        self.global_tokens = (0, 0)  # both summed over processes at the last optimizer step (FLOPs, budgets)
        self._diagnosed_step = -1  # the optimizer step whose JEPA diagnostic was last computed

    # ------------------------------------------------------------------ normalisation
    def get_batch_samples(self, epoch_iterator, num_batches, device):
        batch_samples, num_items = super().get_batch_samples(epoch_iterator, num_batches, device)
        tokens = sum(int((b["shift_labels"] != IGNORE).sum()) for b in batch_samples)
        examples = sum(int(b["num_examples"]) for b in batch_samples)
        if self.args.world_size > 1:  # every process normalises by the global counts
            counts = self.accelerator.gather(torch.tensor([tokens, examples], device=device).unsqueeze(0))
            tokens, examples = (int(x) for x in counts.sum(0))
        self._window = (max(tokens, 1), max(examples, 1))
        return batch_samples, num_items

    def sum_tokens_over_processes(self) -> tuple[int, int]:
        """This process's token counts summed over all processes: a collective, so every rank calls it at the same
        point (runs/runner.py: after each optimizer step). FLOPs, budgets and summaries read the result, so every
        rank of a budget-bound run decides to stop at the same step."""
        counts = (self.tokens_processed, self.tokens_computed)
        if self.args.world_size > 1:
            local = torch.tensor(counts, dtype=torch.long, device=self.accelerator.device)
            counts = tuple(int(x) for x in self.accelerator.reduce(local, reduction="sum"))
        self.global_tokens = counts
        return counts

    def set_global_tokens(self, processed: int, computed: int) -> None:
        """Resume: give each process a share of the saved global counts, so their sum is exact again."""
        world, rank = max(self.args.world_size, 1), self.args.process_index
        self.tokens_processed = processed // world + (rank < processed % world)
        self.tokens_computed = computed // world + (rank < computed % world)
        self.global_tokens = (processed, computed)

    def _aux_on(self) -> bool:
        cfg = self.run_config
        if self.objective.term is None or cfg.lbd == 0:
            return False
        probability = self.options.term_probability()
        if not self.model.training or probability >= 1.0:
            return True
        return self._dropout_rng.random() < probability  # random JEPA-loss dropout (paper §5.2)

    def _diagnose(self, model, inputs) -> None:
        """1 - cos(Pred(Enc(Text)), Enc(Code)) on this micro-batch, without gradient and in eval mode, so the
        training step and every random draw are exactly as without it (tests/test_trainer.py)."""
        cfg = self.run_config
        every = cfg.jepa_diagnostic_every
        step = self.state.global_step
        if not every or not model.training or step % every or step == self._diagnosed_step \
                or "source_index" not in inputs:
            return
        self._diagnosed_step = step
        lm_head = self.accelerator.unwrap_model(model).get_output_embeddings()
        model.eval()
        try:
            with torch.no_grad():
                objective, options = DIAGNOSTIC
                parts = loss_parts(model, lm_head, inputs, mode=cfg.compute_mode, objective=objective, use_aux=True,
                                   options=options)
        finally:
            model.train()
        self._sums["diag_sum"] = self._sums.get("diag_sum", 0.0) + float(parts.aux_sum)
        self._sums["diag_count"] = self._sums.get("diag_count", 0) + parts.aux_count

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        cfg = self.run_config
        self._diagnose(model, inputs)
        use_aux = self._aux_on()
        if (not use_aux or not self.objective.needs_views) and "source_index" in inputs:  # views unused this step
            inputs = only_full_segments(inputs, cfg.compute_mode, cfg.padding_side, self.pad_id)
        lm_head = self.accelerator.unwrap_model(model).get_output_embeddings()
        parts = loss_parts(model, lm_head, inputs, mode=cfg.compute_mode, objective=self.objective,
                           use_aux=use_aux, options=self.options, generator=self._term_generator)
        tokens, examples = self._window or (max(parts.lm_count, 1), max(int(inputs["num_examples"]), 1))
        loss = cfg.gamma * parts.lm_sum / tokens
        if parts.aux_sum is not None:
            loss = loss + cfg.lbd * parts.aux_sum / examples
        if self.args.world_size > 1:  # DDP averages gradients over processes; the counts were global
            loss = loss * self.args.world_size
        if model.training and not bool(torch.isfinite(loss.detach()).all()):
            term = "" if parts.aux_sum is None else f", {self.objective.log_key} sum {float(parts.aux_sum):.4g}"
            raise TrainingDiverged(f"the training loss became {float(loss.detach())} at optimizer step "
                                   f"{self.state.global_step + 1} (LM sum {float(parts.lm_sum.detach()):.4g}{term}): "
                                   "lower lr or lbd, or use fp32; nothing was published")
        self._record(parts)
        if model.training and "num_tokens" in inputs:
            self.tokens_processed += int(inputs["num_tokens"])
            self.tokens_computed += inputs["input_ids"].numel()
        return (loss, None) if return_outputs else loss

    # ------------------------------------------------------------------ logging
    def _record(self, parts) -> None:
        s = self._sums
        s["lm_sum"] = s.get("lm_sum", 0.0) + float(parts.lm_sum.detach())
        s["lm_count"] = s.get("lm_count", 0) + parts.lm_count
        if parts.aux_sum is not None:
            s["aux_sum"] = s.get("aux_sum", 0.0) + float(parts.aux_sum.detach())
            s["aux_count"] = s.get("aux_count", 0) + parts.aux_count
        if parts.cos_sum is not None:
            s["cos_sum"] = s.get("cos_sum", 0.0) + float(parts.cos_sum.detach())

    def log(self, logs: dict, *args, **kwargs) -> None:
        norm = logs.get("grad_norm")
        if norm is not None and not math.isfinite(float(norm)):
            raise TrainingDiverged(f"the gradient norm became {norm} at optimizer step {self.state.global_step}: "
                                   "lower lr or lbd, or use fp32; nothing was published")
        s, self._sums = self._sums, {}
        if "loss" in logs and self.args.world_size > 1:  # every rank logs this step (the Trainer gathers `loss`)
            s = self._sum_over_processes(s)
        if "loss" in logs and s.get("lm_count"):
            logs["lm_loss"] = s["lm_sum"] / s["lm_count"]  # mean token CE since the last log
            if s.get("aux_count"):
                logs[self.objective.log_key] = s["aux_sum"] / s["aux_count"]
                if "cos_sum" in s:
                    logs["cosine"] = s["cos_sum"] / s["aux_count"]
            if s.get("diag_count"):
                logs[DIAGNOSTIC_KEY] = s["diag_sum"] / s["diag_count"]
        super().log(logs, *args, **kwargs)


    _SUMS = ("lm_sum", "lm_count", "aux_sum", "aux_count", "cos_sum", "diag_sum", "diag_count")

    def _sum_over_processes(self, sums: dict) -> dict:
        """The logged means over every process's examples, as one process with the whole batch would log them."""
        local = torch.tensor([float(sums.get(k, 0.0)) for k in self._SUMS], dtype=torch.float64,
                             device=self.accelerator.device)
        total = self.accelerator.reduce(local, reduction="sum").tolist()
        present = {k for k in self._SUMS if k in sums}
        return {k: v for k, v in zip(self._SUMS, total) if k in present or v}


class JsonlLogCallback(TrainerCallback):
    """Appends every log record (step, epoch, losses) to a JSON-lines file as it happens."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if state.is_world_process_zero and logs:
            record = {"step": state.global_step, "epoch": state.epoch, **logs}
            with self.path.open("a") as f:
                f.write(json.dumps(record) + "\n")
