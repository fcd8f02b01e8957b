"""The scorers against the authors' documented semantics (their evaluate.py,
https://github.com/rbalestr-lab/llm-jepa/blob/dd6196630f97016f7a607b0ac74f5e378ddf25db/evaluate.py), on
adversarial strings: the generation is decoded without special tokens and stripped *before* it is scored; the
gold is never stripped nor case-folded; `exact` is string equality, `prefix` (--startswith) is a prefix test of
the generation by the gold. A change to whitespace or case handling changes parity with the paper's numbers,
so each case below pins one side of it."""
import pytest

from tasks import get_task
from tasks.base import ScoringContext
from tasks.jsonl import Example


def example(task: str, gold: str) -> Example:
    t = get_task(task)
    return Example(({"role": "system", "content": t.system_prompt}, {"role": "user", "content": "q"},
                    {"role": "assistant", "content": gold}))


def verdict(task: str, metric: str, output: str, gold: str):
    return get_task(task).metric(metric).score(output, example(task, gold), ScoringContext()).correct


CASES = [
    # NL-RX: exact string equality; the scorer neither strips nor folds case (the generation was stripped already)
    ("synth", "exact", ".*dog.*", ".*dog.*", True),
    ("synth", "exact", " .*dog.*", ".*dog.*", False),
    ("synth", "exact", ".*dog.* ", ".*dog.*", False),
    ("synth", "exact", ".*DOG.*", ".*dog.*", False),
    ("synth", "exact", ".*dog.*", ".*dog.* ", False),  # gold not stripped: a gold with a trailing space never matches
    ("synth", "exact", ".*dog.*x", ".*dog.*", False),  # the gold is a prefix of the output: not equal
    ("turk", "exact", "(.*dog.*)", ".*dog.*", False),  # the same language, another string: exact says no
    ("turk", "dfa", "(.*dog.*)", ".*dog.*", True),  # ... and the automata say yes
    # --startswith: the generation starts with the gold, nothing else
    ("synth", "prefix", ".*dog.*x", ".*dog.*", True),
    ("synth", "prefix", ".*dog.*", ".*dog.*", True),
    ("synth", "prefix", ".*do", ".*dog.*", False),  # the output a prefix of the gold: no
    ("synth", "prefix", " .*dog.*", ".*dog.*", False),
    ("synth", "prefix", ".*Dog.*", ".*dog.*", False),
    # sentiment labels: the same two checks
    ("rotten_tomatoes", "exact", "Good", "Good", True),
    ("rotten_tomatoes", "exact", "good", "Good", False),
    ("rotten_tomatoes", "exact", "Good.", "Good", False),
    ("rotten_tomatoes", "prefix", "Good.", "Good", True),
    ("rotten_tomatoes", "prefix", "Goo", "Good", False),
    # GSM8K: r"\n#### (.+)$" on both, raw equality of what follows (no "," or "$" removed)
    ("gsm8k", "original", "so\n#### 18", "steps\n#### 18", True),
    ("gsm8k", "original", "so\n#### 1,000", "steps\n#### 1000", False),
    ("gsm8k", "original", "so #### 18", "steps\n#### 18", False),  # no newline before ####
    ("gsm8k", "original", "so\n#### 18 eggs", "steps\n#### 18", False),
    ("gsm8k", "original", "so\n#### $18", "steps\n#### 18", False),
    ("gsm8k", "strict", "so\n#### 1,000", "steps\n#### 1000", True),  # lm-eval's normalisation removes ","
    ("gsm8k", "flexible", "it is 18 eggs.", "steps\n#### 18", True),
    # NQ-Open: any "; "-piece of the generation inside the joined gold string (case-sensitive)
    ("nq_open", "original", "", "Paris", True),  # "" in gold: an empty generation counts as correct
    ("nq_open", "original", "Par", "Paris", True),  # a piece inside the gold
    ("nq_open", "original", "Paris, France", "Paris", False),  # the gold is a prefix of the output: not inside
    ("nq_open", "original", "paris", "Paris", False),
    ("nq_open", "original", "London; Paris", "Paris; Lyon", True),
    ("nq_open", "contains", "Paris, France", "Paris", True),
    ("nq_open", "contains", "Par", "Paris", False),
    ("nq_open", "squad_em", "The Paris!", "paris", True),
]


@pytest.mark.parametrize("task,metric,output,gold,expected", CASES,
                         ids=[f"{t}-{m}-{o!r}-{g!r}" for t, m, o, g, _ in CASES])
def test_scorers_keep_the_authors_semantics(task, metric, output, gold, expected):
    assert verdict(task, metric, output, gold) is expected


def test_the_generation_is_stripped_and_decoded_without_special_tokens_before_scoring(monkeypatch):
    """The authors' `tokenizer.decode(..., skip_special_tokens=True).strip()`: the same here, before any scorer."""
    import torch

    from benchmark.evaluation.generate import greedy_generate
    from benchmark.training.models import load_model_and_tokenizer

    model, tok = load_model_and_tokenizer("tiny-random-llama", seed=0)
    body = tok("  .*dog.*  ", add_special_tokens=False)["input_ids"]
    stop = tok.convert_tokens_to_ids("<|im_end|>")

    def generate(input_ids, attention_mask, max_new_tokens, **kw):  # the model "says" the body, then ends its turn
        new = torch.tensor([body + [stop]] * input_ids.shape[0])
        return torch.cat([input_ids, new], dim=1)

    monkeypatch.setattr(model, "generate", generate)
    [g] = greedy_generate(model, tok, ["prompt"], max_new_tokens=32, progress=False)
    assert g.text == ".*dog.*" and g.stopped and g.new_tokens == len(body)
