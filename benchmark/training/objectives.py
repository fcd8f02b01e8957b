"""The extra loss terms: LLM-JEPA distances (paper eq. 2, Table 3) and Semantic Tube Prediction.

Each function returns a *sum* over the examples of the micro-batch (plus the count), so that the
trainer can normalise by the number of examples in the whole accumulation window: batch 4 x accum 1
and batch 1 x accum 4 then give the same update (the authors' JEPA path does not: upstream.md §3).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def jepa_distance_sum(pred: torch.Tensor, target: torch.Tensor, distance: str, temperature: float = 0.07):
    """pred, target: [B, D] = Pred(Enc(Text)), Enc(Code). Returns (sum over examples, sum of cosines).

    cosine: 1 - cos(u, a) (the paper's d); l2: ||u - a||_2; mse: mean over dims of (u - a)^2;
    infonce: in-batch cross-entropy over cosine logits / temperature with diagonal positives. InfoNCE is
    not a per-example quantity: its batch mean is multiplied by B so that dividing by B gives the authors'
    value (with accumulation it is then the mean of per-micro-batch InfoNCE losses, as in their code).
    """
    u, a = pred.float(), target.float()  # distances in fp32 even under bf16 autocast
    cos = F.cosine_similarity(u, a, dim=-1)
    if distance == "cosine":
        per = 1.0 - cos
    elif distance == "l2":
        per = torch.linalg.vector_norm(u - a, ord=2, dim=-1)
    elif distance == "mse":
        per = ((u - a) ** 2).mean(dim=-1)
    elif distance == "infonce":
        logits = F.normalize(u, dim=1) @ F.normalize(a, dim=1).T / temperature
        loss = F.cross_entropy(logits, torch.arange(len(u), device=u.device))
        return loss * len(u), cos.sum()
    else:
        raise ValueError(f"unknown distance {distance!r}")
    return per.sum(), cos.sum()


def draw_tube_spans(lengths: list[int], generator: torch.Generator) -> list[tuple[int, int] | None]:
    """Random sub-span [s, e) of each trajectory (STP `--linear=random_span`, stp.py `get_s_t`).

    Uniform start in [0, n), uniform end in [s + 1, n], drawn again if the span covers everything.
    Trajectories shorter than 2 tokens have no proper sub-span: None.
    """
    spans = []
    for n in lengths:
        if n < 2:
            spans.append(None)
            continue
        while True:
            s = int(torch.randint(0, n, (), generator=generator))
            e = int(torch.randint(s + 1, n + 1, (), generator=generator))
            if not (s == 0 and e == n):
                break
        spans.append((s, e))
    return spans


def _displacement(h: torch.Tensor, pieces: list[tuple[int, int]], a: int, b: int) -> torch.Tensor:
    """Sum over pieces of h[last token in range] - h[token before the range], for offsets [a, b)
    of the concatenated pieces. Matches stp.py `get_embeddings` (states at position - 1)."""
    total = torch.zeros(h.shape[-1], dtype=h.dtype, device=h.device)
    base = 0
    for start, end in pieces:
        n = end - start
        lo, hi = max(a, base), min(b, base + n)
        if lo < hi:
            total = total + h[start + hi - base - 1] - h[start + lo - base - 1]
        base += n
    return total


def tube_loss_sum(hidden: torch.Tensor, trajectory: torch.Tensor, spans) -> tuple[torch.Tensor, int]:
    """Semantic Tube Prediction (arXiv 2602.22617): 1 - cos(before + after, patch), summed over examples.

    hidden: [B, L, D] last-layer states of the conversations; trajectory: [B, 4] = user [start, end) and
    assistant [start, end) token spans (template tokens between them are skipped, as in stp.py).
    """
    h = hidden.float()
    rest, patch = [], []
    for b, span in enumerate(spans):
        if span is None:
            continue
        us, ue, as_, ae = trajectory[b].tolist()
        pieces = [(us, ue), (as_, ae)]
        n = (ue - us) + (ae - as_)
        s, e = span
        before = _displacement(h[b], pieces, 0, s)
        after = _displacement(h[b], pieces, e, n)
        rest.append(before + after)
        patch.append(_displacement(h[b], pieces, s, e))
    if not rest:
        return hidden.new_zeros(()), 0
    cos = F.cosine_similarity(torch.stack(rest), torch.stack(patch), dim=-1)
    return (1.0 - cos).sum(), len(rest)
