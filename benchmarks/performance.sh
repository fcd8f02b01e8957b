#!/usr/bin/env bash
# The figures behind reports/performance.md, measured one after another on an otherwise idle machine:
# training step costs (benchmarks/train_step.py), evaluation throughput (benchmarks/eval_throughput.py),
# each with its peak memory. The demo's wall time is printed by `./dev demo` itself.
# Usage: benchmarks/performance.sh [OUT_DIR]   (default reports/performance)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-reports/performance}
mkdir -p "$OUT"
export JEPA_BENCH_DATA_DIR=${JEPA_BENCH_DATA_DIR:-../shared/data}
python benchmarks/train_step.py --model smollm2-135m-instruct --batch 4 --repeats 3 --authors-repeats 2 2>&1 \
  | grep -v -i warn | tee "$OUT/train_step.txt"
python benchmarks/eval_throughput.py --n 64 --batch 16 32 64 2>&1 | grep -v -i warn | tee "$OUT/eval_throughput.txt"
