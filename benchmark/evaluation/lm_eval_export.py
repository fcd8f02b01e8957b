"""`jepa-bench export-lm-eval DIR`: our tasks as lm-eval task files that score with our own scorers.

For each exported task DIR gets `jepa_<task>.yaml`, and all of them share one `utils.py`, so that
`lm_eval --include_path DIR --tasks jepa_synth ...` (or `TaskManager(include_path=DIR,
include_defaults=False)`) runs our tasks in the harness and scores them exactly as `jepa-bench evaluate`:

* the data: the upstream JSONL split file, loaded by `utils.dataset_<task>` (lm-eval's `custom_dataset`)
  from `$JEPA_BENCH_DATA_DIR` when set, else from the export-time data folder recorded relative to DIR, so
  the files hold no absolute path and the folder can move with its data;
* the prompt (`prompt="chat-template"`, the default): the task's system prompt is the task `description`
  and the user turn its text, rendered by the model's own chat template when lm-eval runs with
  `--apply_chat_template`, exactly the prompt our engine builds (`generation_prompt`) for any model;
  `prompt="chatml"` instead renders SmolLM2's ChatML in `utils.doc_to_text`, for runs without that flag;
* decoding: greedy, `max_gen_toks` = the plan's max_new_tokens (128, the authors'; lm-eval's default is
  256), stopping at our end-of-turn tokens
  (for lm-eval's HF backend that takes `align_stopping`, see there);
* scoring: `utils.process_results_<task>` turns the row back into an `Example` and returns every metric's
  verdict from `tasks.base.score_all` as 1.0 / 0.0 (undecided counts 0.0, as `accuracy` in metrics.json),
  with the ScoringContext (Spider databases, DISTINCT, timeouts) of the evaluation plan fixed at export time.

HellaSwag is a choice task (next-token argmax over A-D). It is exported as lm-eval `multiple_choice`
over the continuations "A".."D" after the same prompt: lm-eval moves the prompt's trailing "\\n" into
each continuation, so it scores log P("\\n") + log P(letter | prompt); the first term is shared by the four
choices (one forward pass: they differ only in the last token), so the argmax is our next-token argmax.
Paraphrase has no scorer and is never exported. Everything is checked before anything is written, and the
files go to DIR.partial first, so a failed export leaves nothing behind.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from benchmark import store
from benchmark.evaluation.plan import EvalPlan
from tasks import DataError, Task, all_tasks, get_task, load_split, resolve_data_dir, task_data_dir
from tasks.base import ScoringContext
from tasks.registry import UnknownNameError

from benchmark.evaluation.lm_eval_hooks import utils_source

PROMPTS = ("chat-template", "chatml")  # the model's own template (lm_eval --apply_chat_template), or SmolLM2's
PREFIX = "jepa_"  # lm-eval task names: jepa_synth, jepa_gsm8k, ... (no clash with lm-eval's own gsm8k)
TAG = "jepa"  # `--tasks jepa` runs every exported task
UTILS = "utils.py"


@dataclass(frozen=True)
class Export:
    """What an export wrote, and the tasks a default selection left out and why."""

    out_dir: Path
    tasks: tuple[str, ...]  # our task names, exported as PREFIX + name
    skipped: tuple[str, ...]  # "<task>: <why>", only for tasks chosen by default


class _Function(str):
    """A `!function module.name` reference in a YAML file (lm-eval imports it from the YAML's folder)."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Function, lambda d, f: d.represent_scalar("!function", str(f)))


# ----------------------------------------------------------------------------- choosing tasks
def lm_eval_name(task: Task) -> str:
    return PREFIX + task.name


def split_file(task: Task, split: str, data_dir) -> Path:
    """Absolute path of a task's split file; the YAML must not depend on lm-eval's working directory."""
    if split not in task.files:  # `val` is carved from train in memory: there is no file to point at
        raise UnknownNameError(f"task {task.name!r} has no split file for {split!r}; it has "
                               f"{', '.join(task.files)}")
    return (task_data_dir(task, data_dir) / task.files[split]).resolve()


def check_task(task: Task, split: str, data_dir, ctx: ScoringContext) -> Path:
    """Fail now rather than inside lm-eval: the file must exist and parse, and scoring must be able to
    run (e.g. every Spider database present). Returns the split file."""
    path = split_file(task, split, data_dir)
    examples = load_split(task, split, data_dir)  # DataError naming the file and --data-dir when missing
    task.check_context(examples, ctx)  # ScoringSetupError naming the flag to pass
    return path


def select_tasks(names: list[str] | None, split: str, data_dir,
                 ctx: ScoringContext) -> tuple[dict[str, Path], list[str]]:
    """{task: split file} to export, and notes on default-chosen tasks that were left out.

    Named tasks must all be exportable (otherwise the first problem raises). By default every task with
    metrics and a `split` file is considered, and those whose file is missing or whose scoring needs
    something not given (Spider without --spider-db-dir) are skipped with a note.
    """
    if names is not None:
        chosen = [get_task(n) for n in names]
        for t in chosen:
            if not t.metrics:
                raise UnknownNameError(f"task {t.name!r} has no scorer (views only), so it cannot be exported")
        return {t.name: check_task(t, split, data_dir, ctx) for t in chosen}, []
    files, skipped = {}, []
    for t in all_tasks():
        if not t.metrics or split not in t.files:
            continue
        try:
            files[t.name] = check_task(t, split, data_dir, ctx)
        except ValueError as e:  # DataError, ScoringSetupError: skip this one, say why
            skipped.append(f"{t.name}: {e}")
    if not files:
        raise DataError(f"no scored task has its {split!r} file under {resolve_data_dir(data_dir)}: point "
                        "--data-dir (or $JEPA_BENCH_DATA_DIR) at the folder holding the upstream JSONL files")
    return files, skipped


# ----------------------------------------------------------------------------- the YAML files
def _header(task: Task) -> str:
    return (f"# lm-eval task for jepa-bench task {task.name!r} v{task.version}, written by "
            "`jepa-bench export-lm-eval`; scored by utils.py with jepa-bench's own scorers.\n"
            f"# Run: lm_eval --include_path <this folder> --tasks {lm_eval_name(task)} --model hf ...\n"
            "# The prompt: see `description` and `doc_to_text` below (chat-template exports need lm_eval's\n"
            "# --apply_chat_template; chatml exports render SmolLM2's ChatML themselves).\n"
            + ("" if task.kind == "choice" else
               "# Outputs equal `jepa-bench evaluate`'s only when the model's generation_config.eos_token_id\n"
               "# lists every end-of-turn id (SmolLM2: <|im_end|> and <|endoftext|>); see\n"
               "# `jepa-bench export-lm-eval DIR --align-stopping MODEL_DIR` writes that into the model's folder.\n"))


def task_config(task: Task, max_gen_toks: int = EvalPlan().max_new_tokens, prompt: str = PROMPTS[0]) -> dict:
    """The lm-eval TaskConfig of one task, as the dict its YAML file holds."""
    from benchmark.evaluation.generate import END_OF_TURN_TOKENS  # lazy: imports torch

    cfg = {
        "task": lm_eval_name(task),
        "tag": [TAG],
        "dataset_path": "json",  # the loader's kind; the rows come from utils.dataset_<task> (no path here)
        "custom_dataset": _Function(f"utils.dataset_{task.name}"),
        "test_split": "test",
        "target_delimiter": "",  # the prompt ends with the assistant header; nothing goes between
    }
    if prompt == "chat-template":  # [system, user] through the model's template (lm_eval --apply_chat_template)
        cfg.update({"description": task.system_prompt, "doc_to_text": _Function("utils.user_text")})
    else:
        cfg["doc_to_text"] = _Function("utils.doc_to_text")
    if task.kind == "choice":
        cfg.update({"output_type": "multiple_choice", "doc_to_choice": list(task.choices),
                    "doc_to_target": _Function("utils.gold_index")})
    else:
        cfg.update({
            "output_type": "generate_until",
            "doc_to_target": "{{messages[2]['content']}}",
            # every end-of-turn marker our engine stops at (lm-eval adds the tokenizer's EOS itself)
            "generation_kwargs": {"until": list(END_OF_TURN_TOKENS), "do_sample": False,
                                  "max_gen_toks": max_gen_toks},
        })
    cfg["process_results"] = _Function(f"utils.process_results_{task.name}")
    cfg["metric_list"] = [{"metric": m.name, "aggregation": "mean", "higher_is_better": True}
                          for m in task.metrics]
    cfg["metadata"] = {"version": task.version}
    return cfg


def task_yaml(task: Task, max_gen_toks: int = EvalPlan().max_new_tokens, prompt: str = PROMPTS[0]) -> str:
    body = yaml.dump(task_config(task, max_gen_toks, prompt), Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     width=1000)
    return _header(task) + body


# ----------------------------------------------------------------------------- utils.py
# ----------------------------------------------------------------------------- writing
def _check_choices(tasks: list[Task]) -> None:
    # utils.py holds one CHOICES tuple; a second choice task with other letters would need a dict
    if len({t.choices for t in tasks if t.kind == "choice"}) > 1:
        raise ValueError("choice tasks with different answer sets cannot share one utils.py")


def export_lm_eval(out_dir, task_names: list[str] | None = None, *, data_dir=None, split: str = "test",
                   plan: EvalPlan = EvalPlan(), overwrite: bool = False, prompt: str = PROMPTS[0]) -> Export:
    """Write jepa_<task>.yaml per task and utils.py into out_dir, with the plan's scoring settings and
    max_new_tokens. Raises before writing anything when a task, split, data file or scoring requirement is
    missing, or out_dir is not empty (without overwrite)."""
    from benchmark.training.options import ConfigError

    if prompt not in PROMPTS:
        raise ConfigError(f"prompt must be one of {', '.join(PROMPTS)}, got {prompt!r}")
    out_dir = store.check_creatable(Path(out_dir), overwrite=overwrite)
    plan.validate()
    ctx = plan.scoring_context()
    files, skipped = select_tasks(task_names, split, data_dir, ctx)
    tasks = [get_task(n) for n in files]
    _check_choices(tasks)
    # each split file as seen from the export folder: no absolute path, and the pair can move together
    relative = {n: os.path.relpath(path, out_dir.resolve()) for n, path in files.items()}
    with store.building(out_dir, replace=True) as work:
        for t in tasks:
            (work / f"{lm_eval_name(t)}.yaml").write_text(task_yaml(t, plan.max_new_tokens, prompt), encoding="utf-8")
        (work / UTILS).write_text(utils_source(tasks, ctx, relative), encoding="utf-8")
    return Export(out_dir, tuple(files), tuple(skipped))
