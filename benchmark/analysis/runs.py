"""Reading a results tree: the runs, their arms and scores, for every table, figure, choice and check.

A `Run` is one complete run directory's summary. Runs that differ only in their seed form an arm; an arm's
baseline is the `regular` arm with the same settings apart from the arm fields (config fields declared
with `arm=True`: the objective and its settings). Scores are in percent.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from benchmark import store
from benchmark.training.config import setting_fields
from benchmark.training.options import canonical_numbers
from benchmark.training.objectives import BASELINE, get_objective

# what makes an arm differ from its baseline (TrainConfig's arm fields and the objectives' options)
OBJECTIVE_FIELDS = tuple(f.name for f in setting_fields() if f.metadata.get("arm"))
GRID_AXES = ("lbd", "predictors")  # what varies across the cells of one (k, λ) grid
IGNORED_FIELDS = ("seed",) + tuple(f.name for f in setting_fields() if not f.metadata.get("identity", True))


class ReportError(ValueError):
    """Nothing to report (an empty or foreign results tree, unreadable runs); the message says what to do."""


def method_label(cfg: dict) -> str:
    """regular, jepa, jepa-l2, jepa-front_pred, jepa-ld0.5, stp, ... (the labels of paper/).
    An objective this installation does not know keeps its bare name."""
    try:
        return get_objective(cfg["objective"]).method_label(cfg)
    except KeyError:
        return str(cfg["objective"])


def uses_predictors(cfg: dict) -> bool:
    """Whether k ([PRED] tokens) means anything for this run's objective (it reads the Text/Code views)."""
    try:
        return get_objective(cfg["objective"]).needs_views
    except KeyError:
        return False


def canonical_json(value) -> str:
    """A config value as the run id hashes it: `epochs: 4` and `epochs: 4.0` pair as one setting."""
    return json.dumps(canonical_numbers(value))


def is_baseline(cfg: dict) -> bool:
    return cfg["objective"] == BASELINE


@dataclass
class Run:
    run_id: str
    path: Path
    cfg: dict
    summary: dict
    metric_override: str | None = None  # `report --metric`

    @property
    def headline(self) -> str:
        """The metric the tables lead with: --metric when given, prefix match for runs from random
        initialisation (paper §4.1: such models do not learn to stop), else the task's parity metric."""
        metrics = self.summary["evaluations"][-1]["metrics"]
        if self.metric_override:
            if self.metric_override not in metrics:
                raise ReportError(f"run {self.run_id} has no metric {self.metric_override!r}; it has {', '.join(metrics)}")
            return self.metric_override
        if self.cfg.get("pretrain") and "prefix" in metrics:
            return "prefix"
        return self.summary["evaluations"][-1]["main_metric"]

    @property
    def epochs_trained(self) -> float:
        """The config's epochs, or where a FLOP budget stopped the run first, the epochs it reached (an LD 0
        arm stopped after 2.3 of 6 epochs faces no six-epoch paper cell; Table 6 judges it instead)."""
        if self.summary.get("stopped_by_budget") and self.summary.get("epochs_run") is not None:
            return float(self.summary["epochs_run"])
        return float(self.cfg.get("epochs", 0))

    @property
    def setting(self) -> tuple:
        """What the regular baseline must share with this run."""
        return tuple(sorted((k, canonical_json(v)) for k, v in self.cfg.items()
                            if k not in OBJECTIVE_FIELDS and k not in IGNORED_FIELDS))

    @property
    def arm(self) -> tuple:
        return self.setting + tuple((k, canonical_json(self.cfg.get(k))) for k in OBJECTIVE_FIELDS)

    @property
    def grid(self) -> tuple:
        """The arm with λ and k left free: the runs of one (k, λ) grid share it (grid.py, and the rule that a grid
        faces the paper's cell only at the paper's own λ and k, paper_cells.py)."""
        return tuple(kv for kv in self.arm if kv[0] not in GRID_AXES)

    @property
    def label(self) -> str:
        return method_label(self.cfg)

    def evaluations(self, split: str) -> list[dict]:
        return [e for e in self.summary["evaluations"] if e["split"] == split]

    def score(self, split: str, metric: str | None = None, epoch: float | None = None) -> float | None:
        evs = self.evaluations(split)
        if not evs:
            return None
        ev = evs[-1] if epoch is None else next((e for e in evs if e["epoch"] == epoch), None)
        if ev is None:
            return None
        return 100 * ev["metrics"][metric or self.headline]["accuracy"]

    def capped_share(self, split: str) -> float | None:
        """Percent of the last `split` evaluation's outputs that ran into max_new_tokens without ending their turn
        (metrics.json `asked.hit_max_new_tokens`): where it is high, the cap, not the model, sets the score
        (GSM8K's chains of thought under the authors' 128 tokens). None where not recorded (a choice task)."""
        evs = self.evaluations(split)
        if not evs or "path" not in evs[-1]:
            return None
        try:
            metrics = store.read_json(self.path / evs[-1]["path"] / store.EVAL_METRICS)
        except store.StoreError:
            return None
        hit, n = metrics.get("asked", {}).get("hit_max_new_tokens"), metrics.get("n")
        return None if hit is None or not n or metrics["asked"].get("kind") == "choice" else 100.0 * hit / n

    def final_flags(self, split: str, metric: str | None = None) -> list[int] | None:
        """Per example of the last `split` evaluation: 1 when `metric` judged it correct, else 0 (undecided
        counts wrong, as in the accuracy); None when the predictions file is not there."""
        evs = self.evaluations(split)
        if not evs or "path" not in evs[-1]:
            return None
        path = self.path / evs[-1]["path"] / store.PREDICTIONS
        if not path.is_file():
            return None
        name = metric or self.headline
        flags = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                verdict = json.loads(line)["verdicts"].get(name)
                if verdict is None:
                    return None
                flags.append(1 if verdict["correct"] is True else 0)
        return flags

    def train_log(self) -> list[dict]:
        path = self.path / store.TRAIN_LOG
        if not path.is_file():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def record(self) -> dict:
        """The run's config.json (provenance, data counts)."""
        return store.read_json(self.path / store.CONFIG)


def group_arms(runs: list[Run]) -> list[tuple[list[Run], list[Run] | None]]:
    """Each arm (runs that differ only in their seed), with the `regular` arm of its setting (None when the
    tree has none; the regular arm itself is paired with itself), in the order the runs came."""
    arms: dict[tuple, list[Run]] = {}
    for r in runs:
        arms.setdefault(r.arm, []).append(r)
    regular = {rs[0].setting: rs for rs in arms.values() if is_baseline(rs[0].cfg)}
    return [(rs, regular.get(rs[0].setting)) for rs in arms.values()]


def load_runs(results: Path, metric: str | None = None, *, skip_broken: bool = False, log=print) -> list[Run]:
    """Every complete run under `results`. A run whose summary cannot be read fails the load (naming each
    such run) unless `skip_broken`, which lists them and goes on: a report never silently drops a run."""
    results = Path(results)
    if not results.exists():
        raise ReportError(f"results tree {results} does not exist")
    store.check_schema(results)
    broken = store.broken_runs(results)
    if broken:
        lines = "; ".join(f"{p}: {why}" for p, why in broken)
        if not skip_broken:
            raise ReportError(f"{len(broken)} run(s) under {results} cannot be read ({lines}): repair or remove "
                              "them, or pass --skip-broken to leave them out")
        log(f"left out {len(broken)} unreadable run(s): {lines}")
    runs = []
    left_out = {p for p, _ in broken}
    for d in store.run_dirs(results):
        if d in left_out:  # a complete summary, but a damaged evaluation file: not a run to read
            continue
        s = store.read_summary(d)
        runs.append(Run(s["run_id"], d, with_defaults(s["config"]), s, metric))
    # Content order, not folder order: a report must not change when run ids are rehashed (schema 3 renamed
    # every committed run), so which run comes first, and the order of every float sum, follow the configs.
    runs.sort(key=lambda r: (json.dumps(r.cfg, sort_keys=True, default=str), str(r.summary.get("started", ""))))
    if not runs:
        raise ReportError(f"no complete runs under {results} (a run is complete when its "
                          f"{store.SUMMARY} is)")
    versions: dict[str, set] = {}
    for r in runs:
        versions.setdefault(r.cfg["task"], set()).add((r.summary.get("task") or {}).get("version"))
    mixed = {t: sorted(v, key=str) for t, v in versions.items() if len(v) > 1}
    if mixed:
        what = "; ".join(f"{t} v{', v'.join(map(str, v))}" for t, v in sorted(mixed.items()))
        raise ReportError(f"{results} mixes versions of a task ({what}): a comparison must not pair runs of "
                          "different versions; rebuild the older runs (`sweep plan` lists them as stale) or move "
                          "them to another tree")
    return runs


def with_defaults(cfg: dict) -> dict:
    """A recorded config with every field a later version added filled in with its default (the value the
    run had, since the field did not exist), so runs of different versions compare field by field."""

    missing = {f.name: f.default for f in setting_fields() if f.name not in cfg}
    return {**cfg, **missing}


def differences(own: dict, others: list[dict]) -> str:
    """'lr 0.0001, epochs 8': the fields of one setting (canonical JSON values, as `Run.setting` holds them) whose
    values differ among `others` (its siblings, itself included), for naming one of several lines or grids."""
    return ", ".join(f"{k} {json.loads(own[k])}" for k in sorted(own) if len({o.get(k) for o in others}) > 1)


def varying_fields(runs: list[Run]) -> list[str]:
    keys = sorted({k for r in runs for k in r.cfg})
    return [k for k in keys if len({canonical_json(r.cfg.get(k)) for r in runs}) > 1]


def load_results(root: Path):
    """A pandas DataFrame with one row per (run, epoch, split, metric): the config fields as columns
    (prefixed `cfg.`), then epoch, split, metric, accuracy, correct, undecided, n and the run's FLOPs."""
    import pandas as pd

    rows = []
    for run in load_runs(root):
        s = run.summary
        cfg = {f"cfg.{k}": (json.dumps(v) if isinstance(v, (list, dict)) else v) for k, v in s["config"].items()}
        for ev in s.get("evaluations", []):
            for metric, m in ev["metrics"].items():
                rows.append({"run_id": s["run_id"], "run_dir": str(run.path), **cfg,
                             "task_version": s["task"]["version"], "epoch": ev["epoch"], "step": ev["step"],
                             "flops": ev.get("flops"), "split": ev["split"], "metric": metric,
                             "main": metric == ev["main_metric"], "accuracy": m["accuracy"],
                             "correct": m["correct"], "undecided": m["undecided"], "n": ev["n"]})
    return pd.DataFrame(rows)


def arm_settings(row) -> str:
    """' (λ = 1, k = 3)' for a JEPA arm, ' (λ = 0.02)' for STP, '' for the baseline: names an arm in a report's
    verdict lines, where two arms of one method (e.g. k = 3 and k = 0) would otherwise read alike."""
    if row["lambda"] is None or row["lambda"] != row["lambda"]:  # None/NaN: the baseline
        return ""
    k = "" if row["k"] is None or row["k"] != row["k"] else f", k = {int(row['k'])}"  # None/NaN: no [PRED] tokens
    return f" (λ = {row['lambda']:g}{k})"


def arm_heading(row, several_models: bool = False) -> str:
    """'synth jepa (λ = 2, k = 3)' for a report's verdict lines, with ' on MODEL' where the tree holds several
    models (the model-size sweep), whose arms would otherwise read alike."""
    model = f" on {row['model']}" if several_models else ""
    return f"{row['task']} {row['method']}{model}{arm_settings(row)}"


def fmt_num(x, digits: int = 2) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def fmt_p(x) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else (f"{x:.2e}" if x < 1e-3 else f"{x:.4f}")
