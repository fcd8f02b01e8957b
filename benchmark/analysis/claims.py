"""`jepa-bench claims`: the claims ledger. Every claim of the paper, what the paper shows for it, the specs that
test it at paper scale and at CPU scale, and what our committed runs say, with the power of each verdict.

The claims are data (reports/paper/claims.yaml); the numbers come only from committed results trees, through
the same comparison tables the reports build (analysis/tables.py, analysis/ablation.py), so a verdict in the
ledger is the verdict of its report: the same test, the same Holm family (one experiment's comparisons
against one reference), the same power statement.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from benchmark.analysis.runs import ReportError, fmt_num, fmt_p

from benchmark.data.shipped import paper_dir

CLAIMS_FILE = paper_dir() / "claims.yaml"
CLAIM_KEYS = ("id", "title", "claim", "source", "paper", "paper_version", "evidence", "paper_effect", "paper_spec",
              "cpu_spec", "comparisons", "no_run", "note")
COMPARISON_KEYS = ("results", "task", "method", "versus", "measure", "model", "lbd", "predictors", "rows", "split",
                   "direction_only", "note")
# What a comparison measures, and the report table that holds it (the verdict is that table's).
MEASURES = {"score": "final score", "drop": "drop from the peak epoch (regular − arm)",
            "diagnostic": "fall of the JEPA term (arm − regular)",
            "linear_map": "held-out error of a linear map Text→Code (arm − regular)",
            "smoothness": "mean |Δ| of adjacent (k, λ) cells − of all pairs of cells",
            "data_efficiency": "data multiplier M / N on regular's learning curve"}
# The reference a comparison is set against, per measure: regular (tables.py, overfitting.py, diagnostic.py,
# representation.py), cosine LLM-JEPA (Table 3, ablation.py), LLM-JEPA without loss dropout at equal FLOPs
# (Table 6, loss_dropout.py) or all pairs of cells of a (k, λ) grid (Fig. 7, grid.py).
# The measures whose report tables judge by a rule of their own: the paper's direction, having no paper size
# (diagnostic.py, representation.py, grid.py), or the data multiplier's interval (data_efficiency.py); the others
# are in points and may be marked direction_only where no cell exists.
OWN_RULE = ("diagnostic", "linear_map", "smoothness", "data_efficiency")
REFERENCES = {"regular": "regular", "cosine": "cosine", "ld0": "LD 0, λ 1", "all_pairs": "all pairs of cells"}
# Each (measure, reference) the ledger reads: the report table that holds it (module, function), what the
# builder reads (SCORES: runs, split and the paper's numbers; RUNS: the runs alone; ANALYSES: what `jepa-bench
# represent` wrote into the tree) and what a tree lacks when that table is empty.
SCORES, RUNS, ANALYSES = "scores", "runs", "analyses"
TABLES = {("score", "regular"): ("tables", "comparison_table", SCORES, "regular comparison"),
          ("score", "cosine"): ("ablation", "ablation_table", SCORES,
                                "finished Table 3 variant (beside its cosine arm)"),
          ("score", "ld0"): ("loss_dropout", "loss_dropout_table", SCORES,
                             "finished loss-dropout arm under a FLOP budget (beside LD 0, λ 1)"),
          ("drop", "regular"): ("overfitting", "overfitting_table", SCORES, "runs with per-epoch evaluations"),
          ("diagnostic", "regular"): ("diagnostic", "diagnostic_table", RUNS, "runs that logged the JEPA diagnostic"),
          ("linear_map", "regular"): ("representation", "representation_table", ANALYSES,
                                      "representation analysis (`jepa-bench represent --all-seeds`)"),
          ("smoothness", "all_pairs"): ("grid", "grid_table", SCORES, "(k, λ) grid of at least two k and two λ"),
          ("data_efficiency", "regular"): ("data_efficiency", "data_efficiency_table", SCORES,
                                           "learning curve (regular on two or more training-set sizes, the arm "
                                           "on fewer rows than the largest, two seeds or more)")}


@dataclass(frozen=True)
class Comparison:
    results: str  # a committed results tree
    task: str
    method: str  # the treatment's method label (jepa, stp, jepa-l2, ...)
    versus: str = "regular"  # the reference (REFERENCES): regular, cosine (Table 3), ld0 (Table 6), all_pairs (grid)
    measure: str = "score"  # MEASURES: score (final accuracy), drop, diagnostic, linear_map or smoothness
    model: str | None = None  # pick one model's arm when the tree holds several (Table 15's sizes)
    lbd: float | None = None  # pick one arm when the tree holds several
    predictors: int | None = None
    rows: int | None = None  # pick the arm trained on this many rows (data_efficiency: the multiplier of N rows)
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
    comparisons: tuple[Comparison, ...] = ()
    no_run: str = ""  # why there are no runs (yet), when there are none
    note: str = ""


@dataclass
class Judged:
    """One comparison's row from its report's table."""

    comparison: Comparison
    row: dict = field(default_factory=dict)
    problem: str = ""


def _tuple(value) -> tuple:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, list) else (value,)


def load_claims(path: str | Path = CLAIMS_FILE) -> list[Claim]:
    """The ledger's data, every key checked (unknown keys fail with the file and the claim named)."""
    from benchmark.data.shipped import load_yaml
    from benchmark.training.options import ConfigError
    from tasks.base import did_you_mean

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
            measure = comp.get("measure", "score")
            if measure not in MEASURES:
                raise ConfigError(f"{where}: " + did_you_mean("measure", measure, list(MEASURES)))
            references = [v for m, v in TABLES if m == measure]
            # a measure with one reference needs no `versus` (smoothness is only against all pairs of cells)
            versus = comp.get("versus", references[0] if len(references) == 1 else "regular")
            if versus not in REFERENCES:
                raise ConfigError(f"{where}: " + did_you_mean("versus", versus, list(REFERENCES)))
            if (measure, versus) not in TABLES:
                raise ConfigError(f"{where}: measure {measure!r} is against {' or '.join(references)}, not {versus!r}")
            if comp.get("direction_only") and not c.get("paper_effect"):
                raise ConfigError(f"{where}: direction_only needs the claim's paper_effect, whose sign is the "
                                  "direction judged")
            if comp.get("direction_only") and measure in OWN_RULE:
                raise ConfigError(f"{where}: measure {measure!r} is judged by a rule of its own; drop direction_only")
            comps.append(Comparison(**{**comp, "versus": versus}))
        if not comps and not c.get("no_run"):
            raise ConfigError(f"{where}: a claim without comparisons must say why (no_run)")
        claims.append(Claim(**{**c, "paper_spec": _tuple(c.get("paper_spec")), "cpu_spec": _tuple(c.get("cpu_spec")),
                               "comparisons": tuple(comps), "no_run": c.get("no_run") or "",
                               "note": c.get("note") or ""}))
    ids = [c.id for c in claims]
    if len(set(ids)) != len(ids):
        raise ConfigError(f"{path}: a claim id appears twice")
    return claims


def _table(results: Path, split: str, kind: tuple[str, str], cache: dict):
    """One report table of a results tree (TABLES), built the first time a comparison asks for it."""
    import importlib

    from benchmark.analysis.paper import load_paper_numbers
    from benchmark.analysis.runs import load_runs
    from benchmark.runs.represent import read_analyses

    runs_key = (str(results), split)
    if runs_key not in cache:
        cache[runs_key] = (load_runs(results, log=lambda *a: None), load_paper_numbers())
    key = runs_key + kind
    if key not in cache:
        runs, paper = cache[runs_key]
        module, name, reads, _ = TABLES[kind]
        build = getattr(importlib.import_module(f"benchmark.analysis.{module}"), name)
        inputs = {SCORES: lambda: (runs, split, paper), RUNS: lambda: (runs,),
                  ANALYSES: lambda: (read_analyses(results),)}[reads]()
        cache[key] = build(*inputs)
    return cache[key]


def judge(comp: Comparison, root: Path, cache: dict, claim: Claim | None = None) -> Judged:
    judged = _judge_row(comp, root, cache)
    if comp.direction_only and not judged.problem:
        return _judge_direction_only(judged, claim)
    return judged


def _judge_direction_only(judged: Judged, claim: Claim) -> Judged:
    """A row the report could not judge for want of a paper cell ("no paper claim"), judged by the direction of
    the claim (`tables.direction_only_row`); a row that has a paper cell keeps its report's verdict and says
    that direction_only is not needed."""
    from benchmark.analysis.tables import direction_only_row
    from benchmark.analysis.verdicts import FLOOR_LABELS

    r, comp = judged.row, judged.comparison
    if r.get("verdict") in FLOOR_LABELS:
        return judged  # at the floor or ceiling no direction can be read, with or without a paper cell
    if r.get("verdict") != "no paper claim":
        return Judged(comp, problem=f"direction_only is set, but the report judges {comp.method} on {comp.task} "
                                    f"({r.get('verdict')}): remove direction_only from reports/paper/claims.yaml")
    if not r.get("n_pairs"):
        return judged
    # the report's reason for having no paper cell (e.g. "the paper's runs trained 4 epochs, these 6"), so the
    # ledger does not say the paper has no cell for a task where it has one that measures something else
    why = r.get("paper_note") or f"no cell for {comp.task}"
    source = f"{claim.source} ({why}: the claim's direction only)"
    label, reason, power_text = direction_only_row(r, claim.paper_effect, source=source, unit="points", digits=2)
    return Judged(comp, row={**r, "verdict": label, "verdict_reason": reason, "power": power_text,
                             "paper_table": source})


def _judge_row(comp: Comparison, root: Path, cache: dict) -> Judged:
    results = root / comp.results
    if not results.is_dir():
        return Judged(comp, problem=f"results tree {comp.results} is not committed")
    try:
        table = _table(results, comp.split, (comp.measure, comp.versus), cache)
    except ReportError as e:
        return Judged(comp, problem=str(e))
    if table.empty:
        what = TABLES[(comp.measure, comp.versus)][3]
        return Judged(comp, problem=f"no {what} in {comp.results} yet")
    rows = table[(table["task"] == comp.task) & (table["method"] == comp.method)]
    if comp.model is not None:
        rows = rows[rows["model"] == comp.model]
    if comp.lbd is not None:
        rows = rows[rows["lambda"] == comp.lbd]
    if comp.predictors is not None:
        rows = rows[rows["k"] == comp.predictors]
    if comp.rows is not None and "rows" in rows:
        rows = rows[rows["rows"] == comp.rows]
    if rows.empty:
        return Judged(comp, problem=f"no complete {comp.method} runs on {comp.task} in {comp.results} yet")
    if len(rows) > 1:
        return Judged(comp, problem=f"{len(rows)} arms of {comp.method} on {comp.task} in {comp.results}: "
                                    "name model, lbd or predictors")
    return Judged(comp, row=rows.iloc[0].to_dict())


def claim_status(claim: Claim, judged: list[Judged]) -> str:
    """One label per claim: the verdicts of its comparisons, or why it has none."""
    if not claim.comparisons:
        return "no runs"
    labels = [j.row.get("verdict", "") if not j.problem else "no result" for j in judged]
    verdicts = [v for v in labels if v.startswith(("reproduced", "not reproduced", "inconclusive"))]
    if not verdicts:
        return "runs, no verdict"
    if len(set(verdicts)) == 1:
        return verdicts[0]
    counts = {}
    for v in verdicts:
        counts[v] = counts.get(v, 0) + 1
    return "; ".join(f"{n}× {v}" for v, n in counts.items())


def _ours(j: Judged) -> str:
    r = j.row
    if j.problem:
        return f"— ({j.problem})"
    if isinstance(r.get("ours"), str):  # a table whose test is not a paired t-test says what it measured
        return r["ours"]
    comp = j.comparison
    digits, unit = {"diagnostic": (4, ""), "linear_map": (3, "")}.get(comp.measure, (2, " points"))
    what = "Δ" if comp.measure == "score" else f"Δ {MEASURES[comp.measure]}"
    arm = r["variant"] if comp.versus == "ld0" else r["method"]
    arm += f" k={comp.predictors}" if comp.predictors is not None and comp.versus != "ld0" else ""  # picked: name it
    task = f"{r['task']} ({r['model']})" if comp.model else r["task"]  # the comparison picked a model: name it
    return (f"{arm} on {task}: {what} vs {REFERENCES[comp.versus]} {fmt_num(r['delta'], digits)}{unit} over "
            f"{int(r['n_pairs'])} seeds (p {fmt_p(r['p'])}, Holm {fmt_p(r.get('p_holm', math.nan))}), "
            f"MDE {fmt_num(r.get('mde', math.nan), digits)}")


def rows_for_csv(claims: list[Claim], judged: dict[str, list[Judged]]) -> list[dict]:
    out = []
    for c in claims:
        base = {"id": c.id, "title": c.title, "source": c.source, "evidence": c.evidence,
                "paper_version": c.paper_version, "paper_effect": c.paper_effect,
                "paper_spec": " ".join(c.paper_spec), "cpu_spec": " ".join(c.cpu_spec),
                "status": claim_status(c, judged[c.id])}
        if not c.comparisons:
            out.append({**base, "why_no_run": c.no_run})
            continue
        for j in judged[c.id]:
            r = j.row
            out.append({**base, "results": j.comparison.results, "task": j.comparison.task,
                        "method": j.comparison.method, "versus": j.comparison.versus,
                        "measure": j.comparison.measure,
                        "delta": r.get("delta"), "n_seeds": r.get("n_pairs"), "p": r.get("p"),
                        "p_holm": r.get("p_holm"), "mde": r.get("mde"), "paper_delta_matched": r.get("paper_delta"),
                        "verdict": r.get("verdict", ""), "reason": r.get("verdict_reason", j.problem),
                        "power": r.get("power", "")})
    return out


def render(claims: list[Claim], judged: dict[str, list[Judged]]) -> str:
    from benchmark.analysis.verdicts import VERDICT_RULE

    with_runs = sum(bool(c.comparisons) for c in claims)
    with_verdict = sum(claim_status(c, judged[c.id]).startswith(("reproduced", "not reproduced", "inconclusive"))
                       for c in claims)
    lines = ["# Claims ledger: LLM-JEPA (arXiv 2509.14252 v2) and Semantic Tube Prediction (arXiv 2602.22617)", "",
             "Built by `jepa-bench claims` from `reports/paper/claims.yaml` and the committed results trees; every "
             "verdict is the one its report draws (same test, Holm family and power), except that an arm for "
             "which the paper prints no cell (a dataset beyond its tables) is judged by the claim's direction "
             "alone, from the same row. "
             f"{len(claims)} claims: {with_runs} with runs of ours, {with_verdict} with a verdict. "
             "Our runs are CPU-scale (a 135M or 16M model, a few hundred training rows, three to five seeds): a "
             "verdict is about the claim at that scale, and says whether an effect of the paper's size would have "
             "been visible.", "",
             "| claim | paper (source) | paper-scale spec | CPU-scale spec | ours | verdict |", "|---|---|---|---|---|---|"]
    for c in claims:
        status = claim_status(c, judged[c.id])
        ours = "; ".join(_ours(j) for j in judged[c.id]) if c.comparisons else f"— ({c.no_run})"
        effect = "" if c.paper_effect is None else f", Δ {c.paper_effect:+g}"
        lines.append(f"| **{c.title}** | {c.source}{effect} ({c.evidence}) | {', '.join(f'`{s}`' for s in c.paper_spec) or '—'} "
                     f"| {', '.join(f'`{s}`' for s in c.cpu_spec) or '—'} | {ours} | **{status}** |")
    lines += ["", "## Rule", "", VERDICT_RULE, "",
              "Holm family: the comparisons of one experiment (one results tree's task table of one model, or one setting's "
              "Table 3 variants), chosen because each experiment answers its own claim; claims of different "
              "experiments are not corrected against each other. The minimum detectable effect (MDE) is at "
              "α = 0.05 per comparison, before correction.", "", "## Claims", ""]
    for c in claims:
        lines += [f"### {c.title} (`{c.id}`)", "", f"> {c.claim}", "",
                  f"* paper: {c.paper} [{c.source}; {c.paper_version}; {c.evidence}]"]
        if c.paper_spec:
            lines.append(f"* paper-scale spec: {', '.join(f'`{s}`' for s in c.paper_spec)}")
        if c.cpu_spec:
            lines.append(f"* CPU-scale spec: {', '.join(f'`{s}`' for s in c.cpu_spec)}")
        if not c.comparisons:
            lines.append(f"* no runs of ours: {c.no_run}")
        for j in judged[c.id]:
            if j.problem:
                lines.append(f"* `{j.comparison.results}`: {j.problem}")
                continue
            r = j.row
            src = r.get("paper_table") or r.get("paper_note") or ""
            lines += [f"* `{j.comparison.results}`: {_ours(j)}; paper cell: {src or '—'}",
                      f"  * **{r['verdict']}**: {r['verdict_reason']}"]
            if j.comparison.note:
                lines.append(f"  * {j.comparison.note}")
        if c.note:
            lines.append(f"* note: {c.note}")
        lines.append("")
    return "\n".join(lines)


def build_ledger(out_dir: str | Path = "reports", *, claims_file: str | Path = CLAIMS_FILE,
                 root: str | Path = ".") -> Path:
    """Write OUT/claims.md and OUT/claims.csv; returns the markdown path."""
    import pandas as pd

    from benchmark import store

    claims = load_claims(claims_file)
    root = Path(root)
    cache: dict = {}
    judged = {c.id: [judge(comp, root, cache, c) for comp in c.comparisons] for c in claims}
    out_dir = Path(out_dir)
    store.check_writable(out_dir)
    md = out_dir / "claims.md"
    md.write_text(render(claims, judged) + "\n", encoding="utf-8")
    pd.DataFrame(rows_for_csv(claims, judged)).to_csv(out_dir / "claims.csv", index=False)
    return md
