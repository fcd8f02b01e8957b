"""`jepa-bench represent`: the paper's representation analyses of a results tree's saved models, written
into the tree (RESULTS/analysis/representation/<task>/representation.json) so that reports only read files.

Per task: the base model and one saved model per method (the first seed, in seed order, whose run kept its
model: `save_model: true`), all encoded on the same first N test examples (evaluation/representation.py:
singular values of Enc(Text) − Enc(Code), paper Fig. 3 left; the held-out linear map Text → Code,
Table 14; optional t-SNE, Fig. 4).
"""
from __future__ import annotations

from pathlib import Path

from benchmark import store

REPRESENTATION = "representation"  # RESULTS/analysis/representation/<task>/
JSON_FILE = "representation.json"


def analysis_dir(results: Path, task: str) -> Path:
    return Path(results) / store.ANALYSIS / REPRESENTATION / task


def saved_models(results: Path) -> dict[str, dict[str, tuple[str, dict, Path]]]:
    """task -> {method label (with k for objectives that use [PRED] tokens): (run id, config, model folder)} for
    the first seed per method that kept its model (Table 14 compares LLM-JEPA k = 0 and k = 1)."""
    from benchmark.training.objectives import get_objective

    chosen: dict[str, dict[str, tuple[str, dict, Path]]] = {}
    summaries = [(d, store.read_summary(d)) for d in store.run_dirs(results)]
    for d, s in sorted(summaries, key=lambda ds: (ds[1]["config"]["seed"], ds[1]["run_id"])):
        cfg = s["config"]
        if (d / store.MODEL).is_dir():
            obj = get_objective(cfg["objective"])
            label = obj.method_label(cfg) + (f" k={cfg['predictors']}" if obj.needs_views else "")
            chosen.setdefault(cfg["task"], {}).setdefault(label, (s["run_id"], cfg, d / store.MODEL))
    return chosen


def represent(results: str | Path, *, n_examples: int, with_tsne: bool = False, progress: bool = True,
              log=print) -> list[Path]:
    """Analyse every task of the tree; returns the JSON files written."""
    from benchmark.evaluation.representation import analyse
    from benchmark.training.models import load_for_evaluation
    from tasks import get_task, load_split

    results = Path(results)
    store.check_schema(results)
    chosen = saved_models(results)
    if not chosen:
        raise store.StoreError(f"no run under {results} kept its model: sweep with `save_model: true` "
                               "(or `train --save-model`) to analyse representations")
    written = []
    for task, runs in sorted(chosen.items()):
        first_cfg = next(iter(runs.values()))[1]
        examples = load_split(get_task(task), "test", first_cfg.get("data_dir"), n_examples)
        plain = first_cfg.get("plain", False)
        models = {"base": load_for_evaluation(first_cfg["model"], plain=plain)}
        models.update({label: load_for_evaluation(str(folder), plain=plain, base=cfg["model"],
                                                  pretrain=bool(cfg.get("pretrain")), seed=cfg["seed"])
                       for label, (_, cfg, folder) in runs.items()})
        log(f"{task}: {', '.join(models)} on {len(examples)} test examples")
        result = analyse(models, examples, with_tsne=with_tsne, plain=plain, progress=progress)
        result.update(task=task, runs={label: run_id for label, (run_id, _, _) in runs.items()},
                      base_model=first_cfg["model"])
        out = analysis_dir(results, task)
        out.mkdir(parents=True, exist_ok=True)
        store.write_json_atomic(out / JSON_FILE, result)
        written.append(out / JSON_FILE)
    return written


def read_analyses(results: Path) -> dict[str, dict]:
    """task -> the representation.json written by `represent` (none: an empty dict)."""
    root = Path(results) / store.ANALYSIS / REPRESENTATION
    return {p.parent.name: store.read_json(p) for p in sorted(root.glob(f"*/{JSON_FILE}"))}
