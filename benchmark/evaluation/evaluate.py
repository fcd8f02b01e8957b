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
import time
from pathlib import Path

from tasks import Example, Task
from tasks.base import ScoringContext, score_all

from benchmark import store
from benchmark.evaluation.generate import generation_prompt, greedy_generate, next_token_choice
from benchmark.evaluation.plan import EvalPlan


def example_hash(ex: Example) -> str:
    """A short fingerprint of an example's messages: lets a join from the data directory check that row i
    is still the example that was evaluated (a changed file, limit or val_fraction shows as a mismatch)."""
    blob = json.dumps([m["content"] for m in ex.messages], ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def ask(model, tok, task: Task, examples: list[Example], plan: EvalPlan, *, plain: bool = False,
        progress: bool = True) -> list[dict]:
    """The model's answer to every example: {"prompt", "output", ...} in the order of `examples`."""
    prompts = [generation_prompt(tok, ex.messages, plain=plain) for ex in examples]
    if task.kind == "choice":
        got = next_token_choice(model, tok, prompts, task.choices, batch_size=plan.batch_size,
                                bf16=plan.bf16, progress=progress, desc=f"{task.name}: choosing")
        return [{"prompt": p, "output": letter, "choice_probs": dict(zip(task.choices, probs))}
                for p, (letter, probs) in zip(prompts, got)]
    gens = greedy_generate(model, tok, prompts, batch_size=plan.batch_size, max_new_tokens=plan.max_new_tokens,
                           bf16=plan.bf16, progress=progress, desc=f"{task.name}: generating")
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


def evaluate(model, tok, task: Task, examples: list[Example], *, split: str, plan: EvalPlan = EvalPlan(),
             plain: bool = False, progress: bool = True, out_dir: str | os.PathLike | None = None,
             extra: dict | None = None) -> dict:
    """Ask, score with every metric the plan selects, and (with `out_dir`) write predictions.jsonl and
    metrics.json through the store. Returns the summary (what metrics.json holds)."""
    from benchmark.store.provenance import provenance

    ctx = plan.scoring_context()
    for name in plan.metrics or ():
        task.metric(name)  # unknown metric: fail before generating anything
    task.check_context(examples, ctx)
    started = time.time()
    answers = ask(model, tok, task, examples, plan, plain=plain, progress=progress)
    ask_seconds = time.time() - started
    records, aggregate = score(task, examples, answers, ctx, plan.metrics, progress)
    main = task.main_metric if task.main_metric in aggregate else next(iter(aggregate))
    asked = {"batch_size": plan.batch_size, "max_new_tokens": plan.max_new_tokens, "bf16": plan.bf16,
             "progress": progress, "plain": plain, "keep_inputs": plan.keep_inputs}
    summary = {
        "task": task.name, "task_version": task.version, "split": split, "n": len(examples),
        "subset": plan.subset,  # which rows a limit kept (analysis/predictions.py reloads the same ones)
        "main_metric": main, "accuracy": aggregate[main]["accuracy"],
        "metrics": aggregate,
        "parity_metrics": [m.name for m in task.metrics if m.parity and m.name in aggregate],
        "asked": {**asked, "kind": task.kind, "seconds": round(ask_seconds, 2),
                  "examples_per_second": round(len(examples) / ask_seconds, 3) if ask_seconds else None,
                  "hit_max_new_tokens": sum(1 for a in answers if a.get("stopped") is False)},
        "scoring": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(ctx).items()},
        "seconds": round(time.time() - started, 2),
        **(extra or {}), **provenance(),
    }
    if out_dir is not None:
        store.write_evaluation(Path(out_dir), records, summary, keep_inputs=plan.keep_inputs)
    return summary


def format_summary(summary: dict) -> str:
    """A few readable lines for the terminal."""
    lines = [f"{summary['task']} v{summary['task_version']} {summary['split']}: n = {summary['n']}"]
    for name, m in summary["metrics"].items():
        mark = " (paper parity)" if name in summary["parity_metrics"] else ""
        und = f", {m['undecided']} undecided (upper bound {100 * m['upper_bound']:.2f})" if m["undecided"] else ""
        lines.append(f"  {name:<14} {100 * m['accuracy']:6.2f}%  ({m['correct']}/{summary['n']}{und}){mark}")
    return "\n".join(lines)
