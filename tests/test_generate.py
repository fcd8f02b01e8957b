"""The evaluation engine: batched decoding equals batch-1 decoding, stopping and decoding rules."""
import pytest
import torch

from benchmark.evaluation.generate import (choice_token_ids, end_of_turn_ids, generation_prompt, greedy_generate,
                                next_token_choice)
from conftest import FIXTURE_ROWS, lively_tiny

SYSTEM = {"role": "system", "content": "Convert natural language to regular expression."}


@pytest.fixture(scope="module")
def lively():
    return lively_tiny()


def prompts(tok, rows=FIXTURE_ROWS):
    return [generation_prompt(tok, [SYSTEM, {"role": "user", "content": u}]) for u, _ in rows]


@pytest.mark.parametrize("batch_size", [3, 8])
def test_batched_greedy_equals_batch_one_token_for_token(lively, batch_size):
    model, tok = lively
    ps = prompts(tok)
    assert len({len(tok(p)["input_ids"]) for p in ps}) > 3  # uneven lengths: left padding is exercised
    one = greedy_generate(model, tok, ps, batch_size=1, max_new_tokens=20, progress=False)
    many = greedy_generate(model, tok, ps, batch_size=batch_size, max_new_tokens=20, progress=False)
    assert len({g.token_ids for g in one}) == len(ps)  # the outputs really differ between prompts
    assert [g.token_ids for g in many] == [g.token_ids for g in one]
    assert [g.text for g in many] == [g.text for g in one]


def test_generation_stops_at_end_of_turn_and_decodes_like_the_authors(tiny, monkeypatch):
    model, tok = tiny
    eot = tok.convert_tokens_to_ids("<|im_end|>")
    word = tok(" dog", add_special_tokens=False)["input_ids"]
    pred = tok.convert_tokens_to_ids("<|predictor_1|>")

    def fake_generate(input_ids, attention_mask, max_new_tokens, **kw):  # row 0 ends its turn, row 1 runs out
        tails = [word + [pred, eot], word * 6][:input_ids.shape[0]]
        width = max(len(t) for t in tails)
        tails = [t + [eot] * (width - len(t)) for t in tails]
        return torch.cat([input_ids, torch.tensor(tails)], dim=1)

    monkeypatch.setattr(model, "generate", fake_generate)
    gens = greedy_generate(model, tok, ["<|im_start|>user\na", "<|im_start|>user\nb"], batch_size=2, progress=False)
    by_len = sorted(gens, key=lambda g: g.new_tokens)
    assert by_len[0].stopped and by_len[0].text == "dog"  # special tokens skipped, stripped, cut at <|im_end|>
    assert not by_len[1].stopped and by_len[1].text == " ".join(["dog"] * 6) and by_len[1].new_tokens == 6 * len(word)
    assert eot in end_of_turn_ids(tok)


def test_max_new_tokens_is_respected(lively):
    model, tok = lively
    gens = greedy_generate(model, tok, prompts(tok)[:2], batch_size=2, max_new_tokens=5, progress=False)
    assert all(g.new_tokens <= 5 for g in gens)
    assert any(not g.stopped for g in gens)


def test_choice_batched_equals_batch_one(lively):
    model, tok = lively
    ps = prompts(tok)
    choices = ("A", "B", "C", "D")
    assert len(choice_token_ids(tok, choices)) == 4
    one = next_token_choice(model, tok, ps, choices, batch_size=1, progress=False)
    many = next_token_choice(model, tok, ps, choices, batch_size=4, progress=False)
    assert [c for c, _ in many] == [c for c, _ in one]
    for (_, p1), (_, p2) in zip(one, many):
        assert p1 == pytest.approx(p2, abs=1e-5)
        assert sum(p1) == pytest.approx(1.0, abs=1e-4)
    # the choice is the argmax of the next-token logits restricted to A-D (reference: one forward per prompt)
    ids = torch.tensor(choice_token_ids(tok, choices))
    for p, (letter, _) in zip(ps, one):
        x = tok(p, add_special_tokens=False, return_tensors="pt")["input_ids"]
        with torch.no_grad():
            logits = model(input_ids=x).logits[0, -1, ids]
        assert letter == choices[int(logits.argmax())]


def test_gemma_style_template_merges_the_system_turn(tiny):
    _, tok = tiny

    class NoSystem:  # a tokenizer whose template rejects system turns, as Gemma-2's does
        def apply_chat_template(self, msgs, **kw):
            from jinja2.exceptions import TemplateError
            if msgs[0]["role"] == "system":
                raise TemplateError("System role not supported")
            return "|".join(m["content"] for m in msgs)

    got = generation_prompt(NoSystem(), [SYSTEM, {"role": "user", "content": "q"}])
    assert got == SYSTEM["content"] + "\n\nq"
    assert generation_prompt(tok, [SYSTEM, {"role": "user", "content": "q"}], plain=True) == "q<|perception|>"
