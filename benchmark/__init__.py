"""llm-jepa-bench: a reproducibility suite for LLM-JEPA (arXiv 2509.14252) and Semantic Tube Prediction.

    from benchmark import train, evaluate, sweep, sweep_plan, report, TrainConfig, EvalPlan

The stages, each a sub-package that imports only the ones listed after it (tests/test_architecture.py):

    cli/         the `jepa-bench` command line, one module per command, over api.py
    analysis/    reading results trees: tables, figures, statistics, the paper's numbers, claims, checks
    runs/        a run's spec and id, the runner, sweeps and their launchers, analyses written into a tree
    evaluation/  the evaluation plan, generation, scoring into predictions, the lm-eval export
    training/    typed config, models, views, packing, objectives, the step and the trainer
    data/        getting the upstream data files
    store/       the results tree: file names, schemas, atomic directories, locks, provenance
    (tasks/, a separate package below all of them: datasets, views and scorers)
"""
from __future__ import annotations

__version__ = "0.2.0"

_API = ("train", "evaluate", "sweep", "sweep_plan", "report", "TrainConfig", "EvalPlan")


def __getattr__(name: str):
    # Lazy: `import benchmark` stays cheap (no torch) until an API function is used.
    if name in _API:
        from benchmark import api

        return getattr(api, name)
    raise AttributeError(f"module 'benchmark' has no attribute {name!r}")


__all__ = list(_API)
