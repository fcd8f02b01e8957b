"""Sentiment classification: review -> `Good`/`Bad` (Rotten Tomatoes) or five labels (Yelp)."""
from tasks.base import Task, register

register(Task(
    name="rotten_tomatoes", version=1, family="sentiment", source="rbalestr-lab/llm-jepa datasets/",
    license="unknown (Pang & Lee 2005)",
    files={"train": "rotten_tomatoes_train.jsonl", "test": "rotten_tomatoes_test.jsonl"},
    paper={"regular": 56.57, "jepa": 57.76},  # Table 9 (appendix, second-hand), after paraphrase pretraining
))
register(Task(
    name="yelp", version=1, family="sentiment", source="rbalestr-lab/llm-jepa datasets/", license="Yelp dataset terms",
    files={"test": "yelp_test.jsonl"}, notes="no training file is provided upstream",
    paper={"regular": 26.46, "jepa": 27.15},  # Table 9 (appendix, second-hand)
))
