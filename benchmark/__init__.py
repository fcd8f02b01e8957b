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


def _pin_tasks_package() -> None:
    """Make `import tasks` this suite's task package even where another folder named tasks/ comes first on
    sys.path (a working directory with its own tasks/ folder, say): the two packages are installed side by
    side, so ours is the sibling of this one. Cheap: nothing is imported unless a shadow is found."""
    import importlib.util
    import sys
    from pathlib import Path

    ours = Path(__file__).resolve().parent.parent / "tasks"
    loaded = sys.modules.get("tasks")
    if loaded is not None:
        if hasattr(loaded, "get_task"):
            return
        del sys.modules["tasks"]  # a shadow already imported: replace it
    found = importlib.util.find_spec("tasks")
    locations = [Path(p).resolve() for p in (found.submodule_search_locations or [])] if found else []
    if ours in locations[:1] or not (ours / "__init__.py").is_file():
        return
    spec = importlib.util.spec_from_file_location("tasks", ours / "__init__.py", submodule_search_locations=[str(ours)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["tasks"] = module
    spec.loader.exec_module(module)


_pin_tasks_package()

_API = ("train", "evaluate", "sweep", "sweep_plan", "report", "TrainConfig", "EvalPlan")


def __getattr__(name: str):
    # Lazy: `import benchmark` stays cheap (no torch) until an API function is used.
    if name in _API:
        from benchmark import api

        return getattr(api, name)
    raise AttributeError(f"module 'benchmark' has no attribute {name!r}")


__all__ = list(_API)
