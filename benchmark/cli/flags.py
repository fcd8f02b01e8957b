"""Command-line flags generated from a settings dataclass (TrainConfig, EvalPlan): one flag per field,
its help the field's reason, so a new field is on the command line the moment it is declared.

Flags default to "not given" (argparse.SUPPRESS): only what the user typed is collected, and the record's
own defaults (and its checks) apply to the rest.
"""
from __future__ import annotations

import argparse
import dataclasses
import typing

from benchmark.training.options import base_type


def _flag(prefix: str, name: str) -> str:
    return "--" + prefix + name.replace("_", "-")


def add_flags(group, cls, *, prefix: str = "", skip: tuple[str, ...] = (), aliases: dict | None = None,
              defaults: dict | None = None) -> None:
    """Add `--<prefix><field>` for every field of `cls` not in `skip`."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        tp, _ = base_type(hints[f.name])
        shown = (defaults or {}).get(f.name, f.default)
        if isinstance(shown, tuple):
            shown = ",".join(shown) or "none"
        kw = {"help": f"{f.metadata.get('help', '')} (default: {shown})", "default": argparse.SUPPRESS,
              "dest": prefix.replace("-", "_") + f.name}
        names = [_flag(prefix, f.name), *((aliases or {}).get(f.name, ()))]
        if tp is bool:
            group.add_argument(*names, action=argparse.BooleanOptionalAction, **kw)
        elif typing.get_origin(tp) is typing.Literal:
            group.add_argument(*names, choices=typing.get_args(tp), **kw)
        elif typing.get_origin(tp) is tuple:
            group.add_argument(*names, metavar="A,B", type=str, **kw)  # comma-separated; options.coerce splits
        elif tp is dict:  # --trainer-arg key=value, repeatable; values read as YAML (numbers, true, lists)
            singular = names[0][:-1] if names[0].endswith("s") else names[0]
            group.add_argument(singular, *names, metavar="KEY=VALUE", action="append", type=_key_value, **kw)
        else:
            group.add_argument(*names, type=tp, **kw)


def _key_value(text: str) -> tuple[str, object]:
    import yaml

    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), yaml.safe_load(value)


def collect(ns: argparse.Namespace, cls, *, prefix: str = "") -> dict:
    """The values the user gave for `cls`'s fields, by field name (repeated KEY=VALUE flags become a dict)."""
    dest = prefix.replace("-", "_")
    given = vars(ns)
    out = {f.name: given[dest + f.name] for f in dataclasses.fields(cls) if dest + f.name in given}
    return {k: dict(v) if isinstance(v, list) and v and isinstance(v[0], tuple) else v for k, v in out.items()}


def comma_list(value: str | None) -> list[str] | None:
    return None if value is None else [v.strip() for v in value.split(",") if v.strip()]
