#!/usr/bin/env bash
# The figures behind reports/performance.md, measured one after another on an otherwise idle machine and
# repeated N times (these machines vary by about +-30 % from run to run, so the report quotes medians over
# runs): training step costs (benchmarks/train_step.py), evaluation throughput (benchmarks/eval_throughput.py),
# each with its peak memory, and with --demo the main job's wall time from scratch (benchmarks/demo_wall.py).
# Each run writes OUT_DIR/runI/*.{txt,json}; benchmarks/summarize_performance.py then writes OUT_DIR/summary.md.
# Usage: benchmarks/performance.sh [--runs N] [--demo] [--model NAME] [OUT_DIR]
#        (defaults: 3 runs, smollm2-135m-instruct, reports/performance; tests pass --model tiny-random-llama)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=3
DEMO=0
MODEL=smollm2-135m-instruct
OUT=reports/performance
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --demo) DEMO=1; shift ;;
    --model) MODEL="$2"; shift 2 ;;
    -h|--help) sed -n 2,8p "$0"; exit 0 ;;
    -*) echo "error: unknown option $1 (expected --runs N, --demo, --model NAME, OUT_DIR)" >&2; exit 2 ;;
    *) OUT="$1"; shift ;;
  esac
done
export JEPA_BENCH_DATA_DIR=${JEPA_BENCH_DATA_DIR:-../shared/data}
PY=${PYTHON:-python}
# drop warnings and the model loader's progress lines from the saved outputs
quiet() { grep -v -i -e warn -e '^Loading weights' -e '^\[transformers\] The new embeddings' || true; }
for i in $(seq 1 "$RUNS"); do
  RUN="$OUT/run$i"
  mkdir -p "$RUN"
  echo "== run $i of $RUNS -> $RUN"
  "$PY" benchmarks/train_step.py --model "$MODEL" --batch 4 --repeats 3 --authors-repeats 2 \
    --json "$RUN/train_step.json" 2>&1 | quiet | tee "$RUN/train_step.txt"
  "$PY" benchmarks/eval_throughput.py --model "$MODEL" --n 64 --batch 16 32 64 --json "$RUN/eval_throughput.json" 2>&1 \
    | quiet | tee "$RUN/eval_throughput.txt"
  if [ "$DEMO" = 1 ]; then
    "$PY" benchmarks/demo_wall.py --json "$RUN/demo.json" 2>&1 | tail -n 20 | tee "$RUN/demo.txt"
  fi
done
"$PY" benchmarks/summarize_performance.py "$OUT" --out "$OUT/summary.md"
