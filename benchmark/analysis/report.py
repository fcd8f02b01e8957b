"""`jepa-bench report RESULTS --out reports/NAME`: the paper's comparisons regenerated from a results tree.

Reads only the results store (benchmark.store) and the paper's numbers (reports/paper/). Writes:

    OUT/README.md                     what was run, every table and figure, the verdicts, the deviations
    OUT/tables/comparison.{md,tex,csv}  mean ± std over seeds, n, Δ vs regular, paired one-tailed p, Holm p,
                                      the paper's number, verdict per cell
    OUT/figures/*.png|pdf             accuracy vs epoch (± std band), losses over steps, accuracy vs FLOPs,
                                      λ × k heatmap (when the sweep varies them)

Arms: runs that differ only in their seed are one arm; an arm's baseline is the `regular` arm with the
same settings apart from the objective's own fields. Scores are the main (paper-parity) metric of the task
on the chosen split after the last epoch, in percent.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from benchmark import store

OBJECTIVE_FIELDS = ("objective", "lbd", "predictors", "distance", "front_pred", "reverse_pred", "jepa_ratio",
                    "gamma", "infonce_temperature", "last_token", "flop_budget")
IGNORED_FIELDS = ("seed", "out", "data_dir", "save_model", "save_checkpoints", "logging_steps")
PAPER_MODEL = "meta-llama/Llama-3.2-1B-Instruct"
PAPER_EPOCHS = 4.0
PAPER_LR_GRID = (1e-5, 2e-5, 4e-5, 8e-5)  # paper §2: the best baseline lr of this grid is reused for JEPA
TABLE_PRIORITY = ("Table 3", "Table 2", "Table 13", "Table 4", "Table 12", "Table 5", "Table 9", "Table 15",
                  "STP Table 1")


class ReportError(ValueError):
    """Nothing to report (an empty or foreign results tree); the message says what was looked for."""


def method_label(cfg: dict) -> str:
    """regular, jepa, jepa-l2, jepa-front_pred, jepa-ld0.5, stp, ... (the labels of reports/paper/)."""
    obj = cfg["objective"]
    if obj != "jepa":
        return obj
    parts = ["jepa"]
    if cfg.get("distance", "cosine") != "cosine":
        parts.append(cfg["distance"])
    if cfg.get("front_pred"):
        parts.append("front_pred")
    if cfg.get("reverse_pred"):
        parts.append("reverse_pred")
    if cfg.get("jepa_ratio", 1.0) < 1.0:
        parts.append(f"ld{1 - cfg['jepa_ratio']:g}")
    return "-".join(parts)


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
    def setting(self) -> tuple:
        """What the regular baseline must share with this run."""
        return tuple(sorted((k, json.dumps(v)) for k, v in self.cfg.items()
                            if k not in OBJECTIVE_FIELDS and k not in IGNORED_FIELDS))

    @property
    def arm(self) -> tuple:
        return self.setting + tuple((k, json.dumps(self.cfg.get(k))) for k in OBJECTIVE_FIELDS)

    def score(self, split: str, metric: str | None = None, epoch: float | None = None) -> float | None:
        evs = [e for e in self.summary["evaluations"] if e["split"] == split]
        if not evs:
            return None
        ev = evs[-1] if epoch is None else next((e for e in evs if e["epoch"] == epoch), None)
        if ev is None:
            return None
        return 100 * ev["metrics"][metric or self.headline]["accuracy"]


def load_runs(results: Path, metric: str | None = None) -> list[Run]:
    runs = []
    for d in store.run_dirs(results):
        s = store.read_summary(d)
        runs.append(Run(s["run_id"], d, s["config"], s, metric))
    if not runs:
        raise ReportError(f"no complete runs under {results} (a run is complete when its metrics.json is)")
    return runs


def _paper_rows(paper, task: str, label: str, pretrain: bool, metric: str):
    if paper is None or paper.empty:
        return None
    rows = paper[(paper["task"] == task) & (paper["method"] == label) & (paper["metric"] == metric)
                 & paper["source_table"].isin(TABLE_PRIORITY) & paper["mean"].notna()]
    rows = rows[(rows["source_table"] == "Table 2") == pretrain]
    if rows.empty:
        return None
    rank = rows["source_table"].map(TABLE_PRIORITY.index) + 100 * (rows["subset"] != "")  # whole test sets first
    return rows.assign(_rank=rank).sort_values("_rank", kind="stable")


def paper_reference(paper, task: str, label: str, pretrain: bool, model: str, metric: str) -> dict | None:
    """The paper's cell for this task, method and metric (same model first, else the paper's preferred
    table), and the paper's regular number from the same table, model and subset."""
    rows = _paper_rows(paper, task, label, pretrain, metric)
    if rows is None:
        return None
    same = rows[rows["model"] == model]
    row = (same if not same.empty else rows).iloc[0]
    base = _paper_rows(paper, task, "regular", pretrain, metric)
    base_row = None
    if base is not None:
        base = base[(base["source_table"] == row["source_table"]) & (base["model"] == row["model"])
                    & (base["subset"] == row["subset"])]
        base_row = base.iloc[0] if not base.empty else None
    table = row["source_table"] + (f" ({row['subset']} subset)" if row["subset"] else "")
    return {"table": table, "model": row["model"], "mean": row["mean"], "std": row["std"],
            "p": row.get("p_value"), "evidence": row.get("evidence"),
            "regular": None if base_row is None else base_row["mean"]}


def comparison_table(runs: list[Run], split: str, paper=None):
    """One row per arm: ours (mean ± std over seeds) beside the paper's, with paired tests vs regular."""
    import pandas as pd

    from benchmark.analysis import stats

    arms: dict[tuple, list[Run]] = {}
    for r in runs:
        arms.setdefault(r.arm, []).append(r)
    regular = {rs[0].setting: rs for rs in arms.values() if rs[0].cfg["objective"] == "regular"}
    rows = []
    for rs in arms.values():
        cfg = rs[0].cfg
        scores = {r.cfg["seed"]: r.score(split) for r in rs if r.score(split) is not None}
        if not scores:
            continue
        mean, std, n = stats.mean_std(list(scores.values()))
        label = method_label(cfg)
        row = {"task": cfg["task"], "model": cfg["model"], "method": label,
               "lambda": cfg.get("lbd") if label != "regular" else None,
               "k": cfg.get("predictors") if label.startswith("jepa") else None,
               "metric": rs[0].headline, "split": split, "n": n,
               "mean": mean, "std": std, "delta": math.nan, "p": math.nan, "n_pairs": 0,
               "seeds": ",".join(str(s) for s in sorted(scores))}
        base = regular.get(rs[0].setting)
        if label != "regular" and base:
            base_scores = {r.cfg["seed"]: r.score(split) for r in base if r.score(split) is not None}
            test = stats.paired_t_test(scores, base_scores, alternative="greater")
            row.update(delta=test.mean_diff, p=test.p, n_pairs=test.n)
        ref = paper_reference(paper, cfg["task"], label, bool(cfg.get("pretrain")), cfg["model"], row["metric"])
        row.update(paper_table=ref["table"] if ref else "", paper_mean=ref["mean"] if ref else math.nan,
                   paper_std=ref["std"] if ref else math.nan, paper_p=ref["p"] if ref else math.nan,
                   paper_delta=(ref["mean"] - ref["regular"]) if ref and ref["regular"] is not None
                   and label != "regular" else math.nan,
                   comparable=bool(ref) and cfg["model"] == ref["model"] and cfg.get("limit_train") is None
                   and float(cfg.get("epochs", 0)) == PAPER_EPOCHS and "subset" not in ref["table"])
        rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        raise ReportError(f"no run was evaluated on split {split!r}")
    table = table.sort_values(["task", "model", "method", "lambda", "k"], na_position="first").reset_index(drop=True)
    table["p_holm"] = math.nan
    for _, idx in table.groupby("task").groups.items():  # one family of comparisons per task table
        table.loc[idx, "p_holm"] = stats.holm(table.loc[idx, "p"].tolist())
    verdicts = []
    for _, r in table.iterrows():
        if r["method"] == "regular":
            verdicts.append(("baseline", ""))
        elif r["n_pairs"] == 0 and math.isnan(r["delta"]):
            verdicts.append(("no baseline", "no regular arm with the same settings in this results tree"))
        elif math.isnan(r["paper_delta"]):
            verdicts.append(("no paper claim", "the paper reports no such comparison"))
        else:
            verdicts.append(stats.claim_verdict(r["delta"], r["p_holm"], r["paper_delta"], n=int(r["n_pairs"])))
    table["verdict"] = [v[0] for v in verdicts]
    table["verdict_reason"] = [v[1] for v in verdicts]
    return table


def _fmt(x, digits=2) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def _p(x) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else (f"{x:.2e}" if x < 1e-3 else f"{x:.4f}")


def presentable(table):
    """The columns a reader wants, formatted."""
    import pandas as pd

    from benchmark.analysis import stats

    return pd.DataFrame({
        "task": table["task"], "model": table["model"].str.split("/").str[-1], "method": table["method"],
        "λ": table["lambda"].map(lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:g}"),
        "k": table["k"].map(lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{int(v)}"),
        "n": table["n"], "ours (%)": [stats.format_mean_std(m, s) for m, s in zip(table["mean"], table["std"])],
        "Δ vs regular": table["delta"].map(_fmt), "p (paired, 1-tailed)": table["p"].map(_p),
        "p (Holm)": table["p_holm"].map(_p),
        "paper (%)": [stats.format_mean_std(m, s) if not math.isnan(m) else "—"
                      for m, s in zip(table["paper_mean"], table["paper_std"])],
        "paper Δ": table["paper_delta"].map(_fmt), "paper source": table["paper_table"],
        "verdict": table["verdict"],
    })


def write_tables(table, out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    shown = presentable(table)
    paths = {"md": out / "comparison.md", "tex": out / "comparison.tex", "csv": out / "comparison.csv"}
    paths["md"].write_text(shown.to_markdown(index=False) + "\n")
    paths["tex"].write_text(shown.to_latex(index=False, escape=True))
    table.to_csv(paths["csv"], index=False)
    return paths


# ------------------------------------------------------------------------------------------------ figures
def _figure(ncols: int = 1, width: float = 5.5):
    from matplotlib.figure import Figure  # no pyplot: the global backend is left alone

    fig = Figure(figsize=(width * ncols, 3.8))
    return fig, [fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]


def _save(fig, out: Path, name: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    paths = [out / f"{name}.png", out / f"{name}.pdf"]
    for p in paths:
        fig.savefig(p, dpi=130)
    return paths


def _arms_by_method(runs: list[Run], task: str) -> dict[str, list[Run]]:
    out: dict[str, list[Run]] = {}
    for r in runs:
        if r.cfg["task"] == task:
            label = method_label(r.cfg)
            if label.startswith("jepa") and len({(x.cfg.get("lbd"), x.cfg.get("predictors")) for x in runs
                                                 if x.cfg["task"] == task and method_label(x.cfg) == label}) > 1:
                label += f" λ={r.cfg.get('lbd'):g} k={r.cfg.get('predictors')}"
            out.setdefault(label, []).append(r)
    return dict(sorted(out.items()))


def plot_accuracy_vs_epoch(runs: list[Run], task: str, split: str, out: Path) -> list[Path]:
    """The paper's Fig. 1 (right): accuracy after each epoch, mean over seeds with a ± one std band."""
    import numpy as np

    fig, (ax,) = _figure()
    for label, rs in _arms_by_method(runs, task).items():
        epochs = sorted({e["epoch"] for r in rs for e in r.summary["evaluations"] if e["split"] == split})
        if not epochs:
            continue
        vals = np.array([[r.score(split, epoch=ep) if r.score(split, epoch=ep) is not None else np.nan
                          for ep in epochs] for r in rs], dtype=float)
        mean, std = np.nanmean(vals, 0), (np.nanstd(vals, 0, ddof=1) if len(rs) > 1 else np.zeros(len(epochs)))
        ax.plot(epochs, mean, marker="o", label=f"{label} (n={len(rs)})")
        ax.fill_between(epochs, mean - std, mean + std, alpha=0.2)
    metric = next(r.headline for r in runs if r.cfg["task"] == task)
    ax.set(xlabel="epoch", ylabel=f"{metric} accuracy on {split} (%)", title=f"{task}: accuracy vs epoch (± 1 std)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, out, f"accuracy_vs_epoch_{task}_{split}")


def _log(run: Run) -> list[dict]:
    path = run.path / "train_log.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def plot_losses(runs: list[Run], task: str, out: Path) -> list[Path]:
    """LM loss, and the JEPA / STP loss and cosine, over optimizer steps (mean over seeds)."""
    import numpy as np

    fig, (lm_ax, aux_ax) = _figure(2)
    for label, rs in _arms_by_method(runs, task).items():
        logs = [[r for r in _log(run) if "lm_loss" in r] for run in rs]
        steps = sorted({r["step"] for log in logs for r in log})
        if not steps:
            continue
        for key, ax, style in (("lm_loss", lm_ax, "-"), ("jepa_loss", aux_ax, "-"), ("stp_loss", aux_ax, "--"),
                               ("cosine", aux_ax, ":")):
            series = [{r["step"]: r[key] for r in log if key in r} for log in logs]
            if not any(series):
                continue
            mean = [np.nanmean([s.get(st, np.nan) for s in series]) for st in steps]
            ax.plot(steps, mean, style, label=f"{label} {key}" if ax is aux_ax else label)
    lm_ax.set(xlabel="optimizer step", ylabel="LM loss (token CE)", title=f"{task}: LM loss")
    aux_ax.set(xlabel="optimizer step", ylabel="value", title="JEPA / STP loss and cosine")
    for ax in (lm_ax, aux_ax):
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    return _save(fig, out, f"losses_{task}")


def plot_accuracy_vs_flops(runs: list[Run], task: str, split: str, out: Path) -> list[Path]:
    """The paper's Fig. 5: accuracy against analytic training FLOPs (each point an evaluation)."""
    fig, (ax,) = _figure()
    for label, rs in _arms_by_method(runs, task).items():
        pts = sorted((e["flops"], 100 * e["metrics"][r.headline]["accuracy"]) for r in rs
                     for e in r.summary["evaluations"] if e["split"] == split and e.get("flops"))
        if pts:
            ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=14, label=label, alpha=0.8)
    ax.set(xscale="log", xlabel="training FLOPs (6·N·T)", ylabel=f"accuracy on {split} (%)",
           title=f"{task}: accuracy vs training FLOPs")
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    return _save(fig, out, f"accuracy_vs_flops_{task}_{split}")


def plot_lambda_k(runs: list[Run], task: str, split: str, out: Path) -> list[Path] | None:
    """Mean final accuracy over the λ × k grid of the plain LLM-JEPA runs (paper Fig. 7 / Table 10)."""
    import numpy as np

    jepa = [r for r in runs if r.cfg["task"] == task and method_label(r.cfg) == "jepa" and r.score(split) is not None]
    lams = sorted({r.cfg["lbd"] for r in jepa})
    ks = sorted({r.cfg["predictors"] for r in jepa})
    if len(lams) < 2 and len(ks) < 2:
        return None
    grid = np.full((len(ks), len(lams)), np.nan)
    for i, k in enumerate(ks):
        for j, lam in enumerate(lams):
            vals = [r.score(split) for r in jepa if r.cfg["predictors"] == k and r.cfg["lbd"] == lam]
            if vals:
                grid[i, j] = float(np.mean(vals))
    fig, (ax,) = _figure()
    im = ax.imshow(grid, origin="lower", cmap="viridis", aspect="auto")
    ax.set_xticks(range(len(lams)), [f"{x:g}" for x in lams])
    ax.set_yticks(range(len(ks)), [str(k) for k in ks])
    for i in range(len(ks)):
        for j in range(len(lams)):
            if not np.isnan(grid[i, j]):
                ax.text(j, i, f"{grid[i, j]:.1f}", ha="center", va="center", color="w", fontsize=8)
    ax.set(xlabel="λ", ylabel="k (predictor tokens)", title=f"{task}: LLM-JEPA accuracy (%) over λ × k")
    fig.colorbar(im, ax=ax)
    return _save(fig, out, f"lambda_k_{task}_{split}")


# ------------------------------------------------------------------------------------------------ README
def _deviations(runs: list[Run]) -> list[str]:
    """What differs from the paper's protocol (paper.md §2), stated plainly."""
    cfgs = [r.cfg for r in runs]
    notes = []
    models = sorted({c["model"] for c in cfgs})
    if models != [PAPER_MODEL]:
        notes.append(f"Model(s) {', '.join(models)} instead of the paper's {PAPER_MODEL} (and its other families).")
    limits = sorted({c.get("limit_train") for c in cfgs if c.get("limit_train")})
    if limits:
        notes.append(f"Training on the first {', '.join(map(str, limits))} rows of the train split, not all of it.")
    epochs = sorted({float(c["epochs"]) for c in cfgs})
    if epochs != [PAPER_EPOCHS]:
        notes.append(f"{', '.join(f'{e:g}' for e in epochs)} epoch(s) instead of 4.")
    off_grid = sorted({float(c["lr"]) for c in cfgs} - set(PAPER_LR_GRID))
    if off_grid:
        notes.append(f"Learning rate {', '.join(f'{x:g}' for x in off_grid)}, outside the paper's grid "
                     f"{{{', '.join(f'{x:g}' for x in PAPER_LR_GRID)}}}.")
    steps = sorted({c["batch_size"] * c["grad_accum"] for c in cfgs})
    notes.append(f"{', '.join(map(str, steps))} sequences per optimizer step on one process (paper: 128 on 8 GPUs).")
    seeds = sorted({c["seed"] for c in cfgs})
    if set(seeds) != {82, 23, 37, 84, 4}:
        notes.append(f"Seeds {seeds} (paper: 82, 23, 37, 84, 4).")
    evals = {json.dumps({k: r.summary["eval"].get(k) for k in ("limit", "max_new_tokens", "splits")}) for r in runs}
    for e in sorted(evals):
        e = json.loads(e)
        if e["limit"] or e["max_new_tokens"] != 128:
            notes.append(f"Evaluation on {e['limit'] or 'all'} examples of {', '.join(e['splits'])}, "
                         f"max_new_tokens {e['max_new_tokens']} (paper: the whole test split, 128).")
    if any(c.get("val_fraction") for c in cfgs):
        notes.append("A validation split was carved from train (the paper tuned on test).")
    if any(c.get("label_mode") == "assistant" for c in cfgs):
        notes.append("Label mode `assistant` (the paper's numbers came from `as_run`).")
    notes.append("Packed single-pass JEPA forward (exactly equal to the authors' three-row forward, tested) and "
                 "accumulation-invariant loss normalisation (the authors' JEPA path is scaled by grad_accum).")
    return notes


def _varying(runs: list[Run]) -> list[str]:
    keys = sorted({k for r in runs for k in r.cfg})
    return [k for k in keys if len({json.dumps(r.cfg.get(k)) for r in runs}) > 1]


def _shared_settings(runs: list[Run]) -> str:
    varying = set(_varying(runs)) | set(IGNORED_FIELDS)
    return ", ".join(f"{k}={runs[0].cfg[k]}" for k in sorted(runs[0].cfg) if k not in varying)


def _arm_settings(row) -> str:
    """' (λ = 1, k = 3)' for a JEPA arm, ' (λ = 0.02)' for STP, '' for the baseline."""
    if row["method"] == "regular":
        return ""
    k = f", k = {int(row['k'])}" if row["method"].startswith("jepa") else ""
    return f" (λ = {row['lambda']:g}{k})"


def write_readme(out: Path, title: str, runs: list[Run], table, figures: list[Path], split: str,
                 representation_lines: list[str] = (), sections: list[str] = ()) -> Path:
    from benchmark.analysis import stats

    first = json.loads((runs[0].path / "config.json").read_text())
    headlines = ", ".join(sorted({f"`{r.headline}` on {r.cfg['task']}" for r in runs}))
    commits = sorted({str(r.summary.get("git", {}).get("commit")) for r in runs})
    lines = [f"# {title}", "",
             f"Built by `jepa-bench report` from {len(runs)} complete runs. Scores are "
             f"{headlines} "
             f"(the authors' check for parity with the paper; prefix match for models trained from random "
             f"initialisation, as the paper's Table 2) on the `{split}` split after the last epoch, in percent, "
             "mean ± std over seeds (std with ddof = 1).", "",
             "## What was run", "",
             f"* runs: {len(runs)}; tasks: {', '.join(sorted({r.cfg['task'] for r in runs}))}; methods: "
             f"{', '.join(sorted({method_label(r.cfg) for r in runs}))}",
             f"* settings shared by every run: {_shared_settings(runs)}",
             f"* settings that vary: {', '.join(_varying(runs)) or 'none'}",
             f"* git commit(s): {', '.join(c[:12] for c in commits)}",
             f"* versions: {', '.join(f'{k} {v}' for k, v in first['versions'].items() if v)}",
             f"* hardware: {first['hardware'].get('platform')}, {first['hardware'].get('cpu_count')} CPUs"
             + (f", GPUs {first['hardware'].get('gpus')}" if first['hardware'].get('gpus') else ""),
             "* each run's resolved config, task version and provenance: `<results>/<run_id>/config.json`", "",
             "## Comparison with the paper", "",
             (out / "tables" / "comparison.md").read_text(), "",
             "Columns: Δ = our mean difference to the `regular` arm with the same settings (paired by seed); "
             "p = the paper's paired one-tailed t-test (H1: method > regular) over the common seeds; "
             "p (Holm) = Holm-corrected within each task's table; paper (%) and paper Δ = the paper's numbers "
             "(reports/paper/paper_numbers.csv) from the listed table.", "",
             "### Verdict rule", "", stats.VERDICT_RULE, ""]
    counts = table["verdict"].value_counts().to_dict()
    lines += [f"Verdicts: {', '.join(f'{v} {n}' for v, n in sorted(counts.items()))}.", ""]
    for _, r in table[table["verdict"].isin(["reproduced", "not reproduced", "inconclusive"])].iterrows():
        lines.append(f"* {r['task']} {r['method']}{_arm_settings(r)}: **{r['verdict']}**: {r['verdict_reason']}")
    lines += [""] + list(sections) + ["## Figures", ""]
    captions = {"accuracy_vs_epoch": "accuracy after each epoch, mean ± one std over seeds (the paper's Fig. 1 right)",
                "losses": "LM loss, and JEPA / STP loss and cosine, over optimizer steps (mean over seeds)",
                "accuracy_vs_flops": "accuracy against analytic training FLOPs (the paper's Fig. 5)",
                "lambda_k": "LLM-JEPA accuracy over the λ × k grid (the paper's Fig. 7)"}
    for f in figures:
        if f.suffix != ".png":
            continue
        kind = next((k for k in captions if f.stem.startswith(k)), f.stem)
        lines += [f"![{f.stem}](figures/{f.name})", "", f"*{f.stem}*: {captions.get(kind, '')} "
                  f"([PDF](figures/{f.stem}.pdf))", ""]
    if representation_lines:
        lines += ["## Representations (paper Fig. 3 left, Table 14)", "",
                  "Enc = last-token final-layer hidden state of a view rendered alone. Singular values of the "
                  "differences are not centred. The linear map is fitted on half the examples and scored on the "
                  "other half (with N ≤ D an in-sample fit is exact).", ""] + list(representation_lines)
    lines += ["## Differences from the paper's protocol", ""] + [f"* {d}" for d in _deviations(runs)] + [""]
    path = out / "README.md"
    path.write_text("\n".join(lines))
    return path


def representation_analysis(runs: list[Run], out: Path, *, n_examples: int, with_tsne: bool = False) -> list[str]:
    """Paper Fig. 3 (left), Table 14 and Fig. 4 on the base model and one saved model per method and task
    (the first seed whose run kept its model: train with save_model). Returns README lines."""
    from benchmark.training.models import load_for_evaluation
    from benchmark.evaluation.representation import analyse
    from tasks import get_task, load_split

    lines = []
    for task in sorted({r.cfg["task"] for r in runs}):
        chosen: dict[str, Run] = {}
        for r in sorted(runs, key=lambda r: r.cfg["seed"]):
            if r.cfg["task"] == task and (r.path / "model").is_dir():
                chosen.setdefault(method_label(r.cfg), r)
        if not chosen:
            lines.append(f"* {task}: no run kept its model (`save_model: true` in the sweep), so no analysis.")
            continue
        first = next(iter(chosen.values()))
        examples = load_split(get_task(task), "test", first.cfg.get("data_dir"), n_examples)
        models = {"base": load_for_evaluation(first.cfg["model"], plain=first.cfg.get("plain", False))}
        models.update({m: load_for_evaluation(str(r.path / "model"), plain=r.cfg.get("plain", False))
                       for m, r in chosen.items()})
        res = analyse(models, examples, out_dir=out / "representation" / task, with_tsne=with_tsne)
        lines += [f"### {task} ({len(examples)} test examples; {res['text_encoding']} vs Enc(Code))", "",
                  "| model | mean of top singular values of Enc(Text) − Enc(Code) | linear map Text→Code, held-out relative error |",
                  "|---|---|---|"]
        for name, m in res["models"].items():
            lines.append(f"| {name} | {m['mean_top']:.3f} | {m['linear_map']['heldout_relative']:.3f} |")
        lines += ["", f"![singular values](representation/{task}/singular_values.png)", ""]
        if with_tsne:
            lines += [f"![t-SNE](representation/{task}/tsne.png)", ""]
    return lines


def build_report(results: str | Path, out: str | Path, *, split: str = "test", title: str | None = None,
                 representations: int = 0, with_tsne: bool = False, metric: str | None = None) -> Path:
    from benchmark.analysis.ablation import ablation_section, ablation_table
    from benchmark.analysis.paper import load_paper_numbers

    results, out = Path(results), Path(out)
    runs = load_runs(results, metric)
    paper = load_paper_numbers()
    table = comparison_table(runs, split, paper)
    write_tables(table, out / "tables")
    ablation = ablation_table(runs, split, paper)
    if not ablation.empty:
        ablation.to_csv(out / "tables" / "ablation.csv", index=False)
    figures: list[Path] = []
    for task in sorted({r.cfg["task"] for r in runs}):
        figures += plot_accuracy_vs_epoch(runs, task, split, out / "figures")
        figures += plot_losses(runs, task, out / "figures")
        figures += plot_accuracy_vs_flops(runs, task, split, out / "figures")
        figures += plot_lambda_k(runs, task, split, out / "figures") or []
    extra = representation_analysis(runs, out, n_examples=representations, with_tsne=with_tsne) if representations else []
    sections = ablation_section(ablation)
    if split != "test":  # a validation report is for choosing: say what `jepa-bench select` chooses
        from benchmark.analysis.select import format_ranking, rank

        sections += [f"## Choice on `{split}` (`jepa-bench select`)", "", "```",
                     format_ranking(rank(runs, split, metric), split, metric or runs[0].headline), "```", ""]
    return write_readme(out, title or f"Report: {results}", runs, table, figures, split, extra, sections)


def register_cli(sub) -> None:
    r = sub.add_parser("report", help="tables, figures and verdicts beside the paper's numbers, from a results tree")
    r.add_argument("results", help="a results tree (e.g. results/cpu-synth-smollm2)")
    r.add_argument("--out", default=None, help="report folder (default: reports/<results folder name>)")
    r.add_argument("--split", default="test", help="split whose final scores fill the tables")
    r.add_argument("--title", default=None)
    r.add_argument("--metric", default=None,
                   help="metric of the tables (default: the task's parity metric; prefix for --pretrain runs)")
    r.add_argument("--representations", type=int, default=0, metavar="N",
                   help="also analyse Enc(Text) vs Enc(Code) on N test examples (runs that saved their model)")
    r.add_argument("--tsne", action="store_true", help="with --representations: t-SNE panels (scikit-learn)")
    r.set_defaults(handler=cmd_report)


def cmd_report(ns) -> int:
    out = Path(ns.out) if ns.out else Path("reports") / Path(ns.results).resolve().name
    path = build_report(ns.results, out, split=ns.split, title=ns.title, representations=ns.representations,
                        with_tsne=ns.tsne, metric=ns.metric)
    print(f"report written to {path}")
    return 0
