"""`jepa-bench train` end to end on the tiny model, and every bad input: one line, exit 2, nothing written."""
import json
import re
from pathlib import Path

import pytest

from benchmark.cli import main

ROOT = Path(__file__).resolve().parent.parent

BASE = ["train", "--model", "tiny-random-llama", "--task", "synth", "--epochs", "1", "--batch-size", "2",
        "--grad-accum", "1", "--no-progress"]


def test_train_writes_config_and_log(data_dir, tmp_path, capsys):
    out = tmp_path / "run"
    rc = main(BASE + ["--objective", "jepa", "--predictors", "2", "--data-dir", str(data_dir), "--out", str(out)])
    assert rc == 0
    record = json.loads((out / "config.json").read_text())
    assert record["config"]["objective"] == "jepa" and record["config"]["lbd"] == 1.0  # resolved default
    hashes = record["task"].pop("sha256")
    assert record["task"] == {"name": "synth", "version": 2, "files": {"train": "synth_train.jsonl", "test": "synth_test.jsonl"}}
    assert set(hashes) == {"synth_train.jsonl"} and all(len(h) == 64 for h in hashes.values())  # the data it read
    assert {"torch", "transformers", "peft", "python"} <= record["versions"].keys()
    summary = json.loads((out / "summary.json").read_text())
    assert "commit" in record["git"] and record["n_train"] == 8 and summary["optimizer_steps"] == 4
    assert record["run_id"] == summary["run_id"] and record["schema"] == summary["schema"] == 3
    log = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    steps = [r for r in log if "lm_loss" in r]
    assert len(steps) == 4 and all("jepa_loss" in r and "cosine" in r for r in steps)
    assert not (tmp_path / "run.partial").exists()


@pytest.mark.parametrize("args,needle", [
    (["--model", "smollm3-135m"], "unknown model 'smollm3-135m'. Did you mean 'smollm2-135m-instruct'"),
    (["--task", "synht"], "unknown task 'synht'. Did you mean 'synth'"),
    (["--lbd", "-1"], "lbd must be >= 0"),
    (["--predictors", "11"], "predictors must be <= 10"),
    (["--task", "hellaswag"], "has no split 'train'"),
])
def test_bad_input_is_one_line_exit_2_nothing_written(data_dir, tmp_path, capsys, args, needle):
    out = tmp_path / "run"
    rc = main(BASE + ["--data-dir", str(data_dir), "--out", str(out)] + args)
    err = capsys.readouterr().err.strip()
    assert rc == 2 and needle in err and len(err.splitlines()) == 1, err
    assert not out.exists() and not (tmp_path / "run.partial").exists()


def test_malformed_line_names_file_and_line(data_dir, tmp_path, capsys):
    path = data_dir / "synth_train.jsonl"
    path.write_text(path.read_text() + '{"messages": [{"role": "user", "content": "x"}]}\n')
    rc = main(BASE + ["--data-dir", str(data_dir), "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and f"{path}:9" in err and "system/user/assistant" in err
    assert not (tmp_path / "run").exists()


def test_existing_output_needs_overwrite(data_dir, tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    rc = main(BASE + ["--data-dir", str(data_dir), "--out", str(out)])
    assert rc == 2 and "--overwrite" in capsys.readouterr().err
    assert (out / "keep.txt").exists()
    assert main(BASE + ["--data-dir", str(data_dir), "--out", str(out), "--overwrite"]) == 0
    assert (out / "config.json").exists() and not (out / "keep.txt").exists()


@pytest.mark.parametrize("args", [["--distance", "cos"], ["--label-mode", "both"], ["--epochs", "two"]])
def test_bad_flag_value_exits_2(args, tmp_path, capsys):
    try:
        rc = main(["train", *args, "--out", str(tmp_path / "run")])
    except SystemExit as e:  # argparse refuses a value it can type-check itself
        rc = e.code
    assert rc == 2 and not (tmp_path / "run").exists()


def test_tasks_listing(data_dir, capsys):
    assert main(["tasks", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "synth" in out and "gsm8k" in out and "missing" in out


def test_version_and_every_command_describes_itself(capsys):
    from benchmark.cli import build_parser

    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0 and capsys.readouterr().out.startswith("jepa-bench 0.")
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    for name, sub in commands.items():
        nested = [a for a in sub._actions if a.__class__.__name__ == "_SubParsersAction"]
        for p in [sub] + [q for a in nested for q in a.choices.values()]:
            assert p.description, f"{p.prog} --help has no description"
            text = p.format_help()
            assert all(line.count("(default:") <= 1 for line in text.splitlines()), p.prog  # never printed twice
            for path in re.findall(r"configs/[\w/.-]+\.yaml", text):  # examples name specs that exist
                assert (ROOT / path).is_file(), f"{p.prog}: {path}"


def test_no_progress_is_quiet(tmp_path, data_dir):
    """--no-progress silences every bar and the libraries' info lines (loading weights, writing shards, the
    Trainer's per-step dicts); the suite's own last line stays."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-m", "benchmark.cli", "train", "--task", "synth", "--model",
                           "tiny-random-llama", "--data-dir", str(data_dir), "--limit-train", "4", "--epochs", "1",
                           "--batch-size", "2", "--grad-accum", "1", "--save-model", "--eval-splits", "test",
                           "--eval-limit", "2", "--eval-max-new-tokens", "2", "--out", str(tmp_path / "run"),
                           "--no-progress"], cwd=root, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    noise = done.stdout + done.stderr
    for marker in ("Loading weights", "Writing model shards", "{'loss'", "it/s]", "%|"):
        assert marker not in noise, (marker, noise[-1500:])
    assert noise.strip().splitlines()[-1].startswith("run written to")


def test_the_progress_bar_carries_the_losses_instead_of_a_dict_per_step(tmp_path, data_dir):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-m", "benchmark.cli", "train", "--task", "synth", "--model",
                           "tiny-random-llama", "--objective", "jepa", "--data-dir", str(data_dir), "--limit-train",
                           "4", "--epochs", "2", "--batch-size", "2", "--grad-accum", "1", "--out",
                           str(tmp_path / "run")], cwd=root, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    noise = done.stdout + done.stderr
    assert "{'loss'" not in noise and "jepa_loss=" in noise  # in the bar's postfix
    log = (tmp_path / "run" / "train_log.jsonl").read_text().splitlines()
    assert len(log) >= 4 and all('"loss"' in line for line in log[:4])  # every step's values kept there
