"""Tokenized examples -> model batches, in two layouts that compute the same losses.

* `reference` (the authors' layout): the full conversations, then the source views, then the target
  views as separate rows of one batch ([3B, L]); with `pad_to_max_length` every row is padded to
  max_length as in their code. Position ids come from the attention mask, so left padding is exact.
* `packed` (default): one row per example holding its segments back to back [full | source | target],
  position ids restarting at 0 in each segment and a block-diagonal causal 4-D mask, so each segment
  sees only itself (exactly three separate forwards, in one row). Rows are padded only to the longest
  row of the batch. No labelled position is lost: a segment's targets never cross into the next one.

Both produce `shift_labels[b, p]` = the token that position p must predict (-100 where none), the row
positions of Pred(Enc(source)) and Enc(target), and the STP trajectory spans in row coordinates.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

IGNORE = -100


def _targets(ids: list[int], labels: list[bool]) -> list[int]:
    """Shifted targets of one segment: position p predicts token p + 1 when that token is labelled."""
    return [ids[p + 1] if labels[p + 1] else IGNORE for p in range(len(ids) - 1)] + [IGNORE]


def block_causal_mask(segment: torch.Tensor) -> torch.Tensor:
    """[B, L] segment ids (-1 = pad) -> [B, 1, L, L] boolean mask, True = may attend.

    Causal inside a segment, nothing across segments. A pad position attends to itself only, so no
    attention row is empty (an all-masked row gives NaN under sdpa).
    """
    width = segment.shape[1]
    same = segment[:, :, None] == segment[:, None, :]
    pad = segment < 0
    causal = torch.ones(width, width, dtype=torch.bool, device=segment.device).tril()
    return ((same & causal & ~pad[:, None, :]) | torch.diag_embed(pad))[:, None]


@dataclass
class Collator:
    pad_id: int
    mode: str = "packed"  # packed | reference
    padding_side: str = "right"
    with_views: bool = True  # build the Text/Code segments (JEPA); off for regular and STP
    pad_to: int | None = None  # reference: pad every row to this length (the authors' max_length padding)

    def __call__(self, examples: list[dict]) -> dict:
        batch = self.packed(examples) if self.mode == "packed" else self.reference(examples)
        batch["num_examples"] = torch.tensor(len(examples))
        # real (unpadded) tokens forwarded, for the FLOPs count of the results store
        views = (lambda e: len(e["source_ids"]) + len(e["target_ids"])) if self.with_views else (lambda e: 0)
        batch["num_tokens"] = torch.tensor(sum(len(e["full_ids"]) + views(e) for e in examples))
        return batch

    # ---------------------------------------------------------------- helpers
    def _pad(self, rows: list[list[int]], value: int, width: int) -> tuple[torch.Tensor, list[int]]:
        """Pad lists to `width`; returns the tensor and each row's offset (left padding shifts content)."""
        out, offsets = [], []
        for r in rows:
            fill = [value] * (width - len(r))
            out.append(fill + r if self.padding_side == "left" else r + fill)
            offsets.append(len(fill) if self.padding_side == "left" else 0)
        return torch.tensor(out, dtype=torch.long), offsets

    def _trajectory(self, examples, full_offsets) -> torch.Tensor:
        return torch.tensor([[o + e["user_span"][0], o + e["user_span"][1], o + e["assistant_span"][0],
                              o + e["assistant_span"][1]] for e, o in zip(examples, full_offsets)])

    # ---------------------------------------------------------------- packed
    def packed(self, examples: list[dict]) -> dict:
        segs_per_ex = []
        for e in examples:
            segs = [(e["full_ids"], _targets(e["full_ids"], e["full_labels"]))]
            if self.with_views:
                segs += [(e["source_ids"], [IGNORE] * len(e["source_ids"])),
                         (e["target_ids"], [IGNORE] * len(e["target_ids"]))]
            segs_per_ex.append(segs)
        lengths = [sum(len(s[0]) for s in segs) for segs in segs_per_ex]
        width = max(lengths)
        ids, offs = self._pad([sum((s[0] for s in segs), []) for segs in segs_per_ex], self.pad_id, width)
        targets, _ = self._pad([sum((s[1] for s in segs), []) for segs in segs_per_ex], IGNORE, width)
        positions = torch.zeros_like(ids)
        segment = torch.full_like(ids, -1)  # segment id per position; pads get their own negative ids
        full_len = []
        for b, (segs, off) in enumerate(zip(segs_per_ex, offs)):
            start = off
            for k, (s_ids, _) in enumerate(segs):
                positions[b, start:start + len(s_ids)] = torch.arange(len(s_ids))
                segment[b, start:start + len(s_ids)] = k
                start += len(s_ids)
            full_len.append(len(segs[0][0]))
        batch = {
            "input_ids": ids, "position_ids": positions, "attention_mask": block_causal_mask(segment),
            "shift_labels": targets, "full_start": torch.tensor(offs), "full_len": torch.tensor(full_len),
            "trajectory": self._trajectory(examples, offs),
        }
        if self.with_views:
            batch["source_index"] = torch.tensor([o + len(e["full_ids"]) + e["source_enc"] for e, o in zip(examples, offs)])
            batch["target_index"] = torch.tensor([o + len(e["full_ids"]) + len(e["source_ids"]) + e["target_enc"]
                                                  for e, o in zip(examples, offs)])
        return batch

    # ---------------------------------------------------------------- reference
    def reference(self, examples: list[dict]) -> dict:
        rows = [e["full_ids"] for e in examples]
        tgts = [_targets(e["full_ids"], e["full_labels"]) for e in examples]
        if self.with_views:
            rows += [e["source_ids"] for e in examples] + [e["target_ids"] for e in examples]
            tgts += [[IGNORE] * len(e["source_ids"]) for e in examples] + [[IGNORE] * len(e["target_ids"]) for e in examples]
        width = max(max(len(r) for r in rows), self.pad_to or 0)
        ids, offs = self._pad(rows, self.pad_id, width)
        targets, _ = self._pad(tgts, IGNORE, width)
        attn, _ = self._pad([[1] * len(r) for r in rows], 0, width)
        positions = (attn.cumsum(1) - 1).clamp(min=0)
        n = len(examples)
        batch = {"input_ids": ids, "attention_mask": attn, "position_ids": positions, "shift_labels": targets,
                 "trajectory": self._trajectory(examples, offs[:n])}
        if self.with_views:
            batch["source_index"] = torch.tensor([offs[n + i] + e["source_enc"] for i, e in enumerate(examples)])
            batch["target_index"] = torch.tensor([offs[2 * n + i] + e["target_enc"] for i, e in enumerate(examples)])
        return batch


def only_full_segments(batch: dict, mode: str, padding_side: str, pad_id: int) -> dict:
    """The same batch without the views (a loss-dropout step forwards only the conversations)."""
    if mode == "reference":
        n = int(batch["num_examples"])
        out = {k: batch[k][:n] for k in ("input_ids", "attention_mask", "position_ids", "shift_labels")}
        if padding_side == "left":  # views may have been longer than every conversation: drop shared pad columns
            keep = out["attention_mask"].any(0).nonzero().min()
            out = {k: v[:, keep:] for k, v in out.items()}
        else:
            keep = out["attention_mask"].any(0).nonzero().max() + 1
            out = {k: v[:, :keep] for k, v in out.items()}
        out["trajectory"] = batch["trajectory"] - (keep if padding_side == "left" else 0)
        out["num_examples"] = batch["num_examples"]
        out["num_tokens"] = out["attention_mask"].sum()
        return out
    # packed: cut each row's full segment out and re-pad (on the CPU, then back to the batch's device)
    device = batch["input_ids"].device
    batch = {k: v.cpu() for k, v in batch.items()}
    starts, lens = batch["full_start"].tolist(), batch["full_len"].tolist()
    width = max(lens)
    b = len(starts)
    ids = torch.full((b, width), pad_id, dtype=torch.long)
    targets = torch.full((b, width), IGNORE, dtype=torch.long)
    positions = torch.zeros((b, width), dtype=torch.long)
    segment = torch.full((b, width), -1, dtype=torch.long)
    new_starts = []
    for i, (s, n) in enumerate(zip(starts, lens)):
        o = width - n if padding_side == "left" else 0
        ids[i, o:o + n] = batch["input_ids"][i, s:s + n]
        targets[i, o:o + n] = batch["shift_labels"][i, s:s + n]
        positions[i, o:o + n] = torch.arange(n)
        segment[i, o:o + n] = 0
        new_starts.append(o)
    shift = torch.tensor(new_starts) - batch["full_start"]
    out = {"input_ids": ids, "position_ids": positions, "attention_mask": block_causal_mask(segment),
           "shift_labels": targets, "full_start": torch.tensor(new_starts), "full_len": batch["full_len"],
           "trajectory": batch["trajectory"] + shift[:, None], "num_examples": batch["num_examples"],
           "num_tokens": torch.tensor(sum(lens))}
    return {k: v.to(device) for k, v in out.items()}
