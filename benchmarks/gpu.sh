#!/usr/bin/env bash
# One H200 machine with torch and transformers but no package registry, under 8 minutes:
#   0. the transformers version against pyproject.toml (carried wheels make up the difference), then
#      `jepa-bench preflight` of the GPU spec and of paper Table 3 (stand-ins): a failure stops the script;
#   1. paper Table 2 at GPU scale (configs/gpu/pretrain_synth_medium.yaml: all of NL-RX-SYNTH, a 50 M Llama
#      from random initialisation, regular vs LLM-JEPA lambda 2 k 3, five seeds) and its report;
#   2. training throughput (real tokens/s) of regular and LLM-JEPA steps (benchmarks/train_step.py).
# Usage: benchmarks/gpu.sh OUT_DIR [--tiny]     (--tiny: the CPU test, configs/gpu/pretrain_synth_tiny.yaml)
# Needs what benchmarks/gpu_prepare.sh gathers (tokenizer, wheels, data). Writes OUT_DIR/{log.txt,
# results/, report/, throughput.txt, env.txt}. Each stage has a time limit, so the script ends in time
# and keeps what finished (the sweep resumes if run again).
set -uo pipefail
OUT=${1:?usage: benchmarks/gpu.sh OUT_DIR [--tiny]}
TINY=${2:-}
cd "$(dirname "$0")/.."
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
exec > >(tee -a "$OUT/log.txt") 2>&1
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
export JEPA_BENCH_CACHE=${JEPA_BENCH_CACHE:-$PWD/.cache/llm-jepa-bench}
export JEPA_BENCH_DATA_DIR=${JEPA_BENCH_DATA_DIR:-$PWD/data}
export HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
start=$(date +%s)
stamp() { echo "== [$(( $(date +%s) - start )) s] $*"; }

stamp "environment"
python - <<'PY' | tee "$OUT/env.txt"
import importlib, platform, torch
print("python", platform.python_version(), "| torch", torch.__version__, "| cuda", torch.cuda.is_available(),
      torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")
for m in ("transformers", "accelerate", "yaml", "pandas", "matplotlib", "tqdm", "greenery", "submitit"):
    try:
        print(m, getattr(importlib.import_module(m), "__version__", "?"))
    except ImportError:
        print(m, "MISSING")
PY
if ! python -c "import greenery, submitit" 2>/dev/null; then
  stamp "installing the carried pure-Python wheels"
  pip install -q --no-index --no-deps .cache/gpu-wheels/greenery-*.whl .cache/gpu-wheels/submitit-*.whl \
    .cache/gpu-wheels/cloudpickle-*.whl || echo "wheel install failed: DFA scoring may be missing"
fi
# The suite needs the transformers range of pyproject.toml; a box without a registry may have an older one (5.17
# has been seen): install the carried wheels (gpu_prepare.sh downloads this machine's transformers and
# huggingface_hub), or stop here, before any GPU time is spent.
version_ok() {
  python - <<'PY'
import re, sys
from importlib.metadata import version
from packaging.specifiers import SpecifierSet
need = re.search(r'"transformers([^"]*)"', open("pyproject.toml").read()).group(1).split(",")
spec = SpecifierSet(",".join(x.strip() for x in need))
have = version("transformers")
print(f"transformers {have}, the suite needs {spec}")
sys.exit(0 if have in spec else 1)
PY
}
if ! version_ok; then
  stamp "installing the carried transformers wheels"
  pip install -q --no-index --no-deps .cache/gpu-wheels/transformers-*.whl .cache/gpu-wheels/huggingface_hub-*.whl \
    || echo "carried transformers wheels missing or not installable (run benchmarks/gpu_prepare.sh first)"
  version_ok || { echo "gpu.sh: transformers still outside the supported range: stopping before any run"; exit 1; }
fi

if [ "$TINY" = "--tiny" ]; then
  SPEC=configs/gpu/pretrain_synth_tiny.yaml; SWEEP_LIMIT=300; MODEL=tiny-random-llama; BATCH=8
else
  SPEC=configs/gpu/pretrain_synth_medium.yaml; SWEEP_LIMIT=330; MODEL=medium-random-llama; BATCH=64
fi

# Preflight first: every arm of the spec, and Table 3's Llama-3 arms on their stand-in, through this machine's
# stack in seconds; a failure stops the script before the sweep spends its time.
for PRE in "$SPEC" configs/paper/table3_synth_llama1b.yaml; do
  stamp "preflight $PRE"
  if ! timeout 120 python -m benchmark.cli preflight "$PRE" --distinct-paths | grep -v "^{'"; then
    echo "gpu.sh: preflight of $PRE failed: stopping before the sweep (see the table above)"; exit 1
  fi
done

stamp "sweep $SPEC (limit ${SWEEP_LIMIT} s)"
timeout "$SWEEP_LIMIT" python -m benchmark.cli sweep run "$SPEC" --results "$OUT/results" --no-progress \
  | grep -v "^{'"
sweep_rc=${PIPESTATUS[0]}
echo "sweep exit code $sweep_rc (124 = time limit; finished runs are kept)"
stamp "report"
timeout 60 python -m benchmark.cli report "$OUT/results" --out "$OUT/report" --title "GPU: $SPEC" \
  || echo "report failed (pandas/matplotlib missing?): results are in $OUT/results"

stamp "training throughput ($MODEL, batch $BATCH, bf16)"
timeout 90 python benchmarks/train_step.py --model "$MODEL" --pretrain --batch "$BATCH" --bf16 --repeats 5 \
  --authors-repeats 2 2>&1 | grep -v Warning | tee "$OUT/throughput.txt"
step_rc=${PIPESTATUS[0]}
stamp "done; outputs in $OUT"
# a sweep stopped by its time limit still counts: its finished runs are the result
if { [ "$sweep_rc" -eq 0 ] || [ "$sweep_rc" -eq 124 ]; } && [ "$step_rc" -eq 0 ]; then exit 0; fi
echo "gpu.sh: a stage failed (sweep $sweep_rc, throughput $step_rc): see $OUT/log.txt"
exit 1
