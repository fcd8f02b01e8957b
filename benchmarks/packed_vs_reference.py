"""Max |packed - reference| for the LM loss, the JEPA loss and the gradients, on a chosen device.

    python benchmarks/packed_vs_reference.py [--device cuda] [--model tiny-random-llama] [--dtype float32]

The CPU tests assert these within 1e-5 (fp32); this script prints the same figures on any device,
e.g. to check that the 4-D block mask behaves on a GPU's attention kernels.
"""
from __future__ import annotations

import argparse

import torch

from benchmark.training.models import load_model_and_tokenizer
from benchmark.training.packing import Collator
from benchmark.training.objectives import JepaOptions, get_objective
from benchmark.training.step import loss_parts
from benchmark.training.views import ViewBuilder
from tasks import get_task, load_split


def parts_and_grads(model, batch, mode, distance):
    model.zero_grad(set_to_none=True)
    p = loss_parts(model, model.get_output_embeddings(), batch, mode=mode, objective=get_objective("jepa"), use_aux=True,
                   options=JepaOptions(distance=distance))
    p.batch_loss().backward()
    return p, [w.grad.detach().float().clone() for w in model.parameters() if w.grad is not None]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--model", default="tiny-random-llama")
    ap.add_argument("--pretrain", action="store_true")
    ap.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"])
    ap.add_argument("--task", default="synth")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--data-dir", default=None)
    ns = ap.parse_args()
    model, tok = load_model_and_tokenizer(ns.model, seed=0, pretrain=ns.pretrain)
    model.to(ns.device, getattr(torch, ns.dtype))
    examples = load_split(get_task(ns.task), "train", ns.data_dir, ns.batch)
    print(f"{ns.model} on {ns.device} ({ns.dtype}), {ns.batch} {ns.task} examples")
    print(f"{'k':>2} {'distance':<8} {'side':<5} {'|dLM|':>9} {'|dJEPA|':>9} {'max|dgrad|':>11}")
    worst = 0.0
    for k in (0, 1, 3):
        items = [ViewBuilder(tok, predictors=k).build(e).to_dict() for e in examples]
        for distance in ("cosine", "l2", "mse", "infonce"):
            for side in ("right", "left"):
                res = {}
                for mode in ("packed", "reference"):
                    batch = {key: v.to(ns.device) for key, v in Collator(tok.pad_token_id, mode=mode, padding_side=side)(items).items()}
                    res[mode] = parts_and_grads(model, batch, mode, distance)
                (pa, ga), (pb, gb) = res["packed"], res["reference"]
                d_lm = abs(pa.lm_sum.item() / pa.lm_count - pb.lm_sum.item() / pb.lm_count)
                d_aux = abs(pa.aux_sum.item() - pb.aux_sum.item()) / pa.aux_count
                d_grad = max(float((a - b).abs().max()) for a, b in zip(ga, gb))
                worst = max(worst, d_lm, d_aux, d_grad)
                print(f"{k:>2} {distance:<8} {side:<5} {d_lm:>9.2e} {d_aux:>9.2e} {d_grad:>11.2e}", flush=True)
    print(f"worst difference: {worst:.2e}")


if __name__ == "__main__":
    main()
