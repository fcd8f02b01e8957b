"""`jepa-bench represent`: the paper's representation analyses of a results tree's saved models, written
into the tree (RESULTS/analysis/representation/<task>/representation.json) so that reports only read files.

Per task: the base model and one saved model per method (the first seed, in seed order, whose run kept its
model: `save_model: true`), all encoded on the same first N test examples (evaluation/representation.py:
singular values of Enc(Text) − Enc(Code), paper Fig. 3 left; the held-out linear map Text → Code,
Table 14; optional t-SNE, Fig. 4). With `all_seeds`, every other seed that kept its model is analysed too
(one model in memory at a time), so that analysis/representation.py can pair each method with regular by seed.
A later call adds the models it has not analysed yet to the earlier analysis (`represent`).
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
              fresh: bool = False, ridge: float | str = "cv", progress: bool = True, log=print) -> list[Path]:
    """Analyse every task of the tree; returns the JSON files written.

    The figures and the per-model table use the first seed of each method that kept its model (the paper
    analyses one model per row). `seeds` in the JSON lists the singular values' mean and the linear map of
    every seed analysed: the first only, or with `all_seeds` every seed that kept its model, which the paired
    test of the representation table needs (analysis/representation.py).

    An earlier analysis of the tree is added to, not replaced: what it holds stays (its models need not be here
    any more: kept weights are not committed, so a sweep spread over several machines analyses each batch of
    runs where it ran), and only models it does not cover are analysed. Entries of runs no longer in the tree
    are dropped. `fresh` analyses every saved model again and replaces it. An earlier analysis on another
    number of examples or another ridge (or without t-SNE when t-SNE is asked for) cannot be added to: it is
    replaced when every model it covers is here, else refused before any model loads."""
    from benchmark.evaluation.representation import analyse
    from benchmark.training.chat import template_variables
    from benchmark.training.models import load_for_evaluation
    from tasks import get_task, load_split

    results = Path(results)
    store.check_schema(results)
    chosen = saved_models(results)
    if not chosen:
        raise store.StoreError(f"no run under {results} kept its model: sweep with `save_model: true` "
                               "(or `train --save-model`) to analyse representations")
    in_tree = {store.read_summary(d)["run_id"] for d in store.run_dirs(results)}
    earlier = {task: None if fresh else _earlier(analysis_dir(results, task) / JSON_FILE, in_tree, runs,
                                                 n_examples=n_examples, with_tsne=with_tsne, ridge=ridge, log=log)
               for task, runs in sorted(chosen.items())}  # every refusal before any model loads

    def load(cfg: dict, folder: Path):
        return load_for_evaluation(str(folder), plain=cfg.get("plain", False), base=cfg["model"],
                                   pretrain=bool(cfg.get("pretrain")), seed=cfg["seed"])

    written = []
    for task, runs in sorted(chosen.items()):
        prev = earlier[task]
        out = analysis_dir(results, task)
        first = {label: seeds[0] for label, seeds in runs.items() if prev is None or label not in prev["runs"]}
        seeds = {label: dict(entries) for label, entries in (prev or {}).get("seeds", {}).items()}
        firsts = {run_id for run_id, _, _ in first.values()}
        later = [(label, run) for label, every in runs.items() for run in every
                 if run[0] not in firsts and str(run[1]["seed"]) not in seeds.get(label, {})] if all_seeds else []
        need_base = prev is None or "base" not in prev["models"]
        if not first and not later and not need_base:
            log(f"{task}: every saved model is already in {out / JSON_FILE} (--fresh to analyse them again)")
            if prev != store.read_json(out / JSON_FILE):  # entries of runs no longer in the tree dropped
                store.write_json_atomic(out / JSON_FILE, prev)
            written.append(out / JSON_FILE)
            continue
        first_cfg = next(iter(runs.values()))[0][1]
        # test rows drawn as the runs drew their training rows (a random subset where the file is sorted by label)
        examples = load_split(get_task(task), "test", first_cfg.get("data_dir"), n_examples,
                              subset=first_cfg.get("train_subset", "head"))
        plain = first_cfg.get("plain", False)
        models = {"base": load_for_evaluation(first_cfg["model"], plain=plain,
                                              template_variables=template_variables(first_cfg))} if need_base else {}
        models.update({label: load(cfg, folder) for label, (_, cfg, folder) in first.items()})
        log(f"{task}: {', '.join(models) or 'no new first model'} on {len(examples)} test examples"
            + (f" (adding to the earlier analysis of {', '.join(prev['runs'])})" if prev else ""))
        result = analyse(models, examples, with_tsne=with_tsne, plain=plain, ridge=ridge,
                         progress=progress) if models else {}
        del models
        if prev is not None:
            result = {**prev, "models": {**prev["models"], **result.get("models", {})}}
        for label, (run_id, cfg, _) in first.items():
            seeds.setdefault(label, {})[str(cfg["seed"])] = _seed_entry(run_id, cfg, result["models"][label])
        for label, (run_id, cfg, folder) in later:
            log(f"{task}: {label} seed {cfg['seed']}")
            one = analyse({label: load(cfg, folder)}, examples, plain=plain, ridge=ridge,
                          progress=progress)  # one model in memory
            seeds.setdefault(label, {})[str(cfg["seed"])] = _seed_entry(run_id, cfg, one["models"][label])
        result.update(task=task, runs={**(prev or {}).get("runs", {}),
                                       **{label: run_id for label, (run_id, _, _) in first.items()}},
                      base_model=first_cfg["model"], seeds=seeds)
        out.mkdir(parents=True, exist_ok=True)
        store.write_json_atomic(out / JSON_FILE, result)
        written.append(out / JSON_FILE)
    return written


def _earlier(path: Path, in_tree: set[str], runs: dict, *, n_examples: int, with_tsne: bool, ridge, log) -> dict | None:
    """The earlier analysis at `path` to add to, without the entries of runs no longer in the tree; None when
    there is none, or when it must be replaced (another number of examples or ridge, or no t-SNE where asked for)
    and every model it covers is here. A StoreError when it cannot be added to and its models are gone."""
    if not path.is_file():
        return None
    prev = store.read_json(path)
    kept_runs = {label: run_id for label, run_id in prev.get("runs", {}).items() if run_id in in_tree}
    prev = {**prev, "runs": kept_runs,
            "models": {label: m for label, m in prev.get("models", {}).items() if label == "base" or label in kept_runs},
            "seeds": {label: kept for label, entries in prev.get("seeds", {}).items()
                      if (kept := {s: e for s, e in entries.items() if e.get("run") in in_tree})}}
    prev_ridge = prev.get("ridge", 0.0)  # analyses made before the ridge was recorded used plain least squares
    differs = [] if prev.get("n_examples") == n_examples else [f"{prev.get('n_examples')} examples, not {n_examples}"]
    if prev_ridge != ridge:
        differs.append(f"ridge {prev_ridge}, not {ridge}")
    if with_tsne and any("tsne" not in m for m in prev["models"].values()):
        differs.append("no t-SNE")
    if not differs:
        return prev
    here = {run_id for every in runs.values() for run_id, _, _ in every}
    covered = set(prev["runs"].values()) | {e["run"] for entries in prev["seeds"].values() for e in entries.values()}
    gone = sorted(covered - here)
    if gone:
        raise store.StoreError(
            f"{path} was made with {' and '.join(differs)} and covers {len(gone)} run(s) whose models are no longer "
            f"here ({', '.join(gone[:4])}{', ...' if len(gone) > 4 else ''}): rerun with --examples "
            f"{prev.get('n_examples')} --ridge {prev_ridge}"
            f"{'' if with_tsne is False or 'no t-SNE' not in differs else ' without --tsne'} "
            f"to add to it, or pass --fresh to replace it (their analysis is then lost)")
    log(f"{path}: made with {' and '.join(differs)}; every model it covers is here, so it is analysed again")
    return None


def read_analyses(results: Path) -> dict[str, dict]:
    """task -> the representation.json written by `represent` (none: an empty dict)."""
    root = Path(results) / store.ANALYSIS / REPRESENTATION
    return {p.parent.name: store.read_json(p) for p in sorted(root.glob(f"*/{JSON_FILE}"))}
