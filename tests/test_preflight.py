"""`jepa-bench preflight`: every paper spec runs end to end on its families' stand-ins on CPU, offline, or its
header says why it cannot; the cost table's estimates follow their documented formulas."""
import glob
import os
from pathlib import Path

import pytest

from benchmark.runs.cost import ARCHITECTURES, Architecture, estimate_cost, Tokens
from benchmark.runs.preflight import cost_table, distinct_arms, preflight
from benchmark.runs.sweep import load_spec
from benchmark.training.config import TrainConfig

SPECS = sorted(glob.glob("configs/paper/*.yaml"))
DATA = Path(os.environ.get("JEPA_BENCH_DATA_DIR") or Path(__file__).resolve().parents[2] / "shared" / "data")


@pytest.mark.skipif(not (DATA / "synth_train.jsonl").is_file(), reason="needs the upstream data (CI has it)")
@pytest.mark.parametrize("spec", SPECS, ids=[Path(s).stem for s in SPECS])
def test_every_paper_spec_preflights_or_its_header_says_why(spec, monkeypatch):
    monkeypatch.setenv("JEPA_BENCH_DATA_DIR", str(DATA))
    checks = preflight(load_spec(spec), distinct_paths=True, log=lambda *_: None)
    header = "".join(line for line in Path(spec).read_text().splitlines(keepends=True) if line.startswith("#"))
    assert not [c for c in checks if c.status == "failed"], [(c.label, c.reason) for c in checks if c.status == "failed"]
    cannot = [c for c in checks if c.status == "cannot"]
    if cannot:
        assert "Preflight (`jepa-bench preflight`): cannot run here" in header, cannot[0].reason
    else:
        assert all(c.cost and c.cost.parameters and c.cost.gpu_hours for c in checks), spec
        table = cost_table(checks)
        assert len(table) == len(checks) + 4 and "H100-hours" in table[0]


def test_arms_are_runs_that_differ_only_in_their_seed_and_paths_group_numbers():
    sweep = load_spec("configs/paper/fig7a_k_lambda_gsm8k_llama1b.yaml")
    assert len(sweep.runs) == 100
    assert len(distinct_arms(sweep)) == 20 and all(len(g) == 1 for g in distinct_arms(sweep))
    paths = distinct_arms(sweep, distinct_paths=True)
    assert len(paths) == 5 and all(len(g) == 4 for g in paths)  # one per k; the four lambdas share it


def test_the_cost_follows_its_formulas():
    llama = ARCHITECTURES["meta-llama/Llama-3.2-1B-Instruct"]
    assert abs(llama.parameters() - 1_235_814_400) < 1e-3 * 1_235_814_400  # the model card's 1.24 B
    assert abs(ARCHITECTURES["meta-llama/Llama-3.1-8B-Instruct"].parameters() - 8.03e9) < 0.01e9
    tokens = Tokens(full=100.0, views=80.0, longest_row=300.0, rows=1000)
    regular = estimate_cost(TrainConfig(model="meta-llama/Llama-3.2-1B-Instruct", epochs=4), tokens, runs=5)
    assert regular.tokens_per_epoch == 100_000  # no views without the JEPA term
    assert regular.flops_per_run == pytest.approx(6 * llama.parameters() * 100_000 * 4)
    assert regular.gpu_hours == pytest.approx(5 * regular.flops_per_run / (989e12 * 0.15) / 3600)
    jepa = estimate_cost(TrainConfig.from_dict({"model": "meta-llama/Llama-3.2-1B-Instruct", "objective": "jepa",
                                                "jepa_ratio": 0.25}),
                         tokens, runs=1)
    assert jepa.tokens_per_epoch == 1000 * (100 + 0.25 * 80)  # views on a quarter of the steps
    budget = estimate_cost(TrainConfig(model="meta-llama/Llama-3.2-1B-Instruct", flop_budget=1e12), tokens, runs=1)
    assert budget.flops_per_run == 1e12
    lora = estimate_cost(TrainConfig(model="meta-llama/Llama-3.2-1B-Instruct", lora=True, lora_rank=16), tokens, runs=1)
    assert lora.trainable == llama.lora_parameters(16) < regular.parameters / 50 and lora.memory_gb < regular.memory_gb
    unknown = estimate_cost(TrainConfig(model="someone/unknown"), tokens, runs=1)
    assert unknown.parameters is None and unknown.gpu_hours is None
    assert isinstance(llama, Architecture)
