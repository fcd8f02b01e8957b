"""`jepa-bench select`: pick hyper-parameters (e.g. LLM-JEPA's λ and k) on the validation split.

The paper chose its (k, λ) on the test set it then reports (arXiv 2509.14252 v2, §4). A reproduction that wants
an honest test number chooses on a split carved from train (`val_fraction`) and only then runs the chosen
setting on test; this command does the choosing, from a results tree, so the choice is itself reproducible.
"""
from __future__ import annotations

import json
import statistics
from dataclasses import dataclass

from benchmark.analysis.runs import IGNORED_FIELDS, ReportError, Run, canonical_json, method_label, varying_fields


@dataclass(frozen=True)
class Candidate:
    method: str
    setting: tuple[tuple[str, object], ...]  # the varying fields' values, sorted by field name
    scores: tuple[float, ...]  # final-epoch score (%) of each seed

    @property
    def mean(self) -> float:
        return statistics.fmean(self.scores)

    @property
    def std(self) -> float:
        return statistics.stdev(self.scores) if len(self.scores) > 1 else float("nan")  # one seed: no spread

    def describe(self) -> str:
        return " ".join(f"{k}={v}" for k, v in self.setting) or "(single setting)"


def rank(runs: list[Run], split: str = "val", metric: str | None = None) -> list[Candidate]:
    """Candidates best first: highest mean over seeds of the final `split` score; ties go to the setting
    whose varying values sort lowest (smaller λ and k: cheaper and closer to the baseline)."""
    scored = [r for r in runs if r.score(split, metric) is not None]
    if not scored:
        have = sorted({e["split"] for r in runs for e in r.summary["evaluations"]})
        raise ReportError(f"no run has a {split!r} evaluation (they have: {', '.join(have) or 'none'}); sweep "
                          f"with `eval: {{splits: [{split}]}}` and val_fraction > 0 to choose on validation")
    fields = [k for k in varying_fields(scored) if k not in IGNORED_FIELDS]  # the seed is averaged over
    groups: dict[tuple, list[float]] = {}
    shown: dict[tuple, tuple] = {}
    for r in scored:
        # one candidate per setting, keyed in canonical JSON: a dict value (trainer_args) cannot be a key as it is
        key = (method_label(r.cfg), tuple((k, canonical_json(r.cfg.get(k))) for k in fields))
        shown.setdefault(key, tuple((k, r.cfg.get(k)) for k in fields))
        groups.setdefault(key, []).append(r.score(split, metric))
    cands = [Candidate(key[0], shown[key], tuple(v)) for key, v in groups.items()]
    return sorted(cands, key=lambda c: (-c.mean, [_sortable(v) for _, v in c.setting]))


def _sortable(value) -> tuple:
    """Numbers by value (10 after 2), everything else by its text, numbers first."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value, "")
    return (1, 0, json.dumps(value))


def format_ranking(cands: list[Candidate], split: str, metric: str) -> str:
    lines = [f"{'rank':>4}  {'method':<14} {'setting':<40} {split + ' ' + metric + ' (%)':>18}  seeds"]
    for i, c in enumerate(cands, 1):
        std = "—" if len(c.scores) < 2 else f"{c.std:.2f}"
        lines.append(f"{i:>4}  {c.method:<14} {c.describe():<40} {c.mean:>10.2f} ± {std:<5}  {len(c.scores)}")
    best = cands[0]
    lines.append(f"chosen on {split}: {best.method} {best.describe()}")
    return "\n".join(lines)
