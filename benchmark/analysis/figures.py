"""The report's figures, drawn from the results tree only: accuracy per epoch (Fig. 1 right), losses and
the JEPA / STP term (Fig. 3 right), accuracy against FLOPs (Fig. 5), the λ × k grid (Fig. 7), and the
representation analyses written by `jepa-bench represent` (Fig. 3 left, Fig. 4).
"""
from __future__ import annotations

import math
from pathlib import Path

from benchmark.analysis.grid import grid_names, grid_runs
from benchmark.analysis.runs import (IGNORED_FIELDS, OBJECTIVE_FIELDS, Run, canonical_json, method_label,
                                     uses_predictors, varying_fields)
from benchmark.training.objectives import DIAGNOSTIC_KEY, log_keys


def _figure(ncols: int = 1, width: float = 5.5):
    from matplotlib.figure import Figure  # no pyplot: the global backend is left alone

    fig = Figure(figsize=(width * ncols, 3.8))
    return fig, [fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]


CROWDED = 6  # more lines than this and the legend moves out beside the plot, where it covers no data
LEGEND_ROWS = 20  # entries per legend column that fit the figure's height at the small font


def _colours(ax, n_lines: int) -> None:
    """Twenty distinct colours where the default ten would repeat (two arms in one colour read as one)."""
    if n_lines > 10:
        from matplotlib import colormaps

        ax.set_prop_cycle(color=[colormaps["tab20"](i) for i in range(20)])


def _legend(ax, fontsize: int) -> None:
    n = len(ax.get_legend_handles_labels()[0])
    if n > CROWDED:
        columns = math.ceil(n / LEGEND_ROWS)  # a taller legend than the figure would defeat the layout
        ax.legend(fontsize=fontsize - 1, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0, ncol=columns)
        ax.figure.set_figwidth(ax.figure.get_figwidth() + 3.5 * columns)
    elif n:
        ax.legend(fontsize=fontsize)


def _save(fig, out: Path, name: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    paths = [out / f"{name}.png", out / f"{name}.pdf"]
    for p in paths:  # no creation date: the same results give byte-identical figures (no churn in git)
        fig.savefig(p, dpi=130, metadata={"CreationDate": None} if p.suffix == ".pdf" else None)
    return paths


def _arms_by_method(runs: list[Run], task: str) -> dict[str, list[Run]]:
    """The task's runs by arm (runs that differ only in their seed), each named by its method label, then λ and
    k where the method's runs differ in them, then every other setting that differs among the task's runs
    (model, training rows, epochs, ...): a line never averages runs of two settings."""
    mine = [r for r in runs if r.cfg["task"] == task]
    shown = [k for k in varying_fields(mine) if k not in OBJECTIVE_FIELDS and k not in IGNORED_FIELDS]
    arms: dict[tuple, list[Run]] = {}
    for r in mine:
        arms.setdefault(r.arm, []).append(r)
    out: dict[str, list[Run]] = {}
    for rs in arms.values():
        cfg = rs[0].cfg
        label = method_label(cfg)
        with_k = uses_predictors(cfg)  # STP takes λ but no [PRED] tokens
        if len({(canonical_json(x.cfg.get("lbd")), x.cfg.get("predictors") if with_k else None) for x in mine
                if method_label(x.cfg) == label}) > 1:
            label += f" λ={cfg.get('lbd'):g}" + (f" k={cfg.get('predictors')}" if with_k else "")
        if shown:
            label += " (" + ", ".join(f"{k}={cfg.get(k)}" for k in shown) + ")"
        if label in out:  # an objective setting the label does not spell out (gamma, last_token, ...)
            other = [k for k in OBJECTIVE_FIELDS if k not in ("objective", "lbd", "predictors")
                     and canonical_json(cfg.get(k)) != canonical_json(out[label][0].cfg.get(k))]
            label += " [" + ", ".join(f"{k}={cfg.get(k)}" for k in other) + "]" if other else ""
        while label in out:  # still the same words for two arms: keep them apart anyway
            label += "'"
        out[label] = rs
    return dict(sorted(out.items()))


def plot_accuracy_vs_epoch(runs: list[Run], task: str, split: str, out: Path) -> list[Path]:
    """The paper's Fig. 1 (right): accuracy after each epoch, mean over seeds with a ± one std band."""
    import numpy as np

    fig, (ax,) = _figure()
    arms = _arms_by_method(runs, task)
    _colours(ax, len(arms))
    for label, rs in arms.items():
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
    _legend(ax, 8)
    return _save(fig, out, f"accuracy_vs_epoch_{task}_{split}")


def plot_losses(runs: list[Run], task: str, out: Path) -> list[Path]:
    """LM loss, and the JEPA / STP loss and cosine, over optimizer steps (mean over seeds)."""
    import numpy as np

    fig, (lm_ax, aux_ax) = _figure(2)
    arms = _arms_by_method(runs, task)
    _colours(lm_ax, len(arms))
    for label, rs in arms.items():
        logs = [[r for r in run.train_log() if "lm_loss" in r] for run in rs]
        steps = sorted({r["step"] for log in logs for r in log})
        if not steps:
            continue
        aux = [(key, aux_ax, "-" if i == 0 else "--") for i, key in enumerate(log_keys())]
        # the JEPA term measured without gradient (any objective; Fig. 3 right: flat under next-token training)
        aux.append((DIAGNOSTIC_KEY, aux_ax, "-."))
        for key, ax, style in [("lm_loss", lm_ax, "-"), *aux, ("cosine", aux_ax, ":")]:
            series = [{r["step"]: r[key] for r in log if key in r} for log in logs]
            if not any(series):
                continue
            mean = [np.nanmean([s.get(st, np.nan) for s in series]) for st in steps]
            ax.plot(steps, mean, style, label=f"{label} {key}" if ax is aux_ax else label)
    lm_ax.set(xlabel="optimizer step", ylabel="LM loss (token CE)", title=f"{task}: LM loss")
    aux_ax.set(xlabel="optimizer step", ylabel="value", title="JEPA / STP term, cosine, JEPA diagnostic")
    entries = [len(ax.get_legend_handles_labels()[0]) for ax in (lm_ax, aux_ax)]
    if max(entries) > CROWDED:  # side by side, neither panel has room beside it: the legends go below, in 2 columns
        fig.set_figheight(fig.get_figheight() + 0.4 + 0.16 * math.ceil(max(entries) / 2))
    for ax, n in zip((lm_ax, aux_ax), entries):
        ax.grid(alpha=0.3)
        if n > CROWDED:
            ax.legend(fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2)
        elif n:
            ax.legend(fontsize=7)
    return _save(fig, out, f"losses_{task}")


def flops_curve(rs: list[Run], split: str) -> list[tuple[float, float, int]]:
    """An arm's mean curve for Fig. 5: (mean FLOPs, mean accuracy %, seeds) per evaluation point, where a point
    is the k-th evaluation of each run (epoch ends, then a FLOP budget's stop; seeds reach them at nearly the
    same FLOPs, as loss dropout draws its skipped steps per seed)."""
    import numpy as np

    per_run = [[(e["flops"], 100 * e["metrics"][r.headline]["accuracy"]) for e in r.summary["evaluations"]
                if e["split"] == split and e.get("flops")] for r in rs]
    depth = max((len(p) for p in per_run), default=0)
    curve = []
    for i in range(depth):
        pts = [p[i] for p in per_run if len(p) > i]
        curve.append((float(np.mean([f for f, _ in pts])), float(np.mean([a for _, a in pts])), len(pts)))
    return curve


def plot_accuracy_vs_flops(runs: list[Run], task: str, split: str, out: Path) -> list[Path]:
    """The paper's Fig. 5: accuracy against analytic training FLOPs, each arm's mean over seeds as a line and
    every evaluation as a faint point."""
    fig, (ax,) = _figure()
    arms = _arms_by_method(runs, task)
    _colours(ax, len(arms))
    for label, rs in arms.items():
        pts = sorted((e["flops"], 100 * e["metrics"][r.headline]["accuracy"]) for r in rs
                     for e in r.summary["evaluations"] if e["split"] == split and e.get("flops"))
        if pts:
            curve = flops_curve(rs, split)
            line, = ax.plot([c[0] for c in curve], [c[1] for c in curve], marker="o", ms=4,
                            label=f"{label} (n={len(rs)})")
            ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=10, alpha=0.3, color=line.get_color())
    ax.set(xscale="log", xlabel="training FLOPs (6·N·T)", ylabel=f"accuracy on {split} (%)",
           title=f"{task}: accuracy vs training FLOPs")
    ax.grid(alpha=0.3)
    _legend(ax, 8)
    return _save(fig, out, f"accuracy_vs_flops_{task}_{split}")


def plot_lambda_k(runs: list[Run], task: str, split: str, out: Path) -> list[Path] | None:
    """Mean final accuracy over each λ × k grid of the plain LLM-JEPA runs (paper Fig. 7 / Table 10): one heatmap
    per grid (analysis/grid.py: runs of one model and setting), never cells of different settings in one picture.
    The first grid of a task keeps the plain file name; further ones are numbered, in the grid table's order, and
    titled with the settings that tell them apart (the table's words). None when no grid has two values of λ or
    of k."""
    grids = {key: rs for key, rs in sorted(grid_runs(runs, split).items()) if key[0] == task and key[2] == "jepa"
             and (len({r.cfg["lbd"] for r in rs}) >= 2 or len({r.cfg["predictors"] for r in rs}) >= 2)}
    if not grids:
        return None
    names = grid_names(list(grids))
    several_models = len({key[1] for key in grids}) > 1
    drawn: list[Path] = []
    for n, (key, jepa) in enumerate(grids.items(), start=1):
        suffix = "" if n == 1 else f"_{n}"
        told = ", ".join(x for x in (key[1] if several_models else "", names[key]) if x)
        drawn += _heatmap(jepa, split, out, f"lambda_k_{task}_{split}{suffix}",
                          f"{task}: LLM-JEPA accuracy (%) over λ × k" + (f" ({told})" if told else ""))
    return drawn


def _heatmap(jepa: list[Run], split: str, out: Path, name: str, title: str) -> list[Path]:
    import numpy as np

    lams = sorted({r.cfg["lbd"] for r in jepa})
    ks = sorted({r.cfg["predictors"] for r in jepa})
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
    ax.set(xlabel="λ", ylabel="k (predictor tokens)", title=title)
    fig.colorbar(im, ax=ax)
    return _save(fig, out, name)


def plot_effect_vs_size(runs: list[Run], table, task: str, out: Path) -> list[Path] | None:
    """The paper's Table 15 as a figure: each arm's Δ vs regular (± one standard error of the paired
    differences) against the model's parameter count; None when the task has fewer than two models."""
    params = {}
    for r in runs:
        if r.cfg["task"] == task and r.cfg["model"] not in params:
            params[r.cfg["model"]] = r.record().get("parameters")
    rows = table[(table["task"] == task) & (table["n_pairs"] > 0) & table["model"].map(params).notna()]
    if rows["model"].nunique() < 2:
        return None
    fig, (ax,) = _figure()
    for method, arm in rows.groupby("method"):
        arm = arm.assign(n_params=arm["model"].map(params)).sort_values("n_params")
        se = [sd / math.sqrt(n) if n > 1 and sd == sd else 0.0 for sd, n in zip(arm["sd_diff"], arm["n_pairs"])]
        ax.errorbar(arm["n_params"], arm["delta"], yerr=se, marker="o", capsize=3, label=method)
        for x, y, m in zip(arm["n_params"], arm["delta"], arm["model"]):
            ax.annotate(m, (x, y), fontsize=6, xytext=(3, 3), textcoords="offset points")
    _delta_axes(ax, "parameters", f"{task}: effect against model size (± 1 s.e.)")
    return _save(fig, out, f"effect_vs_size_{task}")


def _delta_axes(ax, xlabel: str, title: str) -> None:
    """The axes of a Δ-against-scale figure: a zero line, a log x axis, Δ in points."""
    ax.axhline(0.0, color="grey", lw=0.8)
    ax.set(xscale="log", xlabel=xlabel, ylabel="Δ vs regular (points)", title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)


def plot_singular_values(spectra: dict, out: Path, *, title: str = "", stem: str = "singular_values") -> list[Path]:
    """Fig. 3 left: one line per model, log-scale y."""
    import numpy as np

    fig, (ax,) = _figure(width=5)
    for name, s in spectra.items():
        s = np.asarray(s, dtype=float)
        ax.plot(np.arange(1, len(s) + 1), np.where(s > 0, s, np.nan), label=name)  # log axis: drop exact zeros
    ax.set_yscale("log")
    ax.set_xlabel("index")
    ax.set_ylabel("singular value of Enc(Text) − Enc(Code)")
    ax.set_title(title or "top singular values")
    ax.legend()
    return _save(fig, out, stem)


def plot_tsne(points: dict, out: Path, *, stem: str = "tsne") -> list[Path]:
    """Fig. 4: one panel per model, Text and Code points in two colours."""
    import numpy as np
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4 * len(points), 4))
    axes = fig.subplots(1, len(points), squeeze=False)[0]
    for ax, (name, (t, c)) in zip(axes, points.items()):
        t, c = np.asarray(t, dtype=float), np.asarray(c, dtype=float)
        ax.scatter(t[:, 0], t[:, 1], s=8, c="tab:blue", label="Text")
        ax.scatter(c[:, 0], c[:, 1], s=8, c="tab:orange", label="Code")
        ax.set_title(name)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0].legend()
    return _save(fig, out, stem)


def representation_figures(analysis: dict, task: str, out: Path) -> list[Path]:
    """Fig. 3 left (and Fig. 4 when t-SNE points were computed) from a representation.json."""
    models = analysis["models"]
    paths = plot_singular_values({m: v["singular_values"] for m, v in models.items()}, out,
                                 title=f"{task}: top {analysis['top']} singular values, N = {analysis['n_examples']}",
                                 stem=f"singular_values_{task}")
    if all("tsne" in v for v in models.values()):
        paths += plot_tsne({m: (v["tsne"]["text"], v["tsne"]["code"]) for m, v in models.items()}, out,
                           stem=f"tsne_{task}")
    return paths


def plot_delta_vs_rows(runs: list[Run], task: str, split: str, out: Path) -> list[Path] | None:
    """Each arm's Δ vs regular (paired by seed, ± one standard error) against the training rows both trained on
    (a learning-curve tree: does the gap grow or shrink with data?); None with fewer than two such sizes. A line
    is one arm on one curve (data_efficiency.delta_by_rows)."""
    from benchmark.analysis.data_efficiency import delta_by_rows

    lines = delta_by_rows([r for r in runs if r.cfg["task"] == task], split)
    if not lines:
        return None
    fig, (ax,) = _figure()
    for label, points in sorted(lines.items()):
        ax.errorbar([p[0] for p in points], [p[1] for p in points], yerr=[p[2] for p in points], marker="o",
                    capsize=3, label=label)
    _delta_axes(ax, "training rows", f"{task}: the gain against training rows (± 1 s.e.)")
    return _save(fig, out, f"delta_vs_rows_{task}_{split}")
