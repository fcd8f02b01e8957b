#!/usr/bin/env bash
# Run on the CPU machine before benchmarks/gpu.sh: gathers what a GPU box without a package registry
# lacks into ignored folders the device tool can carry (about 5 MB):
#   .cache/llm-jepa-bench/smollm2-tokenizer   SmolLM2's tokenizer (the GPU box has no GGUF wheel)
#   .cache/gpu-wheels/                        pure-Python wheels: greenery, submitit, cloudpickle, transformers,
#                                             huggingface_hub
#   data/                                     the NL-RX-SYNTH files (never committed: /data/ is ignored)
set -euo pipefail
cd "$(dirname "$0")/.."
. .venv/bin/activate
export JEPA_BENCH_CACHE=$PWD/.cache/llm-jepa-bench
python -c "from benchmark.training.models import smollm2_tokenizer; smollm2_tokenizer()"
mkdir -p .cache/gpu-wheels data
pip download -q --no-deps -d .cache/gpu-wheels greenery==4.2.3 submitit==1.5.4 cloudpickle 2>&1 | grep -v WARNING || true
# this machine's transformers and huggingface_hub (pure Python), for a GPU box whose transformers is too old
pip download -q --no-deps -d .cache/gpu-wheels "transformers==$(python -c 'import transformers; print(transformers.__version__)')" \
  "huggingface_hub==$(python -c 'import huggingface_hub; print(huggingface_hub.__version__)')" 2>&1 | grep -v WARNING || true
src=${JEPA_BENCH_DATA_DIR:-../shared/data}
cp "$src"/synth_train.jsonl "$src"/synth_test.jsonl data/
du -sh .cache/llm-jepa-bench/smollm2-tokenizer .cache/gpu-wheels data
echo "carry: .cache/llm-jepa-bench/smollm2-tokenizer .cache/gpu-wheels data"
