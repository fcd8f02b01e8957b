"""`jepa-bench represent`: the paper's representation analyses of a results tree's saved models, written
into the tree (RESULTS/analysis/representation/<task>/representation.json) so that reports only read files.

Per task: the base model and one saved model per method (the first seed, in seed order, whose run kept its
model: `save_model: true`), all encoded on the same first N test examples (evaluation/representation.py:
singular values of Enc(Text) − Enc(Code), paper Fig. 3 left; the held-out linear map Text → Code,
Table 14; optional t-SNE, Fig. 4). With `all_seeds`, every other seed that kept its model is analysed too
(one model in memory at a time), so that analysis/representation.py can pair each method with regular by seed.
"""
from __future__ import annotations

from pathlib import Path

from benchmark import store

REPRESENTATION = "representation"  # RESULTS/analysis/representation/<task>/
JSON_FILE = "representation.json"


def analysis_dir(results: Path, task: str) -> Path:
    return Path(results) / store.ANALYSIS / REPRESENTATION / task


def saved_models(results: Path) -> dict[str, dict[str, list[tuple[str, dict, Path]]]]:
    """task -> {method label (with k for objectives that use [PRED] tokens): every (run id, config, model
    folder) whose run kept its model, in seed order} (Table 14 compares LLM-JEPA k = 0 and k = 1)."""
    from benchmark.training.objectives import get_objective

    chosen: dict[str, dict[str, list[tuple[str, dict, Path]]]] = {}
    summaries = [(d, store.read_summary(d)) for d in store.run_dirs(results)]
    for d, s in sorted(summaries, key=lambda ds: (ds[1]["config"]["seed"], ds[1]["run_id"])):
        cfg = s["config"]
        if (d / store.MODEL).is_dir():
            chosen.setdefault(cfg["task"], {}).setdefault(_label(cfg, get_objective(cfg["objective"])), []).append(
                (s["run_id"], cfg, d / store.MODEL))
    return chosen


def _label(cfg: dict, objective) -> str:
    return objective.method_label(cfg) + (f" k={cfg['predictors']}" if objective.needs_views else "")


def _seed_entry(run_id: str, cfg: dict, analysed: dict) -> dict:
    """What the paired table (analysis/representation.py) needs of one seed's analysis."""
    from benchmark.training.objectives import BASELINE, get_objective

    objective = get_objective(cfg["objective"])
    return {"run": run_id, "seed": cfg["seed"], "model": cfg["model"], "method": objective.method_label(cfg),
            "k": cfg["predictors"] if objective.needs_views else None,
            "lambda": None if cfg["objective"] == BASELINE else cfg.get("lbd"),
            "mean_top": analysed["mean_top"], "linear_map": analysed["linear_map"]}


def represent(results: str | Path, *, n_examples: int, with_tsne: bool = False, all_seeds: bool = False,
              progress: bool = True, log=print) -> list[Path]:
    """Analyse every task of the tree; returns the JSON files written.

    The figures and the per-model table use the first seed of each method that kept its model (the paper
    analyses one model per row). `seeds` in the JSON lists the singular values' mean and the linear map of
    every seed analysed: the first only, or with `all_seeds` every seed that kept its model, which the paired
    test of the representation table needs (analysis/representation.py)."""
    from benchmark.evaluation.representation import analyse
    from benchmark.training.models import load_for_evaluation
    from tasks import get_task, load_split

    results = Path(results)
    store.check_schema(results)
    chosen = saved_models(results)
    if not chosen:
        raise store.StoreError(f"no run under {results} kept its model: sweep with `save_model: true` "
                               "(or `train --save-model`) to analyse representations")

    def load(cfg: dict, folder: Path):
        return load_for_evaluation(str(folder), plain=cfg.get("plain", False), base=cfg["model"],
                                   pretrain=bool(cfg.get("pretrain")), seed=cfg["seed"])

    written = []
    for task, runs in sorted(chosen.items()):
        first = {label: seeds[0] for label, seeds in runs.items()}
        first_cfg = next(iter(first.values()))[1]
        # test rows drawn as the runs drew their training rows (a random subset where the file is sorted by label)
        examples = load_split(get_task(task), "test", first_cfg.get("data_dir"), n_examples,
                              subset=first_cfg.get("train_subset", "head"))
        plain = first_cfg.get("plain", False)
        models = {"base": load_for_evaluation(first_cfg["model"], plain=plain)}
        models.update({label: load(cfg, folder) for label, (_, cfg, folder) in first.items()})
        log(f"{task}: {', '.join(models)} on {len(examples)} test examples")
        result = analyse(models, examples, with_tsne=with_tsne, plain=plain, progress=progress)
        del models
        seeds = {label: {str(run[1]["seed"]): _seed_entry(run[0], run[1], result["models"][label])}
                 for label, run in first.items()}
        later = [(label, run) for label, every in runs.items() for run in every[1:]] if all_seeds else []
        for label, (run_id, cfg, folder) in later:
            log(f"{task}: {label} seed {cfg['seed']}")
            one = analyse({label: load(cfg, folder)}, examples, plain=plain, progress=progress)  # one model in memory
            seeds[label][str(cfg["seed"])] = _seed_entry(run_id, cfg, one["models"][label])
        result.update(task=task, runs={label: run_id for label, (run_id, _, _) in first.items()},
                      base_model=first_cfg["model"], seeds=seeds)
        out = analysis_dir(results, task)
        out.mkdir(parents=True, exist_ok=True)
        store.write_json_atomic(out / JSON_FILE, result)
        written.append(out / JSON_FILE)
    return written


def read_analyses(results: Path) -> dict[str, dict]:
    """task -> the representation.json written by `represent` (none: an empty dict)."""
    root = Path(results) / store.ANALYSIS / REPRESENTATION
    return {p.parent.name: store.read_json(p) for p in sorted(root.glob(f"*/{JSON_FILE}"))}
