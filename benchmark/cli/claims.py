"""`jepa-bench claims`: render the claims ledger (reports/claims.md and .csv) from the committed results."""
from __future__ import annotations

HELP = "the claims ledger: every claim of the paper, its specs, our verdict and its power"


def register(sub) -> None:
    c = sub.add_parser("claims", help=HELP, description=HELP + ". Reads paper/claims.yaml and the results "
                       "trees it names (relative to --root).")
    c.add_argument("--out", default="reports", help="folder for claims.md and claims.csv (default: reports)")
    c.add_argument("--root", default=".", help="the folder the results trees are named from (default: .)")
    c.add_argument("--claims", default=None, help="the claims data file (default: paper/claims.yaml)")
    c.set_defaults(handler=run)


def run(ns) -> int:
    from benchmark.analysis.claims import CLAIMS_FILE
    from benchmark.analysis.ledger import build_ledger_and_readme

    from pathlib import Path

    readme = Path(ns.root) / "README.md"
    path = build_ledger_and_readme(ns.out, claims_file=ns.claims or CLAIMS_FILE, root=ns.root,
                                   readme=readme if readme.is_file() and not ns.claims else None)
    print(f"claims ledger written to {path}" + (f"; its table in {readme}" if readme.is_file() and not ns.claims
                                                 else ""))
    return 0
