"""`jepa-bench export-lm-eval DIR`: our tasks as lm-eval task files that score with our own scorers.

For each exported task DIR gets `jepa_<task>.yaml`, and all of them share one `utils.py`, so that
`lm_eval --include_path DIR --tasks jepa_synth ...` (or `TaskManager(include_path=DIR,
include_defaults=False)`) runs our tasks in the harness and scores them exactly as `jepa-bench evaluate`:

* the data: the upstream JSONL split file itself (`dataset_path: json`, absolute path);
* the prompt: `utils.doc_to_text` renders [system, user] with SmolLM2's ChatML template, the prompt our
  engine builds for SmolLM2 and the tiny test model (`benchmark.evaluation.generate.generation_prompt`). A model with
  another template should instead run lm-eval with `--apply_chat_template --system_instruction "<system
  prompt>"` and `doc_to_text: !function utils.user_text` (the YAML header says so);
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

from dataclasses import dataclass, fields
from pathlib import Path

import yaml

from benchmark import store
from benchmark.evaluation.plan import EvalPlan
from tasks import DataError, Task, all_tasks, get_task, load_split, resolve_data_dir
from tasks.base import ScoringContext, UnknownNameError

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
    return (resolve_data_dir(data_dir) / task.files[split]).resolve()


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
            "# The prompt is SmolLM2's ChatML render of [system, user]. For a model with another chat template use\n"
            "#   doc_to_text: !function utils.user_text   and run lm_eval with\n"
            f"#   --apply_chat_template --system_instruction {task.system_prompt!r}\n"
            + ("" if task.kind == "choice" else
               "# Outputs equal `jepa-bench evaluate`'s only when the model's generation_config.eos_token_id\n"
               "# lists every end-of-turn id (SmolLM2: <|im_end|> and <|endoftext|>); see\n"
               "# benchmark.evaluation.lm_eval_export.align_stopping.\n"))


def task_config(task: Task, data_file: Path, max_gen_toks: int = EvalPlan().max_new_tokens) -> dict:
    """The lm-eval TaskConfig of one task, as the dict its YAML file holds."""
    from benchmark.evaluation.generate import END_OF_TURN_TOKENS  # lazy: imports torch

    cfg = {
        "task": lm_eval_name(task),
        "tag": [TAG],
        "dataset_path": "json",
        # data_files as a {split: path} dict: a bare path would become lm-eval split `train`
        "dataset_kwargs": {"data_files": {"test": str(data_file)}},
        "test_split": "test",
        "doc_to_text": _Function("utils.doc_to_text"),
        "target_delimiter": "",  # the prompt ends with the assistant header; nothing goes between
    }
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


def task_yaml(task: Task, data_file: Path, max_gen_toks: int = EvalPlan().max_new_tokens) -> str:
    body = yaml.dump(task_config(task, data_file, max_gen_toks), Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     width=1000)
    return _header(task) + body


# ----------------------------------------------------------------------------- utils.py
_UTILS_HEAD = '''"""lm-eval hooks for the jepa_*.yaml tasks in this folder, written by `jepa-bench export-lm-eval`.

lm-eval imports this file by path; it needs the llm-jepa-bench package (`pip install -e <repo>`), whose
scorers score every response, so the numbers are those `jepa-bench evaluate` reports on the same outputs.
"""
from functools import lru_cache
from pathlib import Path  # noqa: F401 (CONTEXT uses it when a Spider folder was given)

import benchmark  # noqa: F401 (first: makes `tasks` the suite's package even where a folder named tasks/ shadows it)
from tasks import get_task
from tasks.base import ScoringContext, Task, score_all
from tasks.jsonl import Example

'''

_UTILS_BODY = '''

def doc_to_text(doc: dict) -> str:
    """[system, user] in SmolLM2's ChatML template with the assistant header: our engine's prompt."""
    system, user = doc["messages"][0]["content"], doc["messages"][1]["content"]
    return (f"<|im_start|>system\\n{system}<|im_end|>\\n<|im_start|>user\\n{user}<|im_end|>\\n"
            "<|im_start|>assistant\\n")


def user_text(doc: dict) -> str:
    """The user turn alone, for `lm_eval --apply_chat_template --system_instruction ...` (other templates)."""
    return doc["messages"][1]["content"]


def gold_index(doc: dict) -> int:
    """Index of the gold letter among the choices (choice tasks)."""
    return list(CHOICES).index(doc["messages"][2]["content"].strip())


def _messages(value) -> tuple:
    return tuple({"role": m["role"], "content": m["content"]} for m in value)


def _example(doc: dict) -> Example:
    # the json loader gives a column to every field of any row: a missing view comes back as None
    text, code = doc.get("text"), doc.get("code")
    return Example(_messages(doc["messages"]), _messages(text) if text else None, _messages(code) if code else None)


@lru_cache(maxsize=None)
def _task(name: str) -> Task:
    """The installed task, refused when its version is not the one these files were exported for."""
    task = get_task(name)
    if task.version != VERSIONS[name]:
        raise RuntimeError(f"jepa-bench task {name!r} is v{task.version} but these lm-eval files were exported "
                           f"for v{VERSIONS[name]}: export them again with `jepa-bench export-lm-eval`")
    return task


def _score(name: str, output: str, doc: dict) -> dict:
    verdicts = score_all(_task(name), output, _example(doc), CONTEXT)
    return {metric: 1.0 if v.correct else 0.0 for metric, v in verdicts.items()}  # undecided counts 0.0


def score_generation(name: str, doc: dict, results: list) -> dict:
    # our engine strips the decoded generation (as the authors' evaluate.py); lm-eval does not
    return _score(name, results[0].strip(), doc)


def score_choice(name: str, doc: dict, results: list) -> dict:
    # results: one (loglikelihood, is_greedy) per choice; the answer is the most likely letter
    lls = [ll for ll, _ in results]
    return _score(name, CHOICES[lls.index(max(lls))], doc)
'''


def utils_source(tasks: list[Task], ctx: ScoringContext) -> str:
    """utils.py: fixed hooks, the export-time constants, and one process_results_<task> per task."""
    choices = next((t.choices for t in tasks if t.kind == "choice"), ())
    def literal(name: str) -> str:
        value = getattr(ctx, name)
        if name == "spider_db_dir" and value is not None:
            return f"Path({str(Path(value).resolve())!r})"
        return repr(value)

    settings = ", ".join(f"{f.name}={literal(f.name)}" for f in fields(ScoringContext))  # every scoring field
    consts = (
        f"VERSIONS = {({t.name: t.version for t in tasks})!r}  # task versions the YAML files describe\n"
        f"CHOICES = {tuple(choices)!r}  # answer letters of the choice task (HellaSwag)\n"
        "CONTEXT = ScoringContext(  # the evaluation plan passed to `jepa-bench export-lm-eval`\n"
        f"    {settings})\n"
    )
    hooks = "".join(
        f"\n\ndef process_results_{t.name}(doc: dict, results: list) -> dict:\n"
        f"    return {'score_choice' if t.kind == 'choice' else 'score_generation'}({t.name!r}, doc, results)\n"
        for t in tasks)
    return _UTILS_HEAD + consts + _UTILS_BODY + hooks


# ----------------------------------------------------------------------------- writing
def _check_choices(tasks: list[Task]) -> None:
    # utils.py holds one CHOICES tuple; a second choice task with other letters would need a dict
    if len({t.choices for t in tasks if t.kind == "choice"}) > 1:
        raise ValueError("choice tasks with different answer sets cannot share one utils.py")


def export_lm_eval(out_dir, task_names: list[str] | None = None, *, data_dir=None, split: str = "test",
                   plan: EvalPlan = EvalPlan(), overwrite: bool = False) -> Export:
    """Write jepa_<task>.yaml per task and utils.py into out_dir, with the plan's scoring settings and
    max_new_tokens. Raises before writing anything when a task, split, data file or scoring requirement is
    missing, or out_dir is not empty (without overwrite)."""
    out_dir = store.check_creatable(Path(out_dir), overwrite=overwrite)
    plan.validate()
    ctx = plan.scoring_context()
    files, skipped = select_tasks(task_names, split, data_dir, ctx)
    tasks = [get_task(n) for n in files]
    _check_choices(tasks)
    with store.building(out_dir, replace=True) as work:
        for t in tasks:
            (work / f"{lm_eval_name(t)}.yaml").write_text(task_yaml(t, files[t.name], plan.max_new_tokens),
                                                        encoding="utf-8")
        (work / UTILS).write_text(utils_source(tasks, ctx), encoding="utf-8")
    return Export(out_dir, tuple(files), tuple(skipped))


# ----------------------------------------------------------------------------- running lm-eval
def align_stopping(model, tok):
    """Make lm-eval's HF backend stop a row where our engine does: at any end-of-turn token. Returns model.

    Our engine ends a row at the first of EOS and every end-of-turn marker the tokenizer knows
    (`benchmark.evaluation.generate.end_of_turn_ids`; SmolLM2: <|im_end|> and <|endoftext|>). lm-eval's HFLM ends a
    row only at `model.generation_config.eos_token_id` (SmolLM2: <|im_end|> alone): its `until` strings are
    matched by a stopping criterion that halts only once every row of the batch has matched, and the text
    is then decoded without special tokens, so the marker cannot be cut at either. A row that emits
    <|endoftext|> would run on and return the text on both sides of it. Setting the generation config's
    EOS to all end-of-turn ids removes that difference (our engine passes its ids explicitly, so it is
    unaffected). From the command line: save the model with that generation_config.json.
    """
    from benchmark.evaluation.generate import end_of_turn_ids

    model.generation_config.eos_token_id = end_of_turn_ids(tok)
    return model
