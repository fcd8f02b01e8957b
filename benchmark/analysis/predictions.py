"""Predictions joined back to their data, and results trees kept free of data copies.

predictions.jsonl records each example's index and fingerprint (`example_sha256`), the output and the
verdicts, but not the prompt or the gold: results trees get committed, and the data must not be.

    jepa-bench predictions show EVAL_DIR [--wrong METRIC] [--limit N]   # output beside gold, from the data
    jepa-bench predictions strip RESULTS                               # drop prompts and golds from a tree

`show` reads the evaluated examples again from the data directory (the same split, val_fraction and limit
the evaluation used), checks every fingerprint, and prints the user message, gold, output and verdicts.
`strip` rewrites every predictions.jsonl under a folder without prompts and golds (as written with
`keep_inputs`, or by versions before it), adding each fingerprint after checking the gold against the data.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from benchmark import store
from benchmark.evaluation.evaluate import example_hash
from benchmark.store import EVAL_METRICS as METRICS_FILE
from benchmark.store import PREDICTIONS as PREDICTIONS_FILE
from benchmark.store import StoreError, without_inputs


@dataclass(frozen=True)
class EvalSource:
    """Where the examples of one evaluation come from."""

    task: str
    split: str
    limit: int
    val_fraction: float
    data_dir: str | None
    subset: str = "head"  # which rows the limit kept (EvalPlan.subset); evaluations before it existed: head


def read_predictions(eval_dir: Path) -> list[dict]:
    path = Path(eval_dir) / PREDICTIONS_FILE
    if not path.is_file():
        raise StoreError(f"{eval_dir} holds no {PREDICTIONS_FILE}: pass an evaluation folder such as "
                         "RESULTS/<run_id>/epochs/epoch_3/test")
    return read_jsonl_records(path)


def read_jsonl_records(path: Path) -> list[dict]:
    """Every JSON object of a .jsonl file; a bad line is a StoreError naming the file and line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise StoreError(f"{path}: not UTF-8 text (byte {e.start})") from None
    records = []
    for i, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise StoreError(f"{path}, line {i}: not valid JSON ({e.msg}); the file is damaged: evaluate again") from None
        if not isinstance(record, dict):
            raise StoreError(f"{path}, line {i}: a prediction record must be a JSON object")
        records.append(record)
    return records


def _run_config(eval_dir: Path) -> dict | None:
    """The training config of the run an evaluation belongs to (the nearest config.json above it)."""
    for parent in Path(eval_dir).resolve().parents:
        if (parent / store.CONFIG).is_file():
            return store.read_json(parent / store.CONFIG).get("config")
    return None


def eval_source(eval_dir: Path, data_dir: str | None = None) -> EvalSource:
    """The split, limit and val_fraction an evaluation used, from its metrics.json and its run's config."""
    metrics_path = Path(eval_dir) / METRICS_FILE
    if not metrics_path.is_file():
        raise StoreError(f"{eval_dir} holds no {METRICS_FILE}: not a finished evaluation folder")
    m = store.read_json(metrics_path)
    cfg = _run_config(eval_dir) or {}
    val_fraction = m.get("val_fraction", cfg.get("val_fraction", 0.0)) or 0.0
    # the evaluation read n examples of the split, chosen as its plan's subset says (a limit, or all of them)
    return EvalSource(task=m["task"], split=m["split"], limit=m["n"], val_fraction=val_fraction,
                      data_dir=data_dir or cfg.get("data_dir"), subset=m.get("subset", "head"))


def load_examples(source: EvalSource):
    from tasks import get_task, load_split

    return load_split(get_task(source.task), source.split, source.data_dir, source.limit,
                      val_fraction=source.val_fraction, subset=source.subset)


def join(records: list[dict], examples) -> list[tuple[dict, object]]:
    """Pair each record with its example, refusing any record whose example is not the one evaluated."""
    if len(examples) < len(records):
        raise StoreError(f"the data has {len(examples)} examples for this split, the predictions {len(records)}: "
                         "point --data-dir at the files the evaluation read")
    pairs = []
    for r in records:
        ex = examples[r["index"]]
        expected = r.get("example_sha256")
        if expected is not None and expected != example_hash(ex):
            raise StoreError(f"example {r['index']} differs from the one evaluated (fingerprint {example_hash(ex)} "
                             f"vs {expected}): the data file, its version or --data-dir is not the one used")
        if expected is None and "gold" in r and r["gold"] != ex.assistant:
            raise StoreError(f"example {r['index']}: the data's gold differs from the recorded one; "
                             "point --data-dir at the files the evaluation read")
        pairs.append((r, ex))
    return pairs


def strip_file(path: Path, examples) -> bool:
    """Rewrite one predictions.jsonl without prompts and golds (atomically). False if already clean."""
    records = read_predictions(path.parent)
    if all("prompt" not in r and "gold" not in r and "example_sha256" in r for r in records):
        return False
    clean = []
    for r, ex in join(records, examples):
        out = without_inputs(r)
        # the fingerprint goes right after the index, where evaluate() writes it
        clean.append({"index": out.pop("index"), "example_sha256": example_hash(ex), **out})
    store.write_jsonl_atomic(path, clean)
    return True


def strip_tree(root: Path, data_dir: str | None = None, log=print) -> int:
    """Strip every predictions.jsonl under `root`; returns how many files changed."""
    files = sorted(Path(root).rglob(PREDICTIONS_FILE))
    if not files:
        raise StoreError(f"no {PREDICTIONS_FILE} under {root}")
    cache: dict[EvalSource, list] = {}
    changed = 0
    for path in files:
        source = eval_source(path.parent, data_dir)
        if source not in cache:
            cache[source] = load_examples(source)
        changed += strip_file(path, cache[source])
    log(f"{changed} of {len(files)} prediction files stripped of prompts and golds under {root}")
    return changed


def render(pairs, *, wrong: str | None = None, limit: int | None = None) -> str:
    """Readable blocks: index, verdicts, user message, gold, output."""
    blocks = []
    for r, ex in pairs:
        if wrong is not None and r["verdicts"][wrong]["correct"] is not False:
            continue
        marks = "  ".join(f"{k} {'✓' if v['correct'] else '?' if v['correct'] is None else '✗'}"
                          for k, v in r["verdicts"].items())
        blocks.append(f"#{r['index']}  {marks}\n  user:   {ex.user}\n  gold:   {ex.assistant}\n"
                      f"  output: {r['output']}")
        if limit is not None and len(blocks) >= limit:
            break
    return "\n\n".join(blocks) if blocks else "(no example matches)"
