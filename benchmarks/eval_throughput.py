"""Evaluation throughput: batched greedy generation vs the authors' batch-1 loop, same outputs.

Prints examples per second for batch 1 and each batch size, the speed-up, and whether every output
equals the batch-1 output token for token (it must, in fp32). Target on the 2-core CPU machine: >= 5x.

    python benchmarks/eval_throughput.py --model smollm2-135m-instruct --task synth --n 64 --batch 16 32 64

The untuned SmolLM2 answers NL-RX in prose and rarely ends its turn, so --max-new-tokens defaults to 40
here (NL-RX answers are at most 35 SmolLM2 tokens); pass 128 for the authors' cap.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from bench_record import peak_rss_gb, write_record  # noqa: E402  (benchmarks/, the script's folder)
from benchmark.evaluation.generate import generation_prompt, greedy_generate  # noqa: E402
from benchmark.training.models import load_for_evaluation  # noqa: E402
from tasks import get_task, load_split  # noqa: E402


def timed(fn, repeats: int):
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="smollm2-135m-instruct")
    ap.add_argument("--task", default="synth")
    ap.add_argument("--split", default="test")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--n", type=int, default=64, help="examples (the first N of the split)")
    ap.add_argument("--batch", type=int, nargs="+", default=[16, 32, 64])
    ap.add_argument("--max-new-tokens", type=int, default=40)
    ap.add_argument("--repeats", type=int, default=1, help="median of this many timings per setting")
    ap.add_argument("--bf16", action="store_true", help="autocast bf16 (outputs may then differ from batch 1)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", default=None, help="also write the figures here, for summarize_performance.py")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    task = get_task(args.task)
    examples = load_split(task, args.split, args.data_dir, limit=args.n)
    model, tok = load_for_evaluation(args.model)
    prompts = [generation_prompt(tok, ex.messages) for ex in examples]
    kw = dict(max_new_tokens=args.max_new_tokens, bf16=args.bf16, progress=False)
    print(f"{args.model} on {task.name} {args.split}: {len(prompts)} examples, max_new_tokens {args.max_new_tokens}, "
          f"{'bf16 autocast' if args.bf16 else 'fp32'}, {args.threads} threads")

    t1, ref = timed(lambda: greedy_generate(model, tok, prompts, batch_size=1, **kw), args.repeats)
    new_tokens = sum(g.new_tokens for g in ref)
    print(f"{'batch':>5} {'seconds':>8} {'ex/s':>7} {'speed-up':>8}  identical to batch 1")
    print(f"{1:>5} {t1:8.1f} {len(prompts) / t1:7.2f} {1.0:8.2f}  (reference; {new_tokens} new tokens, "
          f"{sum(g.stopped for g in ref)}/{len(ref)} ended their turn)")
    rows = {"1": {"seconds": t1, "identical": len(ref)}}
    for b in args.batch:
        tb, got = timed(lambda: greedy_generate(model, tok, prompts, batch_size=b, **kw), args.repeats)
        same = sum(g.token_ids == r.token_ids for g, r in zip(got, ref))
        print(f"{b:>5} {tb:8.1f} {len(prompts) / tb:7.2f} {t1 / tb:8.2f}  {same}/{len(ref)}")
        rows[str(b)] = {"seconds": tb, "identical": same}
    if args.json:
        record = {"model": args.model, "task": task.name, "examples": len(prompts), "new_tokens": new_tokens,
                  "max_new_tokens": args.max_new_tokens, "bf16": args.bf16, "threads": args.threads,
                  "batches": rows}
        write_record(args.json, record)


if __name__ == "__main__":
    main()
    print(f"peak memory (max RSS of this process): {peak_rss_gb():.2f} GB")
