"""Sentiment classification: review -> `Good`/`Bad` (Rotten Tomatoes) or one of five labels (Yelp).

Row: {"messages": [{"role": "system", "content": "Determine whether the comment is positive or negative"},
                   {"role": "user", "content": "lovingly photographed in the manner of a golden book ..."},
                   {"role": "assistant", "content": "Good"}]}

`exact` is the authors' check (generation == gold, gold not stripped); `prefix` is their `--startswith`
variant for base and plain models, which continue past the label.
"""
from tasks.base import HubSource, Metric, Task, Verdict, register

SYSTEM = "Determine whether the comment is positive or negative"


def exact(output, ex, ctx) -> Verdict:
    return Verdict(output == ex.assistant)


def prefix(output, ex, ctx) -> Verdict:
    return Verdict(output.startswith(ex.assistant))


METRICS = (
    Metric("exact", exact, "generation equals the gold label (the authors' check)", parity=True),
    Metric("prefix", prefix, "generation starts with the gold label (the authors' --startswith)"),
)
CHANGELOG = ("files and views", "scorers: exact, prefix")

register(Task(
    name="rotten_tomatoes", version=2, family="sentiment", source="rbalestr-lab/llm-jepa datasets/",
    license="unknown (Pang & Lee 2005)",
    files={"train": "rotten_tomatoes_train.jsonl", "test": "rotten_tomatoes_test.jsonl"},
    fixtures=(("a gentle, funny film", "Good"), ("tedious and flat", "Bad")),
    system_prompt=SYSTEM, metrics=METRICS, main_metric="exact", changelog=CHANGELOG,
    # the hub's copy: label 1 is a positive review, which the authors' rows call "Good"
    hub=HubSource("cornell-movie-review-data/rotten_tomatoes", {"train": "train", "test": "test"},
                  lambda r: (r["text"], "Good" if r["label"] == 1 else "Bad")),
))
register(Task(
    name="yelp", version=2, family="sentiment", source="rbalestr-lab/llm-jepa datasets/", license="Yelp dataset terms",
    files={"test": "yelp_test.jsonl"}, notes="no training file is provided upstream",
    fixtures=(("Loved the food!", "Very Good"), ("It was fine, nothing special.", "Mediocre")),
    system_prompt=SYSTEM, metrics=METRICS, main_metric="exact", changelog=CHANGELOG,
))
