"""A killed run resumes mid-run: SIGKILLed after its first and second epoch checkpoints (and once at a random
moment), then started again, it ends with the numbers, losses and outputs of an uninterrupted run."""
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from benchmark.analysis.check import _measures
from conftest import FIXTURE_ROWS, write_jsonl

ROOT = Path(__file__).resolve().parent.parent


def _args(data_dir: Path, out: Path) -> list[str]:
    return ["train", "--model", "tiny-random-llama", "--task", "synth", "--objective", "jepa", "--epochs", "3",
            "--batch-size", "2", "--grad-accum", "1", "--limit-train", "48", "--max-length", "64", "--lr", "1e-3",
            "--jepa-ratio", "0.5", "--data-dir", str(data_dir), "--eval-splits", "test", "--eval-limit", "4",
            "--eval-max-new-tokens", "6", "--out", str(out), "--no-progress"]


def _start(args):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "benchmark.cli", *args], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _kill_after_checkpoint(args, partial: Path, n_checkpoints: int, timeout: float = 240.0) -> None:
    """Run until the trainer folder holds a checkpoint past `n_checkpoints - 1` epochs, then SIGKILL."""
    proc = _start(args)
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        steps = [int(p.name.split("-")[1]) for p in (partial / "trainer").glob("checkpoint-*")
                 if (p / "jepa_bench_state.json").is_file()]
        if steps and max(steps) >= 24 * n_checkpoints:  # 48 rows / batch 2 = 24 steps per epoch
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def test_a_killed_run_resumes_and_equals_an_uninterrupted_one(tmp_path, monkeypatch):
    data = tmp_path / "data"
    write_jsonl(data / "synth_train.jsonl", FIXTURE_ROWS * 6)
    write_jsonl(data / "synth_test.jsonl")
    from benchmark.cli import main

    whole = tmp_path / "whole"
    assert main(_args(data, whole)) == 0

    out = tmp_path / "resumed"
    partial = tmp_path / "resumed.partial"
    _kill_after_checkpoint(_args(data, out), partial, 1)
    _kill_after_checkpoint(_args(data, out), partial, 2)
    proc = _start(_args(data, out))  # and once at a random moment
    time.sleep(random.Random(0).uniform(1.0, 4.0))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not out.exists() and partial.is_dir()
    import benchmark.runs.resume as resume

    resumed_from = []
    real = resume.restore
    monkeypatch.setattr(resume, "restore",
                        lambda t, e, ckpt, log, saver: resumed_from.append(ckpt.name) or real(t, e, ckpt, log, saver))
    assert main(_args(data, out)) == 0
    assert len(resumed_from) == 1 and int(resumed_from[0].split("-")[1]) >= 48  # it continued, it did not restart

    assert _measures(out) == _measures(whole)  # accuracies, final losses, steps, tokens, an outputs digest
    a = [json.loads(line) for line in (whole / "train_log.jsonl").read_text().splitlines()]
    b = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    drop = ("runtime", "per_second")  # wall-clock figures differ; everything else must not
    assert [{k: v for k, v in r.items() if not any(d in k for d in drop)} for r in a] == \
        [{k: v for k, v in r.items() if not any(d in k for d in drop)} for r in b]
    assert not partial.exists() and not (out / "trainer").exists()


def test_without_checkpoints_a_restart_begins_again(data_dir, tmp_path):
    from benchmark.cli import main

    out = tmp_path / "run"
    assert main(_args(data_dir, out)[:-1] + ["--no-checkpoint-every-epoch", "--no-progress"]) == 0
    assert not list(out.rglob("checkpoint-*"))


def test_a_partial_folder_of_another_run_is_never_continued(data_dir, tmp_path):
    """`train --out X` killed, then started again with other settings: it starts afresh, it does not resume
    the other run's checkpoint."""
    import shutil

    from benchmark.cli import main

    out = tmp_path / "run"
    assert main(_args(data_dir, out)) == 0
    shutil.copytree(out, tmp_path / "run.partial")  # a complete-looking work folder of that run...
    (tmp_path / "run.partial" / "trainer" / "checkpoint-4").mkdir(parents=True)  # ...with a checkpoint
    for name in ("jepa_bench_state.json", "jepa_bench_term_generator.pt"):
        (tmp_path / "run.partial" / "trainer" / "checkpoint-4" / name).write_text("{}")
    shutil.rmtree(out)
    other = _args(data_dir, out)
    other[other.index("--lr") + 1] = "2e-3"  # another run: another id
    assert main(other) == 0
    assert not (tmp_path / "run.partial").exists() and (out / "summary.json").is_file()
