"""Evaluate a model on a task split: ask (generate or choose), then score with every metric of the task.

Outputs of one evaluation, written into its directory only when complete:
* predictions.jsonl: one line per example, in data order: its index, a hash of the example, the output and
  each metric's verdict (correct true/false/null, reason, extracted), so scores can be recomputed without
  regenerating. The prompt and gold are left out unless `keep_inputs`: results trees get committed, and the
  data must not be (`jepa-bench predictions` joins them back from the data directory, checking the hash);
* metrics.json: accuracy per metric (a fraction of all examples; undecided counts wrong), counts of
  correct / wrong / undecided, the most common reasons, how the outputs were produced, and provenance.
"""
from __future__ import annotations

import collections
import hashlib
import json
import os
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from tasks import Example, Task
from tasks.base import ScoringContext, score_all

from benchmark.evaluation.generate import generation_prompt, greedy_generate, next_token_choice

METRICS_FILE, PREDICTIONS_FILE = "metrics.json", "predictions.jsonl"


@dataclass(frozen=True)
class EvalSettings:
    batch_size: int = 16  # generation batch; outputs equal batch 1 in fp32 (tests/test_generate.py)
    max_new_tokens: int = 128  # the authors' evaluate.py
    bf16: bool = False  # autocast bf16: faster on CPU, but left-padded bf16 decoding can differ from batch 1
    progress: bool = True  # progress bar over examples
    plain: bool = False  # prompts without a chat template (models pretrained with --plain)
    keep_inputs: bool = False  # also write each prompt and gold; off so committed results hold no data copy


def example_hash(ex: Example) -> str:
    """A short fingerprint of an example's messages: lets a join from the data directory check that row i
    is still the example that was evaluated (a changed file, limit or val_fraction shows as a mismatch)."""
    blob = json.dumps([m["content"] for m in ex.messages], ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def without_inputs(record: dict) -> dict:
    """A predictions record minus the copies of the data (the rendered prompt and the gold answer)."""
    return {k: v for k, v in record.items() if k not in ("prompt", "gold")}


def ask(model, tok, task: Task, examples: list[Example], settings: EvalSettings) -> list[dict]:
    """The model's answer to every example: {"prompt", "output", ...} in the order of `examples`."""
    prompts = [generation_prompt(tok, ex.messages, plain=settings.plain) for ex in examples]
    if task.kind == "choice":
        got = next_token_choice(model, tok, prompts, task.choices, batch_size=settings.batch_size,
                                bf16=settings.bf16, progress=settings.progress, desc=f"{task.name}: choosing")
        return [{"prompt": p, "output": letter, "choice_probs": dict(zip(task.choices, probs))}
                for p, (letter, probs) in zip(prompts, got)]
    gens = greedy_generate(model, tok, prompts, batch_size=settings.batch_size, max_new_tokens=settings.max_new_tokens,
                           bf16=settings.bf16, progress=settings.progress, desc=f"{task.name}: generating")
    return [{"prompt": p, "output": g.text, "new_tokens": g.new_tokens, "stopped": g.stopped}
            for p, g in zip(prompts, gens)]


def score(task: Task, examples: list[Example], answers: list[dict], ctx: ScoringContext,
          metrics: tuple[str, ...] | None = None, progress: bool = True) -> tuple[list[dict], dict]:
    """Per-example records with verdicts, and the aggregate per metric."""
    from tqdm.auto import tqdm

    records, tallies = [], {}
    for i, (ex, ans) in enumerate(tqdm(list(zip(examples, answers)), desc=f"{task.name}: scoring", unit="ex",
                                       disable=not progress, leave=False)):
        verdicts = score_all(task, ans["output"], ex, ctx, metrics)
        records.append({"index": i, "example_sha256": example_hash(ex), **ans, "gold": ex.assistant,
                        "verdicts": {k: {"correct": v.correct, "reason": v.reason, "extracted": v.extracted}
                                     for k, v in verdicts.items()}})
        for name, v in verdicts.items():
            t = tallies.setdefault(name, {"correct": 0, "wrong": 0, "undecided": 0, "reasons": collections.Counter()})
            t["correct" if v.correct else "undecided" if v.correct is None else "wrong"] += 1
            if v.reason:
                t["reasons"][v.reason[:120]] += 1
    n = len(examples)
    aggregate = {}
    for name, t in tallies.items():
        aggregate[name] = {
            "accuracy": t["correct"] / n if n else 0.0,  # undecided counts wrong: a lower bound
            "upper_bound": (t["correct"] + t["undecided"]) / n if n else 0.0,  # undecided counted right
            "correct": t["correct"], "wrong": t["wrong"], "undecided": t["undecided"],
            "top_reasons": dict(t["reasons"].most_common(5)),
        }
    return records, aggregate


def _write_atomically(out_dir: Path, records: list[dict], summary: dict) -> None:
    """Write into a sibling .partial folder, then rename: a reader never sees half an evaluation."""
    partial = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    with (partial / PREDICTIONS_FILE).open("w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    (partial / METRICS_FILE).write_text(json.dumps(summary, indent=2) + "\n")
    if out_dir.exists():
        shutil.rmtree(out_dir)
    os.replace(partial, out_dir)


def evaluate(model, tok, task: Task, examples: list[Example], *, split: str, ctx: ScoringContext | None = None,
             settings: EvalSettings = EvalSettings(), metrics: tuple[str, ...] | None = None,
             out_dir: str | os.PathLike | None = None, extra: dict | None = None) -> dict:
    """Ask, score, and (with `out_dir`) write predictions.jsonl and metrics.json. Returns the summary."""
    from benchmark.store.provenance import provenance

    ctx = ctx or ScoringContext()
    if metrics is not None:
        for name in metrics:
            task.metric(name)  # unknown metric: fail before generating anything
    task.check_context(examples, ctx)
    started = time.time()
    answers = ask(model, tok, task, examples, settings)
    ask_seconds = time.time() - started
    records, aggregate = score(task, examples, answers, ctx, metrics, settings.progress)
    main = task.main_metric if task.main_metric in aggregate else next(iter(aggregate))
    summary = {
        "task": task.name, "task_version": task.version, "split": split, "n": len(examples),
        "main_metric": main, "accuracy": aggregate[main]["accuracy"],
        "metrics": aggregate,
        "parity_metrics": [m.name for m in task.metrics if m.parity and m.name in aggregate],
        "asked": {**asdict(settings), "kind": task.kind, "seconds": round(ask_seconds, 2),
                  "examples_per_second": round(len(examples) / ask_seconds, 3) if ask_seconds else None,
                  "hit_max_new_tokens": sum(1 for a in answers if a.get("stopped") is False)},
        "scoring": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(ctx).items()},
        "seconds": round(time.time() - started, 2),
        **(extra or {}), **provenance(),
    }
    if out_dir is not None:
        _write_atomically(Path(out_dir), records if settings.keep_inputs else [without_inputs(r) for r in records],
                          summary)
    return summary


def format_summary(summary: dict) -> str:
    """A few readable lines for the terminal."""
    lines = [f"{summary['task']} v{summary['task_version']} {summary['split']}: n = {summary['n']}"]
    for name, m in summary["metrics"].items():
        mark = " (paper parity)" if name in summary["parity_metrics"] else ""
        und = f", {m['undecided']} undecided (upper bound {100 * m['upper_bound']:.2f})" if m["undecided"] else ""
        lines.append(f"  {name:<14} {100 * m['accuracy']:6.2f}%  ({m['correct']}/{summary['n']}{und}){mark}")
    return "\n".join(lines)
