"""Spider text-to-SQL. User turn: "For db_id:[<db>]\\n\\n<question>", assistant: the SQL.

The upstream split is an in-domain re-split of train + dev, not the official cross-database dev set.
"""
from tasks.base import Task, register

register(Task(
    name="spider", version=1, family="spider", source="rbalestr-lab/llm-jepa datasets/ (Yu et al. 2018)",
    license="CC BY-SA 4.0", files={"train": "spider_train.jsonl", "test": "spider_test.jsonl"},
    notes="needs the Spider sqlite databases for execution accuracy (not shipped)",
    paper={"regular": 47.52, "jepa": 50.55},  # Table 13 (appendix, second-hand)
))
