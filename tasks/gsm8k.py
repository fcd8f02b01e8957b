"""GSM8K grade-school maths: question -> chain of thought ending in `#### <answer>`.

Row: {"messages": [{"role": "system", "content": "Answer the math question, show steps."},
                   {"role": "user", "content": "Janet's ducks lay 16 eggs per day. ..."},
                   {"role": "assistant", "content": "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\\n...\\n#### 18"}]}

Three answer conventions score the same generation (the authors' evaluate.py; lm-eval's gsm8k.yaml):
* `original`: the authors' evaluate.py, `re.search(r"\\n#### (.+)$")` on both strings, then raw string
  equality ("1,000" != "1000"). The paper's numbers used it.
* `strict` / `flexible`: lm-eval's gsm8k filters and exact_match normalisation, regexes verbatim from
  lm_eval/tasks/gsm8k/gsm8k.yaml (lm-eval 0.4.13), so numbers compare with the harness.
"""
from __future__ import annotations

import re

from tasks.base import HubSource, Metric, Task, Verdict, register

_ORIGINAL = re.compile(r"\n#### (.+)$")
_STRICT = re.compile(r"#### (\-?[0-9\.\,]+)")  # filter "strict-match", take_first
_FLEXIBLE = re.compile(r"(-?[$0-9.,]{2,})|(-?[0-9]+)")  # filter "flexible-extract", group_select -1
_IGNORE = (",", r"\$", r"(?s).*#### ", r"\.$")  # exact_match regexes_to_ignore, then ignore_case
FALLBACK = "[invalid]"  # lm-eval's RegexFilter fallback when nothing matches


def _original(output, ex, ctx) -> Verdict:
    pred, gold = _ORIGINAL.search(output), _ORIGINAL.search(ex.assistant)
    if gold is None:
        return Verdict(False, "gold has no '\\n#### answer' line")
    if pred is None:
        return Verdict(False, "no '\\n#### answer' line at the end of the output")
    return Verdict(pred.group(1) == gold.group(1), extracted=pred.group(1))


def lm_eval_extract(output: str, regex: re.Pattern, group_select: int) -> str:
    """lm_eval.filters.extraction.RegexFilter.apply for one response."""
    found = regex.findall(output)
    if not found:
        return FALLBACK
    match = found[group_select]
    if isinstance(match, tuple):
        match = next((m for m in match if m), FALLBACK)
    return match.strip()


def lm_eval_normalise(s: str) -> str:
    for pattern in _IGNORE:
        s = re.sub(pattern, "", s)
    return s.lower()


def _lm_eval_scorer(regex: re.Pattern, group_select: int):
    def score(output, ex, ctx) -> Verdict:
        got = lm_eval_extract(output, regex, group_select)
        return Verdict(lm_eval_normalise(got) == lm_eval_normalise(ex.assistant), extracted=got)
    return score


register(Task(
    name="gsm8k", version=2, family="gsm8k", source="rbalestr-lab/llm-jepa datasets/ (openai/gsm8k)", license="MIT",
    fixtures=(("Tom has 3 apples and buys 4. How many now?", "3 + 4 = <<3+4=7>>7\n#### 7"),
              ("A farm sells 1000 eggs twice.", "2 * 1000 = <<2*1000=2000>>2000\n#### 2,000")),
    files={"train": "gsm8k_train.jsonl", "test": "gsm8k_test.jsonl"},
    system_prompt="Answer the math question, show steps.",
    metrics=(
        Metric("original", _original, "the authors' '\\n#### (.+)$' extraction, raw string equality", parity=True),
        Metric("strict", _lm_eval_scorer(_STRICT, 0), "lm-eval strict-match: first '#### number', normalised EM"),
        Metric("flexible", _lm_eval_scorer(_FLEXIBLE, -1), "lm-eval flexible-extract: last number, normalised EM"),
    ),
    main_metric="original",
    changelog=("files and views", "scorers: original, strict, flexible"),
    # the hub's answers already end in "#### <answer>", as the authors' rows do
    hub=HubSource("openai/gsm8k", {"train": "train", "test": "test"}, lambda r: (r["question"], r["answer"]),
                  name="main"),
))
