"""Files the suite ships beside its code: the sweep specs (configs/) and the paper's numbers and claims
(paper/). In a source checkout they are read where they are; an installed wheel carries copies as
package data (setup.py copies them into benchmark/_shipped/ at build time), read through importlib.resources.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml

_CHECKOUT = Path(__file__).resolve().parents[2]  # the repository root, when running from a checkout


def _shipped(name: str) -> Path:
    return Path(str(resources.files("benchmark") / "_shipped" / name))


def configs_dir() -> Path:
    """The shipped sweep specs (configs/ci.yaml, configs/paper/, configs/cpu/, ...)."""
    here = _CHECKOUT / "configs"
    return here if here.is_dir() else _shipped("configs")


def paper_dir() -> Path:
    """The paper's numbers (paper_numbers.csv) and the claims ledger's data (claims.yaml)."""
    here = _CHECKOUT / "paper"
    return here if (here / "paper_numbers.csv").is_file() else _shipped("paper")


def find_spec_file(path: str | Path) -> Path:
    """A sweep spec as given, else the shipped one of that name (`configs/ci.yaml` works from any folder)."""
    path = Path(path)
    if path.is_file() or path.is_absolute():
        return path
    parts = path.parts[1:] if path.parts and path.parts[0] == "configs" else path.parts
    shipped = configs_dir().joinpath(*parts) if parts else configs_dir()
    return shipped if shipped.is_file() else path


class _UniqueKeyLoader(yaml.SafeLoader):
    """`yaml.SafeLoader` that refuses a key given twice in one mapping."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} given twice in one mapping (line {key_node.start_mark.line + 1}): "
                                "keep one", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_yaml(text: str):
    """YAML as `yaml.safe_load` reads it, except that a key given twice in one mapping is an error: PyYAML
    keeps the last value silently, so a spec with two `lbd:` lines would run the one nobody meant."""
    return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader subclass)
