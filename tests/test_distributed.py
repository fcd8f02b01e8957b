"""Several processes train exactly like one: two gloo processes with per-device batch b give, step for step, the
losses and the final weights of one process with batch 2b (regular and LLM-JEPA, with and without gradient
accumulation). What differs by design: STP draws its spans from one generator per process (seed + 3 x rank, as
the STP authors seed them), so its term differs while the LM loss of the first step does not."""
import json

import pytest
import torch
from safetensors.torch import load_file

from benchmark import store
from benchmark.runs.runner import run_one
from benchmark.runs.spec import RunSpec
from benchmark.training.config import TrainConfig
from benchmark.evaluation.plan import EvalPlan

TOL = 1e-5


def _run(tmp_path, data_dir, name, *, world_size, batch_size, grad_accum, objective, **extra):
    from conftest import FIXTURE_ROWS, write_jsonl

    write_jsonl(data_dir / "synth_train.jsonl", FIXTURE_ROWS * 2)  # 16 rows: 2 or 4 optimizer steps per epoch
    cfg = TrainConfig(task="synth", model="tiny-random-llama", data_dir=str(data_dir), limit_train=16, epochs=2,
                      lr=1e-3, max_length=96, objective=objective, world_size=world_size, batch_size=batch_size,
                      grad_accum=grad_accum, save_model=True, checkpoint_every_epoch=False, **extra)
    path, status = run_one(RunSpec(cfg, EvalPlan(splits=())), tmp_path / name, progress=False)
    assert status == "built"
    log = [json.loads(line) for line in (path / store.TRAIN_LOG).read_text().splitlines()]
    steps = [r for r in log if "loss" in r and "train_runtime" not in r]
    return steps, load_file(str(path / "model" / "model.safetensors")), store.read_summary(path)


@pytest.mark.parametrize("objective,grad_accum", [("jepa", 1), ("jepa", 2), ("regular", 2)])
def test_two_processes_train_like_one_with_the_whole_batch(tmp_path, data_dir, objective, grad_accum):
    extra = {"predictors": 2} if objective == "jepa" else {}
    two, w2, s2 = _run(tmp_path, data_dir, "two", world_size=2, batch_size=2, grad_accum=grad_accum,
                       objective=objective, **extra)
    one, w1, s1 = _run(tmp_path, data_dir, "one", world_size=1, batch_size=4, grad_accum=grad_accum,
                       objective=objective, **extra)
    assert len(two) == len(one) == 16 // (4 * grad_accum) * 2 and s2["world_size"] == 2
    keys = ["loss", "lm_loss"] + (["jepa_loss", "cosine"] if objective == "jepa" else [])
    for a, b in zip(two, one):
        for k in keys:  # the logged means cover every process's examples, as the one process's do
            assert abs(a[k] - b[k]) <= TOL * max(1.0, abs(b[k])), (a["step"], k, a[k], b[k])
    assert s2["tokens_processed"] == s1["tokens_processed"]  # summed over processes, exactly
    assert w1.keys() == w2.keys()
    for name in w1:
        torch.testing.assert_close(w2[name], w1[name], atol=TOL, rtol=1e-4, msg=name)


def test_stp_draws_its_spans_per_process_by_design(tmp_path, data_dir):
    two, _, _ = _run(tmp_path, data_dir, "two", world_size=2, batch_size=2, grad_accum=1, objective="stp")
    one, _, _ = _run(tmp_path, data_dir, "one", world_size=1, batch_size=4, grad_accum=1, objective="stp")
    assert abs(two[0]["lm_loss"] - one[0]["lm_loss"]) <= TOL * abs(one[0]["lm_loss"])  # same weights, same rows
    assert abs(two[0]["stp_loss"] - one[0]["stp_loss"]) > 1e-4  # rank 1 draws other spans than one process does


def test_train_with_nproc_per_node_builds_a_complete_run(tmp_path, data_dir):
    """`train --nproc-per-node 2` is the supported form of a multi-process `train`: a complete run folder."""
    from benchmark.cli import main

    out = tmp_path / "run"
    assert main(["train", "--task", "synth", "--model", "tiny-random-llama", "--data-dir", str(data_dir),
                 "--limit-train", "8", "--epochs", "1", "--batch-size", "2", "--grad-accum", "1", "--objective", "jepa",
                 "--nproc-per-node", "2", "--eval-splits", "test", "--eval-limit", "2", "--eval-max-new-tokens", "4",
                 "--out", str(out), "--no-progress"]) == 0
    summary = store.read_summary(out)
    assert summary["world_size"] == 2 and summary["config"]["world_size"] == 2 and summary["final"]["test"]
    for name in (store.CONFIG, store.TRAIN_LOG):
        assert (out / name).is_file()
    assert store.read_json(out / store.CONFIG)["world_size"] == 2


def test_trainer_args_are_copied_before_the_trainer_sees_them():
    """TrainingArguments rewrites an fsdp_config mapping in place; the run's config (and id) must not move."""
    from benchmark.training.prepare import training_arguments

    cfg = TrainConfig(trainer_args={"fsdp": "full_shard auto_wrap", "fsdp_config": {"min_num_params": 0}})
    before = (RunSpec(cfg).run_id, json.dumps(cfg.trainer_args, sort_keys=True))
    training_arguments(cfg, "/tmp/unused-output", progress=False)
    assert (RunSpec(cfg).run_id, json.dumps(cfg.trainer_args, sort_keys=True)) == before


def test_a_hub_model_that_cannot_load_fails_the_sweep_before_its_first_run(tmp_path, data_dir, monkeypatch, capsys):
    """Offline, a hub id that is not in the cache is found when the sweep is checked, with the step that fixes it:
    not at load, after the first runs (on SLURM, after every array task has queued)."""
    import yaml
    from huggingface_hub import constants

    import benchmark.training.models as models
    from benchmark.cli import main

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(models, "_HUB_CHECKED", {})
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({"fixed": {"task": "synth", "data_dir": str(data_dir), "limit_train": 4, "epochs": 1},
                                    "grid": {"model": ["tiny-random-llama", "nobody-here/not-cached-model"]}}))
    results = tmp_path / "results"
    assert main(["sweep", "run", str(spec), "--results", str(results), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nobody-here/not-cached-model" in err[0] and "HF_HUB_OFFLINE" in err[0]
    assert "huggingface-cli download" in err[0] and not results.exists()  # nothing built, not even the first run
