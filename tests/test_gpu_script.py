"""benchmarks/gpu.sh, tested on CPU with its tiny configuration: it runs the sweep, the report and the
throughput measurement and leaves its outputs and log in the given folder."""
import os
import subprocess
from pathlib import Path

import pytest

from benchmark import store
from tasks import resolve_data_dir

ROOT = Path(__file__).resolve().parent.parent


def test_gpu_script_tiny_on_cpu(tmp_path):
    if not (resolve_data_dir(None) / "synth_test.jsonl").is_file():
        pytest.skip("needs the NL-RX-SYNTH files ($JEPA_BENCH_DATA_DIR); CI has them")
    env = dict(os.environ, JEPA_BENCH_DATA_DIR=str(resolve_data_dir(None).resolve()))
    done = subprocess.run(["bash", str(ROOT / "benchmarks" / "gpu.sh"), str(tmp_path / "out"), "--tiny"],
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = tmp_path / "out"
    assert len(store.run_dirs(out / "results")) == 4
    assert "Comparison with the paper" in (out / "report" / "README.md").read_text()
    assert "tok/s" in (out / "throughput.txt").read_text()
    log = (out / "log.txt").read_text()
    assert "sweep exit code 0" in log and "done; outputs in" in log
    assert "preflight configs/paper/table3_synth_llama1b.yaml" in log and "the suite needs" in log
