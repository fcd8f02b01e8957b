"""The loss ablation of paper Table 3: each variant of the JEPA term against the cosine arm it replaces.

The comparison table (analysis/tables.py) tests every arm against `regular`; Table 3's claim is a different
one: cosine beats ℓ2, MSE, InfoNCE, prepending the [PRED] tokens and swapping the views. Here each variant is
paired by seed with the plain cosine LLM-JEPA arm that shares all its other settings (analysis/versus.py),
tested one-tailed in the direction of the paper's own difference (variant − cosine in Table 3), Holm-corrected
over the variants of one setting, and given a verdict by the same rule as the main table.
"""
from __future__ import annotations

import math

from benchmark.analysis.comparisons import Comparison, register
from benchmark.analysis.runs import Run, method_label
from benchmark.analysis.versus import Design, versus_markdown, versus_table

# Fields that make a run a Table 3 variant rather than a different setting.
VARIANT_FIELDS = ("distance", "front_pred", "reverse_pred", "infonce_temperature")
VARIANT_NAMES = {"jepa": "cosine (LLM-JEPA)", "jepa-l2": "ℓ2 norm", "jepa-mse": "MSE", "jepa-infonce": "InfoNCE",
                 "jepa-front_pred": "Prepend [PRED]", "jepa-reverse_pred": "Code→Text"}


def _paper_mean(paper, run: Run, label: str) -> float:
    """Table 3's number for this variant when it measures what our runs measure: Table 3 fine-tunes and
    scores exact match, so pretraining runs or another metric get none (and hence no verdict)."""
    if paper is None or paper.empty or run.cfg.get("pretrain"):
        return math.nan
    rows = paper[(paper["source_table"] == "Table 3") & (paper["task"] == run.cfg["task"])
                 & (paper["method"] == label) & (paper["metric"] == run.headline) & paper["mean"].notna()]
    return float(rows.iloc[0]["mean"]) if not rows.empty else math.nan


def _why_no_claim(run: Run) -> str:
    if run.cfg.get("pretrain"):
        return (f"Table 3 fine-tunes a pretrained model and scores exact match; these runs train from random "
                f"initialisation and are scored by {run.headline}")
    return f"Table 3 has no {run.headline} number for this variant"


def _variant(cfg: dict) -> str | None:
    label = method_label(cfg)
    return label if label in VARIANT_NAMES else None


TABLE3 = Design(reference="jepa", arm_fields=VARIANT_FIELDS, arm_of=_variant, paper_mean=_paper_mean,
                why_no_claim=_why_no_claim, order=tuple(VARIANT_NAMES), display=VARIANT_NAMES.get)


def ablation_table(runs: list[Run], split: str, paper=None):
    """One row per Table 3 variant (and its cosine reference) per setting; empty when the tree has none."""
    return versus_table(runs, split, paper, TABLE3)


def ablation_section(table) -> list[str]:
    """README lines for the ablation table (none when the tree has no Table 3 variants)."""
    if table.empty:
        return []
    lines = ["## Loss ablation (paper Table 3)", "", versus_markdown(table, "cosine"), "",
             "Each variant is paired by seed with the cosine LLM-JEPA arm that shares all its other settings; p is "
             "one-tailed in the direction of the paper's own difference (variant − cosine in Table 3; two-sided "
             "where the paper has no comparable number), Holm-corrected over the variants; MDE = the smallest difference "
             "our paired test would detect "
             "(α 0.05, power 0.8). The paper's numbers are Table 3's (Llama-3.2-1B-Instruct fine-tuned, λ = 1, "
             "k = 1, exact match): they stand beside ours and give a verdict only for fine-tuning runs scored "
             f"the same way (ours: `{table['metric'].iloc[0]}`).", ""]
    for _, r in table[~table["reference"]].iterrows():
        lines.append(f"* {r['variant']}: **{r['verdict']}**: {r['verdict_reason']}")
    return lines + [""]


register(Comparison(
    measure="score", versus="cosine", reference="cosine", description="final score", paper="Table 3",
    build=lambda i: ablation_table(i.runs, i.split, i.paper), section=lambda t, i: ablation_section(t),
    csv="ablation", missing="finished Table 3 variant (beside its cosine arm)", order=10))
