"""NQ-Open: question -> short answer; several gold answers are joined with "; ".

Row: {"messages": [{"role": "system", "content": "Answer the question below."},
                   {"role": "user", "content": "on the 6th day of christmas my true love sent to me"},
                   {"role": "assistant", "content": "6 geese a-laying; maids a-milking"}]}

Three checks of the same generation (the authors' evaluate.py, https://github.com/rbalestr-lab/llm-jepa/blob/dd6196630f97016f7a607b0ac74f5e378ddf25db/evaluate.py):
* `original`: the authors' code, `any(ans in gold for ans in generated.split("; "))`: a piece of the
  generation inside the joined gold string. The reverse of the paper's wording, and `"" in gold` is True,
  so an empty generation counts as correct. The paper's numbers used it.
* `contains`: the paper's stated direction, some gold answer inside the generation.
* `squad_em`: SQuAD-normalised exact match against any gold (lower case, no punctuation, no articles,
  whitespace collapsed), as in the official NQ-Open and SQuAD evaluation scripts.
"""
from __future__ import annotations

import re
import string

from tasks.base import HubSource, Metric, Task, Verdict, register


def golds(ex) -> list[str]:
    return ex.assistant.split("; ")


def squad_normalise(s: str) -> str:
    """SQuAD v1.1 evaluate.py normalize_answer."""
    s = s.lower()
    s = "".join(ch for ch in s if ch not in set(string.punctuation))
    s = re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())


def _original(output, ex, ctx) -> Verdict:
    return Verdict(any(ans in ex.assistant for ans in output.split("; ")),
                   "" if output else "empty generation (counted correct by the original check)")


def _contains(output, ex, ctx) -> Verdict:
    return Verdict(any(g in output for g in golds(ex) if g))


def _squad_em(output, ex, ctx) -> Verdict:
    pred = squad_normalise(output)
    return Verdict(any(pred == squad_normalise(g) for g in golds(ex)), extracted=pred)


register(Task(
    name="nq_open", version=2, family="nq_open", source="rbalestr-lab/llm-jepa datasets/", license="CC BY-SA 3.0",
    files={"train": "nq_open_train.jsonl", "test": "nq_open_test.jsonl"},
    fixtures=(("who wrote hamlet", "William Shakespeare; Shakespeare"), ("capital of france", "Paris")),
    system_prompt="Answer the question below.",
    metrics=(
        Metric("original", _original, "the authors' check: a '; '-piece of the generation inside the gold", parity=True),
        Metric("contains", _contains, "the paper's wording: a gold answer inside the generation"),
        Metric("squad_em", _squad_em, "SQuAD-normalised exact match with any gold answer"),
    ),
    main_metric="original",
    changelog=("files and views", "scorers: original, contains, squad_em"),
    # the authors' golds are the answers joined with "; " (the hub's test split is its `validation`)
    hub=HubSource("google-research-datasets/nq_open", {"train": "train", "test": "validation"},
                  lambda r: (r["question"], "; ".join(r["answer"]))),
))
