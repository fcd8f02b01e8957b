"""One forward pass -> the parts of the loss, for both batch layouts (see packing.py).

The trainer, the equivalence tests and the step benchmark all call `loss_parts`, so the regular
baseline and LLM-JEPA differ only in which terms are switched on.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from benchmark.training.objectives import Objective, ObjectiveOptions, TermInputs
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


def _config(model):
    inner = getattr(model, "module", model)  # DDP wraps the model; its config lives on the module
    return inner.config, inner


def sliding_window_of(config) -> int | None:
    """The window of the architecture's sliding-window layers (Gemma-2, Mistral-style Qwen), None without."""
    window = getattr(config, "sliding_window", None)
    types = getattr(config, "layer_types", None) or ()
    return window if window and "sliding_attention" in types else None


def _mask_for(model, mask: torch.Tensor):
    """The packed 4-D block mask as the model takes it.

    * Sliding-window layers (Gemma-2): a 4-D mask is used as given, so its window must be in it. Such models
      take a mapping of one mask per layer kind; the sliding layers get the block mask cut to the window (a
      query sees keys fewer than `sliding_window` positions back, as transformers' own sliding mask).
    * Eager attention adds the mask, so it needs floats (0 / -inf); sdpa and flex take the boolean one.
    """
    config, inner = _config(model)
    window = sliding_window_of(config) if mask.dim() == 4 else None
    masks = {"full_attention": mask}
    if window:
        width = mask.shape[-1]
        distance = torch.arange(width, device=mask.device)[:, None] - torch.arange(width, device=mask.device)[None, :]
        masks["sliding_attention"] = mask & (distance < window)
    if mask.dim() == 4 and getattr(config, "_attn_implementation", "sdpa") == "eager":
        dtype = inner.get_input_embeddings().weight.dtype
        masks = {k: torch.zeros(m.shape, dtype=dtype, device=m.device).masked_fill(~m, torch.finfo(dtype).min)
                 for k, m in masks.items()}
    return masks if window else masks["full_attention"]


def head_logits(model, lm_head, hidden: torch.Tensor) -> torch.Tensor:
    """The model's logits for `hidden` (final-norm states), computed on the selected rows only: the output
    embedding, then whatever the architecture applies after it in its own forward (Gemma-2/3's final logit
    soft-capping, Cohere's logit scale, Granite's logits scaling). `check_head_logits` verifies it on a model."""
    config, _ = _config(model)
    logits = lm_head(hidden)
    cap = getattr(config, "final_logit_softcapping", None)
    if cap:
        logits = torch.tanh(logits / cap) * cap
    scale = getattr(config, "logit_scale", None)
    if isinstance(scale, (int, float)) and not isinstance(scale, bool):
        logits = logits * scale
    scaling = getattr(config, "logits_scaling", None)
    if isinstance(scaling, (int, float)) and not isinstance(scaling, bool):
        logits = logits / scaling
    return logits


class PackedHeadError(ValueError):
    """The architecture computes its logits in a way `head_logits` does not reproduce."""


@torch.no_grad()
def check_head_logits(model, lm_head, vocab_size: int) -> None:
    """The packed layout computes the head itself (`head_logits`, on labelled rows only); check once, on a short
    input, that it equals the model's own logits, so an architecture with another output transform fails here
    and not silently in the loss."""
    was_training = model.training
    model.eval()
    try:
        ids = (torch.arange(6) * 7 % max(vocab_size, 1))[None].to(next(model.parameters()).device)
        out = model(input_ids=ids, output_hidden_states=True, use_cache=False)
        ours = head_logits(model, lm_head, out.hidden_states[-1])
    finally:
        model.train(was_training)
    if not torch.allclose(ours.float(), out.logits.float(), rtol=1e-4, atol=1e-4):
        diff = float((ours.float() - out.logits.float()).abs().max())
        raise PackedHeadError(f"{type(_config(model)[1]).__name__}: the packed layout's logits differ from the "
                              f"model's own by up to {diff:.3g} (an output transform the suite does not know): "
                              "set compute_mode: reference")


def loss_parts(model, lm_head, batch: dict, *, mode: str, objective: Objective, use_aux: bool,
               options: ObjectiveOptions | None = None, generator: torch.Generator | None = None) -> LossParts:
    """Forward `batch` (from `Collator`, or `only_full_segments` when the extra term is dropped).

    model: the (possibly peft- or DDP-wrapped) causal LM; lm_head: its output embedding module;
    objective: a registered objective's record, whose term is added when `use_aux`; options: its options record
    (None: its defaults); generator: its random draws.
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
        logits = head_logits(model, lm_head, hidden[sel])  # [N, V], soft-capped etc. as the model's own
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
    if objective.term is None:
        return parts
    got = objective.term(TermInputs(hidden=hidden, batch=batch, mode=mode,
                                    options=options if options is not None else objective.make_options(),
                                    generator=generator))
    parts.aux_sum, parts.aux_count, parts.cos_sum = got.total, got.count, got.cosine_sum
    return parts
