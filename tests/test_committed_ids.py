"""Every committed run's id is the hash of the config it records, recomputed by today's code: a refactor of the
settings records (an objective's options moved out of TrainConfig, a field added) that changed how a config is
read or hashed would orphan the committed results, and this fails naming the run."""
import json
from pathlib import Path

from benchmark.evaluation.plan import EvalPlan
from benchmark.runs.spec import RunSpec
from benchmark.training.config import TrainConfig

RESULTS = Path(__file__).resolve().parents[1] / "results"


def committed_runs() -> list[Path]:
    return sorted(p for p in RESULTS.rglob("config.json") if not any(part.endswith(".partial") for part in p.parts))


def test_every_committed_run_id_is_recomputed_from_its_config():
    runs = committed_runs()
    assert len(runs) >= 100  # the committed trees are there (a moved results folder must not pass this vacuously)
    wrong = []
    for path in runs:
        recorded = json.loads(path.read_text())
        spec = RunSpec(TrainConfig.from_dict(recorded["config"]), EvalPlan.from_dict(recorded["eval"]))
        if not spec.run_id == recorded["run_id"] == path.parent.name:
            wrong.append(f"{path.parent}: recorded {recorded['run_id']}, recomputed {spec.run_id}")
    assert not wrong, wrong


def test_a_recorded_config_reads_back_to_the_same_flat_keys():
    """config.json -> TrainConfig -> to_dict() gives the keys and values it was read from (nothing dropped, nothing
    moved): what a report reads from a run is what the run was given."""
    for path in committed_runs()[::10]:
        recorded = json.loads(path.read_text())["config"]
        again = TrainConfig.from_dict(recorded).to_dict()
        assert {k: again[k] for k in recorded} == {k: (tuple(v) if isinstance(v, list) else v)
                                                   for k, v in recorded.items()}, path
