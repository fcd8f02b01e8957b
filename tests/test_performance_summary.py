"""benchmarks/summarize_performance.py: medians over repeated runs, ratios taken per run, and the
demo's same-numbers check; plus benchmarks/performance.sh end to end on the tiny model."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import summarize_performance as sp  # noqa: E402

from tasks import resolve_data_dir  # noqa: E402


def _step_record(regular, packed, reference, authors, rss):
    lay = lambda s, tok: {"tensor": "4x66", "real_tokens": tok, "median_s": s, "runs_s": [s]}  # noqa: E731
    return {"layouts": {"regular": lay(regular, 100), "jepa packed": lay(packed, 250),
                        "jepa reference": lay(reference, 250), "authors' style": lay(authors, 250)},
            "peak_rss_gb": rss}


def _write(folder: Path, i: int, name: str, record: dict) -> None:
    (folder / f"run{i}").mkdir(parents=True, exist_ok=True)
    (folder / f"run{i}" / f"{name}.json").write_text(json.dumps(record))


def test_train_step_medians_and_per_run_ratios():
    records = [_step_record(2.0, 3.0, 4.0, 40.0, 7.0), _step_record(1.0, 2.5, 3.0, 50.0, 8.0),
               _step_record(4.0, 4.0, 6.0, 44.0, 7.5)]
    s = sp.train_step_summary(records)
    assert s["runs"] == 3
    assert s["layouts"]["regular"]["seconds"] == [2.0, 1.0, 4.0]
    # per run: packed/regular = 1.5, 2.5, 1.0 -> median 1.5; a ratio of medians would give 3.0 / 2.0 = 1.5 too,
    # but authors/packed per run = 13.33, 20, 11 -> median 13.33, while the ratio of medians is 44 / 3 = 14.67
    assert sp.statistics.median(s["ratios"]["packed / regular"]) == pytest.approx(1.5)
    assert sp.statistics.median(s["ratios"]["authors' style / packed"]) == pytest.approx(40 / 3)
    assert s["ratios"]["its limit: 1.1 x token ratio"] == pytest.approx([2.75] * 3)
    assert s["within_limit"] == 3 and s["authors_10x"] == 3
    slow = sp.train_step_summary([_step_record(1.0, 3.0, 4.0, 20.0, 7.0)])  # 3.0 > 2.75 and 20 / 3 < 10
    assert slow["within_limit"] == 0 and slow["authors_10x"] == 0
    assert sp.spread([2.0, 1.0, 4.0]) == "2.000 (1.000–4.000)"
    assert sp.spread([2.0]) == "2.000"


def test_eval_summary_speedups_and_worst_identity():
    recs = [{"examples": 8, "batches": {"1": {"seconds": 10.0, "identical": 8}, "4": {"seconds": 2.0, "identical": 8}},
             "peak_rss_gb": 1.0},
            {"examples": 8, "batches": {"1": {"seconds": 12.0, "identical": 8}, "4": {"seconds": 4.0, "identical": 7}},
             "peak_rss_gb": 1.1}]
    e = sp.eval_summary(recs)
    assert e["batches"]["4"]["speedup"] == pytest.approx([5.0, 3.0])
    assert e["batches"]["4"]["identical_min"] == 7


def test_demo_summary_flags_differing_scores(tmp_path):
    run = lambda w, s: {"wall_seconds": w, "score": s}  # noqa: E731
    same = [{"wall_seconds": 500, "runs": {"regular": run(190, 0.2), "jepa": run(330, 0.3)}},
            {"wall_seconds": 560, "runs": {"regular": run(200, 0.2), "jepa": run(340, 0.3)}}]
    assert sp.demo_summary(same)["same_scores_every_run"] is True
    differ = same + [{"wall_seconds": 530, "runs": {"regular": run(195, 0.2), "jepa": run(335, 0.31)}}]
    d = sp.demo_summary(differ)
    assert d["same_scores_every_run"] is False
    for i, rec in enumerate(differ, 1):
        _write(tmp_path, i, "demo", rec)
    text = sp.render(tmp_path)
    assert "median over 3 runs" in text and "| whole demo | 530 (500–560), i.e. 8.8 min" in text and "**no**" in text


def test_render_refuses_an_empty_folder(tmp_path):
    with pytest.raises(SystemExit, match="performance.sh --runs N"):
        sp.render(tmp_path)


def test_performance_script_on_the_tiny_model(tmp_path):
    if not (resolve_data_dir(None) / "synth_test.jsonl").is_file():
        pytest.skip("needs the NL-RX-SYNTH files ($JEPA_BENCH_DATA_DIR); CI has them")
    env = dict(os.environ, JEPA_BENCH_DATA_DIR=str(resolve_data_dir(None).resolve()), PYTHON=sys.executable)
    out = tmp_path / "perf"
    done = subprocess.run(["bash", str(ROOT / "benchmarks" / "performance.sh"), "--runs", "2", "--model",
                           "tiny-random-llama", str(out)], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for i in (1, 2):
        step = json.loads((out / f"run{i}" / "train_step.json").read_text())
        assert set(step["layouts"]) == {"regular", "jepa packed", "jepa reference", "authors' style"}
        assert all(v["median_s"] > 0 for v in step["layouts"].values())
        ev = json.loads((out / f"run{i}" / "eval_throughput.json").read_text())
        assert ev["batches"]["16"]["identical"] == ev["examples"] == 64  # fp32 batching changes no output
    summary = (out / "summary.md").read_text()
    assert "median over 2 runs" in summary and "| jepa packed |" in summary and "| 16 |" in summary
