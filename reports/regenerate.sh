#!/usr/bin/env bash
# Rebuild every committed report and the claims ledger from the committed results trees (reports are built
# only from results/). Run from the repository root after runs land: `bash reports/regenerate.sh`.
# tests/test_claims.py checks that reports/claims.md is current; the README's tables quote these reports.
set -euo pipefail
cd "$(dirname "$0")/.."
JB=${JEPA_BENCH:-jepa-bench}

report() {  # report NAME TITLE [extra args...]: results/NAME -> reports/NAME
    local name=$1 title=$2
    shift 2
    [ -d "results/$name" ] || { echo "skip $name: results/$name is not there"; return; }
    $JB report "results/$name" --out "reports/$name" --title "$title" "$@"
}

report cpu-pretrain-synth-small "Reproductions 1 and 3 (CPU scale): paper Table 2 from random initialisation, and the Table 3 loss ablation"
report cpu-synth-smollm2 "Reproductions 2 and 4 (CPU scale): SmolLM2-135M fine-tuned on NL-RX-SYNTH, regular vs LLM-JEPA (λ, k chosen on validation) vs STP"
report cpu-synth-smollm2-select "Reproduction 2, stage 1 (CPU scale): choosing LLM-JEPA's λ and k on the validation split" --split val
$JB select results/cpu-synth-smollm2-select --out reports/cpu-synth-smollm2-select/selection.json > /dev/null
report cpu-ablation-synth-smollm2 "Table 3 at four epochs (CPU scale): SmolLM2-135M-Instruct fine-tuned on NL-RX-SYNTH, regular, cosine LLM-JEPA and the loss-design variants"
report cpu-overfit-synth-smollm2 "Resisting overfitting (CPU scale, paper Fig. 1 right): SmolLM2-135M-Instruct on 256 NL-RX-SYNTH rows for twelve epochs"
report cpu-loss-dropout-synth-smollm2 "Loss dropout at equal FLOPs (CPU scale, paper Table 6 / Fig. 5): SmolLM2-135M-Instruct on NL-RX-SYNTH"
report cpu-loss-dropout-schedule-synth-smollm2 "Loss dropout at equal FLOPs, each arm's learning-rate schedule ending at its own budget (CPU scale, paper Table 6 / Fig. 5): SmolLM2-135M-Instruct on NL-RX-SYNTH"
report cpu-diagnostic-synth-smollm2 "The JEPA term and the representations (CPU scale, paper Fig. 3, Fig. 4, Table 14): SmolLM2-135M-Instruct on NL-RX-SYNTH"
report cpu-datasets-smollm2 "Across datasets (CPU scale, paper Table 13): SmolLM2-135M-Instruct on NL-RX-TURK and Rotten Tomatoes"
report cpu-lora-synth-smollm2 "LoRA (CPU scale, paper Table 8): SmolLM2-135M-Instruct on NL-RX-SYNTH"
report cpu-k-lambda-pretrain-small "(k, λ) sensitivity (CPU scale, paper Fig. 7 (f)): a 16 M Llama pretrained on NL-RX-SYNTH over the k × λ grid"
report cpu-nq-open-smollm2 "Beyond code (CPU scale, paper Table 4): SmolLM2-135M-Instruct on NQ-Open"
report cpu-synth-smollm2-2000 "The headline claim at 2000 training rows (CPU scale, paper Table 3 / Fig. 1 left; STP's 16x data claim): SmolLM2-135M-Instruct on NL-RX-SYNTH, the whole test split"
$JB claims
