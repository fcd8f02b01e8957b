"""HellaSwag with the authors' letter prompt; rows carry their own `text` (context) and `code` (gold ending) views."""
from tasks.base import Task, register

register(Task(
    name="hellaswag", version=1, family="hellaswag", source="rbalestr-lab/llm-jepa datasets/", license="MIT",
    files={"test": "hellaswag_test.jsonl"}, views="text_code", notes="no training file is provided upstream",
    paper={"regular": 69.40, "jepa": 70.51},  # Table 4
))
