"""Data efficiency (STP, arXiv 2602.22617, abstract and Fig. 1(b)): "STP allows LLMs to match baseline accuracy
with 16x less training data on the NL-RX-SYNTH dataset".

A tree that trains regular fine-tuning on several training-set sizes (`limit_train`, nested subsets of one
draw) gives regular's learning curve: its mean score against log(rows), piecewise linear between the measured
sizes. For an arm trained on N rows, fewer than regular's largest size, M = the rows at which that curve first
reaches the arm's mean score, and the data multiplier is M / N ("the arm on N rows scores like regular on M").
A percentile bootstrap over seeds (each arm's and each regular size's seeds drawn with replacement, apart)
gives its 95 % interval.

Out of range: when the arm on N rows scores at least as well as regular on its largest size, M is beyond the
curve and only a lower bound, largest / N, is known; when it scores no better than regular on the same N rows
(or on the curve's smallest size), the multiplier is at most 1 (no gain) and the curve cannot say how much less.

The verdict reads the interval against the paper's multiplier: reproduced when 16 lies inside it or below it
and the interval excludes 1 (a gain shown); not reproduced when it lies above it (the paper's multiplier
excluded); inconclusive (too little data) when the interval holds both 1 and 16.

Which runs make one curve: STP §4.3 (the data behind Fig. 1(b)) trains a 1/n subset for n times the epochs ("To
compensate for the reduced number of training steps, we scale the epochs proportionally"), so every point takes the
same passes over examples (rows x epochs) and the same optimizer steps; only such a curve ("equal passes") faces
the paper's 16x. A tree whose sizes all train the same epochs gives a curve "at equal epochs", where 1/16 of the
rows is also 1/16 of the steps: its multiplier is shown, without a verdict. A tree may hold both.
"""
from __future__ import annotations

import json
import math
import random

from benchmark.analysis.comparisons import Comparison, register
from benchmark.analysis.runs import Run, differences, fmt_num, is_baseline, uses_predictors

PAPER_MULTIPLIER = 16.0  # STP abstract: "16x less training data"
PAPER_SOURCE = "STP abstract, §4.3, Fig. 1(b)"
BOOTSTRAP = 2000
BOOTSTRAP_SEED = 20260226  # fixed: the same interval every time the report is built
LEVEL = 0.95
ABOVE, BELOW = math.inf, 0.0  # out-of-range multipliers, as the bootstrap sorts them


# The two ways a learning curve can hold training fixed while the rows change. STP §4.3 trains a 1/n subset
# for n times the epochs (every point the same number of passes over examples, so the same optimizer steps); at
# equal epochs a 1/16 subset also gets 1/16 of the steps. The paper's 16x is a statement about the first.
EQUAL_PASSES = "equal passes"
EQUAL_EPOCHS = "equal epochs"


def _setting(run: Run) -> tuple:
    """What a learning curve shares: the run's setting without the training-set size."""
    return tuple((k, v) for k, v in run.setting if k != "limit_train")


def _protocol_keys(run: Run) -> list[tuple]:
    """The curves a run can be a point of: at equal epochs (its setting without the rows), and at equal passes
    (without rows and epochs, with rows x epochs): a tree holds curves of either kind, or of both."""
    passes = int(run.cfg["limit_train"]) * float(run.cfg["epochs"])
    return [(EQUAL_EPOCHS, _setting(run)),
            (EQUAL_PASSES, tuple((k, v) for k, v in _setting(run) if k != "epochs") + (("passes", f"{passes:g}"),))]


def curves(runs: list[Run], split: str, metric: str | None = None) -> dict:
    """{((protocol, setting), arm label, arm): {rows: {seed: score}}} for every arm with a limit_train and a final
    score, under both protocols (a curve of one size is no curve: the table skips it)."""
    out: dict = {}
    for r in runs:
        rows, score = r.cfg.get("limit_train"), r.score(split, metric)
        if rows is None or score is None:
            continue
        for key in _protocol_keys(r):
            out.setdefault((key, r.label if not is_baseline(r.cfg) else "regular", _arm(r)), {}) \
                .setdefault(int(rows), {})[r.cfg["seed"]] = score
    return out


def _arm(r: Run) -> tuple:
    cfg = r.cfg
    return (None if is_baseline(cfg) else cfg.get("lbd"), cfg.get("predictors") if uses_predictors(cfg) else None)


def rows_to_match(curve: list[tuple[float, float]], target: float) -> float:
    """The rows at which the curve [(rows, mean score), ...] first reaches `target`, linear in log(rows) between
    measured sizes; ABOVE when it never does, BELOW when its smallest size already does."""
    curve = sorted(curve)
    if target <= curve[0][1]:
        return BELOW
    for (n0, s0), (n1, s1) in zip(curve, curve[1:]):
        if s0 < target <= s1:
            share = (target - s0) / (s1 - s0)
            return math.exp(math.log(n0) + share * (math.log(n1) - math.log(n0)))
    return ABOVE


def multiplier(regular: dict[int, list[float]], arm_scores: list[float], arm_rows: int) -> float:
    """M / N from regular's seeds per size and the arm's seeds at N rows (ABOVE / BELOW when out of range)."""
    curve = [(n, sum(v) / len(v)) for n, v in regular.items() if v]
    m = rows_to_match(curve, sum(arm_scores) / len(arm_scores))
    return m if m in (ABOVE, BELOW) else m / arm_rows


def bootstrap_interval(regular: dict[int, list[float]], arm_scores: list[float], arm_rows: int,
                       draws: int = BOOTSTRAP, seed: int = BOOTSTRAP_SEED) -> tuple[float, float]:
    """The percentile interval of the multiplier over `draws` resamplings of every group's seeds."""
    rng = random.Random(seed)
    values = sorted(multiplier({n: rng.choices(v, k=len(v)) for n, v in regular.items()},
                               rng.choices(arm_scores, k=len(arm_scores)), arm_rows) for _ in range(draws))
    tail = (1 - LEVEL) / 2
    return values[int(tail * (draws - 1))], values[int(math.ceil((1 - tail) * (draws - 1)))]


def fmt_multiplier(x: float, regular_sizes: list[int], arm_rows: int) -> str:
    if x == ABOVE:
        return f"> {max(regular_sizes) / arm_rows:g}"
    if x == BELOW:
        return f"≤ {min(regular_sizes) / arm_rows:g}" if min(regular_sizes) > arm_rows else "≤ 1"
    return f"{x:.2f}"


def data_efficiency_verdict(point: float, lo: float, hi: float, paper: float = PAPER_MULTIPLIER,
                            protocol: str = EQUAL_PASSES) -> tuple[str, str]:
    """(label, reason) of the module docstring's rule; a curve at equal epochs measures something the paper's
    multiplier does not state, so it is shown without a verdict."""
    if protocol != EQUAL_PASSES:
        return ("no paper claim", f"at equal epochs a smaller training set also gets fewer optimizer steps; the "
                                  f"STP paper's {paper:g}× trains a 1/n subset for n times the epochs")
    out_of_range = {ABOVE: "out of range: the arm beats regular on regular's largest training set",
                    BELOW: "out of range: the arm does not beat regular on its own training-set size"}.get(point)
    note = f" ({out_of_range})" if out_of_range else ""
    if hi < paper:
        return ("not reproduced (paper's effect excluded)",
                f"the paper's {paper:g}× lies above our 95 % interval{note}")
    if lo <= 1.0:
        return ("inconclusive (too little data)",
                f"our 95 % interval holds both no gain (1×) and the paper's {paper:g}×{note}")
    where = "inside" if lo <= paper else "below"
    return "reproduced", f"the paper's {paper:g}× lies {where} our 95 % interval, which excludes no gain{note}"


def data_efficiency_table(runs: list[Run], split: str, paper=None):
    """One row per non-regular arm trained on fewer rows than regular's largest size, in a setting where
    regular was trained on at least two sizes; empty otherwise."""
    import pandas as pd

    by = curves(runs, split)
    rows = []
    for (key, label, arm), sizes in sorted(by.items(), key=lambda kv: json.dumps(kv[0], default=str)):
        if label == "regular":
            continue
        protocol, setting = key
        regular = by.get((key, "regular", (None, None)))
        if not regular or len(regular) < 2:
            continue
        reg = {n: list(v.values()) for n, v in regular.items()}
        cfg = dict(setting)
        for n, seeds in sorted(sizes.items()):
            if n >= max(reg) or len(seeds) < 2:
                continue
            scores = list(seeds.values())
            point = multiplier(reg, scores, n)
            lo, hi = bootstrap_interval(reg, scores, n)
            label_v, reason = data_efficiency_verdict(point, lo, hi, protocol=protocol)
            shown = [fmt_multiplier(x, list(reg), n) for x in (point, lo, hi)]
            epochs = float(cfg["epochs"]) if "epochs" in cfg else float(cfg["passes"]) / n
            rows.append({"task": json.loads(cfg["task"]), "model": json.loads(cfg["model"]), "method": label,
                         "lambda": arm[0], "k": arm[1], "rows": n, "epochs": epochs, "protocol": protocol,
                         "n": len(scores),
                         "score": sum(scores) / len(scores),
                         "curve": "; ".join(f"{m}: {sum(v) / len(v):.2f} ({len(v)})" for m, v in sorted(reg.items())),
                         "multiplier": point, "lo": lo, "hi": hi, "multiplier_shown": shown[0],
                         "interval_shown": f"[{shown[1]}, {shown[2]}]",
                         "delta": point, "n_pairs": len(scores), "p": math.nan, "p_holm": math.nan, "mde": math.nan,
                         "paper_delta": PAPER_MULTIPLIER, "paper_table": PAPER_SOURCE,
                         "verdict": label_v, "verdict_reason": reason,
                         "power": f"95 % bootstrap interval over seeds [{shown[1]}, {shown[2]}]",
                         "ours": f"{label} on {n} rows scores like regular on {shown[0]}× the rows (95 % interval "
                                 f"[{shown[1]}, {shown[2]}], {len(scores)} seeds; regular at {', '.join(map(str, sorted(reg)))} rows)"})
    return pd.DataFrame(rows)


def data_efficiency_section(table, noise: list[str] = ()) -> list[str]:
    """README lines: the multiplier of each arm, its interval and verdict (none without a learning curve), then
    the test-row noise lines (`test_noise_lines`)."""
    if table.empty:
        return list(noise)
    lines = ["## Data efficiency (STP abstract, §4.3, Fig. 1(b))", "",
             "| task | method | rows | epochs | curve at | seeds | mean score | regular's curve (rows: mean (seeds)) | "
             "multiplier M/N | 95 % interval | verdict |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for _, r in table.iterrows():
        lines.append(f"| {r['task']} | {r['method']} | {r['rows']} | {r['epochs']:g} | {r['protocol']} | {r['n']} | "
                     f"{fmt_num(r['score'])} | {r['curve']} | {r['multiplier_shown']} | {r['interval_shown']} | "
                     f"{r['verdict']} |")
    lines += ["", "M = the training rows at which regular's learning curve (its mean score, piecewise linear in "
                  "log(rows) between the measured sizes) first reaches the arm's mean score on N rows; the multiplier "
                  f"is M / N, with a {LEVEL:.0%} percentile bootstrap over seeds ({BOOTSTRAP} draws; each size's "
                  "seeds drawn apart). `> x`: the arm beats regular's largest size (a lower bound); `≤ 1`: the arm "
                  f"does not beat regular on its own rows. The paper's multiplier is {PAPER_MULTIPLIER:g}, at equal passes: "
                  "STP trained a 1/n subset for n times the epochs (STP §4.3, Fig. 1(b)), so every point of the curve takes the "
                  "same optimizer steps; that is the curve the verdict reads. A curve at equal epochs (every size the "
                  "same epochs, so 1/n of the steps) is shown for information, without a verdict.", ""]
    for _, r in table.iterrows():
        lines.append(f"* {r['task']} {r['method']} on {r['rows']} rows: **{r['verdict']}**: {r['verdict_reason']}")
    return lines + [""] + list(noise)


def binomial_se(score: float, n_rows: int) -> float:
    """One run's standard error from sampling the test rows alone: sqrt(p (1 − p) / n), in points."""
    p = score / 100.0
    return 100.0 * math.sqrt(max(p * (1 - p), 0.0) / n_rows) if n_rows else math.nan


def arms_by_size(runs: list[Run], split: str, protocol: str = EQUAL_EPOCHS) -> dict:
    """{(setting, label, arm): {rows: [runs with a final score]}}, the grouping of the learning-curve figures and
    the noise table: the curves of one protocol (at equal epochs the setting holds the epochs; at equal passes,
    rows x epochs)."""
    out: dict = {}
    for r in runs:
        if r.cfg.get("limit_train") is None or r.score(split) is None:
            continue
        label = "regular" if is_baseline(r.cfg) else r.label
        setting = dict(_protocol_keys(r))[protocol]
        out.setdefault((setting, label, _arm(r)), {}).setdefault(int(r.cfg["limit_train"]), []).append(r)
    return out


def delta_by_rows(runs: list[Run], split: str) -> dict[str, list[tuple[int, float, float]]]:
    """{line name: [(rows, Δ vs regular, standard error)]} for each arm with a paired Δ (two seeds at least) at two
    sizes or more. A line is one arm on one curve: at equal epochs (every size the same epochs) or at equal
    passes (a 1/n subset n times the epochs, STP §4.3), never points of both, nor of two settings, on one line;
    the settings that differ among one protocol's lines (epochs, model, lr, ...) are in their names."""
    from benchmark.analysis.tables import paired_detail

    found: dict[tuple, list] = {}
    for protocol in (EQUAL_EPOCHS, EQUAL_PASSES):
        groups = arms_by_size(runs, split, protocol)
        for (setting, label, arm), sizes in groups.items():
            regular = groups.get((setting, "regular", (None, None)))
            if label == "regular" or not regular:
                continue
            points = []
            for n, rs in sizes.items():
                d = paired_detail(rs, regular[n], split) if n in regular else {"n_pairs": 0}
                if d["n_pairs"] >= 2:
                    se = d["sd_diff"] / math.sqrt(d["n_pairs"]) if d["sd_diff"] == d["sd_diff"] else 0.0
                    points.append((n, d["delta"], se))
            if len({n for n, _, _ in points}) >= 2:
                found[(protocol, setting, label, arm)] = sorted(points)
    lines = {}
    for (protocol, setting, label, arm), points in found.items():
        differ = differences(dict(setting), [dict(s) for p, s, _, _ in found if p == protocol])
        name = label + ("" if arm == (None, None) else f" (λ {arm[0]:g}" + (f", k {arm[1]})" if arm[1] is not None
                                                                           else ")"))
        lines[name + f", {protocol}" + (f", {differ}" if differ else "")] = points
    return lines


def test_noise_lines(runs: list[Run], split: str) -> list[str]:
    """Each arm and size: the spread of its seeds beside one run's binomial standard error from its test rows,
    so a reader sees which of the two dominates a comparison; none without several sizes."""
    groups = arms_by_size(runs, split)
    if len({n for sizes in groups.values() for n in sizes}) < 2:
        return []
    import statistics

    lines = ["### Test-row noise against seed spread", "",
             "| task | method | rows | epochs | seeds | mean | std over seeds | binomial s.e. of one run | test rows |",
             "|---|---|---|---|---|---|---|---|---|"]
    for (setting, label, _), sizes in sorted(groups.items(), key=lambda kv: json.dumps(kv[0], default=str)):
        for n, rs in sorted(sizes.items()):
            scores = [r.score(split) for r in rs]
            n_test = rs[0].evaluations(split)[-1]["n"]
            mean = statistics.fmean(scores)
            sd = statistics.stdev(scores) if len(scores) > 1 else math.nan
            se = statistics.fmean(binomial_se(s, r.evaluations(split)[-1]["n"]) for s, r in zip(scores, rs))
            lines.append(f"| {json.loads(dict(setting)['task'])} | {label} | {n} | {rs[0].epochs_trained:g} | "
                         f"{len(rs)} | {mean:.2f} | "
                         f"{fmt_num(sd)} | {se:.2f} | {n_test} |")
    return lines + ["", "The binomial standard error, sqrt(p (1 − p) / n) in points, is what test-row sampling alone "
                        "moves one run's score; where it is well below the spread over seeds, training noise "
                        "dominates and more seeds, not more test rows, tighten a comparison.", ""]


register(Comparison(
    measure="data_efficiency", versus="regular", reference="regular",
    description="data multiplier M / N on regular's learning curve", paper=PAPER_SOURCE,
    build=lambda i: data_efficiency_table(i.runs, i.split, i.paper),
    section=lambda t, i: data_efficiency_section(t, test_noise_lines(i.runs, i.split)), csv="data_efficiency",
    missing="learning curve (regular on two or more training-set sizes, the arm on fewer rows than the largest, "
            "two seeds or more)", order=60, own_rule=True))
