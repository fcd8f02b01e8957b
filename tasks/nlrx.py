"""NL-RX (Locascio et al. 2016): natural language -> regular expression in dk.brics syntax.

Row: {"messages": [{"role": "system", "content": "Convert natural language to regular expression."},
                   {"role": "user", "content": "lines not having the string 'dog' followed by a number, 3 or more times"},
                   {"role": "assistant", "content": "~((dog.*[0-9].*){3,})"}]}
synth and turk share the same target regexes in the same order; only the language differs.

Scorers of the same generation:
* `exact`: the authors' string equality (gold not stripped). The paper's numbers used it.
* `prefix`: generation starts with the gold (the authors' --startswith, used for pretraining, Table 2).
* `dfa`: semantic equivalence in the dataset's brics grammar (`&` intersection, `~` complement, `\\b` a
  literal b, `{n,}`), decided on automata by tasks/brics.py, as deep-regex's regexDFAEquals.py did with the
  brics jar. A check that exhausts its time budget is undecided: reported, and counted wrong in `dfa`.
  Read `dfa` with the data in mind: under brics precedence (`&` binds looser than concatenation, `\b` is
  the letter b) 319 of the 2000 test golds denote the empty language (e.g. `\b([A-Za-z])&(.)&([A-Z])\b`
  intersects 2- and 1-character strings) and 86 denote every string, so any empty-language prediction
  is `dfa`-correct on 16 % of rows. Measured by tasks/brics.py; see tests/test_brics.py.
"""
from tasks.base import Metric, Task, Verdict, register


def exact(output, ex, ctx) -> Verdict:
    return Verdict(output == ex.assistant)


def prefix(output, ex, ctx) -> Verdict:
    return Verdict(output.startswith(ex.assistant))


def dfa(output, ex, ctx) -> Verdict:
    from tasks.brics import dfa_equivalent  # greenery is imported only when DFA scoring is asked for

    return dfa_equivalent(output, ex.assistant, timeout=ctx.dfa_timeout)


METRICS = (
    Metric("exact", exact, "generation equals the gold regex (the authors' check)", parity=True),
    Metric("prefix", prefix, "generation starts with the gold regex (the authors' --startswith)"),
    Metric("dfa", dfa, "same language as the gold regex (brics grammar, automata); undecided counts wrong"),
)

FIXTURES = {  # rows the registry-wide tests build and score (tests/test_tasks.py)
    "synth": (("lines with words with a vowel and a lower-case letter, zero or more times",
               "(\\b([AEIOUaeiou])&([a-z])\\b)*"),
              ("lines with words with a number and a character or the string 'dog'", "\\b(([0-9])&(.))|(dog)\\b"),
              ("lines containing the string 'truck' at least 3 times", "(.*truck.*){3,}")),
    "turk": (("lines not having a capital letter", "~(.*[A-Z].*)"), ("lines ending with 'lake'", ".*lake"),
             ("lines starting with a number", "[0-9].*")),
}

for name, desc in (("synth", "synthetic descriptions"), ("turk", "Mechanical Turk paraphrases")):
    register(Task(
        name=name, version=2, family="nlrx",
        source="rbalestr-lab/llm-jepa datasets/ (from nicholaslocascio/deep-regex)", license="MIT",
        files={"train": f"{name}_train.jsonl", "test": f"{name}_test.jsonl"},
        system_prompt="Convert natural language to regular expression.",
        metrics=METRICS, main_metric="exact",
        notes=f"NL-RX-{name.upper()}: {desc}; 8000 train / 2000 test",
        fixtures=FIXTURES[name],
        changelog=("files and views", "scorers: exact, prefix, dfa"),
    ))
