"""Typed settings records: every field carries its reason, its range and its role, declared once.

`TrainConfig` (training/config.py) and `EvalPlan` (evaluation/plan.py) are frozen-or-plain dataclasses
whose fields are declared with `option(default, why, ...)`. From that one declaration come the help text
of the generated command-line flag, the checks that the command line, sweep specs and the Python API all
go through (`from_dict` for types, `check_values` for finiteness, ranges and choices), and whether the
field is part of a run's identity (`identity_dict`). TRL keeps help in field metadata the same way.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import types
import typing
from typing import Any, Literal


class ConfigError(ValueError):
    """An impossible or unknown setting; the message says which and what is allowed."""


def option(default: Any, why: str, *, low: float | None = None, high: float | None = None,
           low_open: bool = False, high_open: bool = False, identity: bool = True, arm: bool = False,
           scope: str = "all", since: int = 1) -> Any:
    """A dataclass field with its reason and checks.

    low/high: inclusive bounds (exclusive with low_open/high_open) checked for every number;
    identity: False for fields that cannot change results (paths, logging): left out of the run id;
    arm: True for fields that make a method arm differ from its regular baseline (reports pair on the rest);
    scope: where a field applies ("all", or "run" for settings only a training run has);
    since: the schema version that added the field: a field added later enters the identity only when it
    differs from its default, so adding a field never changes the ids of committed runs.
    """
    return dataclasses.field(default=default, metadata={
        "help": why, "low": low, "high": high, "low_open": low_open, "high_open": high_open,
        "identity": identity, "arm": arm, "scope": scope, "since": since})


def fields(cls) -> tuple[dataclasses.Field, ...]:
    return dataclasses.fields(cls)


def field_help(cls) -> dict[str, str]:
    """Field name -> its one-line reason, for --help texts and docs."""
    return {f.name: f.metadata.get("help", "") for f in fields(cls)}


def arm_fields(cls) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls) if f.metadata.get("arm"))


def non_identity_fields(cls) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls) if not f.metadata.get("identity", True))


def base_type(tp) -> tuple[Any, bool]:
    """(the type without Optional, whether None is allowed)."""
    args = typing.get_args(tp)
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        rest = [a for a in args if a is not type(None)]
        return (rest[0] if len(rest) == 1 else tp), type(None) in args
    return tp, False


def _type_name(tp) -> str:
    if typing.get_origin(tp) is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if typing.get_origin(tp) is tuple:
        return "a list of strings"
    return {bool: "true or false", int: "an integer", float: "a number", str: "a string",
            dict: "a mapping of names to values"}.get(tp, str(tp))


def coerce(cls, name: str, value: Any) -> Any:
    """`value` as the declared type of field `name`, or a ConfigError naming the key and the expected type.

    A bool is never taken for a number nor a string for a bool (YAML's `bf16: "no"` is refused). A string
    that reads as a number is taken for a float field, because YAML 1.1 reads `2e-5` (no dot) as a string.
    An int given for a float field is kept as an int (config.json records what was given); the run id hashes
    `canonical_numbers` of it, so `epochs: 3` and `epochs: 3.0` are one run.
    """
    hints = typing.get_type_hints(cls)
    tp, optional = base_type(hints[name])
    expected = _type_name(tp) + (" or null" if optional else "")
    if value is None:
        if optional:
            return None
        raise ConfigError(f"{name} must be {expected}, got null")
    bad = ConfigError(f"{name} must be {expected}, got {value!r} ({type(value).__name__})")
    origin = typing.get_origin(tp)
    if origin is Literal:
        if value not in typing.get_args(tp):
            raise bad
        return value
    if origin is tuple:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise bad
        return tuple(value)
    if tp is bool:
        if not isinstance(value, bool):
            raise bad
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer() and math.isfinite(value):
                return int(value)
            raise bad
        return value
    if tp is float:
        if isinstance(value, bool):
            raise bad
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                raise bad from None
        if not isinstance(value, (int, float)):
            raise bad
        return value  # kept as given: config.json records what the user wrote; the id hashes it canonically
    if tp is str:
        if not isinstance(value, str):
            raise bad
        return value
    if tp is dict:
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise bad
        return dict(value)
    return value


def check_values(obj) -> None:
    """Every number finite and inside its declared bounds, every choice one of its declared values; raises
    ConfigError naming the field (a record built in Python skips `coerce`, so its choices are checked here)."""
    hints = typing.get_type_hints(type(obj))
    for f in fields(type(obj)):
        value = getattr(obj, f.name)
        tp, optional = base_type(hints[f.name])
        if typing.get_origin(tp) is Literal and not (value is None and optional) and value not in typing.get_args(tp):
            raise ConfigError(f"{f.name} must be {_type_name(tp)}, got {value!r}")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if not math.isfinite(value):
            raise ConfigError(f"{f.name} must be a finite number, got {value}")
        m = f.metadata
        low, high = m.get("low"), m.get("high")
        if low is not None and (value <= low if m.get("low_open") else value < low):
            raise ConfigError(f"{f.name} must be {'>' if m.get('low_open') else '>='} {_number(low)}, "
                              f"got {_number(value)}")
        if high is not None and (value >= high if m.get("high_open") else value > high):
            raise ConfigError(f"{f.name} must be {'<' if m.get('high_open') else '<='} {_number(high)}, "
                              f"got {_number(value)}")


def _number(x: float) -> str:
    """Whole numbers in full (a seed bound of 4294967295, not 4.29497e+09), others short."""
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e16 else f"{x:g}"


def from_dict(cls, d: dict, kind: str):
    """Build `cls` from a mapping: unknown keys fail with "did you mean", each value is type-checked."""
    from tasks.registry import did_you_mean

    if not isinstance(d, dict):
        raise ConfigError(f"{kind}s must be given as a mapping, got {type(d).__name__}")
    known = [f.name for f in fields(cls)]
    unknown = sorted(set(d) - set(known))
    if unknown:
        raise ConfigError("; ".join(did_you_mean(kind, u, sorted(known)) for u in unknown))
    return cls(**{k: coerce(cls, k, v) for k, v in d.items()})


def identity_dict(obj) -> dict:
    """The fields that change results: non-identity fields dropped, and fields added after schema version 1
    dropped while at their default (see `option(since=...)`)."""
    out = {}
    for f in fields(type(obj)):
        if not f.metadata.get("identity", True):
            continue
        value = getattr(obj, f.name)
        if f.metadata.get("since", 1) > 1 and value == f.default:
            continue
        out[f.name] = list(value) if isinstance(value, tuple) else value
    return out


def canonical_numbers(value):
    """Whole finite floats as ints, inside mappings and lists too: `epochs: 3` in a spec, `epochs: 3.0` in
    another and `--epochs 3` (a float flag gives 3.0) are one setting and must hash to one run id (schema 3).
    Bools are left alone (True is an int in Python, but never a number here)."""
    if isinstance(value, float) and value.is_integer() and math.isfinite(value):
        return int(value)
    if isinstance(value, dict):
        return {k: canonical_numbers(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [canonical_numbers(v) for v in value]
    return value


def identity_digest(identity: dict) -> str:
    """The 12-hex-digit hash of an identity mapping (a run's id, a config's hash): keys sorted, numbers
    canonical, so neither key order nor how a number was written changes it."""
    blob = json.dumps(canonical_numbers(identity), sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]
