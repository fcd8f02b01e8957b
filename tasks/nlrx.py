"""NL-RX (Locascio et al. 2016): natural language -> regular expression in dk.brics syntax.

Row: {"messages": [{"role": "system", "content": "Convert natural language to regular expression."},
                   {"role": "user", "content": "lines with words with a number and a character or the string 'dog'"},
                   {"role": "assistant", "content": "\\b(([0-9])&(.))|(dog)\\b"}]}
synth and turk share the same target regexes in the same order; only the language differs.
"""
from tasks.base import Task, register

for name, desc, paper in (
    ("synth", "synthetic descriptions", {"regular": 57.29, "jepa": 71.46}),  # Table 3, Llama-3.2-1B-Instruct
    ("turk", "Mechanical Turk paraphrases", {"regular": 22.49, "jepa": 30.94}),  # Table 13 (appendix, second-hand)
):
    register(Task(
        name=name, version=1, family="nlrx",
        source="rbalestr-lab/llm-jepa datasets/ (from nicholaslocascio/deep-regex)", license="MIT",
        files={"train": f"{name}_train.jsonl", "test": f"{name}_test.jsonl"},
        notes=f"NL-RX-{name.upper()}: {desc}; 8000 train / 2000 test",
        paper=paper,
    ))
