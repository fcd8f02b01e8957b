"""Chat-template variables fixed by the run's config, written into the tokenizer's template itself.

Some published chat templates read variables that change what the model reads:

* Llama-3.1/3.2 write `Today Date: <date>` into the system header of every conversation, from
  `strftime_now("%d %b %Y")` when no `date_string` is passed: the same example renders differently on
  different days, under the same run id.
* Qwen3 adds an empty `<think></think>` block to the generation prompt when `enable_thinking` is false.

Each such variable is a `TrainConfig` field (`TEMPLATE_VARIABLES`). `pin_template_variables` prepends one
`{% set %}` line per variable to the tokenizer's template, so every rendering of that tokenizer (training
views, generation prompts, `represent`) and every copy of it saved with a model (what `evaluate --run` and
lm-eval's `--apply_chat_template` read) renders the same text. A template that reads none of them renders
byte-identically with or without the line (tests/test_chat_template.py).
"""
from __future__ import annotations

import json

# The Llama-3 templates' own fallback when `strftime_now` is undefined: a fixed date, and the one a template
# that cannot read the clock already uses.
DEFAULT_DATE_STRING = "26 Jul 2024"
# The TrainConfig fields that are template variables, with their defaults (None = not passed: the template's own).
TEMPLATE_VARIABLES = {"date_string": DEFAULT_DATE_STRING, "enable_thinking": None}
_MARK = "{#- jepa-bench template variables #}"


def template_variables(cfg=None) -> dict:
    """The template variables of a config (a TrainConfig, or a recorded config dict, where a run older than a
    field had its default); without one, the defaults. Variables left at None are not passed."""
    if cfg is None:
        cfg = {}
    get = cfg.get if isinstance(cfg, dict) else (lambda name, default: getattr(cfg, name, default))
    values = {name: get(name, default) for name, default in TEMPLATE_VARIABLES.items()}
    return {name: value for name, value in values.items() if value is not None}


def is_pinned(tok) -> bool:
    template = getattr(tok, "chat_template", None)
    templates = template.values() if isinstance(template, dict) else [template]
    return any(isinstance(t, str) and t.startswith(_MARK) for t in templates)


def _literal(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)  # a double-quoted string Jinja reads as written


def pinned_template(template: str, variables: dict) -> str:
    """`template` with `variables` set at its top (an earlier pin replaced, so pinning twice is pinning once)."""
    if template.startswith(_MARK):
        template = template.split(_MARK, 2)[2]
    if not variables:
        return template
    sets = "".join(f"{{%- set {name} = {_literal(value)} %}}" for name, value in sorted(variables.items()))
    return f"{_MARK}{sets}{_MARK}{template}"


def pin_template_variables(tok, variables: dict) -> None:
    """Fix `variables` in `tok`'s chat template(s) in place; a tokenizer without a template is left alone."""
    template = getattr(tok, "chat_template", None)
    if isinstance(template, str):
        tok.chat_template = pinned_template(template, variables)
    elif isinstance(template, dict):  # several named templates (tool use, RAG): pin each
        tok.chat_template = {name: pinned_template(t, variables) for name, t in template.items()}
