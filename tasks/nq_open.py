"""NQ-Open: question -> short answer(s), several golds joined with "; "."""
from tasks.base import Task, register

register(Task(
    name="nq_open", version=1, family="nq_open", source="rbalestr-lab/llm-jepa datasets/", license="CC BY-SA 3.0",
    files={"train": "nq_open_train.jsonl", "test": "nq_open_test.jsonl"},
    paper={"regular": 20.12, "jepa": 21.59},  # Table 4, lambda = 1024, k = 0
))
