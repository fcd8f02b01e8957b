"""The main job on the embedded default: regular vs LLM-JEPA fine-tuning of SmolLM2-135M-Instruct on a
subset of NL-RX-SYNTH, printing both loss curves side by side.

    python -m benchmark.demo [--limit-train 64] [--epochs 1] [--out runs/demo]

Both arms share everything (data order, seed, optimizer, normalisation); the JEPA arm adds
lambda * (1 - cos(Pred(Enc(Text)), Enc(Code))) with the paper's Table 3 setting (lambda = 1, k = 1).
Evaluation and a rendered report join this job as the evaluation and report issues land.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _log(run: Path) -> list[dict]:
    return [r for r in map(json.loads, (run / "train_log.jsonl").read_text().splitlines()) if "lm_loss" in r]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmark.demo", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="smollm2-135m-instruct")
    p.add_argument("--task", default="synth")
    p.add_argument("--limit-train", type=int, default=64)
    p.add_argument("--epochs", type=float, default=1.0)
    p.add_argument("--lr", type=float, default=5e-5, help="higher than the paper's 2e-5 so a few steps move the loss")
    p.add_argument("--out", default="runs/demo")
    p.add_argument("--data-dir", default=None)
    ns = p.parse_args(argv)

    from benchmark.cli import main as cli_main

    runs = {}
    for objective in ("regular", "jepa"):
        out = Path(ns.out) / objective
        if (out / "config.json").exists():
            print(f"== {objective}: already done in {out} (delete it to rerun)")
        else:
            print(f"== {objective}: training {ns.model} on {ns.limit_train} {ns.task} examples", flush=True)
            args = ["train", "--task", ns.task, "--model", ns.model, "--objective", objective,
                    "--limit-train", str(ns.limit_train), "--epochs", str(ns.epochs), "--lr", str(ns.lr),
                    "--batch-size", "4", "--grad-accum", "2", "--bf16", "--out", str(out), "--overwrite"]
            if ns.data_dir:
                args += ["--data-dir", ns.data_dir]
            rc = cli_main(args)
            if rc:
                return rc
        runs[objective] = _log(out)

    print("\nstep   regular lm_loss   jepa lm_loss   jepa (1 - cos)")
    for r, j in zip(runs["regular"], runs["jepa"]):
        print(f"{r['step']:>4}   {r['lm_loss']:>15.4f}   {j['lm_loss']:>12.4f}   {j.get('jepa_loss', float('nan')):>14.4f}")
    print(f"\nruns: {Path(ns.out) / 'regular'}  {Path(ns.out) / 'jepa'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
