"""GSM8K grade-school maths: question -> chain of thought ending in `#### <answer>`."""
from tasks.base import Task, register

register(Task(
    name="gsm8k", version=1, family="gsm8k", source="rbalestr-lab/llm-jepa datasets/ (openai/gsm8k)", license="MIT",
    files={"train": "gsm8k_train.jsonl", "test": "gsm8k_test.jsonl"},
    paper={"regular": 32.36, "jepa": 36.36},  # Table 13 (appendix, second-hand), Llama-3.2-1B-Instruct
))
