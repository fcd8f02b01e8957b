"""The utils.py that `jepa-bench export-lm-eval` writes beside its YAML files: lm-eval's hooks (prompt,
data, scoring) calling this suite's scorers, and `align_stopping` for lm-eval's HF backend."""
from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from tasks import Task
from tasks.base import ScoringContext

_UTILS_HEAD = '''"""lm-eval hooks for the jepa_*.yaml tasks in this folder, written by `jepa-bench export-lm-eval`.

lm-eval imports this file by path; it needs the llm-jepa-bench package (`pip install -e <repo>`), whose
scorers score every response, so the numbers are those `jepa-bench evaluate` reports on the same outputs.
"""
import os
from functools import lru_cache
from pathlib import Path

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


def _dataset(name: str) -> dict:
    """The task's rows for lm-eval: the export-time file (recorded relative to this folder), or, when it is not
    there (the folder moved without its data), the file of that name under $JEPA_BENCH_DATA_DIR."""
    import datasets

    path = Path(__file__).resolve().parent / DATA_FILES[name]
    folder = os.environ.get("JEPA_BENCH_DATA_DIR")
    if not path.is_file() and folder:
        path = Path(folder) / path.name
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: set JEPA_BENCH_DATA_DIR to the folder holding the upstream "
                                f"JSONL files (`jepa-bench data fetch --tasks {name}` gets them)")
    return datasets.DatasetDict({"test": datasets.load_dataset("json", data_files={"test": str(path)}, split="test")})


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


def utils_source(tasks: list[Task], ctx: ScoringContext, data_files: dict[str, str] | None = None) -> str:
    """utils.py: fixed hooks, the export-time constants, and one process_results_<task> and dataset_<task>
    per task. `data_files`: task -> its split file relative to the export folder."""
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
    data_files = data_files or {t.name: t.files["test"] for t in tasks if "test" in t.files}
    consts += f"DATA_FILES = {data_files!r}  # relative to this folder; else found under $JEPA_BENCH_DATA_DIR\n"
    hooks = "".join(
        f"\n\ndef process_results_{t.name}(doc: dict, results: list) -> dict:\n"
        f"    return {'score_choice' if t.kind == 'choice' else 'score_generation'}({t.name!r}, doc, results)\n"
        f"\n\ndef dataset_{t.name}(**metadata) -> dict:\n"
        f"    return _dataset({t.name!r})\n"
        for t in tasks)
    return _UTILS_HEAD + consts + _UTILS_BODY + hooks


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


def align_stopping_folder(folder: str | Path) -> list[int]:
    """`align_stopping` for a saved model folder: its generation_config.json gets every end-of-turn id of its
    tokenizer as `eos_token_id`. Returns the ids."""
    from transformers import AutoTokenizer, GenerationConfig

    from benchmark.evaluation.generate import end_of_turn_ids

    folder = Path(folder)
    ids = end_of_turn_ids(AutoTokenizer.from_pretrained(folder))
    try:
        config = GenerationConfig.from_pretrained(folder)
    except OSError:  # a folder saved without one
        config = GenerationConfig()
    config.eos_token_id = ids
    config.save_pretrained(folder)
    return ids
