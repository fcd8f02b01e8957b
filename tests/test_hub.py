"""`jepa-bench data fetch --from-hub`: a task's files built through Hugging Face `datasets` from a local copy
(offline), in the suite's row format, readable by the task; a hub id that cannot be reached is one line."""
import json

import pytest

from benchmark.cli import main
from tasks import get_task, load_split


@pytest.fixture
def saved_rotten_tomatoes(tmp_path):
    import datasets

    data = {"train": {"text": ["a gorgeous film", "a dull mess", "the best of the year"], "label": [1, 0, 1]},
            "test": {"text": ["tedious", "lovely"], "label": [0, 1]}}
    folder = tmp_path / "rt_copy"
    datasets.DatasetDict({k: datasets.Dataset.from_dict(v) for k, v in data.items()}).save_to_disk(str(folder))
    return folder


def test_rows_are_built_from_a_local_copy(saved_rotten_tomatoes, tmp_path, capsys):
    out = tmp_path / "data"
    assert main(["data", "fetch", "--tasks", "rotten_tomatoes", "--from-hub", "--hub-path",
                 str(saved_rotten_tomatoes), "--data-dir", str(out)]) == 0
    rows = [json.loads(line) for line in (out / "rotten_tomatoes_train.jsonl").read_text().splitlines()]
    task = get_task("rotten_tomatoes")
    assert rows[0]["messages"] == [{"role": "system", "content": task.system_prompt},
                                   {"role": "user", "content": "a gorgeous film"},
                                   {"role": "assistant", "content": "Good"}]
    assert [r["messages"][2]["content"] for r in rows] == ["Good", "Bad", "Good"]
    assert [e.assistant for e in load_split(task, "test", out)] == ["Bad", "Good"]
    assert main(["data", "fetch", "--tasks", "rotten_tomatoes", "--from-hub", "--hub-path",
                 str(saved_rotten_tomatoes), "--data-dir", str(out)]) == 0
    assert "present, kept" in capsys.readouterr().out


def test_an_unreachable_hub_or_a_task_without_a_source_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import datasets.config

    monkeypatch.setattr(datasets.config, "HF_DATASETS_OFFLINE", True)
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "cache")
    for args, needle in ((["--tasks", "gsm8k"], "openai/gsm8k"), (["--tasks", "synth"], "declares no Hugging Face"),
                         (["--tasks", "rotten_tomatoes", "--hub-path", str(tmp_path / "none")], "no such folder")):
        rc = main(["data", "fetch", "--from-hub", "--data-dir", str(tmp_path / "d"), *args])
        err = capsys.readouterr().err.strip()
        assert rc == 2 and needle in err and len(err.splitlines()) == 1, err
    assert not list((tmp_path / "d").glob("*.jsonl")) if (tmp_path / "d").exists() else True
