"""The objectives: regular fine-tuning, LLM-JEPA and Semantic Tube Prediction, as a registry of records.

An `Objective` names its extra loss term (None for regular fine-tuning), its default weight λ, whether it
needs the Text and Code views packed beside the conversation, and the key its term is logged under. The
trainer, the step, the report and the regression check read these records; none of them compares an
objective's name. Adding an objective is one function, one `register(Objective(...))` and its tests
(README, Adding an objective).

An objective owns its settings: a frozen options record (a subclass of `ObjectiveOptions`) whose fields are
declared with `option()` like TrainConfig's. From it come the command-line flags (`jepa-bench train --distance`),
the keys a sweep spec or config.json takes (flat, beside TrainConfig's), their checks, and their place in the
run id. The trainer hands the objective and its options record down to the term; nothing looks a name up again.

Every term returns a *sum* over the examples of the micro-batch plus the count, so that the trainer can
normalise by the number of examples in the whole accumulation window: batch 4 x accum 1 and batch 1 x
accum 4 then give the same update. (The authors' JEPA path is instead scaled by the accumulation steps:
their `RepresentationTrainer.compute_loss` returns a per-micro-batch mean that Trainer does not divide.)
"""
from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from typing import Callable, Literal, Mapping

import torch
import torch.nn.functional as F

from benchmark.training.options import ConfigError, option
from tasks.registry import Registry

Distance = Literal["cosine", "l2", "mse", "infonce"]  # the JEPA distances of Table 3
DISTANCES = typing.get_args(Distance)
BASELINE = "regular"  # the objective every other one is compared with (the paper's L_LLM)
DIAGNOSTIC_KEY = "jepa_diagnostic"  # train_log key of the JEPA term measured without gradient (any objective)


def jepa_distance_sum(pred: torch.Tensor, target: torch.Tensor, distance: str, temperature: float = 0.07):
    """pred, target: [B, D] = Pred(Enc(Text)), Enc(Code). Returns (sum over examples, sum of cosines).

    cosine: 1 - cos(u, a) (the paper's d); l2: ||u - a||_2; mse: mean over dims of (u - a)^2;
    infonce: in-batch cross-entropy over cosine logits / temperature with diagonal positives. InfoNCE is
    not a per-example quantity: its batch mean is multiplied by B so that dividing by B gives the authors'
    value (with accumulation it is then the mean of per-micro-batch InfoNCE losses, as in their code).
    """
    u, a = pred.float(), target.float()  # distances in fp32 even under bf16 autocast
    cos = F.cosine_similarity(u, a, dim=-1)
    if distance == "cosine":
        per = 1.0 - cos
    elif distance == "l2":
        per = torch.linalg.vector_norm(u - a, ord=2, dim=-1)
    elif distance == "mse":
        per = ((u - a) ** 2).mean(dim=-1)
    elif distance == "infonce":
        logits = F.normalize(u, dim=1) @ F.normalize(a, dim=1).T / temperature
        loss = F.cross_entropy(logits, torch.arange(len(u), device=u.device))
        return loss * len(u), cos.sum()
    else:
        raise ValueError(f"unknown distance {distance!r}")
    return per.sum(), cos.sum()


def draw_tube_spans(lengths: list[int], generator: torch.Generator) -> list[tuple[int, int] | None]:
    """Random sub-span [s, e) of each trajectory, drawn as the STP authors draw it (galilai-group/llm-jepa
    stp.py, `get_s_t` with `--linear=random_span`): a uniform start in [0, n), then a uniform end in
    [s + 1, n], only the end drawn again while the span covers the whole trajectory. So P(s) = 1/n and, for
    s = 0, the end is uniform over [1, n - 1]. Trajectories shorter than 2 tokens have no proper sub-span: None.
    """
    spans = []
    for n in lengths:
        if n < 2:
            spans.append(None)
            continue
        s = int(torch.randint(0, n, (), generator=generator))
        while True:
            e = int(torch.randint(s + 1, n + 1, (), generator=generator))
            if e - s < n:
                break
        spans.append((s, e))
    return spans


def term_seed(seed: int, process_index: int) -> int:
    """The seed of a process's term generator: the STP authors' seed + 3 * rank, so that the processes of a
    data-parallel run draw different spans (stp.py `RepresentationTrainer.__init__`)."""
    return seed + 3 * process_index


def _displacement(h: torch.Tensor, pieces: list[tuple[int, int]], a: int, b: int) -> torch.Tensor:
    """Sum over pieces of h[last token in range] - h[token before the range], for offsets [a, b)
    of the concatenated pieces. Matches stp.py `get_embeddings` (states at position - 1)."""
    total = torch.zeros(h.shape[-1], dtype=h.dtype, device=h.device)
    base = 0
    for start, end in pieces:
        n = end - start
        lo, hi = max(a, base), min(b, base + n)
        if lo < hi:
            total = total + h[start + hi - base - 1] - h[start + lo - base - 1]
        base += n
    return total


def tube_loss_sum(hidden: torch.Tensor, trajectory: torch.Tensor, spans) -> tuple[torch.Tensor, int]:
    """Semantic Tube Prediction (arXiv 2602.22617): 1 - cos(before + after, patch), summed over examples.

    hidden: [B, L, D] last-layer states of the conversations; trajectory: [B, 4] = user [start, end) and
    assistant [start, end) token spans (template tokens between them are skipped, as in stp.py).
    """
    h = hidden.float()
    rest, patch = [], []
    for b, span in enumerate(spans):
        if span is None:
            continue
        us, ue, as_, ae = trajectory[b].tolist()
        pieces = [(us, ue), (as_, ae)]
        n = (ue - us) + (ae - as_)
        s, e = span
        before = _displacement(h[b], pieces, 0, s)
        after = _displacement(h[b], pieces, e, n)
        rest.append(before + after)
        patch.append(_displacement(h[b], pieces, s, e))
    if not rest:
        return hidden.new_zeros(()), 0
    cos = F.cosine_similarity(torch.stack(rest), torch.stack(patch), dim=-1)
    return (1.0 - cos).sum(), len(rest)


# ----------------------------------------------------------------------------- options records
@dataclass(frozen=True)
class ObjectiveOptions:
    """The settings of an objective's own; this base has none (regular fine-tuning, STP). A subclass declares its
    fields with `option(default, why, ..., arm=True, since=2)`: `since` >= 2 keeps a field out of the run id while
    it is at its default, so installing an objective never changes the ids of committed runs. Its methods say
    what the shared path needs to know of them."""

    def check(self) -> None:
        """Raise ConfigError on a combination of values that cannot run (single values are checked by range)."""

    def term_probability(self) -> float:
        """The share of micro-batches that compute the extra term (1 = every one; below 1 = loss dropout)."""
        return 1.0

    def view_layout(self) -> dict:
        """Keyword arguments of the view builder (training/views.py) that these options change."""
        return {}


@dataclass(frozen=True)
class JepaOptions(ObjectiveOptions):
    """LLM-JEPA's settings. They were flat TrainConfig fields in results schema 1, so all of them enter every run id
    (`since=1`, at their defaults for other objectives): committed ids keep their keys."""

    distance: Distance = option(
        "cosine", "JEPA distance: cosine (the paper's d), l2, mse, infonce (Table 3)", arm=True)
    infonce_temperature: float = option(0.07, "Table 3 InfoNCE row", low=0, low_open=True, arm=True)
    front_pred: bool = option(False, "Table 3 \"Prepend [PRED]\": predictor tokens before the Text", arm=True)
    reverse_pred: bool = option(False, "Table 3 \"Code->Text\": views swapped", arm=True)
    jepa_ratio: float = option(1.0, "probability a micro-batch gets the JEPA term; loss dropout LD = 1 - "
                                    "jepa_ratio (§5.2)", low=0, high=1, arm=True)

    def check(self) -> None:
        if self.front_pred and self.reverse_pred:
            raise ConfigError("front_pred and reverse_pred cannot be combined")

    def term_probability(self) -> float:
        return self.jepa_ratio  # random JEPA-loss dropout (paper §5.2)

    def view_layout(self) -> dict:
        return {"front_pred": self.front_pred, "reverse_pred": self.reverse_pred}


# ----------------------------------------------------------------------------- the registry
@dataclass(frozen=True)
class TermInputs:
    """What an extra loss term may read from one forward pass."""

    hidden: torch.Tensor  # [R, L, D] last-layer hidden states of the batch rows, after the final norm
    batch: dict  # the collator's batch: num_examples, source/target positions, trajectories (packing.py)
    mode: str  # "packed": row i is example i; "reference": rows are [conversations; Text views; Code views]
    options: ObjectiveOptions = ObjectiveOptions()  # the objective's settings (JepaOptions for LLM-JEPA)
    generator: torch.Generator | None = None  # seeded once per run: the term's random draws (STP spans)


@dataclass(frozen=True)
class Term:
    total: torch.Tensor  # the term summed over the examples it covers
    count: int  # how many examples contributed
    cosine_sum: torch.Tensor | None = None  # summed cos(Pred(Enc(Text)), Enc(Code)), logged as `cosine`


@dataclass(frozen=True)
class Objective:
    name: str  # registry key, the config's `objective`
    description: str  # one line for listings and --help
    default_lbd: float  # λ when the config leaves `lbd` unset; cite where the value comes from
    term: Callable[[TermInputs], Term] | None = None  # the extra term; None = next-token loss only
    needs_views: bool = False  # the collator packs the Text and Code views beside the conversation
    log_key: str | None = None  # train_log key of the term's running mean (None: no term)
    label: Callable[[Mapping], str] | None = None  # report label of a run config; default: the name
    options: type[ObjectiveOptions] = ObjectiveOptions  # its settings record (fields = flags and spec keys)
    schema_1: bool = False  # its options were flat config fields in schema 1: they enter every run id

    def method_label(self, cfg: Mapping) -> str:
        return self.label(cfg) if self.label else self.name

    def make_options(self, values: Mapping | None = None) -> ObjectiveOptions:
        """Its options record from a mapping of field names to values, each checked against its declaration."""
        from benchmark.training import options

        return options.from_dict(self.options, dict(values or {}), f"setting of objective {self.name}")


OBJECTIVES: Registry[Objective] = Registry("objective")


def register(objective: Objective) -> Objective:
    """Add an objective; a second one of the same name is a programming error, so it raises."""
    if objective.name in OBJECTIVES:
        raise ValueError(f"objective {objective.name!r} is registered twice")
    if (objective.term is None) != (objective.log_key is None):
        raise ValueError(f"objective {objective.name!r}: a term needs a log_key and a log_key needs a term")
    if not (isinstance(objective.options, type) and issubclass(objective.options, ObjectiveOptions)):
        raise ValueError(f"objective {objective.name!r}: options must be a subclass of ObjectiveOptions")
    taken = {f: o.name for o in OBJECTIVES for f in option_names(o)}
    for name in option_names(objective):
        if name in taken:
            raise ValueError(f"objective {objective.name!r}: its option {name!r} is already objective "
                             f"{taken[name]!r}'s (spec keys and flags are flat: give it another name)")
    if not objective.schema_1:
        early = [f.name for f in dataclasses.fields(objective.options) if f.metadata.get("since", 1) < 2]
        if early:
            raise ValueError(f"objective {objective.name!r}: declare its options {early} with since=2, so that "
                             "they enter a run id only when set and committed ids stay")
    return OBJECTIVES.add(objective)


def unregister(name: str) -> None:
    """Remove an objective (tests that register a temporary one)."""
    OBJECTIVES.remove(name)


def get_objective(name: str) -> Objective:
    return OBJECTIVES.get(name)


def all_objectives() -> list[Objective]:
    return OBJECTIVES.values()


def option_names(objective: Objective) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(objective.options))


def option_owner(name: str) -> Objective | None:
    """The objective whose options record declares `name`, or None."""
    return next((o for o in OBJECTIVES if name in option_names(o)), None)


def log_keys() -> tuple[str, ...]:
    """Every extra term's train_log key (jepa_loss, stp_loss, ...)."""
    return tuple(o.log_key for o in OBJECTIVES if o.log_key)


def jepa_term(x: TermInputs) -> Term:
    """d(Pred(Enc(Text)), Enc(Code)) per example (paper eq. 2), at the positions the collator recorded."""
    n = int(x.batch["num_examples"])
    rows = torch.arange(n, device=x.hidden.device)
    src_rows, tgt_rows = (rows, rows) if x.mode == "packed" else (rows + n, rows + 2 * n)
    pred = x.hidden[src_rows, x.batch["source_index"]]  # Pred(Enc(Text)): [B, D]
    target = x.hidden[tgt_rows, x.batch["target_index"]]  # Enc(Code): [B, D]
    total, cos = jepa_distance_sum(pred, target, x.options.distance, x.options.infonce_temperature)
    return Term(total, n, cos)


def stp_term(x: TermInputs) -> Term:
    """Semantic Tube Prediction over a random sub-span of each user-then-assistant trajectory."""
    n = int(x.batch["num_examples"])
    traj = x.batch["trajectory"]
    lengths = [(t[1] - t[0] + t[3] - t[2]) for t in traj.tolist()]
    spans = draw_tube_spans(lengths, x.generator or torch.Generator().manual_seed(0))
    total, count = tube_loss_sum(x.hidden[:n], traj, spans)
    return Term(total, count)


def jepa_label(cfg: Mapping) -> str:
    """jepa, jepa-l2, jepa-front_pred, jepa-ld0.5, jepa-frozen_pred, ... (the method labels of paper/;
    frozen_pred: LoRA with the [PRED] embeddings left frozen, as the authors' code leaves them)."""
    parts = ["jepa"]
    if cfg.get("distance", "cosine") != "cosine":
        parts.append(cfg["distance"])
    if cfg.get("front_pred"):
        parts.append("front_pred")
    if cfg.get("reverse_pred"):
        parts.append("reverse_pred")
    if cfg.get("jepa_ratio", 1.0) < 1.0:
        parts.append(f"ld{1 - cfg['jepa_ratio']:g}")
    if cfg.get("lora") and not cfg.get("train_predictor_tokens", True) and cfg.get("predictors", 1) > 0:
        parts.append("frozen_pred")  # only LoRA can freeze them; with k = 0 there are none
    return "-".join(parts)


register(Objective(BASELINE, "next-token loss only: the baseline (the same path with no extra term)", 0.0))
JEPA = register(Objective("jepa", "LLM-JEPA: + λ·d(Pred(Enc(Text)), Enc(Code)) (arXiv 2509.14252)",
                          1.0,  # Table 3: λ = 1
                          term=jepa_term, needs_views=True, log_key="jepa_loss", label=jepa_label,
                          options=JepaOptions, schema_1=True))
# The JEPA diagnostic (config `jepa_diagnostic_every`, any objective): the paper's d, cosine, measured without gradient.
DIAGNOSTIC = (JEPA, JepaOptions())
register(Objective("stp", "Semantic Tube Prediction: + λ·(1 − cos(before + after, span)) (arXiv 2602.22617)",
                   0.02,  # STP Table 2: 0.02 for NL-RX-SYNTH
                   term=stp_term, log_key="stp_loss"))
