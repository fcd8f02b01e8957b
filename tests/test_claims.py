"""The claims ledger: every claim the paper makes is in it, each either with committed runs or with the reason
it has none, every spec it names exists and plans, its verdicts are its reports' verdicts, and the README's
summary table says what the ledger says."""
import dataclasses
from pathlib import Path

import pytest

from benchmark.analysis.claims import CLAIMS_FILE, claim_status, judge, load_claims
from benchmark.analysis.ledger import build_ledger
from benchmark.training.options import ConfigError

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = {"fine_tuning_gain", "across_datasets", "across_model_sizes", "resists_overfitting", "lora",
            "pretraining_from_scratch", "paraphrase_pretraining", "ntp_does_not_minimise_jepa",
            "representation_structure", "loss_design_ablation", "beyond_code_nq_hellaswag", "reasoning_models_gsm8k",
            "loss_dropout_flops", "k_lambda_sensitivity", "stp_headline"}


@pytest.fixture(scope="module")
def claims():
    return load_claims()


def test_every_claim_of_the_paper_is_in_the_ledger(claims):
    assert REQUIRED <= {c.id for c in claims}
    for c in claims:
        assert c.comparisons or c.no_run, c.id
        assert c.paper and c.source and c.evidence in ("main text", "appendix, second-hand", "uncertain"), c.id


def test_every_named_spec_exists_and_plans(claims):
    from benchmark.runs.sweep import load_spec

    for c in claims:
        for spec in c.paper_spec + c.cpu_spec:
            assert (ROOT / spec).is_file(), f"{c.id}: {spec}"
            assert load_spec(ROOT / spec).runs, f"{c.id}: {spec}"


def test_ledger_verdicts_are_the_reports_verdicts(claims, tmp_path):
    from benchmark.analysis.paper import load_paper_numbers
    from benchmark.analysis.runs import load_runs
    from benchmark.analysis.tables import comparison_table

    cache: dict = {}
    fine = next(c for c in claims if c.id == "fine_tuning_gain")
    judged = judge(fine.comparisons[0], ROOT, cache)
    table = comparison_table(load_runs(ROOT / fine.comparisons[0].results), "test", load_paper_numbers())
    row = table[(table.task == "synth") & (table.method == "jepa")].iloc[0]
    assert judged.row["verdict"] == row["verdict"] and judged.row["p_holm"] == row["p_holm"]
    assert claim_status(fine, [judged]) == row["verdict"]
    md = build_ledger(tmp_path, root=ROOT)
    text = md.read_text()
    assert text.count("\n### ") == len(claims) and "## Rule" in text
    assert (tmp_path / "claims.csv").is_file()


def test_the_committed_ledger_is_current(tmp_path):
    """reports/claims.md is what `jepa-bench claims` builds from the committed files."""
    build_ledger(tmp_path, root=ROOT)
    assert (ROOT / "reports" / "claims.md").read_text() == (tmp_path / "claims.md").read_text()


def test_the_readme_claims_table_is_generated_and_current(claims, tmp_path):
    """The README's summary of the ledger is the block `jepa-bench claims` writes between its markers, so a hand
    copy cannot drift from claims.csv (as LD 0 at a 4-seed mean beside 3-seed deltas once did)."""
    import shutil

    from benchmark.analysis.ledger import README_BEGIN, README_END, build_ledger_and_readme

    copy = tmp_path / "README.md"
    shutil.copy(ROOT / "README.md", copy)
    build_ledger_and_readme(tmp_path / "out", root=ROOT, readme=copy)
    assert copy.read_text() == (ROOT / "README.md").read_text(), "run `jepa-bench claims` and commit the README"
    block = copy.read_text().split(README_BEGIN)[1].split(README_END)[0]
    assert block.count("\n| [") == len(claims)
    copy.write_text("no markers here")
    with pytest.raises(ConfigError, match="no claims-table markers"):
        build_ledger_and_readme(tmp_path / "out", root=ROOT, readme=copy)


def test_bad_claims_data_is_refused(tmp_path):
    bad = tmp_path / "claims.yaml"
    bad.write_text("claims:\n  - {id: x, title: X, claim: c, source: s, paper: p, paper_version: v, "
                   "evidence: main text, comparisons: [], no_run: ''}\n")
    with pytest.raises(ConfigError, match="must say why"):
        load_claims(bad)
    bad.write_text("claims:\n  - {id: x, title: X, claim: c, source: s, paper: p, paper_version: v, "
                   "evidence: main text, no_run: later, papre_effect: 1}\n")
    with pytest.raises(ConfigError, match="Did you mean 'paper_effect'"):
        load_claims(bad)
    assert CLAIMS_FILE.is_file()


def test_a_comparison_names_what_it_measures(tmp_path):
    """measure: drop reads the overfitting table (analysis/overfitting.py), as the report does."""
    from benchmark.analysis.overfitting import overfitting_table
    from benchmark.analysis.paper import load_paper_numbers
    from benchmark.analysis.runs import load_runs
    from tests.test_overfitting import OVERFITS, _tree

    _tree(tmp_path / "results" / "over", OVERFITS)
    data = tmp_path / "claims.yaml"
    head = "claims:\n  - {id: x, title: X, claim: c, source: s, paper: p, paper_version: v, evidence: main text, "
    data.write_text(head + "comparisons: [{results: results/over, task: synth, method: jepa, measure: drop}]}\n")
    (comp,) = load_claims(data)[0].comparisons
    judged = judge(comp, tmp_path, {})
    table = overfitting_table(load_runs(tmp_path / "results" / "over"), "test", load_paper_numbers())
    row = table[table.method == "jepa"].iloc[0]
    assert judged.row["verdict"] == row["verdict"] == "reproduced" and judged.row["delta"] == row["delta"]
    md = build_ledger(tmp_path / "out", claims_file=data, root=tmp_path).read_text()
    assert "Δ drop from the peak epoch (regular − arm) vs regular" in md
    data.write_text(head + "comparisons: [{results: results/over, task: synth, method: jepa, measure: dorp}]}\n")
    with pytest.raises(ConfigError, match="Did you mean 'drop'"):
        load_claims(data)
    data.write_text(head + "comparisons: [{results: results/over, task: synth, method: jepa, measure: drop, "
                    "versus: cosine}]}\n")
    with pytest.raises(ConfigError, match="is against regular, not .cosine."):
        load_claims(data)


def test_a_comparison_can_name_its_model(tmp_path):
    """A tree with several models (Table 15's sizes) needs `model` to pick one arm, and each model is its own
    Holm family."""
    from tests.test_report import sizes_tree

    sizes_tree(tmp_path / "results" / "sizes", tmp_path / "staging")
    data = tmp_path / "claims.yaml"
    head = "claims:\n  - {id: x, title: X, claim: c, source: s, paper: p, paper_version: v, evidence: main text, "
    data.write_text(head + "comparisons: [{results: results/sizes, task: synth, method: jepa}, "
                    "{results: results/sizes, task: synth, method: jepa, model: tiny-random-llama}]}\n")
    both, tiny = (judge(c, tmp_path, {}) for c in load_claims(data)[0].comparisons)
    assert "2 arms of jepa" in both.problem and "name model" in both.problem
    assert tiny.row["model"] == "tiny-random-llama" and tiny.row["p_holm"] == tiny.row["p"]  # a family of one
    data.write_text(head + "comparisons: [{results: results/sizes, task: synth, method: jepa, "
                    "model: tiny-random-llama}]}\n")
    md = build_ledger(tmp_path / "out", claims_file=data, root=tmp_path).read_text()
    assert "jepa on synth (tiny-random-llama): Δ vs regular" in md  # the ledger names the model it picked


def test_an_arm_without_a_paper_cell_can_be_judged_by_the_claims_direction(tmp_path):
    """direction_only: the report says "no paper claim" for a dataset the paper's tables leave out; the ledger
    judges that row by the sign of the claim's paper_effect, with the row's own p (Holm) and MDE, and says that
    no paper size stands behind it. A falling arm is "not reproduced", never "effect absent"."""
    from scipy import stats as sps

    from benchmark.analysis.paper import load_paper_numbers
    from benchmark.analysis.runs import load_runs
    from benchmark.analysis.tables import comparison_table
    from tests.test_report import fake_run

    reg, jep = (0.80, 0.82, 0.81), (0.86, 0.90, 0.87)
    for seed, r, j in zip((82, 23, 37), reg, jep):
        fake_run(tmp_path / "results" / "rt", "rotten_tomatoes", "regular", None, 3, seed, (r,))
        fake_run(tmp_path / "results" / "rt", "rotten_tomatoes", "jepa", 1.0, 3, seed, (j,))
    report = comparison_table(load_runs(tmp_path / "results" / "rt"), "test", load_paper_numbers())
    assert report.set_index("method").loc["jepa", "verdict"] == "no paper claim"
    why = report.set_index("method").loc["jepa", "paper_note"]  # the report's reason it has no paper cell
    data = tmp_path / "claims.yaml"
    head = ("claims:\n  - {id: x, title: X, claim: c, source: Table 13, paper: p, paper_version: v, "
            "evidence: main text, paper_effect: 8.45, ")
    data.write_text(head + "comparisons: [{results: results/rt, task: rotten_tomatoes, method: jepa, "
                    "direction_only: true}]}\n")
    (comp,) = load_claims(data)[0].comparisons
    judged = judge(comp, tmp_path, {}, load_claims(data)[0])
    p = sps.ttest_rel([100 * v for v in jep], [100 * v for v in reg], alternative="greater").pvalue
    assert judged.row["verdict"] == "reproduced" and judged.row["p_holm"] == pytest.approx(p)
    assert why and f"({why}: the claim's direction only)" in judged.row["verdict_reason"]
    assert "vs the paper's direction (+)" in judged.row["verdict_reason"] and "8.45" not in judged.row["verdict_reason"]
    assert "minimum detectable effect" in judged.row["power"]
    md = build_ledger(tmp_path / "out", claims_file=data, root=tmp_path).read_text()
    assert "**reproduced**" in md and "the claim's direction only" in md

    falling = tmp_path / "results" / "fall"
    for seed, r, j in zip((82, 23, 37), reg, (0.70, 0.75, 0.72)):
        fake_run(falling, "rotten_tomatoes", "regular", None, 3, seed, (r,))
        fake_run(falling, "rotten_tomatoes", "jepa", 1.0, 3, seed, (j,))
    data.write_text(head + "comparisons: [{results: results/fall, task: rotten_tomatoes, method: jepa, "
                    "direction_only: true}]}\n")
    claim = load_claims(data)[0]
    assert judge(claim.comparisons[0], tmp_path, {}, claim).row["verdict"] == "not reproduced (paper's direction excluded)"

    # a row that has a paper cell keeps its report's verdict; direction_only there is a mistake named
    fake_run(tmp_path / "results" / "synth", "synth", "regular", None, 3, 82, (0.5,))
    fake_run(tmp_path / "results" / "synth", "synth", "jepa", 1.0, 3, 82, (0.6,))
    data.write_text(head.replace("source: Table 13", "source: Table 3") +
                    "comparisons: [{results: results/synth, task: synth, method: jepa, direction_only: true}]}\n")
    claim = load_claims(data)[0]
    assert "remove direction_only" in judge(claim.comparisons[0], tmp_path, {}, claim).problem
    # ... but a cell of another setting than the claim's own (Table 15's fine-tuning claim, Table 2's from-scratch
    # cell) is not the claim's: the row is judged by the claim's direction, and says which cell it faced
    data.write_text(head + "comparisons: [{results: results/synth, task: synth, method: jepa, direction_only: true}]}\n")
    claim = load_claims(data)[0]
    other = judge(claim.comparisons[0], tmp_path, {}, claim)
    assert not other.problem and "another setting than Table 13's" in other.row["paper_table"]
    data.write_text(head.replace("paper_effect: 8.45, ", "") + "comparisons: [{results: results/rt, "
                    "task: rotten_tomatoes, method: jepa, direction_only: true}]}\n")
    with pytest.raises(ConfigError, match="direction_only needs the claim's paper_effect"):
        load_claims(data)
    data.write_text(head + "comparisons: [{results: results/rt, task: rotten_tomatoes, method: jepa, "
                    "measure: diagnostic, direction_only: true}]}\n")
    with pytest.raises(ConfigError, match="judged by a rule of its own"):
        load_claims(data)


def test_every_verdict_has_its_setting_beside_the_papers_and_cpu_scale_is_said():
    from benchmark.analysis.settings import Setting, at_cpu_scale, paper_setting, setting_line

    name, paper = paper_setting("Table 3", "synth")
    assert name == "Table 3" and paper.train_rows == (8000, 8000) and paper.test_rows == (2000, 2000) \
        and paper.init == "pretrained"
    assert paper_setting("Table 15 (the report's row faces Table 2, another setting)", "synth")[0] == "Table 15"
    assert paper_setting("Table 99", "synth") is None
    smollm = Setting("smollm2-135m-instruct", (1.35e8, 1.35e8), "pretrained", (256, 256), (4, 4), (100, 100), "exact")
    assert at_cpu_scale(smollm, paper)  # 31x fewer rows (and 9x fewer parameters)
    near = Setting("m", (1.0e9, 1.0e9), "pretrained", (2000, 2000), (4, 4), (2000, 2000), "exact")
    assert not at_cpu_scale(near, paper)  # within 10x on both
    assert not at_cpu_scale(dataclasses.replace(near, train_rows=(125, 2000)), paper)  # the nearest end counts
    assert at_cpu_scale(dataclasses.replace(near, train_rows=(125, 500)), paper)
    assert "ours: smollm2-135m-instruct (135 M parameters, pretrained), 256 training rows" in setting_line(smollm, (name, paper))
    ledger = (ROOT / "reports" / "claims.md").read_text()
    verdicts = ledger.count("\n  * **")
    assert verdicts and ledger.count("\n  * setting: ours:") == verdicts  # one setting line under every verdict
    assert "at CPU scale**" in (ROOT / "README.md").read_text()


class _ScoredRun:
    """What our_setting reads of a run."""
    def __init__(self, model, rows, epochs, n, params=1.35e8):
        self.cfg, self.headline, self.epochs_trained = {"model": model}, "exact", epochs
        self._record, self._n = {"parameters": params, "n_train": rows}, n

    def evaluations(self, split):
        return [{"n": self._n}]

    def record(self):
        return self._record


def test_our_setting_spans_every_run_of_the_comparison_in_any_order():
    """An arm stopped by a FLOP budget ends at its own epoch: the line shows the span over the comparison's runs,
    not whichever run a folder listing happened to put first (run ids are hashes and may be renamed)."""
    from benchmark.analysis.settings import our_setting

    runs = [_ScoredRun("smollm2-135m-instruct", 256, 6.0, 100), _ScoredRun("smollm2-135m-instruct", 256, 2.3125, 100),
            _ScoredRun("smollm2-135m-instruct", 256, 4.406, 100)]
    text = our_setting(runs).text()
    assert text == our_setting(runs[::-1]).text()
    assert text == ("smollm2-135m-instruct (135 M parameters, pretrained), 256 training rows, 2.3125–6 epochs, "
                    "100 test rows, exact")
    mixed = our_setting([_ScoredRun("a", 125, 4.0, 2000, 1e8), _ScoredRun("b", 2000, 4.0, 2000, 5e7)]).text()
    assert mixed == "a, b (50 M–100 M parameters, pretrained), 125–2000 training rows, 4 epochs, 2000 test rows, exact"


def test_external_replications_are_shown_apart_and_never_judged(tmp_path):
    claims = {c.id: c for c in load_claims()}
    (ext,) = claims["fine_tuning_gain"].external
    assert ext["source"] == "https://arxiv.org/abs/2605.15394" and "+0.52" in ext["result"]
    ledger = (ROOT / "reports" / "claims.md").read_text()
    assert "external, not run here (never part of our verdict)" in ledger and "paired p = 0.28" in ledger
    bad = tmp_path / "claims.yaml"
    bad.write_text("claims:\n  - {id: x, title: X, claim: c, source: s, paper: p, paper_version: v, evidence: e, "
                   "no_run: later, external: [{source: https://example.org}]}\n")
    with pytest.raises(ConfigError, match="at least source and result"):
        load_claims(bad)
