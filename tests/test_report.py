"""`jepa-bench report` on a synthetic results tree: every table, figure and verdict, statistics vs scipy."""
import json
import math
from pathlib import Path

import pandas as pd
import pytest

from tasks import SUBSET_WORDS, SUBSETS

from benchmark import store
from benchmark.cli import main
from benchmark.training.config import TrainConfig
from benchmark.analysis.report import build_report
from benchmark.analysis.runs import load_runs, method_label
from benchmark.analysis.tables import comparison_table
from benchmark.analysis.paper import load_paper_numbers

ROOT = Path(__file__).resolve().parent.parent
# (task, objective, lbd, k) -> final accuracy per seed (fractions), epochs 1 and 2 (final)
ARMS = {
    ("synth", "regular", None, 1): {82: (0.40, 0.50), 23: (0.45, 0.55), 37: (0.42, 0.52)},
    ("synth", "jepa", 1.0, 1): {82: (0.60, 0.70), 23: (0.63, 0.72), 37: (0.61, 0.69)},
    ("synth", "jepa", 2.0, 1): {82: (0.60, 0.66), 23: (0.62, 0.68), 37: (0.60, 0.67)},
    ("gsm8k", "regular", None, 1): {82: (0.30, 0.40), 23: (0.31, 0.41), 37: (0.29, 0.39)},
    ("gsm8k", "jepa", 1.0, 1): {82: (0.30, 0.35), 23: (0.30, 0.36), 37: (0.30, 0.34)},
}


def fake_run(root: Path, task, objective, lbd, k, seed, accs, run_id: str | None = None, **config) -> None:
    config.setdefault("epochs", 4)
    cfg = TrainConfig(task=task, model="tiny-random-llama", objective=objective, lbd=lbd, predictors=k, seed=seed,
                      **config).resolved().to_dict()
    run_id = run_id or f"{task[:4]}{objective[:3]}{lbd or 0:g}{seed}".replace(".", "")
    d = root / run_id
    d.mkdir(parents=True)
    metric = "exact" if task == "synth" else "original"
    evals = [{"epoch": float(e + 1), "step": 10 * (e + 1), "split": "test", "flops": 1e9 * (e + 1) * (2 if lbd else 1),
              "n": 100, "main_metric": metric, "accuracy": a,
              "metrics": {metric: {"accuracy": a, "correct": int(100 * a), "wrong": 100 - int(100 * a),
                                   "undecided": 0, "upper_bound": a}}} for e, a in enumerate(accs)]
    (d / "config.json").write_text(json.dumps({"versions": {"torch": "x"}, "hardware": {"platform": "test", "cpu_count": 2}}))
    (d / "train_log.jsonl").write_text("".join(json.dumps({"step": s, "loss": 3 - s / 10, "lm_loss": 3 - s / 10,
                                                             **({"jepa_loss": 0.5 - s / 50, "cosine": 0.5 + s / 50} if lbd else {})}) + "\n"
                                               for s in range(1, 21)))
    store.write_json_atomic(d / "summary.json", {"run_id": run_id, "complete": True, "config": cfg,
                                                  "task": {"name": task, "version": 2},
                                                  "eval": {"splits": ["test"], "limit": 100, "max_new_tokens": 128},
                                                  "evaluations": evals, "git": {"commit": "abc"},
                                                  "wall_seconds": 120.0 if lbd else 60.0})


@pytest.fixture
def tree(tmp_path) -> Path:
    root = tmp_path / "results"
    for (task, obj, lbd, k), seeds in ARMS.items():
        for seed, accs in seeds.items():
            fake_run(root, task, obj, lbd, k, seed, accs)
    return root


def test_table_statistics_match_scipy(tree):
    from scipy import stats as sps

    table = comparison_table(load_runs(tree), "test", load_paper_numbers())
    row = table[(table.task == "synth") & (table.method == "jepa") & (table["lambda"] == 1.0)].iloc[0]
    jepa = [100 * ARMS[("synth", "jepa", 1.0, 1)][s][1] for s in (4, 23, 37, 82) if s != 4]
    reg = [100 * ARMS[("synth", "regular", None, 1)][s][1] for s in (23, 37, 82)]
    assert row["mean"] == pytest.approx(sum(jepa) / 3)
    assert row["p"] == pytest.approx(sps.ttest_rel(jepa, reg, alternative="greater").pvalue, rel=1e-9)
    assert row["n_pairs"] == 3 and row["paper_mean"] == 71.46 and row["paper_table"] == "Table 3"
    synth = table[(table.task == "synth") & (table.method != "regular")]
    raw = sorted(synth["p"])
    assert sorted(synth["p_holm"]) == pytest.approx([min(1, 2 * raw[0]), min(1, max(2 * raw[0], raw[1]))])
    assert row["verdict"] == "reproduced"
    gsm = table[(table.task == "gsm8k") & (table.method == "jepa")].iloc[0]
    assert gsm["delta"] < 0 and gsm["verdict"].startswith("not reproduced")  # the paper claims +4.0 on GSM8K
    assert table[table.method == "regular"]["verdict"].eq("baseline").all()


def test_report_has_every_table_figure_and_verdict(tree, tmp_path):
    out = tmp_path / "report"
    readme = build_report(tree, out, title="Synthetic")
    text = readme.read_text()
    for ext in ("md", "tex", "csv"):
        assert (out / "tables" / f"comparison.{ext}").stat().st_size > 0
    for name in ("accuracy_vs_epoch_synth_test", "losses_synth", "accuracy_vs_flops_synth_test", "lambda_k_synth_test",
                 "accuracy_vs_epoch_gsm8k_test", "losses_gsm8k", "accuracy_vs_flops_gsm8k_test"):
        for ext in ("png", "pdf"):
            assert (out / "figures" / f"{name}.{ext}").stat().st_size > 1000, name
        if name.startswith(("accuracy", "losses", "lambda")):
            assert f"figures/{name}.png" in text
    assert not (out / "figures" / "lambda_k_gsm8k_test.png").exists()  # one (λ, k) point: no heatmap
    assert "### Verdict rule" in text and "REPRODUCED when" in text
    assert "**reproduced**" in text and "**not reproduced (" in text and "minimum detectable effect" in text
    assert "## Differences from the paper's protocol" in text and "tiny-random-llama" in text
    assert "71.46 ± 1.34" in (out / "tables" / "comparison.md").read_text()
    # 6 regular runs of 60 s and 9 LLM-JEPA runs of 120 s (fake_run)
    assert "* measured cost: 0.40 h of wall time for 15 runs; median run (training and its evaluations): " \
           "jepa 2.0 min, regular 1.0 min" in text


def test_cli_report_and_empty_results(tree, tmp_path, capsys):
    assert main(["report", str(tree), "--out", str(tmp_path / "r")]) == 0
    assert "report written to" in capsys.readouterr().out
    (tmp_path / "empty").mkdir()
    assert main(["report", str(tmp_path / "empty"), "--out", str(tmp_path / "r2")]) == 2
    assert "no complete runs" in capsys.readouterr().err


def test_method_labels_match_the_paper_data():
    labels = {method_label(TrainConfig.from_dict({"objective": "jepa", **kw}).resolved().to_dict()) for kw in (
        {}, {"distance": "l2"}, {"distance": "mse"}, {"distance": "infonce"}, {"front_pred": True},
        {"reverse_pred": True})}
    paper = set(load_paper_numbers()["method"])
    assert labels <= paper, labels - paper


def test_lora_arms_with_frozen_predictor_tokens_pair_with_the_same_baseline(tmp_path):
    """The LoRA spec's two LLM-JEPA arms differ only in train_predictor_tokens: each is its own method, and
    both pair with the one LoRA regular arm (the field is an arm field, not part of the shared setting)."""
    from benchmark.analysis.tables import comparison_table

    cfg = {"lora": True, "predictors": 3}
    assert method_label(TrainConfig(objective="jepa", train_predictor_tokens=False, **cfg).resolved().to_dict()) \
        == "jepa-frozen_pred"
    assert method_label(TrainConfig(objective="jepa", **cfg).resolved().to_dict()) == "jepa"
    assert method_label(TrainConfig(objective="jepa", train_predictor_tokens=False, lora=True,
                                    predictors=0).resolved().to_dict()) == "jepa"  # k = 0: nothing to freeze
    root = tmp_path / "lora"
    for seed, (reg, jep, frozen) in zip((82, 23, 37), ((0.30, 0.40, 0.35), (0.32, 0.41, 0.36), (0.31, 0.39, 0.33))):
        for obj, lbd, tokens, acc in (("regular", None, True, reg), ("jepa", 1.0, True, jep),
                                      ("jepa", 1.0, False, frozen)):
            rid = f"{obj}{int(tokens)}{seed}"
            fake_run(root, "synth", obj, lbd, 3, seed, (acc,), run_id=rid)
            s = json.loads((root / rid / "summary.json").read_text())
            s["config"].update(lora=True, train_predictor_tokens=tokens)
            (root / rid / "summary.json").write_text(json.dumps(s))
    table = comparison_table(load_runs(root), "test").set_index("method")
    assert set(table.index) == {"regular", "jepa", "jepa-frozen_pred"}
    assert table.loc["jepa-frozen_pred", "n_pairs"] == 3 and table.loc["jepa", "n_pairs"] == 3
    assert table.loc["jepa-frozen_pred", "delta"] == pytest.approx(100 * (0.35 + 0.36 + 0.33 - 0.93) / 3)


def test_report_of_the_committed_ci_baseline(tmp_path):
    readme = build_report(ROOT / "results" / "ci-baseline", tmp_path / "ci")
    assert "synth" in readme.read_text() and (tmp_path / "ci" / "figures" / "losses_synth.png").is_file()


def test_representation_section_from_saved_models(tmp_path, data_dir):
    """Runs that kept their model get the Fig. 3 / Table 14 analysis beside the base model; with --all-seeds
    every seed is analysed, and the report and the claims ledger pair each method with regular by seed."""
    from benchmark.analysis.ledger import build_ledger
    from benchmark.evaluation.plan import EvalPlan
    from benchmark.runs.runner import run_one
    from benchmark.runs.spec import RunSpec

    for seed in (82, 23, 37):
        for objective in ("regular", "jepa"):
            cfg = TrainConfig(task="synth", model="tiny-random-llama", objective=objective, limit_train=4, epochs=1,
                              batch_size=2, grad_accum=1, max_length=96, save_model=True, data_dir=str(data_dir),
                              seed=seed)
            run_one(RunSpec(cfg, EvalPlan(limit=2, max_new_tokens=4)), tmp_path / "results" / "r", progress=False)
    tree = tmp_path / "results" / "r"
    assert "## Representations" not in build_report(tree, tmp_path / "before").read_text()
    assert main(["represent", str(tree), "--examples", "6", "--no-progress"]) == 0
    # the analysis lives in the results tree; the report only reads it
    res = json.loads((tree / "analysis" / "representation" / "synth" / "representation.json").read_text())
    assert set(res["models"]) == {"base", "regular", "jepa k=1"} and res["n_examples"] == 6
    assert {label: list(seeds) for label, seeds in res["seeds"].items()} == {"regular": ["23"], "jepa k=1": ["23"]}
    readme = build_report(tree, tmp_path / "out").read_text()
    assert "## Representations" in readme and "| base |" in readme and "| jepa k=1 |" in readme
    assert "no baseline" not in readme and "jepa k=1: **" in readme  # one seed pair: too little data
    assert main(["represent", str(tree), "--examples", "6", "--all-seeds", "--no-progress"]) == 0
    res = json.loads((tree / "analysis" / "representation" / "synth" / "representation.json").read_text())
    assert {label: sorted(seeds) for label, seeds in res["seeds"].items()} == {
        "regular": ["23", "37", "82"], "jepa k=1": ["23", "37", "82"]}
    assert res["seeds"]["jepa k=1"]["23"]["linear_map"] == res["models"]["jepa k=1"]["linear_map"]
    build_report(tree, tmp_path / "out2")
    rep = pd.read_csv(tmp_path / "out2" / "tables" / "representation.csv")
    jepa = rep[rep.method == "jepa"].iloc[0]
    # 3 fitting rows for the tiny model's hidden size: paired, but the map is underdetermined, so no verdict
    assert jepa["n_pairs"] == 3 and jepa["verdict"] == "no verdict (map underdetermined)"
    claims = tmp_path / "claims.yaml"
    claims.write_text("claims:\n  - {id: x, title: X, claim: c, source: s, paper: p, paper_version: v, evidence: "
                      "main text, comparisons: [{results: results/r, task: synth, method: jepa, "
                      "measure: linear_map}]}\n")
    ledger = pd.read_csv(build_ledger(tmp_path / "ledger", claims_file=claims, root=tmp_path).parent / "claims.csv")
    assert ledger.iloc[0]["verdict"] == jepa["verdict"] and ledger.iloc[0]["delta"] == pytest.approx(jepa["delta"])
    assert (tmp_path / "out" / "figures" / "singular_values_synth.png").is_file()


def test_pretraining_runs_are_judged_by_prefix_match_as_in_table_2(tmp_path):
    """Paper §4.1: models trained from random initialisation do not learn to stop: prefix match."""
    root = tmp_path / "results"
    for (task, obj, lbd, k), seeds in list(ARMS.items())[:2]:
        for seed, accs in seeds.items():
            fake_run(root, task, obj, lbd, k, seed, accs)
    for d in store.run_dirs(root):  # make them pretraining runs that also scored prefix
        s = store.read_summary(d)
        s["config"]["pretrain"] = True
        for e in s["evaluations"]:
            e["metrics"]["prefix"] = {**e["metrics"]["exact"], "accuracy": e["accuracy"] + 0.1}
        store.write_json_atomic(d / "summary.json", s)
    table = comparison_table(load_runs(root), "test", load_paper_numbers())
    jepa = table[table.method == "jepa"].iloc[0]
    assert jepa["metric"] == "prefix" and jepa["paper_table"] == "Table 2" and jepa["paper_mean"] == 60.59
    assert jepa["mean"] == pytest.approx(100 * (0.70 + 0.72 + 0.69) / 3 + 10)
    exact = comparison_table(load_runs(root, metric="exact"), "test", load_paper_numbers())
    assert exact[exact.method == "jepa"].iloc[0]["metric"] == "exact"


def test_arms_without_a_regular_baseline_say_so(tmp_path):
    root = tmp_path / "results"
    for seed in (82, 23, 37):
        fake_run(root, "synth", "jepa", 1.0, 1, seed, (0.3, 0.4))
    table = comparison_table(load_runs(root), "test", load_paper_numbers())
    assert table["verdict"].tolist() == ["no baseline"]
    readme = build_report(root, tmp_path / "report").read_text()
    assert "Verdicts: no baseline 1." in readme


def test_a_learning_rate_off_the_papers_grid_is_a_stated_deviation(tmp_path):
    root = tmp_path / "results"
    fake_run(root, "synth", "regular", None, 1, 82, (0.3, 0.4))  # TrainConfig default lr 2e-5: on the grid
    assert "Learning rate" not in build_report(root, tmp_path / "a").read_text()
    m = json.loads((next(root.iterdir()) / "summary.json").read_text())
    m["config"]["lr"] = 5e-5
    (next(root.iterdir()) / "summary.json").write_text(json.dumps(m))
    assert "Learning rate 5e-05, outside the paper's grid {1e-05, 2e-05, 4e-05, 8e-05}" in \
        build_report(root, tmp_path / "b").read_text()


def test_a_paper_number_is_compared_only_when_it_measures_the_same(tmp_path):
    """Subset, split and epoch count must match, else the cell is empty, says why, and gives no verdict."""
    root = tmp_path / "results"
    for (task, obj, lbd, k), seeds in list(ARMS.items())[:2]:
        for seed, accs in seeds.items():
            fake_run(root, task, obj, lbd, k, seed, accs)
    paper = load_paper_numbers()
    ok = comparison_table(load_runs(root), "test", paper)
    assert ok[ok.method == "jepa"].iloc[0]["paper_table"] == "Table 3"
    for d in store.run_dirs(root):  # the same runs, as if trained for 6 epochs
        s = store.read_summary(d)
        s["config"]["epochs"] = 6
        store.write_json_atomic(d / "summary.json", s)
    six = comparison_table(load_runs(root), "test", paper)
    row = six[six.method == "jepa"].iloc[0]
    assert row["paper_table"] != "Table 3" and row["paper_table"] in ("", "Fig. 1 (epoch 6)")
    for d in store.run_dirs(root):  # a FLOP budget stopped the runs after 2.3 of their 6 epochs: no epoch-6 cell
        s = store.read_summary(d)
        s.update(stopped_by_budget=True, epochs_run=2.312)
        store.write_json_atomic(d / "summary.json", s)
    cut = comparison_table(load_runs(root), "test", paper)
    row = cut[cut.method == "jepa"].iloc[0]
    assert row["paper_table"] == "" and "these 2.312" in row["paper_note"] and row["verdict"] == "no paper claim"
    for d in store.run_dirs(root):  # and as a validation split: the paper has no number for it
        s = store.read_summary(d)
        for e in s["evaluations"]:
            e["split"] = "val"
        store.write_json_atomic(d / "summary.json", s)
    val = comparison_table(load_runs(root), "val", paper)
    row = val[val.method == "jepa"].iloc[0]
    assert math.isnan(row["paper_mean"]) and "test split" in row["paper_note"] and row["verdict"] == "no paper claim"


def test_stp_subset_numbers_never_stand_beside_a_whole_test_score():
    from benchmark.analysis.paper_cells import PaperArm, paper_reference

    ref = paper_reference(load_paper_numbers(), "synth", PaperArm("stp"), False, "meta-llama/Llama-3.2-1B-Instruct", "exact",
                          epochs=4)
    assert ref is None or "mean" not in ref or ref["mean"] != 88.5


def test_verdicts_say_whether_the_effect_is_excluded_or_the_data_thin(tree):
    """A negative verdict reads our one-sided bound against the paper's Δ; power is information, from the
    table's pooled spread, and says so."""
    table = comparison_table(load_runs(tree), "test", load_paper_numbers())
    judged = table[table.verdict.str.startswith(("not reproduced", "inconclusive"))]
    assert not judged.empty
    for _, r in judged.iterrows():
        assert r["verdict"] in ("not reproduced (paper's effect excluded)", "inconclusive (too little data)")
        assert "upper bound of our difference" in r["verdict_reason"] and not math.isnan(r["mde"])
        assert "pooled spread of the paired differences" in r["verdict_reason"]
        assert r["powered"] == (r["mde"] <= abs(r["paper_delta"]))
    pooled = table["pooled_sd"].iloc[0]
    pairs = table[table["n_pairs"] >= 2]
    expect = math.sqrt(sum((n - 1) * s * s for n, s in zip(pairs["n_pairs"], pairs["sd_diff"]))
                       / sum(n - 1 for n in pairs["n_pairs"]))
    assert pooled == pytest.approx(expect) and (table["pooled_sd"] == pooled).all()


def test_a_fig1_point_stands_only_beside_a_six_epoch_run():
    """Fig. 1's epoch-3 point is three epochs into a six-epoch run, not a three-epoch run (the learning-rate
    schedule differs): it must not be compared with a run that trained three epochs."""
    from benchmark.analysis.paper_cells import PaperArm, paper_reference

    paper = load_paper_numbers()
    three = paper_reference(paper, "synth", PaperArm("jepa"), False, "smollm2-135m-instruct", "exact", epochs=3)
    assert "mean" not in three and "epochs" in three["reason"]
    six = paper_reference(paper, "synth", PaperArm("jepa"), False, "smollm2-135m-instruct", "exact", epochs=6)
    assert six["table"] == "Fig. 1 (epoch 6)"


def sizes_tree(root: Path, staging: Path) -> Path:
    """Regular vs LLM-JEPA at two model sizes (3 M and 16 M parameters recorded), three seeds each; LLM-JEPA
    gains 5 points at the small size and 10 at the larger one."""
    for model, n_params, shift in (("tiny-random-llama", 3e6, 0.05), ("small-random-llama", 16e6, 0.10)):
        for seed in (82, 23, 37):
            for obj, lbd, acc in (("regular", None, 0.3), ("jepa", 1.0, 0.3 + shift + seed / 1e4)):
                fake_run(staging, "synth", obj, lbd, 1, seed, (acc / 2, acc))
                (d,) = staging.iterdir()
                s = json.loads((d / "summary.json").read_text())
                s["config"]["model"] = model
                (d / "summary.json").write_text(json.dumps(s))
                (d / "config.json").write_text(json.dumps({"versions": {}, "hardware": {}, "parameters": n_params}))
                root.mkdir(parents=True, exist_ok=True)
                d.rename(root / f"{model[:5]}{d.name}")
    return root


def test_effect_against_model_size_is_drawn_when_a_tree_has_several_models(tmp_path):
    """The paper's Table 15 as a figure: one point per model, at its recorded parameter count."""
    root = sizes_tree(tmp_path / "results", tmp_path / "staging")
    readme = build_report(root, tmp_path / "report").read_text()
    assert "![effect_vs_size_synth](figures/effect_vs_size_synth.png)" in readme
    assert (tmp_path / "report" / "figures" / "effect_vs_size_synth.pdf").is_file()
    # the verdict lines and the cost line tell the sizes apart
    assert "* synth jepa on tiny-random-llama (λ = 1, k = 1): **" in readme
    assert "* synth jepa on small-random-llama (λ = 1, k = 1): **" in readme
    assert "jepa on small-random-llama 2.0 min" in readme
    single = tmp_path / "single"
    for seed in (82, 23, 37):
        fake_run(single, "synth", "regular", None, 1, seed, (0.2, 0.3))
        fake_run(single, "synth", "jepa", 1.0, 1, seed, (0.2, 0.4))
    assert "effect_vs_size" not in build_report(single, tmp_path / "single-report").read_text()


def test_which_rows_a_limit_kept_is_a_stated_deviation(tmp_path):
    """A seeded random subset (label-sorted files) and the first rows are named apart, per task; an older
    evaluation without a `subset` field counts as head, not as a third kind."""
    root = tmp_path / "results"
    fake_run(root, "synth", "regular", None, 1, 82, (0.3, 0.4))
    fake_run(root, "gsm8k", "regular", None, 1, 82, (0.3, 0.4))
    for d in store.run_dirs(root):
        s = store.read_summary(d)
        s["config"]["limit_train"] = 256
        if s["config"]["task"] == "gsm8k":
            s["config"]["train_subset"] = "random"
            s["eval"]["subset"] = "random"
        store.write_json_atomic(d / "summary.json", s)
    text = build_report(root, tmp_path / "r").read_text()
    assert "Training on the first 256 rows of the train split (synth), not all of it." in text
    assert "Training on a seeded random sample of 256 rows of the train split (gsm8k), not all of it." in text
    assert text.count("Evaluation on 100 examples of test") == 1
    assert text.count("Evaluation on 100 examples (a seeded random sample) of test") == 1


@pytest.mark.parametrize("kind", SUBSETS)
def test_every_subset_kind_renders_in_a_report(tmp_path, kind):
    """Each kind a config may name (tasks.SUBSETS) has its words: a `nested` learning-curve tree once crashed
    the report with a KeyError."""
    root = tmp_path / "results"
    fake_run(root, "synth", "regular", None, 1, 82, (0.3, 0.4))
    (d,) = store.run_dirs(root)
    s = store.read_summary(d)
    s["config"].update(limit_train=125, train_subset=kind)
    store.write_json_atomic(d / "summary.json", s)
    text = build_report(root, tmp_path / "r").read_text()
    assert f"Training on {SUBSET_WORDS[kind].format(n=125)} rows of the train split, not all of it." in text


def test_a_comparison_at_the_floor_gets_no_verdict_from_its_p(tmp_path):
    """1–2 vs 3 correct rows of 100 in every seed: the paired t-test alone would call it significant; the table
    says "inconclusive (at the floor)", and the claims ledger keeps that even where direction_only is set."""
    from benchmark.analysis.claims import judge, load_claims
    from benchmark.analysis.paper import load_paper_numbers
    from benchmark.analysis.tables import comparison_table

    root = tmp_path / "results" / "nq"
    for seed, reg in zip((82, 23, 37), (0.01, 0.02, 0.01)):
        fake_run(root, "nq_open", "regular", None, 0, seed, (reg,))
        fake_run(root, "nq_open", "jepa", 1024.0, 0, seed, (0.03,))
    row = comparison_table(load_runs(root), "test", load_paper_numbers()).set_index("method").loc["jepa"]
    assert row["p"] < 0.05 and row["test_rows"] == 100 and row["regular_mean"] == pytest.approx(4 / 3)
    assert row["verdict"] == "inconclusive (at the floor)"
    data = tmp_path / "claims.yaml"
    data.write_text("claims:\n  - {id: x, title: X, claim: c, source: Table 4, paper: p, paper_version: v, "
                    "evidence: main text, paper_effect: 1.47, comparisons: [{results: results/nq, task: nq_open, "
                    "method: jepa, direction_only: true}]}\n")
    claim = load_claims(data)[0]
    judged = judge(claim.comparisons[0], tmp_path, {}, claim)
    assert not judged.problem and judged.row["verdict"] == "inconclusive (at the floor)"


def _with_predictions(run_dir: Path, correct: set[int], n: int = 100) -> None:
    """Give a fake run's last test evaluation a predictions file: rows in `correct` right, the others wrong."""
    s = store.read_summary(run_dir)
    s["evaluations"][-1]["path"] = "epochs/last/test"
    metric = s["evaluations"][-1]["main_metric"]
    (run_dir / "epochs" / "last" / "test").mkdir(parents=True)
    # a real evaluation folder holds its metrics beside its predictions (report checks it is there)
    store.write_json_atomic(run_dir / "epochs" / "last" / "test" / store.EVAL_METRICS, s["evaluations"][-1]["metrics"])
    store.write_jsonl(run_dir / "epochs" / "last" / "test" / store.PREDICTIONS,
                      [{"index": i, "output": "x", "verdicts": {metric: {"correct": i in correct}}} for i in range(n)])
    store.write_json_atomic(run_dir / "summary.json", s)


def test_a_sign_test_over_questions_counts_the_questions_each_arm_answers_more_often(tmp_path):
    """Per question, the arm's correct answers minus regular's over the paired seeds: 3 questions up, 2 down, the
    rest tied; p is the exact binomial tail (scipy's binomtest), shown in the table and in the floor reason."""
    from scipy import stats as sps

    from benchmark.analysis.tables import presentable

    root = tmp_path / "results"
    regular = {82: {0}, 23: {0, 1}, 37: {0}}
    jepa = {82: {0, 2, 3}, 23: {2, 3, 4}, 37: {0, 2, 3}}
    for seed in (82, 23, 37):
        fake_run(root, "nq_open", "regular", None, 0, seed, (len(regular[seed]) / 100,))
        fake_run(root, "nq_open", "jepa", 1024.0, 0, seed, (len(jepa[seed]) / 100,))
        _with_predictions(root / f"nq_oreg0{seed}", regular[seed])
        _with_predictions(root / f"nq_ojep1024{seed}", jepa[seed])
    table = comparison_table(load_runs(root), "test", load_paper_numbers())
    row = table.set_index("method").loc["jepa"]
    assert (row["q_up"], row["q_down"]) == (3, 2)  # questions 2, 3, 4 up; 0 (2 vs 3) and 1 (0 vs 1) down
    assert row["p_questions"] == pytest.approx(sps.binomtest(3, 5, 0.5, alternative="greater").pvalue, rel=1e-12)
    assert row["p_questions"] == pytest.approx(16 / 32)
    assert row["verdict"] == "inconclusive (at the floor)"
    assert "the arm answers 3 more often than regular and regular 2 more often" in row["verdict_reason"]
    shown = presentable(table).set_index("method")
    assert shown.loc["jepa", "questions + / − (p)"] == "3 / 2 (0.5000)" and shown.loc["regular", "questions + / − (p)"] == "—"


def test_without_predictions_there_is_no_sign_test_over_questions(tree):
    row = comparison_table(load_runs(tree), "test", load_paper_numbers()).iloc[0]
    assert math.isnan(row["q_up"]) and math.isnan(row["p_questions"])


def test_represent_adds_to_an_earlier_analysis_whose_models_are_gone(tmp_path, data_dir, monkeypatch):
    """Kept weights are not committed, so a sweep spread over machines analyses each batch where it ran: a later
    `represent` keeps what the earlier one holds and analyses only models it does not cover; another --examples
    is refused before any model loads while the earlier models are gone; --fresh replaces it."""
    import shutil

    from benchmark.evaluation.plan import EvalPlan
    from benchmark.runs import represent as rep
    from benchmark.runs.runner import run_one
    from benchmark.runs.spec import RunSpec
    from benchmark.store import StoreError

    tree = tmp_path / "results" / "r"

    def train(seed):
        for objective in ("regular", "jepa"):
            cfg = TrainConfig(task="synth", model="tiny-random-llama", objective=objective, limit_train=4, epochs=1,
                              batch_size=2, grad_accum=1, max_length=96, save_model=True, data_dir=str(data_dir),
                              seed=seed)
            run_one(RunSpec(cfg, EvalPlan(limit=2, max_new_tokens=4)), tree, progress=False)

    json_file = tree / "analysis" / "representation" / "synth" / "representation.json"
    train(82)
    assert main(["represent", str(tree), "--examples", "6", "--all-seeds", "--no-progress"]) == 0
    first = json.loads(json_file.read_text())
    for model in tree.glob("*/model"):  # a new machine: the first batch's weights are gone
        shutil.rmtree(model)
    train(23)
    train(37)
    assert main(["represent", str(tree), "--examples", "6", "--all-seeds", "--no-progress"]) == 0
    res = json.loads(json_file.read_text())
    assert {label: sorted(s) for label, s in res["seeds"].items()} == {"regular": ["23", "37", "82"],
                                                                        "jepa k=1": ["23", "37", "82"]}
    assert res["runs"] == first["runs"] and res["models"] == first["models"]  # seed 82's stays the figures' model
    assert res["seeds"]["regular"]["82"] == first["seeds"]["regular"]["82"]

    # nothing new: no model loads, nothing changes
    monkeypatch.setattr("benchmark.training.models.load_for_evaluation",
                        lambda *a, **k: pytest.fail("a model was loaded although every one is analysed"))
    logged = []
    rep.represent(tree, n_examples=6, all_seeds=True, progress=False, log=logged.append)
    assert "already" in " ".join(logged) and json.loads(json_file.read_text()) == res
    # another number of examples cannot be added to an analysis whose models are gone: refused before loading
    before = json_file.read_bytes()
    with pytest.raises(StoreError, match=r"6 examples, not 8.*--examples 6.*--fresh"):
        rep.represent(tree, n_examples=8, all_seeds=True, progress=False)
    with pytest.raises(StoreError, match=r"ridge cv, not 0.0.*--examples 6 --ridge cv.*--fresh"):  # so is another ridge
        rep.represent(tree, n_examples=6, all_seeds=True, ridge=0.0, progress=False)
    assert json_file.read_bytes() == before
    monkeypatch.undo()

    # a run removed from the tree leaves the analysis with it
    gone = res["seeds"]["jepa k=1"]["37"]["run"]
    shutil.rmtree(tree / gone)
    rep.represent(tree, n_examples=6, all_seeds=True, progress=False, log=lambda *_: None)
    assert sorted(json.loads(json_file.read_text())["seeds"]["jepa k=1"]) == ["23", "82"]
    # --fresh: only the models that are here
    assert main(["represent", str(tree), "--examples", "8", "--all-seeds", "--fresh", "--no-progress"]) == 0
    res = json.loads(json_file.read_text())
    assert res["n_examples"] == 8 and {label: sorted(s) for label, s in res["seeds"].items()} == {
        "regular": ["23", "37"], "jepa k=1": ["23"]}


def test_in_a_grid_the_papers_cell_stands_only_beside_its_own_setting(tmp_path):
    """Table 3's LLM-JEPA cell is λ 1, k 1: in a λ × k grid only that cell shows it; a tree with one setting
    keeps the paper's cell whatever its λ and k (each side's chosen setting)."""
    grid = tmp_path / "grid"
    for lbd in (1.0, 2.0):
        for k in (1, 3):
            fake_run(grid, "synth", "jepa", lbd, k, 82, (0.2,), run_id=f"g{lbd:g}{k}")
    shown = comparison_table(load_runs(grid), "test", load_paper_numbers()).set_index(["lambda", "k"])
    assert shown.loc[(1.0, 1), "paper_mean"] == 71.46 and shown.loc[(1.0, 1), "paper_table"] == "Table 3"
    other = shown.loc[(2.0, 3)]
    assert math.isnan(other["paper_mean"]) and other["paper_table"] == ""
    assert other["paper_note"] == "Table 3's cell is λ 1, k 1; this arm is another cell of the grid"
    single = tmp_path / "single"
    fake_run(single, "synth", "jepa", 2.0, 3, 82, (0.2,))
    assert comparison_table(load_runs(single), "test", load_paper_numbers()).iloc[0]["paper_mean"] == 71.46
    # two learning rates, each with the λ, k it chose, are two settings of one each, not one grid of two cells
    two = tmp_path / "two"
    fake_run(two, "synth", "jepa", 1.0, 1, 82, (0.2,), run_id="lr2e5")
    fake_run(two, "synth", "jepa", 2.0, 3, 82, (0.2,), run_id="lr1e4", lr=1e-4)
    assert list(comparison_table(load_runs(two), "test", load_paper_numbers())["paper_mean"]) == [71.46, 71.46]


@pytest.mark.parametrize("rank", [32, 16])
def test_lora_runs_face_table_8s_cell_of_their_rank_never_a_full_fine_tuning_cell(tmp_path, rank):
    """LoRA rank 32 is compared with Table 8's rank-32 pair (7.45 vs 6.09); a rank the table lacks gets no paper
    number (and says which ranks it has) rather than Table 3's or Fig. 1's full fine-tuning cells."""
    from benchmark.analysis.overfitting import overfitting_table

    root = tmp_path / "lora"
    for seed in (82, 23, 37):
        fake_run(root, "synth", "regular", None, 1, seed, (0.05, 0.06, 0.07, 0.08))
        fake_run(root, "synth", "jepa", 1.0, 1, seed, (0.05, 0.07, 0.08, 0.09))
    for d in store.run_dirs(root):
        s = store.read_summary(d)
        s["config"].update(lora=True, lora_rank=rank)
        store.write_json_atomic(d / "summary.json", s)
    runs = load_runs(root)
    table = comparison_table(runs, "test", load_paper_numbers()).set_index("method")
    if rank == 32:
        assert table.loc["jepa", "paper_table"] == "Table 8" and table.loc["jepa", "paper_mean"] == 7.45
        assert table.loc["jepa", "paper_delta"] == pytest.approx(7.45 - 6.09)
        assert table.loc["regular", "paper_mean"] == 6.09
    else:
        assert table["paper_mean"].isna().all() and (table["paper_table"] == "").all()
        assert table.loc["jepa", "paper_note"] == ("the paper's LoRA cells (Table 8) are ranks 32, 64, 128, 256, 512, "
                                                   "this run's is 16")
        assert table.loc["jepa", "verdict"] == "no paper claim"
    over = overfitting_table(runs, "test", load_paper_numbers()).set_index("method")
    assert math.isnan(over.loc["jepa", "paper_delta"]) and "LoRA" in over.loc["jepa", "paper_note"]


def test_only_a_parity_metric_is_called_the_authors_check(tree, tmp_path):
    """`report --metric prefix` on fine-tuning runs: prefix is not the task's parity metric, so the report must
    not call it the authors' check for parity with the paper."""
    for d in store.run_dirs(tree):
        s = json.loads((d / "summary.json").read_text())
        for ev in s["evaluations"]:
            ev["metrics"]["prefix"] = dict(next(iter(ev["metrics"].values())))
        (d / "summary.json").write_text(json.dumps(s))
    parity = build_report(tree, tmp_path / "a").read_text()
    assert "(the authors' check for parity with the paper;" in parity
    other = build_report(tree, tmp_path / "b", metric="prefix").read_text()
    first = other.split("\n")[2]
    assert "none of them the authors' check for parity" in first and "(the authors' check for parity" not in first


def test_a_figure_line_is_one_arm_never_runs_of_two_settings(tmp_path):
    """A planted bug named figure lines by method label alone: regular runs of three models (or three training
    sizes) were averaged into one 'regular' line. Every setting that differs among the task's runs is in the
    line's name, and each line holds runs that differ only in their seed."""
    from benchmark.analysis.figures import _arms_by_method

    root = tmp_path / "results"
    for rows in (125, 2000):
        for seed in (82, 23):
            fake_run(root, "synth", "regular", None, 1, seed, (0.1, 0.2), run_id=f"r{rows}s{seed}", limit_train=rows)
            fake_run(root, "synth", "jepa", 1.0, 1, seed, (0.1, 0.3), run_id=f"j{rows}s{seed}", limit_train=rows)
    arms = _arms_by_method(load_runs(root), "synth")
    assert sorted(arms) == ["jepa (limit_train=125)", "jepa (limit_train=2000)",
                            "regular (limit_train=125)", "regular (limit_train=2000)"]
    for rs in arms.values():
        assert len(rs) == 2 and len({r.arm for r in rs}) == 1
    build_report(root, tmp_path / "out")
    assert (tmp_path / "out" / "figures" / "accuracy_vs_epoch_synth_test.png").is_file()


def test_figure_lines_of_an_objective_without_k_name_their_lambda(tmp_path):
    """STP takes λ but no [PRED] tokens: two λ of it are two lines named by λ, not 'stp' and 'stp []'."""
    from benchmark.analysis.figures import _arms_by_method

    root = tmp_path / "results"
    for lam in (0.02, 0.05):
        for seed in (82, 23):
            fake_run(root, "synth", "stp", lam, 1, seed, (0.1, 0.2), run_id=f"s{lam:g}{seed}".replace(".", ""))
    assert sorted(_arms_by_method(load_runs(root), "synth")) == ["stp λ=0.02", "stp λ=0.05"]
