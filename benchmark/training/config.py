"""The typed run configuration: every field, its default, its range and why.

Defaults are the paper's settings (arXiv 2509.14252 v2, §4 and Table 3: Llama-3.2-1B-Instruct on
NL-RX-SYNTH, lr 2e-5, lambda = 1, k = 1, 4 epochs, batch 4 x 4 accumulation per device) unless the field
is an improvement, which is then named and off by default, or a compute setting that does not change the
maths. `validate()` turns every impossible value into a `ConfigError` before anything runs; the command
line, sweep specs and the Python API all pass through it.
"""
from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from typing import Literal

from benchmark.training import options
from benchmark.training.chat import DEFAULT_DATE_STRING
from benchmark.training.objectives import ObjectiveOptions, all_objectives, get_objective, option_owner
from benchmark.training.options import ConfigError, option
from tasks import Subset

__all__ = ["ConfigError", "TrainConfig", "MAX_PREDICTORS", "LABEL_MODES", "COMPUTE_MODES"]

LABEL_MODES = ("as_run", "assistant")
COMPUTE_MODES = ("packed", "reference")
MAX_PREDICTORS = 10  # the authors add <|predictor_1..10|>
# The paper's largest weight is λ = 1024 (NQ-Open, Table 4); a hundred times that is already a run whose other
# loss term no longer counts, and far beyond it the weighted loss overflows bf16/fp32.
MAX_LOSS_WEIGHT = 1e5


@dataclass
class TrainConfig:
    # --- what to train ---
    task: str = option("synth", "registry name; NL-RX-SYNTH is the paper's main ablation dataset (Table 3)")
    model: str = option("smollm2-135m-instruct",
                        "embedded default; the paper used Llama-3.2-1B-Instruct (needs a hub)")
    pretrain: bool = option(False, "random initialisation of the same architecture (paper §4.1, Table 2)")
    data_dir: str | None = option(None, "folder of upstream JSONL files; None -> $JEPA_BENCH_DATA_DIR or ./data",
                                  identity=False)
    limit_train: int | None = option(None, "first N training rows (CPU-scale runs); None = the whole split", low=1)
    train_subset: Subset = option(
        "head", "which rows limit_train keeps: head = the file's first N; random = N drawn with a fixed seed, the "
                "same for every run (for files sorted by answer, e.g. Rotten Tomatoes); nested = the first N of "
                "one fixed shuffle, so smaller sizes are subsets of larger ones (learning curves)", since=2)
    flop_budget: float | None = option(None, "stop at this many analytic training FLOPs (Table 6's equal-FLOP "
                                             "runs); None = all epochs", low=0, low_open=True, arm=True)
    val_fraction: float = option(0.0, "carve this share of train as a validation split (paper: none, it tuned "
                                      "on test)", low=0, high=1, high_open=True)

    # --- objective ---
    objective: str = option("regular", "a registered objective (regular, jepa, stp, ...); regular = the same "
                                       "path with the extra term off", arm=True)
    lbd: float | None = option(None, "weight of the extra term; None -> the objective's default (jepa 1.0, "
                                     "Table 3; stp 0.02, STP Table 2)", low=0, high=MAX_LOSS_WEIGHT, arm=True)
    gamma: float = option(1.0, "weight of the LM loss (the authors' --gamma default)", low=0, high=MAX_LOSS_WEIGHT,
                          arm=True)
    predictors: int = option(1, "k [PRED] tokens; Table 3 uses k = 1 (0 = Pred is the identity)",
                             low=0, high=MAX_PREDICTORS, arm=True)
    objective_options: ObjectiveOptions | None = option(
        None, "the objective's own settings, its options record (JepaOptions: distance, infonce_temperature, "
              "front_pred, reverse_pred, jepa_ratio); given as flat keys in specs, flags and config.json; None = "
              "its defaults", identity=False)  # identity(): flattened into the run id under today's keys
    last_token: int | None = option(None, "the authors' negative Enc offset (e.g. -2 for Llama-3); None = "
                                          "derived from the template", high=-1, arm=True)
    plain: bool = option(False, "raw strings without a chat template (paraphrase pretraining, §4.1b)")
    date_string: str = option(
        DEFAULT_DATE_STRING, "the date Llama-3 templates write into every system header (`Today Date:`); fixed so a "
                       "prompt does not change with the calendar. The default is the templates' own fallback; "
                       "the paper's runs rendered the day they ran", since=2)
    enable_thinking: bool | None = option(
        None, "Qwen3 templates: false adds an empty <think></think> block to the generation prompt; None = not "
              "passed (the template's default: thinking on). The paper does not say", since=2)

    # --- labels and compute ---
    label_mode: Literal["as_run", "assistant"] = option(
        "as_run", "as_run = what produced the paper's numbers (the authors' collator relabels every non-pad "
                  "token); assistant = the paper's text (README, Labels)")
    compute_mode: Literal["packed", "reference"] = option(
        "packed", "packed = one row per example (exact, faster); reference = the authors' three rows")
    pad_to_max_length: bool = option(False, "reference mode only: pad every row to max_length as the authors do")
    padding_side: Literal["right", "left"] = option("right", "results must not depend on it; tests check both")
    max_length: int = option(512, "per-view truncation, the authors' --max_length", low=8)

    # --- optimisation (HF Trainer AdamW, linear decay, no warmup, no weight decay: paper §4) ---
    epochs: float = option(4.0, "the paper's protocol: lr chosen by accuracy \"after 4 epochs\" (§4.1), the (k, λ) "
                                "grid at \"epoch=4\" (Fig. 7)", low=0, low_open=True, high=10_000)
    lr: float = option(2e-5, "Table 3 setting; the paper's lr grid is {1e-5, 2e-5, 4e-5, 8e-5}",
                       low=0, low_open=True, high=10)
    batch_size: int = option(4, "per device (the authors' run scripts)", low=1)
    grad_accum: int = option(4, "the authors' run scripts; 4 x 4 x 8 GPUs = 128 sequences per optimizer step",
                             low=1)
    world_size: int = option(1, "data-parallel processes (one per GPU; `--nproc-per-node`): each takes batch_size x "
                                "grad_accum sequences per optimizer step, so the global batch, and the run, depend on "
                                "it (the paper: 8)", low=1, high=4096, since=2)
    optimizer: str = option("adamw_torch", "HF Trainer's AdamW, what the authors used (tests use sgd to see "
                                           "scale); any `transformers` OptimizerNames value")
    max_grad_norm: float = option(1.0, "HF Trainer default, kept by the authors (0 = no clipping)", low=0)
    weight_decay: float = option(0.0, "HF Trainer default, kept by the authors", low=0)
    warmup_steps: int = option(0, "the authors use no warmup", low=0)
    seed: int = option(82, "first of the paper's seeds {82, 23, 37, 84, 4}", low=0, high=2 ** 32 - 1)

    # --- fine-tuning mode ---
    lora: bool = option(False, "full fine-tuning is the paper's default")
    lora_rank: int = option(16, "the authors' --lora_rank default", low=1)
    lora_dropout: float = option(0.1, "the authors' LoRA config (alpha = 2 r)", low=0, high=1, high_open=True)
    train_predictor_tokens: bool = option(True, "under LoRA keep the new [PRED] embeddings trainable (the "
                                                "authors' code leaves them frozen)", arm=True)

    # --- numerics and outputs ---
    bf16: bool = option(False, "bf16 autocast over fp32 weights (pure bf16 weights did not learn at lr 1e-5 on "
                               "CPU: README, Installing on a GPU machine)")
    gradient_checkpointing: bool = option(False, "saves memory, same maths; the paper used it on GPUs")
    logging_steps: int = option(1, "optimizer steps between log lines", low=1, identity=False)
    jepa_diagnostic_every: int = option(0, "every N optimizer steps log 1 - cos(Pred(Enc(Text)), Enc(Code)) "
                                           "computed without gradient, for any objective (Fig. 3 right: "
                                           "next-token training does not minimise it); 0 = off",
                                        low=0, since=2)  # in the id when set: a run without it logged none
    save_model: bool = option(False, "write the fine-tuned model to RUN/model", identity=False)
    save_checkpoints: bool = option(False, "also keep the model of every evaluated epoch "
                                           "(epochs/epoch_k/model)", identity=False)
    checkpoint_every_epoch: bool = option(True, "keep the latest epoch's full training state in the run's "
                                                ".partial folder, so a killed run resumes mid-run (costs ~3x the "
                                                "model's size on disk while the run is built)",
                                          identity=False, since=2)
    out: str | None = option(None, "run directory (set by the results store in sweeps)", identity=False)
    report_to: str = option("none", "where the Trainer also reports its logs: none, tensorboard, wandb, mlflow, ... "
                                    "(train_log.jsonl is always written)", identity=False, since=2)
    trainer_args: dict | None = option(None, "further transformers.TrainingArguments, e.g. {fsdp: 'full_shard "
                                             "auto_wrap'} or a DeepSpeed config (`--trainer-arg key=value`); none "
                                             "the suite sets itself", since=2)

    def resolved(self) -> "TrainConfig":
        """A copy with every derived default filled in (what results record)."""
        cfg = dataclasses.replace(self)
        objective = get_objective(cfg.objective)
        if cfg.lbd is None:
            cfg.lbd = objective.default_lbd
        if cfg.objective_options is None:
            cfg.objective_options = objective.make_options()
        return cfg

    @property
    def options(self) -> ObjectiveOptions:
        """The objective's options record (its defaults when none was given)."""
        return self.objective_options if self.objective_options is not None \
            else get_objective(self.objective).make_options()

    def setting(self, name: str):
        """The value of a config key: a TrainConfig field, or an objective's option (its default when the run's
        objective is another): what the flat keys of specs, `--only` and config.json name."""
        if name in _OWN_FIELDS:
            return getattr(self, name)
        owner, opts = _declaring(name), self.options
        return getattr(opts, name) if type(opts) is owner.options else _option_field(owner, name).default

    def validate(self) -> "TrainConfig":
        """Raise ConfigError on any impossible value; checks nothing that needs a model or data."""
        from benchmark.training.models import RANDOM_PRESETS, check_lora_rank

        def need(ok: bool, msg: str):
            if not ok:
                raise ConfigError(msg)

        try:
            objective = get_objective(self.objective)
        except KeyError as e:  # UnknownNameError: "did you mean"
            raise ConfigError(str(e)) from None
        opts = self.options
        need(type(opts) is objective.options, f"objective_options is a {type(opts).__name__}; objective "
                                              f"{objective.name} takes a {objective.options.__name__}")
        options.check_values(opts)
        opts.check()
        need(self.label_mode in LABEL_MODES, f"label_mode must be one of {', '.join(LABEL_MODES)}")
        need(self.compute_mode in COMPUTE_MODES, f"compute_mode must be one of {', '.join(COMPUTE_MODES)}")
        need(self.padding_side in ("right", "left"), "padding_side must be right or left")
        options.check_values(self)  # every number finite and in range
        need(self.optimizer in _optimizer_names(),
             _did_you_mean_optimizer(self.optimizer))
        need(self.model not in RANDOM_PRESETS or self.pretrain,
             f"{self.model} is a randomly initialised architecture for pretraining: set pretrain")
        if self.lora:
            check_lora_rank(self.model, self.lora_rank)
        need(not self.pad_to_max_length or self.compute_mode == "reference",
             "pad_to_max_length applies to compute_mode=reference only")
        _check_trainer_args(self.trainer_args or {})
        _check_report_to(self.report_to)
        return self

    def builds_views(self) -> bool:
        """Whether examples carry their Text and Code views: the objective reads them, or the JEPA
        diagnostic is logged."""
        return get_objective(self.objective).needs_views or self.jepa_diagnostic_every > 0

    def to_dict(self) -> dict:
        """Flat, as config.json and specs write it: TrainConfig's fields, then every schema-1 option (the run's
        value where its objective owns it, else the default) and the run's own options."""
        out = {f.name: copy.deepcopy(getattr(self, f.name)) for f in dataclasses.fields(self)  # as asdict copies
               if f.name != "objective_options"}
        return {**out, **_flat_options(self.options, identity=False)}

    def identity(self) -> dict:
        """The resolved config without the fields that do not change results (paths, logging, saving); the
        objective's options flattened under their own keys, as schema 1's flat fields were."""
        cfg = self.resolved()
        return {**options.identity_dict(cfg), **_flat_options(cfg.options, identity=True)}

    def run_hash(self) -> str:
        """Hash of the training settings alone (a run's id also covers its evaluation plan: runs.spec)."""
        return options.identity_digest(self.identity())

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        """From flat keys (a spec, flags, config.json): the objective's options go into its options record. Another
        objective's option is accepted at its default only (committed config.json files list them all)."""
        from tasks.registry import did_you_mean

        if not isinstance(d, dict):
            raise ConfigError(f"config fields must be given as a mapping, got {type(d).__name__}")
        d = dict(d)
        if d.pop("objective_options", None) is not None:
            raise ConfigError("objective_options is filled from the objective's own keys (e.g. distance: l2); "
                              "give those instead")
        unknown = sorted(k for k in d if k not in _OWN_FIELDS and option_owner(k) is None)
        if unknown:
            raise ConfigError("; ".join(did_you_mean("config field", u, setting_names()) for u in unknown))
        name = d.get("objective", _field("objective").default)
        try:
            objective = get_objective(name) if isinstance(name, str) else None
        except KeyError as e:
            raise ConfigError(str(e)) from None
        own = {}
        for key in [k for k in d if k not in _OWN_FIELDS]:
            owner, value = option_owner(key), d.pop(key)
            if objective is not None and owner.name == objective.name:
                own[key] = value
                continue
            record = owner.make_options({key: value})  # a bad value is named as such, whichever objective runs
            options.check_values(record)
            if getattr(record, key) != _option_field(owner, key).default:
                raise ConfigError(f"{key} is a setting of objective {owner.name}, and this run's objective is {name}: "
                                  f"remove {key}, or set objective: {owner.name}")
        cfg = options.from_dict(cls, d, "config field")
        if own:
            cfg.objective_options = objective.make_options(own)
        return cfg


def _field(name: str) -> dataclasses.Field:
    return next(f for f in dataclasses.fields(TrainConfig) if f.name == name)


def _declaring(name: str):
    """The objective whose options declare `name` (a key that is not a TrainConfig field)."""
    owner = option_owner(name)
    if owner is None:
        raise ConfigError(f"{name} is neither a config field nor an objective's option")
    return owner


def _option_field(objective, name: str) -> dataclasses.Field:
    return next(f for f in dataclasses.fields(objective.options) if f.name == name)


def _flat_options(opts: ObjectiveOptions, *, identity: bool) -> dict:
    """Every objective's options under their own keys: the run's own values; another objective's schema-1 options at
    their defaults (committed ids and config.json files hold them); options added later only when set. With
    `identity`, options declared identity=False are left out."""
    out = {}
    for objective in all_objectives():
        own = type(opts) is objective.options
        for f in dataclasses.fields(objective.options):
            if identity and not f.metadata.get("identity", True):
                continue
            value = getattr(opts, f.name) if own else f.default
            if f.metadata.get("since", 1) > 1 and value == f.default:
                continue
            out[f.name] = list(value) if isinstance(value, tuple) and identity else value
    return out


def setting_fields() -> list[dataclasses.Field]:
    """Every config key's declaration: TrainConfig's fields (less the options record) and every registered
    objective's options, in that order: what flags, spec keys, `--only` and report columns range over."""
    own = [f for f in dataclasses.fields(TrainConfig) if f.name != "objective_options"]
    return own + [f for o in all_objectives() for f in dataclasses.fields(o.options)]


def setting_names() -> list[str]:
    return [f.name for f in setting_fields()]


def coerce_setting(name: str, value):
    """`value` typed as the config key `name` declares it (a TrainConfig field or an objective's option)."""
    if name in _OWN_FIELDS:
        return options.coerce(TrainConfig, name, value)
    return options.coerce(_declaring(name).options, name, value)


# TrainingArguments the suite sets from its own fields (training/prepare.py): `trainer_args` may not override them.
SUITE_TRAINING_ARGUMENTS = {
    "output_dir": "out", "per_device_train_batch_size": "batch_size", "gradient_accumulation_steps": "grad_accum",
    "learning_rate": "lr", "num_train_epochs": "epochs", "lr_scheduler_type": None, "warmup_steps": "warmup_steps",
    "weight_decay": "weight_decay", "optim": "optimizer", "max_grad_norm": "max_grad_norm", "seed": "seed",
    "data_seed": "seed", "logging_steps": "logging_steps", "save_strategy": "checkpoint_every_epoch",
    "save_total_limit": None, "report_to": "report_to", "bf16": "bf16", "use_cpu": None,
    "dataloader_drop_last": None, "remove_unused_columns": None, "disable_tqdm": None,
    "gradient_checkpointing": "gradient_checkpointing", "activation_checkpointing": "gradient_checkpointing",
}


def typed_trainer_args(extra: dict) -> dict:
    """`trainer_args` checked and typed: every key a TrainingArguments parameter and none the suite sets (the
    error names the field to use instead); a number written as text (YAML reads `1e-6` as a string) becomes
    a number where the parameter takes one. Values are deep copies: TrainingArguments rewrites an `fsdp_config`
    mapping in place, which would change the run's config, and so its id, in the middle of the run."""
    import copy
    import dataclasses as dc

    from transformers import TrainingArguments

    from tasks.registry import did_you_mean

    params = {f.name: f for f in dc.fields(TrainingArguments)}
    out = {}
    for key, value in extra.items():
        if key in SUITE_TRAINING_ARGUMENTS:
            field = SUITE_TRAINING_ARGUMENTS[key]
            raise ConfigError(f"trainer_args.{key} is set by the suite" + (f": use {field}" if field else ""))
        if key not in params:
            raise ConfigError("trainer_args: " + did_you_mean("TrainingArguments parameter", key, sorted(params)))
        kind = str(params[key].type)
        number = float if "float" in kind else int if "int" in kind and "str" not in kind else None
        if isinstance(value, str) and number is not None:
            try:
                value = number(value)
            except ValueError:
                raise ConfigError(f"trainer_args.{key} must be a number, got {value!r}") from None
        out[key] = copy.deepcopy(value)
    return out


def _check_trainer_args(extra: dict) -> None:
    typed_trainer_args(extra)


def _check_report_to(report_to: str) -> None:
    """Every named integration known to transformers and installed here (else it fails after the model loads)."""
    from transformers.integrations import get_available_reporting_integrations
    from transformers.integrations.integration_utils import INTEGRATION_TO_CALLBACK

    from tasks.registry import did_you_mean

    for name in (n.strip() for n in report_to.split(",")):
        if name in ("none", "all", ""):
            continue
        if name not in INTEGRATION_TO_CALLBACK:
            raise ConfigError("report_to: " + did_you_mean("integration", name, list(INTEGRATION_TO_CALLBACK)))
        if name not in get_available_reporting_integrations():
            raise ConfigError(f"report_to {name}: the {name} package is not installed here (pip install {name})")


def _optimizer_names() -> tuple[str, ...]:
    from transformers.training_args import OptimizerNames

    return tuple(o.value for o in OptimizerNames)


def _did_you_mean_optimizer(name: str) -> str:
    from tasks.registry import did_you_mean

    return did_you_mean("optimizer", name, list(_optimizer_names()))


def field_help() -> dict[str, str]:
    """Config key -> its one-line reason, for --help texts (TrainConfig's fields and the objectives' options)."""
    return {f.name: f.metadata.get("help", "") for f in setting_fields()}


_OWN_FIELDS = frozenset(f.name for f in dataclasses.fields(TrainConfig) if f.name != "objective_options")
