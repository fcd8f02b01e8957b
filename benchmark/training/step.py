"""One forward pass -> the parts of the loss, for both batch layouts (see packing.py).

The trainer, the equivalence tests and the step benchmark all call `loss_parts`, so the regular
baseline and LLM-JEPA differ only in which terms are switched on.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from benchmark.training.objectives import TermInputs, get_objective
from benchmark.training.packing import IGNORE


@dataclass
class LossParts:
    lm_sum: torch.Tensor  # summed token cross-entropy over the micro-batch
    lm_count: int  # labelled tokens in the micro-batch
    aux_sum: torch.Tensor | None = None  # summed JEPA distance or STP loss over examples (None: not computed)
    aux_count: int = 0  # examples that contributed to aux_sum
    cos_sum: torch.Tensor | None = None  # summed cos(Pred(Enc(Text)), Enc(Code)), for logging

    def batch_loss(self) -> torch.Tensor:
        """Mean token CE + mean extra term over this micro-batch alone (tests and benchmarks; the trainer
        normalises over the whole accumulation window instead)."""
        loss = self.lm_sum / max(self.lm_count, 1)
        return loss + self.aux_sum / self.aux_count if self.aux_sum is not None else loss


def _mask_for(model, mask: torch.Tensor) -> torch.Tensor:
    """The boolean 4-D mask works for sdpa and flex paths; eager attention adds the mask, so it needs floats."""
    inner = getattr(model, "module", model)  # DDP wraps the model; its config lives on the module
    if mask.dim() == 4 and getattr(inner.config, "_attn_implementation", "sdpa") == "eager":
        dtype = inner.get_input_embeddings().weight.dtype
        return torch.zeros(mask.shape, dtype=dtype, device=mask.device).masked_fill(~mask, torch.finfo(dtype).min)
    return mask


def loss_parts(model, lm_head, batch: dict, *, mode: str, objective: str, use_aux: bool,
               distance: str = "cosine", temperature: float = 0.07,
               generator: torch.Generator | None = None) -> LossParts:
    """Forward `batch` (from `Collator`, or `only_full_segments` when the extra term is dropped).

    model: the (possibly peft- or DDP-wrapped) causal LM; lm_head: its output embedding module;
    objective: a registered objective, whose term is added when `use_aux`; generator: its random draws.
    """
    targets = batch["shift_labels"]
    kwargs = dict(input_ids=batch["input_ids"], position_ids=batch["position_ids"],
                  attention_mask=_mask_for(model, batch["attention_mask"]),
                  output_hidden_states=True, use_cache=False)
    if mode == "packed":
        # Logits only where a label exists: the views and the prompt never pay for the [*, |V|] head.
        out = model(**kwargs, logits_to_keep=1)
        hidden = out.hidden_states[-1]  # [R, L, D], after the final norm
        sel = targets != IGNORE
        logits = lm_head(hidden[sel])  # [N, V]
        lm_sum = F.cross_entropy(logits.float(), targets[sel], reduction="sum")
    else:
        out = model(**kwargs)
        hidden = out.hidden_states[-1]
        logits = out.logits  # [R, L, V] everywhere, as the authors compute it
        lm_sum = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), targets.reshape(-1),
                                 ignore_index=IGNORE, reduction="sum")
    parts = LossParts(lm_sum=lm_sum, lm_count=int((targets != IGNORE).sum()))
    if not use_aux:
        return parts
    term = get_objective(objective).term
    if term is None:
        return parts
    got = term(TermInputs(hidden=hidden, batch=batch, mode=mode, distance=distance, temperature=temperature,
                          generator=generator))
    parts.aux_sum, parts.aux_count, parts.cos_sum = got.total, got.count, got.cosine_sum
    return parts
