import json
from pathlib import Path

import pytest
import torch

torch.set_num_threads(2)

# Rows in the authors' format (NL-RX style), written by the tests themselves: no data file is committed.
FIXTURE_ROWS = [
    ("lines with words with a vowel and a lower-case letter, zero or more times", "(\\b([AEIOUaeiou])&([a-z])\\b)*"),
    ("lines with words with a number and a character or the string 'dog'", "\\b(([0-9])&(.))|(dog)\\b"),
    ("lines containing the string 'truck' at least 3 times", "(.*truck.*){3,}"),
    ("lines not having a capital letter", "~(.*[A-Z].*)"),
    ("lines ending with 'lake'", ".*lake"),
    ("lines starting with a number", "[0-9].*"),
    ("lines with 'ring' before a vowel", ".*ring.*[AEIOUaeiou].*"),
    ("lines with a lower-case letter", ".*[a-z].*"),
]


def write_jsonl(path: Path, rows=FIXTURE_ROWS, system="Convert natural language to regular expression.") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as f:
        for user, assistant in rows:
            f.write(json.dumps({"messages": [{"role": "system", "content": system},
                                             {"role": "user", "content": user},
                                             {"role": "assistant", "content": assistant}]}) + "\n")
    return path


@pytest.fixture
def data_dir(tmp_path) -> Path:
    """A data directory holding synth_train/test fixtures."""
    d = tmp_path / "data"
    write_jsonl(d / "synth_train.jsonl")
    write_jsonl(d / "synth_test.jsonl")
    return d


@pytest.fixture
def examples():
    from tasks.jsonl import Example
    return [Example(({"role": "system", "content": "Convert natural language to regular expression."},
                     {"role": "user", "content": u}, {"role": "assistant", "content": a})) for u, a in FIXTURE_ROWS]


@pytest.fixture
def tiny():
    from benchmark.training.models import load_model_and_tokenizer
    return load_model_and_tokenizer("tiny-random-llama", seed=0)



def lively_tiny(end_of_turn_scale: float = 1.0):
    """The tiny model with its matrices redrawn at std 0.2: a freshly initialised one emits the same token
    forever, which would make comparisons of generations trivially true. `end_of_turn_scale` > 1 scales the
    (tied) embedding rows of <|im_end|> and <|endoftext|>, so rows end their turns after different lengths."""
    from benchmark.training.models import load_model_and_tokenizer

    model, tok = load_model_and_tokenizer("tiny-random-llama", seed=0)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() == 2:
                p.copy_(torch.randn(p.shape, generator=g) * 0.2)
        emb = model.get_input_embeddings().weight
        for marker in ("<|im_end|>", "<|endoftext|>"):
            emb[tok.convert_tokens_to_ids(marker)] *= end_of_turn_scale
    return model.float(), tok
