"""Packed (default) vs reference (the authors' three rows): same LM loss, JEPA loss and gradients."""
import pytest
import torch

from benchmark.training.models import PREDICTOR_TOKENS, apply_lora
from benchmark.training.objectives import JepaOptions, get_objective
from benchmark.training.packing import IGNORE, Collator, only_full_segments
from benchmark.training.step import loss_parts
from benchmark.training.views import ViewBuilder

TOL = 1e-5


def run(model, tok, items, mode, side, objective="jepa", distance="cosine", with_views=True, seed=0, pad_to=None):
    model.zero_grad(set_to_none=True)
    batch = Collator(tok.pad_token_id, mode=mode, padding_side=side, with_views=with_views, pad_to=pad_to)(items)
    record = get_objective(objective)
    opts = JepaOptions(distance=distance) if record.options is JepaOptions else record.make_options()
    p = loss_parts(model, model.get_output_embeddings(), batch, mode=mode, objective=record,
                   use_aux=with_views or objective == "stp", options=opts, generator=torch.Generator().manual_seed(seed))
    p.batch_loss().backward()
    grads = {n: w.grad.clone() for n, w in model.named_parameters() if w.grad is not None}
    return p, grads


def assert_same(a, b):
    (pa, ga), (pb, gb) = a, b
    assert pa.lm_count == pb.lm_count
    assert abs(pa.lm_sum.item() / pa.lm_count - pb.lm_sum.item() / pb.lm_count) < TOL
    if pa.aux_sum is not None:
        assert abs(pa.aux_sum.item() - pb.aux_sum.item()) < TOL * max(1.0, abs(pb.aux_sum.item()))
    assert ga.keys() == gb.keys() and ga
    for n in ga:
        torch.testing.assert_close(ga[n], gb[n], atol=TOL, rtol=1e-4, msg=n)


@pytest.mark.parametrize("k", [0, 1, 3])
@pytest.mark.parametrize("distance", ["cosine", "l2", "mse", "infonce"])
@pytest.mark.parametrize("side", ["right", "left"])
def test_packed_equals_reference(tiny, examples, k, distance, side):
    model, tok = tiny
    items = [ViewBuilder(tok, predictors=k).build(e).to_dict() for e in examples[:4]]
    assert_same(run(model, tok, items, "packed", side, distance=distance),
                run(model, tok, items, "reference", side, distance=distance))


@pytest.mark.parametrize("k", [0, 1, 3])
@pytest.mark.parametrize("side", ["right", "left"])
def test_packed_equals_reference_under_lora(tiny, examples, k, side):
    model, tok = tiny
    model = apply_lora(model, rank=4, dropout=0.0, trainable_token_ids=tok.convert_tokens_to_ids(list(PREDICTOR_TOKENS)))
    items = [ViewBuilder(tok, predictors=k).build(e).to_dict() for e in examples[:4]]
    a, b = run(model, tok, items, "packed", side), run(model, tok, items, "reference", side)
    assert_same(a, b)
    assert any("lora" in n for n in a[1]) and any("trainable_tokens" in n for n in a[1])


def test_reference_padded_to_max_length_is_the_same_maths(tiny, examples):
    model, tok = tiny
    items = [ViewBuilder(tok, predictors=1).build(e).to_dict() for e in examples[:4]]
    assert_same(run(model, tok, items, "packed", "right"), run(model, tok, items, "reference", "right", pad_to=128))


@pytest.mark.parametrize("side", ["right", "left"])
def test_stp_packed_equals_reference(tiny, examples, side):
    model, tok = tiny
    items = [ViewBuilder(tok, with_views=False).build(e).to_dict() for e in examples[:4]]
    a = run(model, tok, items, "packed", side, objective="stp", with_views=False, seed=3)
    b = run(model, tok, items, "reference", side, objective="stp", with_views=False, seed=3)
    assert a[0].aux_count == 4
    assert_same(a, b)


@pytest.mark.parametrize("mode", ["packed", "reference"])
@pytest.mark.parametrize("side", ["right", "left"])
def test_loss_dropout_batch_equals_a_regular_batch(tiny, examples, mode, side):
    """A dropped JEPA term forwards only the conversations, and that gives the regular batch's loss."""
    model, tok = tiny
    items = [ViewBuilder(tok, predictors=2).build(e).to_dict() for e in examples[:4]]
    full = Collator(tok.pad_token_id, mode=mode, padding_side=side)(items)
    cut = only_full_segments(full, mode, side, tok.pad_token_id)
    regular = Collator(tok.pad_token_id, mode=mode, padding_side=side, with_views=False)(items)
    assert cut["input_ids"].shape == regular["input_ids"].shape
    for key in ("input_ids", "position_ids", "shift_labels", "attention_mask", "trajectory"):
        assert torch.equal(cut[key], regular[key]), key


def test_no_labelled_position_is_lost(tiny, examples):
    """Every labelled token but the first of a segment is a target, in one row per example."""
    model, tok = tiny
    items = [ViewBuilder(tok, predictors=1).build(e).to_dict() for e in examples]
    batch = Collator(tok.pad_token_id)(items)
    expected = sum(sum(i["full_labels"][1:]) for i in items)
    assert int((batch["shift_labels"] != IGNORE).sum()) == expected
    assert batch["input_ids"].shape[0] == len(items)
