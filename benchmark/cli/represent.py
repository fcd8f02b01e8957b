"""`jepa-bench represent RESULTS`: the paper's representation analyses, written into the results tree."""
from __future__ import annotations

HELP = "analyse Enc(Text) vs Enc(Code) of a tree's saved models (Fig. 3 left, Table 14, Fig. 4)"


def register(sub) -> None:
    r = sub.add_parser("represent", help=HELP, description=HELP + ". Writes RESULTS/analysis/representation/"
                       "<task>/representation.json; `jepa-bench report` then shows it.")
    r.add_argument("results", help="a results tree whose runs saved their models (save_model: true)")
    r.add_argument("--examples", type=int, default=200, help="first N test examples (default: 200)")
    r.add_argument("--tsne", action="store_true", help="also t-SNE points (needs scikit-learn)")
    r.add_argument("--ridge", default="cv",
                   help='ridge of the linear map Text -> Code: "cv" (default: chosen by 5-fold cross-validation on '
                        'the rows that fit it) or a number >= 0 (0: plain least squares)')
    r.add_argument("--all-seeds", action="store_true",
                   help="analyse every seed that kept its model, not only the first (the report and the claims "
                        "ledger then pair each method with regular by seed)")
    r.add_argument("--fresh", action="store_true",
                   help="analyse every saved model again and replace the earlier analysis (default: add the models "
                        "it does not cover yet to it, keeping what it holds of runs whose models are gone)")
    r.add_argument("--no-progress", action="store_true", help="no progress bars")
    r.set_defaults(handler=run)


def run(ns) -> int:
    from benchmark.runs.represent import represent
    from benchmark.training.config import ConfigError

    if ns.examples < 2:
        raise ConfigError(f"--examples must be >= 2, got {ns.examples}")
    ridge = parse_ridge(ns.ridge)
    for path in represent(ns.results, n_examples=ns.examples, with_tsne=ns.tsne, all_seeds=ns.all_seeds,
                          fresh=ns.fresh, ridge=ridge, progress=not ns.no_progress):
        print(f"written {path}")
    return 0


def parse_ridge(text: str) -> float | str:
    """--ridge: "cv" or a number, checked by the rule `linear_map_error` applies, else a ConfigError."""
    from benchmark.evaluation.representation import check_ridge
    from benchmark.training.config import ConfigError

    value = text.strip().lower()
    try:
        value = value if value == "cv" else float(value)
        check_ridge(value)
    except ValueError:
        raise ConfigError(f'--ridge must be "cv" or a finite number >= 0, got {text!r}') from None
    return value
