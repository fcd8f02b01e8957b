"""Every paper model family's stand-in: its template renders what the family's published one renders, the
packed layout computes the reference layout's losses and gradients on its architecture (Gemma-2's logit
soft-capping and sliding window, OLMo-2's norm placement, Qwen's q/k norms and qkv bias), and a bf16 step runs."""
import pytest
import torch

from benchmark.training.models import STAND_IN_MODELS, load_model_and_tokenizer
from benchmark.training.stand_ins import FAMILIES, STAND_INS, no_stand_in, stand_in_for
from benchmark.training.objectives import get_objective
from benchmark.training.step import PackedHeadError, check_head_logits, loss_parts
from benchmark.training.views import ViewBuilder
from test_packing_equivalence import assert_same, run


def lively(name: str):
    """The stand-in with its matrices redrawn at std 0.2 (a fresh one is nearly uniform, which would make
    layouts agree trivially), in fp32."""
    model, tok = load_model_and_tokenizer(name, seed=0)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() == 2:
                p.copy_(torch.randn(p.shape, generator=g) * 0.2)
    return model.float(), tok


def test_every_hub_family_of_the_paper_specs_has_a_stand_in_or_says_what_it_needs():
    import glob

    import yaml

    named = set()
    for path in glob.glob("configs/paper/*.yaml"):
        spec = yaml.safe_load(open(path))
        for block in [spec.get("fixed") or {}, *(spec.get("variants") or []), spec.get("grid") or {}]:
            values = block.get("model", [])
            named.update(values if isinstance(values, list) else [values])
    hub = {m for m in named if "/" in m and not m.startswith("results/")}
    assert {"meta-llama/Llama-3.2-1B-Instruct", "google/gemma-2-2b-it", "allenai/OLMo-2-0425-1B-Instruct"} <= hub
    for model in hub:
        name = stand_in_for(model)
        if name is None:
            assert "trust_remote_code" in no_stand_in(model) and "Llama-2" in no_stand_in(model), model
        else:
            assert name in STAND_IN_MODELS
    assert stand_in_for("apple/OpenELM-1_1B-Instruct") is None
    assert set(STAND_INS) == set(STAND_IN_MODELS) == {f.name for f in FAMILIES}


@pytest.mark.parametrize("name", STAND_IN_MODELS)
def test_the_template_ends_a_turn_with_the_family_token_and_bos_comes_once(name, examples):
    _, tok = load_model_and_tokenizer(name, seed=0)
    fam = STAND_INS[name]
    built = ViewBuilder(tok, predictors=1, label_mode="assistant").build(examples[0])
    labelled = [t for t, keep in zip(built.full_ids, built.full_labels) if keep]
    assert tok.convert_ids_to_tokens(labelled[-1]) == fam.end_of_turn  # the turn's end is trained
    assert tok.decode(labelled[:-1]) == examples[0].assistant
    if fam.bos:
        assert built.full_ids.count(tok.convert_tokens_to_ids(fam.bos)) == (1 if fam.bos != fam.eos else 2)
        assert built.full_ids[0] == tok.convert_tokens_to_ids(fam.bos)
    assert tok.convert_ids_to_tokens(built.source_ids[built.source_enc]) == "<|predictor_1|>"


@pytest.mark.parametrize("name", STAND_IN_MODELS)
@pytest.mark.parametrize("side", ["right", "left"])
def test_packed_equals_reference_on_every_family(name, side, examples):
    model, tok = lively(name)
    if name == "stand-in-gemma2":  # caps small enough to bite: a layout that skips one differs at once
        model.config.final_logit_softcapping = 1.0
        model.config.attn_logit_softcapping = 1.0
    items = [ViewBuilder(tok, predictors=2).build(e).to_dict() for e in examples[:4]]
    if name == "stand-in-gemma2":  # the sliding layer's window (24) is shorter than the segments
        assert max(len(i["full_ids"]) for i in items) > model.config.sliding_window
    packed, reference = run(model, tok, items, "packed", side), run(model, tok, items, "reference", side)
    assert_same(packed, reference)
    stp = [ViewBuilder(tok, with_views=False).build(e).to_dict() for e in examples[:4]]
    assert_same(run(model, tok, stp, "packed", side, objective="stp", with_views=False, seed=1),
                run(model, tok, stp, "reference", side, objective="stp", with_views=False, seed=1))


def test_a_packed_head_without_the_soft_cap_is_caught(examples):
    """The packed layout computes the head itself: dropping Gemma-2's cap there changes the loss (this was the
    bug), and `check_head_logits` refuses an architecture whose logits it does not reproduce."""
    import benchmark.training.step as step

    model, tok = lively("stand-in-gemma2")
    model.config.final_logit_softcapping = 1.0
    items = [ViewBuilder(tok, predictors=1).build(e).to_dict() for e in examples[:4]]
    check_head_logits(model, model.get_output_embeddings(), len(tok))
    right = run(model, tok, items, "packed", "right")[0]
    original = step.head_logits
    try:
        step.head_logits = lambda m, head, h: head(h)  # the old packed head: no soft-capping
        wrong = run(model, tok, items, "packed", "right")[0]
        with pytest.raises(PackedHeadError, match="compute_mode: reference"):
            check_head_logits(model, model.get_output_embeddings(), len(tok))
    finally:
        step.head_logits = original
    assert abs(wrong.lm_sum.item() - right.lm_sum.item()) > 1e-2 * abs(right.lm_sum.item())


@pytest.mark.parametrize("name", STAND_IN_MODELS)
def test_a_bf16_step_runs_on_every_family(name, examples):
    model, tok = load_model_and_tokenizer(name, seed=0)
    from benchmark.training.packing import Collator

    items = [ViewBuilder(tok, predictors=1).build(e).to_dict() for e in examples[:2]]
    batch = Collator(tok.pad_token_id)(items)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        parts = loss_parts(model, model.get_output_embeddings(), batch, mode="packed", objective=get_objective("jepa"),
                            use_aux=True)
    parts.batch_loss().backward()
    assert torch.isfinite(parts.batch_loss()) and model.get_input_embeddings().weight.grad is not None


@pytest.mark.parametrize("name", STAND_IN_MODELS)
def test_generation_stops_at_the_family_end_of_turn(name, examples, monkeypatch):
    """A turn ends at the family's end-of-turn token, which on Gemma-2 is not its EOS: the model is made to say two
    content tokens, end its turn, then go on; the generation must stop at the end of turn and keep the two."""
    from benchmark.evaluation.generate import end_of_turn_ids, generation_prompt, greedy_generate

    model, tok = load_model_and_tokenizer(name, seed=0)
    fam = STAND_INS[name]
    content = tok("dog", add_special_tokens=False)["input_ids"][:1] + tok(".*", add_special_tokens=False)["input_ids"][:1]
    script = content + [tok.convert_tokens_to_ids(fam.end_of_turn)] + content
    real_forward = model.forward
    prompt_len = {}

    def scripted(*args, **kwargs):
        out = real_forward(*args, **kwargs)
        width = kwargs["attention_mask"].shape[1]
        prompt_len.setdefault("n", width)
        step = width - prompt_len["n"]
        forced = torch.full_like(out.logits[:, -1, :], -1e4)
        forced[:, script[min(step, len(script) - 1)]] = 1e4
        out.logits[:, -1, :] = forced
        return out

    monkeypatch.setattr(model, "forward", scripted)
    assert tok.convert_tokens_to_ids(fam.end_of_turn) in end_of_turn_ids(tok)
    [g] = greedy_generate(model, tok, [generation_prompt(tok, examples[0].messages)], max_new_tokens=8,
                          progress=False)
    assert g.stopped and g.new_tokens == 2 and g.token_ids == tuple(content)
