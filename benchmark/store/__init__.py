"""The results store: the one owner of a results tree's file names, schemas and atomic writes.

    RESULTS/<run_id>/config.json        resolved train config + evaluation plan, versions, git commit, task
    RESULTS/<run_id>/train_log.jsonl    one line per logged optimizer step
    RESULTS/<run_id>/epochs/epoch_<k>/<split>/{predictions.jsonl,metrics.json}   each evaluation
    RESULTS/<run_id>/summary.json       the run summary, written last
    RESULTS/analysis/...                analyses of the tree's saved models (representations)

Every directory is built as `<name>.partial/` and renamed when complete (`building`), so a directory
without `.partial` is whole (HELM's `_is_run_completed`, made atomic). A run is done only when its
summary.json parses, says `"complete": true` and names this run. Two processes never build the same run
at once: each holds an exclusive `flock` on RESULTS/.locks/<run_id>.lock while building; the kernel
releases it when the process dies, even by SIGKILL, so a crashed run is simply built again.

It owns the file names, the typed schemas (schema.py), atomic directories, locks and provenance; it imports
nothing else of `benchmark` (only `tasks` may sit below it), so every stage can write through it.
"""
from __future__ import annotations

from benchmark.store.files import (StoreError, _explain, building, check_creatable, check_writable, jsonl_line,
                                   publish, read_json, write_json_atomic, write_jsonl, write_jsonl_atomic)
from benchmark.store.locks import run_lock
from benchmark.store.names import (ANALYSIS, CONFIG, EPOCHS, EVAL_METRICS, LEGACY_SUMMARY, LOCKS, MODEL, PARTIAL,
                                   PREDICTIONS, SUMMARY, TRAIN_LOG, epoch_label, eval_dir)
from benchmark.store.runs import (broken_runs, check_schema, is_done, legacy_runs, outdated_runs, read_summary,
                                  run_dirs, without_inputs, write_evaluation)
from benchmark.store.schema import REQUIRED_SUMMARY_KEYS, SCHEMA_VERSION, RunSummary

__all__ = ["CONFIG", "TRAIN_LOG", "SUMMARY", "EVAL_METRICS", "PREDICTIONS", "EPOCHS", "MODEL", "ANALYSIS", "LOCKS",
           "PARTIAL", "LEGACY_SUMMARY", "SCHEMA_VERSION", "REQUIRED_SUMMARY_KEYS", "RunSummary", "StoreError",
           "_explain", "building", "publish", "check_writable", "check_creatable", "write_json_atomic", "jsonl_line",
           "write_jsonl", "write_jsonl_atomic", "write_evaluation", "without_inputs", "read_json", "read_summary",
           "is_done", "run_lock", "run_dirs", "broken_runs", "legacy_runs", "outdated_runs", "check_schema", "eval_dir",
           "epoch_label"]
