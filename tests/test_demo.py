"""The main job's pipeline (sweep -> report), run with a tiny spec; the real spec must validate."""
from pathlib import Path

import yaml

from benchmark.cli import main
from benchmark import store
from benchmark.runs.sweep import load_spec

ROOT = Path(__file__).resolve().parent.parent


def test_demo_spec_is_the_paper_setting_on_smollm2():
    sweep = load_spec(ROOT / "configs" / "demo.yaml")
    objectives = {r.train.objective: r.train for r in sweep.runs}
    assert set(objectives) == {"regular", "jepa"} and objectives["jepa"].lbd == 1.0
    assert objectives["jepa"].predictors == 1 and objectives["jepa"].model == "smollm2-135m-instruct"


def test_demo_pipeline_resumes_and_writes_a_report(tmp_path, data_dir, capsys):
    spec = yaml.safe_load((ROOT / "configs" / "demo.yaml").read_text())
    spec["fixed"].update(model="tiny-random-llama", limit_train=8, epochs=2, batch_size=4, grad_accum=1,
                         bf16=False, data_dir=str(data_dir))
    spec["eval"].update(limit=4, max_new_tokens=4, batch_size=4)
    path = tmp_path / "demo.yaml"
    path.write_text(yaml.safe_dump(spec))
    args = ["--spec", str(path), "--results", str(tmp_path / "results"), "--report", str(tmp_path / "report"),
            "--no-progress"]
    assert main(["demo", *args]) == 0
    out = capsys.readouterr().out
    assert f"report: {tmp_path / 'report' / 'README.md'}" in out and "| synth" in out
    readme = (tmp_path / "report" / "README.md").read_text()
    assert "figures/accuracy_vs_epoch_synth_test.png" in readme
    assert len(store.run_dirs(tmp_path / "results")) == 2
    assert main(["demo", *args]) == 0  # a second call finds both runs done and only re-renders the report
    assert "2 runs, 2 done, 0 to run" in capsys.readouterr().out
