"""Writing the claims ledger: reports/claims.md (every claim, its comparisons, verdicts, settings and others'
replications), reports/claims.csv, and the README's summary table between its markers, all from the claims
judged by claims.py. `jepa-bench claims` runs `build_ledger_and_readme`."""
from __future__ import annotations

import math
from pathlib import Path

from benchmark.analysis.claims import CLAIMS_FILE, Claim, Judged, claim_status, judge_all
from benchmark.analysis.runs import fmt_num, fmt_p


def _ours(j: Judged) -> str:
    from benchmark.analysis.comparisons import get_comparison

    r = j.row
    if j.problem:
        return f"— ({j.problem})"
    if isinstance(r.get("ours"), str):  # a table whose test is not a paired t-test says what it measured
        return r["ours"]
    comp = j.comparison
    record = get_comparison(comp.measure, comp.versus)
    what = "Δ" if comp.measure == "score" else f"Δ {record.description}"
    arm = r[record.arm_column]
    arm += f" k={comp.predictors}" if comp.predictors is not None and record.arm_column == "method" else ""  # picked
    task = f"{r['task']} ({r['model']})" if comp.model else r["task"]  # the comparison picked a model: name it
    return (f"{arm} on {task}: {what} vs {record.reference} {fmt_num(r['delta'], record.digits)}{record.unit} over "
            f"{int(r['n_pairs'])} seeds (p {fmt_p(r['p'])}, Holm {fmt_p(r.get('p_holm', math.nan))}), "
            f"MDE {fmt_num(r.get('mde', math.nan), record.digits)}")


def _paper_cell(j: Judged) -> str:
    """The paper cell a row faces: the report's own name for it, else its comparison's source with the paper's
    Δ of that arm (the Table 3 and Table 6 rows, whose tables name no cell), else its reason or a dash."""
    import math

    from benchmark.analysis.comparisons import get_comparison

    r = j.row
    if r.get("paper_table"):
        return str(r["paper_table"])
    delta = r.get("paper_delta")
    if delta is not None and not (isinstance(delta, float) and math.isnan(delta)):
        record = get_comparison(j.comparison.measure, j.comparison.versus)
        arm = r.get(record.arm_column, j.comparison.method)
        return f"{record.paper}: {arm} vs {record.reference}, Δ {delta:+.2f}"
    why = r.get("paper_note") or r.get("no_claim")  # the report's reason for having no cell
    return f"none ({why})" if isinstance(why, str) and why else "—"


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
             "Built by `jepa-bench claims` from `paper/claims.yaml` and the committed results trees; every "
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
            lines += [f"* `{j.comparison.results}`: {_ours(j)}; paper cell: {_paper_cell(j)}",
                      f"  * **{r['verdict']}**: {r['verdict_reason']}"]
            if j.setting:
                lines.append(f"  * setting: {j.setting}")
            if j.comparison.note:
                lines.append(f"  * {j.comparison.note}")
        if c.note:
            lines.append(f"* note: {c.note}")
        for ext in c.external:
            title = ext.get("title") or ext["source"]
            parts = [ext.get("setting"), ext["result"], ext.get("test")]
            lines.append(f"* external, not run here (never part of our verdict): [{title}]({ext['source']}): "
                         + "; ".join(p for p in parts if p)
                         + (f" (checked against {ext['checked']})" if ext.get("checked") else ""))
        lines.append("")
    return "\n".join(lines)


def write_ledger(out_dir: str | Path, claims: list[Claim], judged: dict) -> Path:
    """Write OUT/claims.md and OUT/claims.csv; returns the markdown path."""
    import pandas as pd

    from benchmark import store

    out_dir = Path(out_dir)
    store.check_writable(out_dir)
    md = out_dir / "claims.md"
    md.write_text(render(claims, judged) + "\n", encoding="utf-8")
    pd.DataFrame(rows_for_csv(claims, judged)).to_csv(out_dir / "claims.csv", index=False)
    return md


def build_ledger(out_dir: str | Path = "reports", *, claims_file: str | Path = CLAIMS_FILE,
                 root: str | Path = ".") -> Path:
    """Write OUT/claims.md and OUT/claims.csv from the claims data and the committed results trees."""
    return write_ledger(out_dir, *judge_all(claims_file, root))


README_BEGIN = "<!-- claims table: generated by `jepa-bench claims` from reports/claims.csv; do not edit -->"
README_END = "<!-- end of the claims table -->"


def _anchor(title: str, claim_id: str) -> str:
    """GitHub's anchor of the ledger heading `### {title} (`{id}`)`."""
    import re

    text = f"{title} ({claim_id})".lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _short(j: Judged) -> str:
    """One comparison in a few words for the README: the arm, Δ and seeds, its verdict."""
    r, comp = j.row, j.comparison
    tree = comp.results.split("/")[-1]
    if j.problem:
        return f"`{tree}`: — ({j.problem})"
    if isinstance(r.get("ours"), str):
        return f"`{tree}`: {r['ours']} → {r['verdict']}"
    from benchmark.analysis.comparisons import get_comparison

    record = get_comparison(comp.measure, comp.versus)
    arm = r[record.arm_column] + (f" k={comp.predictors}" if comp.predictors is not None
                                  and record.arm_column == "method" else "")
    model = f" ({r['model']})" if comp.model else ""
    what = "Δ" if comp.measure == "score" else f"Δ {comp.measure}"
    return (f"`{tree}`: {arm} on {r['task']}{model} {what} {fmt_num(r['delta'], record.digits)} vs "
            f"{record.reference} ({int(r['n_pairs'])} seeds) → {r['verdict']}")


def readme_table(claims: list[Claim], judged: dict[str, list[Judged]]) -> str:
    """The README's summary of the ledger: one row per claim, generated so that no hand copy can drift."""
    lines = [README_BEGIN, "| claim | paper | ours (CPU scale) | verdict |", "|---|---|---|---|"]
    for c in claims:
        effect = "" if c.paper_effect is None else f", Δ {c.paper_effect:+g}"
        ours = "; ".join(_short(j) for j in judged[c.id]) if c.comparisons else f"— ({c.no_run})"
        lines.append(f"| [{c.title}](reports/claims.md#{_anchor(c.title, c.id)}) | {c.source}{effect} | "
                     f"{ours.replace('|', '/')} | **{claim_status(c, judged[c.id])}** |")
    return "\n".join(lines + [README_END])


def update_readme(readme: Path, table: str) -> None:
    """Replace the block between the README's markers with `table` (a README without the markers is refused)."""
    from benchmark.training.options import ConfigError

    text = readme.read_text(encoding="utf-8")
    if README_BEGIN not in text or README_END not in text:
        raise ConfigError(f"{readme} has no claims-table markers ({README_BEGIN} ... {README_END})")
    head, rest = text.split(README_BEGIN, 1)
    tail = rest.split(README_END, 1)[1]
    readme.write_text(head + table + tail, encoding="utf-8")


def build_ledger_and_readme(out_dir: str | Path = "reports", *, claims_file: str | Path = CLAIMS_FILE,
                            root: str | Path = ".", readme: str | Path | None = None) -> Path:
    """`jepa-bench claims`: the ledger (claims.md, claims.csv) and, where given, the README's table of it."""
    claims, judged = judge_all(claims_file, root)
    md = write_ledger(out_dir, claims, judged)
    if readme is not None:
        update_readme(Path(readme), readme_table(claims, judged))
    return md
