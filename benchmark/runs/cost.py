"""What an arm of a paper spec will cost on GPUs: estimates from documented formulas, never measurements.

* Parameters N: from the model's published architecture (`ARCHITECTURES`, transcribed from each model's
  config.json on the Hugging Face hub), or from a local model folder's config.json.
* Training tokens per epoch T: the arm's training rows rendered through the family's chat template (the
  stand-in's tokenizer holds the same template), every special token counted as one token and the other
  characters at `CHARS_PER_TOKEN` (large-vocabulary BPE tokenizers on English and regex text); the JEPA views
  are added for objectives that read them, times the share of steps that keep the term (loss dropout).
* Training FLOPs: 6·N·T per epoch (Kaplan et al. 2020), as the results store counts them (runs/runner.py),
  capped at the arm's FLOP budget. Evaluation is not counted.
* GPU-hours: FLOPs / (the GPU's dense bf16 peak x a stated utilisation).
* Peak memory per GPU: model states (fp32 master weights, fp32 gradients and AdamW's two fp32 moments: 16 bytes
  per trained parameter, 4 per frozen one) + activations of one micro-batch (Korthikanti et al. 2022: 34·h + 5·a·s
  bytes per token and layer in bf16; with gradient checkpointing only each layer's input, 2·h bytes, plus one
  layer's full set) + the fp32 logits and their gradient where the loss computes them. The framework's own
  workspace is not counted.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

CHARS_PER_TOKEN = 3.5  # non-special characters per token; an estimate, stated in every table
GPU_PEAK_BF16 = {"H100": 989e12, "H200": 989e12, "A100": 312e12, "L40S": 362e12}  # dense bf16 FLOP/s, datasheets
# Micro-batches of 4 sequences of 100-300 tokens keep a GPU far from its peak: a low default, stated in every table.
DEFAULT_GPU, DEFAULT_UTILISATION = "H100", 0.15
_HUB = "https://huggingface.co/{}/blob/main/config.json"


@dataclass(frozen=True)
class Architecture:
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    intermediate: int
    vocab: int
    tied: bool

    def parameters(self) -> int:
        """Decoder parameters: embedding (and untied output layer), attention, gated MLP and norms."""
        q, kv = self.heads * self.head_dim, self.kv_heads * self.head_dim
        layer = 2 * self.hidden * q + 2 * self.hidden * kv + 3 * self.hidden * self.intermediate + 2 * self.hidden
        return self.vocab * self.hidden * (1 if self.tied else 2) + self.layers * layer + self.hidden

    def lora_parameters(self, rank: int) -> int:
        """Trainable LoRA parameters on q, k, v, o, gate, up and down: rank x (in + out) per matrix."""
        q, kv = self.heads * self.head_dim, self.kv_heads * self.head_dim
        shapes = [(self.hidden, q), (self.hidden, kv), (self.hidden, kv), (q, self.hidden),
                  (self.hidden, self.intermediate), (self.hidden, self.intermediate), (self.intermediate, self.hidden)]
        return self.layers * sum(rank * (a + b) for a, b in shapes)


ARCHITECTURES = {  # the paper's models, from their hub config.json (see _HUB); checked against their model cards' totals
    "meta-llama/Llama-3.2-1B-Instruct": Architecture(2048, 16, 32, 8, 64, 8192, 128256, True),  # 1.24 B
    "meta-llama/Llama-3.2-3B-Instruct": Architecture(3072, 28, 24, 8, 128, 8192, 128256, True),  # 3.21 B
    "meta-llama/Llama-3.1-8B-Instruct": Architecture(4096, 32, 32, 8, 128, 14336, 128256, False),  # 8.03 B
    "google/gemma-2-2b-it": Architecture(2304, 26, 8, 4, 256, 9216, 256000, True),  # 2.61 B
    "allenai/OLMo-2-0425-1B-Instruct": Architecture(2048, 16, 16, 16, 128, 8192, 100352, False),  # 1.48 B
    "allenai/OLMo-2-1124-7B-Instruct": Architecture(4096, 32, 32, 32, 128, 11008, 100352, False),  # 7.30 B
    "Qwen/Qwen3-1.7B": Architecture(2048, 28, 16, 8, 128, 6144, 151936, True),  # 1.72 B
    "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B": Architecture(1536, 28, 12, 2, 128, 8960, 151936, False),  # 1.78 B
}


def architecture(model: str) -> Architecture | None:
    """The published architecture of a paper model, or a local folder's config.json; None when unknown."""
    if model in ARCHITECTURES:
        return ARCHITECTURES[model]
    config = Path(model).expanduser() / "config.json"
    try:
        c = json.loads(config.read_text())
        heads = c["num_attention_heads"]
        return Architecture(c["hidden_size"], c["num_hidden_layers"], heads, c.get("num_key_value_heads") or heads,
                            c.get("head_dim") or c["hidden_size"] // heads, c["intermediate_size"], c["vocab_size"],
                            bool(c.get("tie_word_embeddings", True)))
    except (OSError, ValueError, KeyError, TypeError):
        return None


@dataclass(frozen=True)
class Tokens:
    """Estimated tokens of an arm's training data, per example: the conversation and the two JEPA views."""
    full: float
    views: float
    longest_row: float  # the longest example's packed row (conversation + views), for the memory estimate
    rows: int


def estimate_tokens(tok, items: list[dict], rows: int) -> Tokens:
    """From a sample of examples tokenised by the stand-in (`ViewBuilder` items: the conversation and the two
    views): each special id counts one token, the rest its decoded characters / CHARS_PER_TOKEN."""
    special = set(tok.all_special_ids) | {i for i, t in tok.added_tokens_decoder.items() if t.special}

    def tokens(ids: list[int]) -> float:
        if not ids:
            return 0.0
        n_special = sum(i in special for i in ids)
        text = tok.decode([i for i in ids if i not in special])
        return n_special + len(text) / CHARS_PER_TOKEN

    per = [(tokens(i["full_ids"]), tokens(i.get("source_ids") or []) + tokens(i.get("target_ids") or []))
           for i in items]
    n = max(len(per), 1)
    return Tokens(full=sum(a for a, _ in per) / n, views=sum(b for _, b in per) / n,
                  longest_row=max((a + b for a, b in per), default=0.0), rows=rows)


@dataclass(frozen=True)
class Cost:
    parameters: int | None
    trainable: int | None
    tokens_per_epoch: float
    flops_per_run: float | None
    runs: int
    gpu_hours: float | None  # all runs of the arm
    memory_gb: float | None  # peak per GPU


def estimate_cost(cfg, tokens: Tokens, runs: int, *, gpu: str = DEFAULT_GPU,
                  utilisation: float = DEFAULT_UTILISATION) -> Cost:
    """The estimates of the module docstring for one arm (`cfg`: its resolved TrainConfig) run `runs` times."""
    from benchmark.training.objectives import get_objective

    arch = architecture(cfg.model)
    views = tokens.views * cfg.options.term_probability() if cfg.builds_views() and get_objective(cfg.objective).needs_views else 0.0
    per_epoch = tokens.rows * (tokens.full + views)
    if arch is None:
        return Cost(None, None, per_epoch, None, runs, None, None)
    n = arch.parameters()
    trainable = arch.lora_parameters(cfg.lora_rank) if cfg.lora else n
    flops = 6.0 * n * per_epoch * cfg.epochs
    if cfg.flop_budget:
        flops = min(flops, cfg.flop_budget)
    hours = runs * flops / (GPU_PEAK_BF16[gpu] * utilisation) / 3600
    return Cost(n, trainable, per_epoch, flops, runs, hours, _memory_gb(cfg, arch, tokens, trainable))


def _memory_gb(cfg, arch: Architecture, tokens: Tokens, trainable: int) -> float:
    states = 16 * trainable + 4 * (arch.parameters() - trainable)
    b, h, layers = cfg.batch_size, arch.hidden, arch.layers
    s = tokens.longest_row if cfg.compute_mode == "packed" else max(tokens.longest_row / 2, 1.0)  # one row of three
    rows = b if cfg.compute_mode == "packed" else 3 * b
    one_layer = rows * s * (34 * h + 5 * arch.heads * s) * 2  # bf16 bytes
    acts = layers * rows * s * 2 * h + one_layer if cfg.gradient_checkpointing else layers * one_layer
    logit_rows = b * tokens.full if cfg.compute_mode == "packed" else rows * s  # packed: labelled positions only
    logits = logit_rows * arch.vocab * 4 * 2
    return (states + acts + logits) / 1e9
