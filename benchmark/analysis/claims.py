"""`jepa-bench claims`: the claims ledger. Every claim of the paper, what the paper shows for it, the specs that
test it at paper scale and at CPU scale, and what our committed runs say, with the power of each verdict.

The claims are data (paper/claims.yaml); the numbers come only from committed results trees, through
the same comparison tables the reports build (analysis/tables.py, analysis/ablation.py), so a verdict in the
ledger is the verdict of its report: the same test, the same Holm family (one experiment's comparisons
against one reference), the same power statement.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from benchmark.analysis.runs import ReportError

from benchmark.data.shipped import paper_dir

CLAIMS_FILE = paper_dir() / "claims.yaml"
CLAIM_KEYS = ("id", "title", "claim", "source", "paper", "paper_version", "evidence", "paper_effect", "paper_spec",
              "cpu_spec", "comparisons", "no_run", "note", "external")
# Replications by others, printed under a claim as not run here; they never enter a verdict.
EXTERNAL_KEYS = ("source", "title", "setting", "result", "test", "checked")
COMPARISON_KEYS = ("results", "task", "method", "versus", "measure", "model", "lbd", "predictors", "rows", "epochs",
                   "split", "direction_only", "note")
# What a comparison measures, against which reference, and the report table that holds it: the registered
# comparison records (analysis/comparisons.py), looked up by (measure, versus).


@dataclass(frozen=True)
class Entry:
    """One comparison a claim cites: a registered comparison (measure, versus) on one arm of one results tree."""
    results: str  # a committed results tree
    task: str
    method: str  # the treatment's method label (jepa, stp, jepa-l2, ...)
    versus: str = "regular"  # the reference: regular, cosine (Table 3), ld0 (Table 6), all_pairs (grid), ...
    measure: str = "score"  # a registered measure: score, drop, diagnostic, linear_map, smoothness, ...
    model: str | None = None  # pick one model's arm when the tree holds several (Table 15's sizes)
    lbd: float | None = None  # pick one arm when the tree holds several
    predictors: int | None = None
    rows: int | None = None  # pick the arm trained on this many rows (data_efficiency: the multiplier of N rows)
    epochs: float | None = None  # pick the arm trained this many epochs (data_efficiency: STP's 1/16 of the rows
    # trains 16x the epochs)
    split: str = "test"
    # the paper prints no cell for this arm (a dataset beyond its tables): judge it by the claim's direction (the
    # sign of its paper_effect) alone, with the report row's own test, Holm family and MDE
    direction_only: bool = False
    note: str = ""


@dataclass(frozen=True)
class Claim:
    id: str
    title: str
    claim: str  # the paper's words
    source: str  # table / figure
    paper: str  # the paper's evidence, numbers as printed
    paper_version: str
    evidence: str  # main text / appendix, second-hand / uncertain
    paper_effect: float | None = None  # the paper's headline difference, percentage points
    paper_spec: tuple[str, ...] = ()
    cpu_spec: tuple[str, ...] = ()
    comparisons: tuple[Entry, ...] = ()
    no_run: str = ""  # why there are no runs (yet), when there are none
    note: str = ""
    external: tuple[dict, ...] = ()  # others' replications (EXTERNAL_KEYS), shown as not run here


@dataclass
class Judged:
    """One comparison's row from its report's table."""

    comparison: Entry
    row: dict = field(default_factory=dict)
    problem: str = ""
    setting: str = ""  # ours beside the paper's (analysis/settings.py), set by `with_settings`
    cpu_scale: bool = False  # more than 10x from the paper's parameters or training rows


def with_settings(judged: Judged, claim: Claim, root: Path, cache: dict) -> Judged:
    """The comparison's setting line, ours beside the paper's, and whether it is at CPU scale."""
    import dataclasses

    from benchmark.analysis.settings import comparison_setting

    if judged.problem:
        return judged
    comp = judged.comparison
    inputs = cache.get((str(root / comp.results), comp.split))
    model = comp.model or judged.row.get("model")  # the row's own model where the tree holds several
    line, cpu = comparison_setting(inputs.runs if inputs else [], comp.split, comp.task, model,
                                   f"{judged.row.get('paper_table') or ''} {claim.source}")
    return dataclasses.replace(judged, setting=line, cpu_scale=cpu)


def _tuple(value) -> tuple:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, list) else (value,)


def load_claims(path: str | Path = CLAIMS_FILE) -> list[Claim]:
    """The ledger's data, every key checked (unknown keys fail with the file and the claim named)."""
    from benchmark.analysis.comparisons import get_comparison
    from benchmark.data.shipped import load_yaml
    from benchmark.training.options import ConfigError
    from tasks.registry import did_you_mean

    try:
        d = load_yaml(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"cannot read the claims file {path}: {e.strerror or e}") from None
    except (UnicodeDecodeError, yaml.YAMLError) as e:
        raise ConfigError(f"{path}: not valid YAML ({str(e).splitlines()[0]})") from None
    if not isinstance(d, dict) or not isinstance(d.get("claims", []), list):
        raise ConfigError(f"{path}: the claims file is a YAML mapping whose `claims` is a list")
    claims = []
    for i, c in enumerate(d.get("claims", [])):
        where = f"{path}: claim {c.get('id', i)!r}"
        bad = sorted(set(c) - set(CLAIM_KEYS))
        if bad:
            raise ConfigError(f"{where}: " + "; ".join(did_you_mean("claim key", b, list(CLAIM_KEYS)) for b in bad))
        comps = []
        for comp in c.get("comparisons") or []:
            bad = sorted(set(comp) - set(COMPARISON_KEYS))
            if bad:
                raise ConfigError(f"{where}: " + "; ".join(did_you_mean("comparison key", b, list(COMPARISON_KEYS))
                                                          for b in bad))
            try:
                record = get_comparison(comp.get("measure", "score"), comp.get("versus"))
            except ConfigError as e:
                raise ConfigError(f"{where}: {e}") from None
            if comp.get("direction_only") and not c.get("paper_effect"):
                raise ConfigError(f"{where}: direction_only needs the claim's paper_effect, whose sign is the "
                                  "direction judged")
            if comp.get("direction_only") and record.own_rule:
                raise ConfigError(f"{where}: measure {record.measure!r} is judged by a rule of its own; drop "
                                  "direction_only")
            comps.append(Entry(**{**comp, "measure": record.measure, "versus": record.versus}))
        for ext in c.get("external") or []:
            if not isinstance(ext, dict) or set(ext) - set(EXTERNAL_KEYS) or not {"source", "result"} <= set(ext):
                raise ConfigError(f"{where}: an external entry is a mapping of {', '.join(EXTERNAL_KEYS)} with at "
                                  "least source and result")
        if not comps and not c.get("no_run"):
            raise ConfigError(f"{where}: a claim without comparisons must say why (no_run)")
        claims.append(Claim(**{**c, "paper_spec": _tuple(c.get("paper_spec")), "cpu_spec": _tuple(c.get("cpu_spec")),
                               "comparisons": tuple(comps), "no_run": c.get("no_run") or "",
                               "note": c.get("note") or "", "external": tuple(c.get("external") or ())}))
    ids = [c.id for c in claims]
    if len(set(ids)) != len(ids):
        raise ConfigError(f"{path}: a claim id appears twice")
    return claims


def _table(results: Path, split: str, comparison, cache: dict):
    """One registered comparison's table of a results tree, built the first time an entry asks for it."""
    from benchmark.analysis.comparisons import Inputs
    from benchmark.analysis.paper import load_paper_numbers
    from benchmark.analysis.runs import load_runs

    runs_key = (str(results), split)
    if runs_key not in cache:
        cache[runs_key] = Inputs(load_runs(results, log=lambda *a: None), split, load_paper_numbers(), results)
    key = runs_key + comparison.key
    if key not in cache:
        cache[key] = comparison.build(cache[runs_key])
    return cache[key]


def judge(comp: Entry, root: Path, cache: dict, claim: Claim | None = None) -> Judged:
    judged = _judge_row(comp, root, cache)
    if comp.direction_only and not judged.problem:
        return _judge_direction_only(judged, claim)
    return judged


def _judge_direction_only(judged: Judged, claim: Claim) -> Judged:
    """A row the report could not judge for want of a paper cell ("no paper claim"), or judged against a cell of
    another setting than the claim's own (the report's row faces Table 2's from-scratch cell, the claim is Table
    15's fine-tuning one), judged by the direction of the claim (`tables.direction_only_row`); a row whose cell is
    the claim's own keeps its report's verdict and says that direction_only is not needed."""
    import re

    from benchmark.analysis.tables import direction_only_row
    from benchmark.analysis.verdicts import FLOOR_LABELS

    r, comp = judged.row, judged.comparison
    if r.get("verdict") in FLOOR_LABELS:
        return judged  # at the floor or ceiling no direction can be read, with or without a paper cell
    faced = str(r.get("paper_table") or "")
    own = bool(faced) and re.search(rf"\b{re.escape(faced.split(' (')[0])}\b", claim.source) is not None
    if r.get("verdict") != "no paper claim" and own:
        return Judged(comp, problem=f"direction_only is set, but the report judges {comp.method} on {comp.task} "
                                    f"against the claim's own {faced} ({r.get('verdict')}): remove direction_only "
                                    "from paper/claims.yaml")
    if not r.get("n_pairs"):
        return judged
    # the report's reason for having no paper cell (e.g. "the paper's runs trained 4 epochs, these 6"), or the
    # other setting's cell it faced, so the ledger does not say the paper has no cell where it has one elsewhere
    if r.get("verdict") == "no paper claim":
        why = r.get("paper_note") or f"no cell for {comp.task}"
    else:
        why = f"the report's row faces {faced}, another setting than {claim.source}'s; no cell of this setting"
    source = f"{claim.source} ({why}: the claim's direction only)"
    pooled = (r["pooled_sd"], int(r["pooled_df"]), int(r["pooled_n"])) if "pooled_sd" in r else None
    label, reason, power_text = direction_only_row(r, claim.paper_effect, source=source, unit="points", digits=2,
                                                   pooled=pooled)
    return Judged(comp, row={**r, "verdict": label, "verdict_reason": reason, "power": power_text,
                             "paper_table": source})


def _judge_row(comp: Entry, root: Path, cache: dict) -> Judged:
    from benchmark.analysis.comparisons import get_comparison

    results = root / comp.results
    if not results.is_dir():
        return Judged(comp, problem=f"results tree {comp.results} is not committed")
    record = get_comparison(comp.measure, comp.versus)
    try:
        table = _table(results, comp.split, record, cache)
    except ReportError as e:
        return Judged(comp, problem=str(e))
    if table.empty:
        return Judged(comp, problem=f"no {record.missing} in {comp.results} yet")
    rows = table[(table["task"] == comp.task) & (table["method"] == comp.method)]
    if comp.model is not None:
        rows = rows[rows["model"] == comp.model]
    if comp.lbd is not None:
        rows = rows[rows["lambda"] == comp.lbd]
    if comp.predictors is not None:
        rows = rows[rows["k"] == comp.predictors]
    if comp.rows is not None and "rows" in rows:
        rows = rows[rows["rows"] == comp.rows]
    if comp.epochs is not None and "epochs" in rows:
        rows = rows[rows["epochs"] == float(comp.epochs)]
    if rows.empty:
        return Judged(comp, problem=f"no complete {comp.method} runs on {comp.task} in {comp.results} yet")
    if len(rows) > 1:
        return Judged(comp, problem=f"{len(rows)} arms of {comp.method} on {comp.task} in {comp.results}: "
                                    "name model, lbd, predictors, rows or epochs")
    return Judged(comp, row=rows.iloc[0].to_dict())


def claim_status(claim: Claim, judged: list[Judged]) -> str:
    """One label per claim: the verdicts of its comparisons, or why it has none."""
    if not claim.comparisons:
        return "no runs"
    labels = [j.row.get("verdict", "") if not j.problem else "no result" for j in judged]
    verdicts = [v for v in labels if v.startswith(("reproduced", "not reproduced", "inconclusive"))]
    if not verdicts:
        return "runs, no verdict"
    scale = " at CPU scale" if any(j.cpu_scale for j in judged if not j.problem) else ""
    if len(set(verdicts)) == 1:
        return verdicts[0] + scale
    counts = {}
    for v in verdicts:
        counts[v] = counts.get(v, 0) + 1
    return "; ".join(f"{n}× {v}" for v, n in counts.items()) + scale


def judge_all(claims_file: str | Path = CLAIMS_FILE, root: str | Path = ".") -> tuple[list[Claim], dict]:
    """Every claim and the judged rows of its comparisons, with their setting lines."""
    claims = load_claims(claims_file)
    root = Path(root)
    cache: dict = {}
    judged = {c.id: [with_settings(judge(comp, root, cache, c), c, root, cache) for comp in c.comparisons]
              for c in claims}
    return claims, judged
