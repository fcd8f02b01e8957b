"""`jepa-bench report RESULTS --out reports/NAME`: the paper's comparisons regenerated from a results tree.

Reads only the results tree (through benchmark.store and analysis/runs.py) and the paper's numbers
(paper/). Writes:

    OUT/README.md                       what was run, every table and figure, the verdicts, the deviations
    OUT/tables/comparison.{md,tex,csv}  mean ± std over seeds, n, Δ vs regular, paired one-tailed p, Holm p,
                                        a sign test over test questions,
                                        the paper's number, verdict per cell (analysis/tables.py)
    OUT/tables/<name>.csv               every registered comparison's table, when the tree has one
                                        (analysis/comparisons.py: Table 3's variants, loss dropout, the drop
                                        from the peak, the JEPA term, the (k, λ) grid, data efficiency, the
                                        representations), each with its README section
    OUT/figures/*.png|pdf               accuracy vs epoch (± std band), losses over steps, accuracy vs FLOPs,
                                        λ × k heatmap, effect vs model size, representations (figures.py)
"""
from __future__ import annotations

import json
from pathlib import Path

from benchmark.analysis import figures
from benchmark.analysis.paper_cells import PAPER_EPOCHS, PAPER_MODEL
from benchmark.analysis.runs import IGNORED_FIELDS, Run, arm_heading, load_runs, method_label, varying_fields
from benchmark.analysis.tables import write_tables

PAPER_LR_GRID = (1e-5, 2e-5, 4e-5, 8e-5)  # paper §4: the best baseline lr of this grid is reused for JEPA


def _deviations(runs: list[Run]) -> list[str]:
    """What differs from the paper's protocol (paper §4), stated plainly."""
    cfgs = [r.cfg for r in runs]
    notes = []
    models = sorted({c["model"] for c in cfgs})
    if models != [PAPER_MODEL]:
        notes.append(f"Model(s) {', '.join(models)} instead of the paper's {PAPER_MODEL} (and its other families).")
    subsets = {}  # (which rows, how many) -> tasks trained on them
    for c in cfgs:
        if c.get("limit_train"):
            subsets.setdefault((c.get("train_subset") or "head", c["limit_train"]), set()).add(c["task"])
    from tasks import SUBSET_WORDS as which
    for (kind, n), tasks in sorted(subsets.items()):
        scope = f" ({', '.join(sorted(tasks))})" if len(subsets) > 1 else ""
        notes.append(f"Training on {which[kind].format(n=n)} rows of the train split{scope}, not all of it.")
    full = [r for r in runs if r.epochs_trained == float(r.cfg["epochs"])]
    epochs = sorted({float(r.cfg["epochs"]) for r in full})
    if full and epochs != [PAPER_EPOCHS]:
        notes.append(f"{', '.join(f'{e:g}' for e in epochs)} epoch(s) instead of 4.")
    stopped = [r for r in runs if r not in full]  # a FLOP budget ended these first: say how far they got
    if stopped:
        reached = sorted(r.epochs_trained for r in stopped)
        budgets = sorted({float(r.cfg["flop_budget"]) for r in stopped if r.cfg.get("flop_budget")})
        configured = sorted({float(r.cfg["epochs"]) for r in stopped})
        notes.append(f"{len(stopped)} run(s) stopped by a training-FLOP budget of "
                     f"{', '.join(f'{b:.3g}' for b in budgets)} after {reached[0]:.3g}–{reached[-1]:.3g} epochs "
                     f"(configured: {', '.join(f'{e:g}' for e in configured)}; paper §5.2 stops at equal PFLOPs too, "
                     "at its own, larger budgets).")
    off_grid = sorted({float(c["lr"]) for c in cfgs} - set(PAPER_LR_GRID))
    if off_grid:
        notes.append(f"Learning rate {', '.join(f'{x:g}' for x in off_grid)}, outside the paper's grid "
                     f"{{{', '.join(f'{x:g}' for x in PAPER_LR_GRID)}}}.")
    layouts = sorted({(c["batch_size"] * c["grad_accum"] * c.get("world_size", 1), c.get("world_size", 1)) for c in cfgs})
    notes.append(", ".join(f"{n} sequences per optimizer step on " + ("one process" if w == 1 else f"{w} processes")
                           for n, w in layouts) + " (paper: 128 on 8 GPUs).")
    seeds = sorted({c["seed"] for c in cfgs})
    if set(seeds) != {82, 23, 37, 84, 4}:
        notes.append(f"Seeds {seeds} (paper: 82, 23, 37, 84, 4).")
    evals = {json.dumps({**{k: r.summary["eval"].get(k) for k in ("limit", "max_new_tokens", "splits")},
                         "subset": r.summary["eval"].get("subset") or "head"})  # older runs: no field, head
             for r in runs}
    for e in sorted(evals):
        e = json.loads(e)
        if e["limit"] or e["max_new_tokens"] != 128:
            sample = " (a seeded random sample)" if e["limit"] and e["subset"] == "random" else ""
            notes.append(f"Evaluation on {e['limit'] or 'all'} examples{sample} of {', '.join(e['splits'])}, "
                         f"max_new_tokens {e['max_new_tokens']} (paper: the whole test split, 128).")
    if any(c.get("val_fraction") for c in cfgs):
        notes.append("A validation split was carved from train (the paper tuned on test).")
    if any(c.get("label_mode") == "assistant" for c in cfgs):
        notes.append("Label mode `assistant` (the paper's numbers came from `as_run`).")
    notes.append("Packed single-pass JEPA forward (exactly equal to the authors' three-row forward, tested) and "
                 "accumulation-invariant loss normalisation (the authors' JEPA path is scaled by grad_accum).")
    return notes


def _shared_settings(runs: list[Run]) -> str:
    varying = set(varying_fields(runs)) | set(IGNORED_FIELDS)
    return ", ".join(f"{k}={runs[0].cfg[k]}" for k in sorted(runs[0].cfg) if k not in varying)


def _cost_line(runs: list[Run]) -> str:
    """What the runs cost here: total wall time, and the median run of each method (training and evaluations)."""
    import statistics

    several = len({r.cfg["model"] for r in runs}) > 1  # the model-size sweep: a method's cost per model
    walls = [(f"{r.label} on {r.cfg['model']}" if several else r.label, r.summary.get("wall_seconds")) for r in runs]
    walls = [(m, w) for m, w in walls if w]
    if not walls:
        return "* measured cost: not recorded"
    per = {}
    for m, w in walls:
        per.setdefault(m, []).append(w)
    medians = ", ".join(f"{m} {statistics.median(ws) / 60:.1f} min" for m, ws in sorted(per.items()))
    return (f"* measured cost: {sum(w for _, w in walls) / 3600:.2f} h of wall time for {len(walls)} runs; median "
            f"run (training and its evaluations): {medians}")


def _what_the_scores_are(runs: list[Run]) -> str:
    """Which of the headline metrics are the authors' own checks: a metric is called one only where its task
    marks it as the parity metric (a task of one's own has none unless it says so)."""
    from tasks import UnknownNameError, get_task

    def parity(r: Run) -> bool:
        try:
            return get_task(r.cfg["task"]).metric(r.headline).parity
        except UnknownNameError:
            return False

    pretrain_prefix = [r for r in runs if r.cfg.get("pretrain") and r.headline == "prefix"]
    others = [r for r in runs if r not in pretrain_prefix]
    if all(parity(r) for r in others):
        return ("the authors' check for parity with the paper; prefix match for models trained from random "
                "initialisation, as the paper's Table 2")
    checks = sorted({f"`{r.headline}` on {r.cfg['task']}" for r in others if parity(r)})
    return ((f"of these, the authors' checks for parity with the paper: {', '.join(checks)}; " if checks else
             "none of them the authors' check for parity with the paper; ")
            + "the others are the tasks' own metrics" + ("; prefix match for models trained from random "
                                                         "initialisation, as the paper's Table 2"
                                                         if pretrain_prefix else ""))


def _distinct(records: list[dict], key: str) -> str:
    """Every library's versions over the runs, each value once ("transformers 5.24.0 / 5.25.0")."""
    seen: dict[str, list] = {}
    for record in records:
        for name, value in (record.get(key) or {}).items():
            if value and value not in seen.setdefault(name, []):
                seen[name].append(value)
    return ", ".join(f"{name} {' / '.join(sorted(map(str, values)))}" for name, values in seen.items() if values)


def _hardware(records: list[dict]) -> str:
    """The machines the runs were built on, each once."""
    kinds = []
    for record in records:
        hw = record.get("hardware") or {}
        text = f"{hw.get('platform')}, {hw.get('cpu_count')} CPUs" + (f", GPUs {hw['gpus']}" if hw.get("gpus") else "")
        if text not in kinds:
            kinds.append(text)
    return "; ".join(sorted(kinds))


def write_readme(out: Path, title: str, runs: list[Run], table, figures: list[Path], split: str,
                 after_figures: list[str] = (), sections: list[str] = ()) -> Path:
    from benchmark.analysis import verdicts

    records = [r.record() for r in runs]
    headlines = ", ".join(sorted({f"`{r.headline}` on {r.cfg['task']}" for r in runs}))
    commits = sorted({str(r.summary.get("git", {}).get("commit")) for r in runs})
    lines = [f"# {title}", "",
             f"Built by `jepa-bench report` from {len(runs)} complete runs. Scores are "
             f"{headlines} ({_what_the_scores_are(runs)}) on the `{split}` split after the last epoch, in percent, "
             "mean ± std over seeds (std with ddof = 1).", "",
             "## What was run", "",
             f"* runs: {len(runs)}; tasks: {', '.join(sorted({r.cfg['task'] for r in runs}))}; methods: "
             f"{', '.join(sorted({method_label(r.cfg) for r in runs}))}",
             f"* settings shared by every run: {_shared_settings(runs)}",
             f"* settings that vary: {', '.join(varying_fields(runs)) or 'none'}",
             f"* git commit(s): {', '.join(c[:12] for c in commits)}",
             f"* versions: {_distinct(records, 'versions')}",
             f"* hardware: {_hardware(records)}",
             _cost_line(runs),
             "* each run's resolved config, task version and provenance: `<results>/<run_id>/config.json`", "",
             "## Comparison with the paper", "",
             (out / "tables" / "comparison.md").read_text(), "",
             "Columns: hit cap = the share of outputs (mean over seeds) that ran into `max_new_tokens` without ending "
             "their turn, where the cap and not the model sets the score; "
             "Δ = our mean difference to the `regular` arm with the same settings (paired by seed); "
             "p = the paper's paired one-tailed t-test (H1: method > regular) over the common seeds; "
             "p (Holm) = Holm-corrected within each task's table of one model; MDE = the smallest true difference our paired "
             "test would detect (one-tailed, α 0.05, power 0.8, from the spread of the paired differences); "
             "questions + / − (p) = the test questions the arm answers correctly in more of the paired seeds than "
             "regular, those it answers in fewer (ties left out), and the exact one-tailed sign test over them: its "
             "unit is the question, so unlike the seed-paired p it also counts which questions the test rows "
             "happen to be (no verdict reads it; at a floor it is the test that still counts exactly); "
             "paper (%) and paper Δ = the paper's numbers (paper/paper_numbers.csv) from the listed table, "
             "shown only when they measure the same thing (else the reason); seeds for paper Δ = the seeds our "
             "spread would need to detect the paper's difference.", "",
             "### Verdict rule", "", verdicts.VERDICT_RULE, ""]
    counts = table["verdict"].value_counts().to_dict()
    lines += [f"Verdicts: {', '.join(f'{v} {n}' for v, n in sorted(counts.items()))}.", ""]
    judged = table["verdict"].str.startswith(("reproduced", "not reproduced", "inconclusive"))
    for _, r in table[judged].iterrows():
        lines.append(f"* {arm_heading(r, table['model'].nunique() > 1)}: **{r['verdict']}**: {r['verdict_reason']}")
    lines += [""] + list(sections) + ["## Figures", ""]
    captions = {"accuracy_vs_epoch": "accuracy after each epoch, mean ± one std over seeds (the paper's Fig. 1 right)",
                "losses": "LM loss, and JEPA / STP loss and cosine, over optimizer steps (mean over seeds)",
                "accuracy_vs_flops": "accuracy against analytic training FLOPs (the paper's Fig. 5)",
                "lambda_k": "LLM-JEPA accuracy over the λ × k grid (the paper's Fig. 7)",
                "effect_vs_size": "each arm's Δ vs regular against the model's parameter count (the paper's "
                                  "Table 15)",
                "delta_vs_rows": "each arm's Δ vs regular (paired by seed, ± 1 s.e.) against the training rows both "
                                 "trained on"}
    for f in figures:
        if f.suffix != ".png":
            continue
        kind = next((k for k in captions if f.stem.startswith(k)), f.stem)
        lines += [f"![{f.stem}](figures/{f.name})", "", f"*{f.stem}*: {captions.get(kind, '')} "
                  f"([PDF](figures/{f.stem}.pdf))", ""]
    lines += list(after_figures)
    lines += ["## Differences from the paper's protocol", ""] + [f"* {d}" for d in _deviations(runs)] + [""]
    path = out / "README.md"
    path.write_text("\n".join(lines))
    return path


def build_report(results: str | Path, out: str | Path, *, split: str = "test", title: str | None = None,
                 metric: str | None = None, skip_broken: bool = False, log=print) -> Path:
    """Render the report of a results tree into `out` (replaced as a whole, atomically); returns its README.
    Every registered comparison (analysis/comparisons.py) builds its table, and writes its file and section."""
    from benchmark import store
    from benchmark.analysis.comparisons import Inputs, all_comparisons
    from benchmark.analysis.paper import load_paper_numbers

    results, out = Path(results), Path(out)
    runs = load_runs(results, metric, skip_broken=skip_broken, log=log)
    store.check_creatable(out, overwrite=True, what="report folder")
    inputs = Inputs(runs, split, load_paper_numbers(), results)
    comparisons = all_comparisons()
    tables = {c.key: c.build(inputs) for c in comparisons}
    table = tables[("score", "regular")]
    with store.building(out, replace=True) as work:
        write_tables(table, work / "tables")
        for c in comparisons:
            if c.csv and not tables[c.key].empty:
                tables[c.key].to_csv(work / "tables" / f"{c.csv}.csv", index=False)
        drawn: list[Path] = []
        for task in sorted({r.cfg["task"] for r in runs}):
            drawn += figures.plot_accuracy_vs_epoch(runs, task, split, work / "figures")
            drawn += figures.plot_losses(runs, task, work / "figures")
            drawn += figures.plot_accuracy_vs_flops(runs, task, split, work / "figures")
            drawn += figures.plot_lambda_k(runs, task, split, work / "figures") or []
            drawn += figures.plot_effect_vs_size(runs, table, task, work / "figures") or []
            drawn += figures.plot_delta_vs_rows(runs, task, split, work / "figures") or []
        for task, res in inputs.analyses().items():
            figures.representation_figures(res, task, work / "figures")
        sections = [line for c in comparisons if c.section and not c.after_figures
                    for line in c.section(tables[c.key], inputs)]
        after = [line for c in comparisons if c.section and c.after_figures for line in c.section(tables[c.key], inputs)]
        if split != "test":  # a validation report is for choosing: say what `jepa-bench select` chooses
            from benchmark.analysis.select import format_ranking, rank

            sections += [f"## Choice on `{split}` (`jepa-bench select`)", "", "```",
                         format_ranking(rank(runs, split, metric), split, metric or runs[0].headline), "```", ""]
        write_readme(work, title or f"Report: {results}", runs, table, drawn, split, after, sections)
    return out / "README.md"
