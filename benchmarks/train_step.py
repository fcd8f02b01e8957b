"""Seconds per optimizer step on SmolLM2 and NL-RX examples: regular, JEPA packed, JEPA reference,
and an authors'-style step (three rows each padded to 512, logits everywhere, gradient checkpointing).

    python benchmarks/train_step.py [--model smollm2-135m-instruct] [--batch 4] [--repeats 3] [--bf16]

Prints the median of `--repeats` timed steps (after one warm-up) with the token counts of each layout,
and checks the two targets of the core issue. Timings on shared CPUs vary by +-30 %: quote medians.
"""
from __future__ import annotations

import argparse
import contextlib
import statistics
import time

import torch

from bench_record import peak_rss_gb, write_record  # benchmarks/, on sys.path as the script's folder
from benchmark.training.models import load_model_and_tokenizer
from benchmark.training.packing import Collator
from benchmark.training.objectives import get_objective
from benchmark.training.step import loss_parts
from benchmark.training.views import ViewBuilder
from tasks import get_task, load_split


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def step_seconds(model, batch, *, mode, objective, use_aux, repeats, bf16, checkpointing=False, device="cpu"):
    # the authors train with gradient checkpointing on (named activation checkpointing since transformers 5.2x)
    if checkpointing:
        if hasattr(model, "activation_checkpointing_enable"):
            model.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
        else:
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    else:
        getattr(model, "activation_checkpointing_disable", model.gradient_checkpointing_disable)()
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-5)
    head = model.get_output_embeddings()
    batch = {k: v.to(device) for k, v in batch.items()}
    times = []
    for i in range(repeats + 1):
        _sync(device)
        t0 = time.perf_counter()
        ctx = torch.autocast(device.split(":")[0], dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()
        with ctx:
            p = loss_parts(model, head, batch, mode=mode, objective=get_objective(objective), use_aux=use_aux)
            loss = p.batch_loss()
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        _sync(device)
        if i:  # the first step is a warm-up
            times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="smollm2-135m-instruct")
    ap.add_argument("--task", default="synth")
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--authors-repeats", type=int, default=2, help="the authors'-style step is slow")
    ap.add_argument("--bf16", action="store_true")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--pretrain", action="store_true", help="random init from the model's config (no weights needed)")
    ap.add_argument("--json", default=None, help="also write the figures here, for summarize_performance.py")
    ns = ap.parse_args()
    torch.manual_seed(0)
    model, tok = load_model_and_tokenizer(ns.model, seed=0, pretrain=ns.pretrain)
    model.to(ns.device)
    examples = load_split(get_task(ns.task), "train", ns.data_dir, ns.batch)
    items = [ViewBuilder(tok, predictors=1).build(e).to_dict() for e in examples]
    regular_items = [ViewBuilder(tok, with_views=False).build(e).to_dict() for e in examples]
    pad = tok.pad_token_id
    layouts = {
        "regular": (Collator(pad, with_views=False)(regular_items), "packed", "regular", False, {}),
        "jepa packed": (Collator(pad)(items), "packed", "jepa", True, {}),
        "jepa reference": (Collator(pad, mode="reference")(items), "reference", "jepa", True, {}),
        "authors' style": (Collator(pad, mode="reference", pad_to=512)(items), "reference", "jepa", True,
                           {"checkpointing": True}),
    }
    real = {"regular": sum(len(i["full_ids"]) for i in regular_items),
            "jepa": sum(len(i["full_ids"]) + len(i["source_ids"]) + len(i["target_ids"]) for i in items)}
    where = torch.cuda.get_device_name() if ns.device.startswith("cuda") else f"{torch.get_num_threads()} CPU threads"
    print(f"model {ns.model}, task {ns.task}, {ns.batch} examples, {'bf16 autocast' if ns.bf16 else 'fp32'}, {where}")
    print(f"{'layout':<16} {'tensor':>10} {'real tok':>9} {'median s':>9}  {'real tokens/s':>14}  runs")
    results, record = {}, {"layouts": {}}
    for name, (batch, mode, objective, use_aux, kw) in layouts.items():
        reps = ns.authors_repeats if name == "authors' style" else ns.repeats
        med, runs = step_seconds(model, batch, mode=mode, objective=objective, use_aux=use_aux, repeats=reps,
                                 bf16=ns.bf16, device=ns.device, **kw)
        results[name] = med
        shape = "x".join(map(str, batch["input_ids"].shape))
        tokens = real["regular" if name == "regular" else "jepa"]
        record["layouts"][name] = {"tensor": shape, "real_tokens": tokens, "median_s": med, "runs_s": runs}
        print(f"{name:<16} {shape:>10} {tokens:>9} {med:>9.3f}  {tokens / med:>8.0f} tok/s  "
              f"{', '.join(f'{t:.3f}' for t in runs)}", flush=True)
    ratio = real["jepa"] / real["regular"]
    limit = 1.1 * ratio * results["regular"]
    print(f"\ntoken ratio jepa/regular = {ratio:.2f}; packed JEPA {results['jepa packed']:.2f} s vs limit "
          f"1.1 x {ratio:.2f} x {results['regular']:.2f} = {limit:.2f} s -> {'OK' if results['jepa packed'] <= limit else 'MISSED'}")
    speedup = results["authors' style"] / results["jepa packed"]
    print(f"authors' style / packed JEPA = {speedup:.1f}x (target >= 10x) -> {'OK' if speedup >= 10 else 'MISSED'}")
    print(f"reference / packed JEPA = {results['jepa reference'] / results['jepa packed']:.2f}x")
    if ns.json:
        record.update(model=ns.model, task=ns.task, batch=ns.batch, bf16=ns.bf16, where=where)
        write_record(ns.json, record)


if __name__ == "__main__":
    main()
    print(f"peak memory (max RSS of this process): {peak_rss_gb():.2f} GB")
