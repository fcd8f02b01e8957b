"""Which of the paper's cells (paper_numbers.csv) an arm of ours faces, if any.

A paper number stands beside ours, and its direction drives a verdict, only when it measures the same
thing: the same task, method, metric, split (the paper reports the test split), the whole split (not a
subset such as STP Table 1's `.*`-suffix rows) and the same number of training epochs (the learning-rate
schedule depends on it; a cell that states none is a run of the §4 protocol's four epochs, and Fig. 1 right's
points are epochs of six-epoch runs), and in a tree that holds a grid of (λ, k) settings, the same λ and k.
Otherwise the cell is empty and says why.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from benchmark.analysis.runs import method_label

PAPER_MODEL = "meta-llama/Llama-3.2-1B-Instruct"
PAPER_EPOCHS = 4.0
PAPER_SPLIT = "test"  # every number of the paper is on the test split (it has no validation split)
FIG1_EPOCHS = 6.0  # Fig. 1 right's points are evaluations of six-epoch runs after each epoch (§4.1)
# Which of the paper's tables answers for a (task, method) first; Fig. 1 right's per-epoch points last.
TABLE_PRIORITY = ("Table 3", "Table 2", "Table 13", "Table 4", "Table 12", "Table 5", "Table 9", "Table 15",
                  "Table 8", "STP Table 1", "Fig. 1")


@dataclass(frozen=True)
class PaperArm:
    """Which of the paper's arms one of ours faces: the paper's method and, for Table 8, the LoRA rank. The
    paper_numbers.csv key ("jepa-lora32") is made from it at the edge and never parsed back."""
    method: str  # a method label (regular, jepa, jepa-l2, stp, ...)
    lora_rank: int | None = None  # Table 8's rank; None for full fine-tuning

    @property
    def key(self) -> str:
        """paper_numbers.csv's `method` of this arm."""
        return f"{self.method}-lora{self.lora_rank}" if self.lora_rank is not None else self.method

    def regular(self) -> "PaperArm":
        """The paper's regular arm of the same kind (Table 8's regular of the same rank)."""
        return PaperArm("regular", self.lora_rank)


def paper_arm(label: str, cfg: dict) -> PaperArm:
    """The paper's arm one of ours is compared with. A LoRA run is compared with Table 8's cell of its rank only,
    never with a full fine-tuning cell; the authors' LoRA runs left the [PRED] embeddings frozen, so both our arms
    (frozen, the faithful one, and trainable, the suite's default) face the same cell."""
    if not cfg.get("lora"):
        return PaperArm(label)
    return PaperArm(method_label({**cfg, "train_predictor_tokens": True}), int(cfg.get("lora_rank")))


def _lora_ranks(paper, task: str, arm: PaperArm) -> str:
    """The LoRA ranks the paper has cells of for this task and method ("32, 64, 128"), or ""."""
    if paper is None or paper.empty:
        return ""
    keys = set(paper.loc[paper["task"] == task, "method"])
    ranks = sorted(r for r in range(1, 4097) if PaperArm(arm.method, r).key in keys)
    return ", ".join(str(r) for r in ranks)


def _candidates(paper, task: str, arm: PaperArm, pretrain: bool, metric: str):
    if paper is None or paper.empty:
        return None
    rows = paper[(paper["task"] == task) & (paper["method"] == arm.key) & (paper["metric"] == metric)
                 & paper["source_table"].isin(TABLE_PRIORITY) & paper["mean"].notna()]
    rows = rows[(rows["source_table"] == "Table 2") == pretrain]
    if rows.empty:
        return None
    return rows.assign(_rank=rows["source_table"].map(TABLE_PRIORITY.index)).sort_values("_rank", kind="stable")


def _matching(rows, split: str, epochs: float):
    """The rows that measure what our runs measure, and why the others do not."""
    if split != PAPER_SPLIT:
        return rows.iloc[0:0], f"the paper reports the {PAPER_SPLIT} split, not {split!r}"
    whole = rows[rows["subset"] == ""]
    if whole.empty:
        return whole, f"the paper's number covers only the {rows.iloc[0]['subset']!r} subset of the test split"
    # a table cell without an epoch count is a run of the §4 protocol's four epochs; a Fig. 1 point is epoch
    # k of a six-epoch run, so only a six-epoch run's final score measures the same
    fig1 = whole["source_table"] == "Fig. 1"
    trained = whole["epoch"].where(whole["epoch"].notna(), PAPER_EPOCHS).where(~fig1, FIG1_EPOCHS)
    same = whole[(trained == float(epochs)) & (~fig1 | (whole["epoch"] == float(epochs)))]
    if same.empty:
        stated = ", ".join(sorted({f"{e:g}" for e in trained}))
        return same, f"the paper's runs trained {stated} epochs, these {float(epochs):g}"
    return same, ""


def paper_reference(paper, task: str, arm: PaperArm, pretrain: bool, model: str, metric: str, *,
                    split: str = PAPER_SPLIT, epochs: float = PAPER_EPOCHS) -> dict | None:
    """The paper's cell for this task, method and metric that measures what our runs measure (same model
    first, else the paper's preferred table), with the paper's regular number from the same table, model,
    subset and epoch. None when the paper has no such cell at all; {"reason": ...} when it has one that
    measures something else (another split, subset or epoch count)."""
    rows = _candidates(paper, task, arm, pretrain, metric)
    if rows is None:
        ranks = _lora_ranks(paper, task, arm) if arm.lora_rank is not None else ""
        return {"reason": f"the paper's LoRA cells (Table 8) are ranks {ranks}, this run's is "
                          f"{arm.lora_rank}"} if ranks else None
    rows, why = _matching(rows, split, epochs)
    if rows.empty:
        return {"reason": why}
    # the same model first, else the paper's main model, else by table priority
    order = rows.assign(_m=(rows["model"] != model).astype(int) + (rows["model"] != PAPER_MODEL).astype(int))
    row = order.sort_values(["_m", "_rank"], kind="stable").iloc[0]
    base = _candidates(paper, task, arm.regular(), pretrain, metric)
    base_row = None
    if base is not None:
        base = base[(base["source_table"] == row["source_table"]) & (base["model"] == row["model"])
                    & (base["subset"] == row["subset"])
                    & ((base["epoch"] == row["epoch"]) | (base["epoch"].isna() & math.isnan(row["epoch"])))]
        base_row = base.iloc[0] if not base.empty else None
    table = row["source_table"] + (f" (epoch {row['epoch']:g})" if row["source_table"] == "Fig. 1" else "")
    return {"table": table, "model": row["model"], "mean": row["mean"], "std": row["std"],
            "p": row.get("p_value"), "evidence": row.get("evidence"), "reason": "",
            "lbd": row.get("lbd"), "predictors": row.get("predictors"),
            "regular": None if base_row is None else base_row["mean"]}


def only_the_papers_setting(rows: list[dict]) -> None:
    """Where a tree holds several (λ, k) settings of one method on one task and model (a grid), the paper's cell
    stands only beside the setting it was run with: the other cells measure another setting. A tree with one
    setting keeps the paper's cell whatever its λ and k: it compares each side's chosen setting (the paper
    tuned λ and k per model and dataset, §4; our specs choose on a validation split)."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        if row["_paper_setting"] is not None and not row["baseline"]:
            groups.setdefault(row["_grid"], []).append(row)  # one grid: every setting but λ and k shared
    for group in groups.values():
        if len({(r["lambda"], r["k"]) for r in group}) < 2:
            continue
        for row in group:
            lbd, k = row["_paper_setting"]
            if _same(row["lambda"], lbd) and (row["k"] is None or _same(row["k"], k)):
                continue
            row.update(paper_mean=math.nan, paper_std=math.nan, paper_p=math.nan, paper_delta=math.nan,
                       comparable=False, paper_note=f"{row['paper_table']}'s cell is λ {fmt_setting(lbd)}, k "
                                                    f"{fmt_setting(k)}; this arm is another cell of the grid",
                       paper_table="")


def _blank(v) -> bool:
    """No value: None, "" or NaN (what paper_numbers.csv holds where the paper states none)."""
    return v is None or v == "" or (isinstance(v, float) and math.isnan(v))


def _same(ours, papers) -> bool:
    """A config value and a paper_numbers.csv cell (blank where the paper states none) are equal."""
    if _blank(ours) or _blank(papers):
        return _blank(ours) and _blank(papers)
    return float(ours) == float(papers)


def fmt_setting(v) -> str:
    return "—" if _blank(v) else f"{float(v):g}"
