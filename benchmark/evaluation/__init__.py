"""Evaluation: asking a model (generation or next-token choice) and scoring the outputs with the task's
metrics, under one `EvalPlan`; also the representation measures and the lm-eval export.

Owns the evaluation plan (plan.py), generation, evaluate() and predictions records.
It imports only `training`, `data`, `store` and `tasks`.
"""
