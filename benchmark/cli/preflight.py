"""`jepa-bench preflight SPEC`: every distinct arm of a spec on its family's stand-in, on CPU, and its GPU cost."""
from __future__ import annotations

import argparse

HELP = "run every distinct arm of a sweep spec for two steps on its model family's stand-in (CPU, offline), " \
       "and estimate what the full runs cost on GPUs"
EPILOG = """examples:
  jepa-bench preflight configs/paper/table3_synth_llama1b.yaml
  jepa-bench preflight configs/paper/table12_families_synth.yaml --gpu A100 --utilisation 0.3

Exit code 0 when every arm ran; 1 when an arm failed or cannot run here (each row says why and what to provide)."""


def register(sub) -> None:
    from benchmark.runs.cost import DEFAULT_GPU, DEFAULT_UTILISATION, GPU_PEAK_BF16

    p = sub.add_parser("preflight", help=HELP, description=HELP + ".", epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("spec", help="a sweep YAML file, e.g. configs/paper/table3_synth_llama1b.yaml")
    p.add_argument("--gpu", choices=sorted(GPU_PEAK_BF16), default=DEFAULT_GPU,
                   help=f"GPU of the cost estimate (its dense bf16 peak; default {DEFAULT_GPU})")
    p.add_argument("--utilisation", type=float, default=DEFAULT_UTILISATION,
                   help=f"share of that peak a run sustains, in (0, 1] (default {DEFAULT_UTILISATION})")
    p.add_argument("--distinct-paths", action="store_true",
                   help="run one arm per code path: arms that differ only in a number that takes no other path "
                        "(lr, a nonzero lambda or gamma, a FLOP budget's size, ...) share its run (each keeps its "
                        "cost row); faster on (k, lambda) grids")
    p.add_argument("--only", action="append", default=[], metavar="FIELD=VALUE",
                   help="only the runs whose config has this value (as `sweep run --only`)")
    p.set_defaults(handler=run)


def run(ns) -> int:
    from benchmark.runs.preflight import cost_table, preflight
    from benchmark.runs.sweep import load_spec, select_runs
    from benchmark.training.options import ConfigError

    if not 0 < ns.utilisation <= 1:
        raise ConfigError(f"--utilisation must be in (0, 1], got {ns.utilisation}")
    sweep = select_runs(load_spec(ns.spec), ns.only)
    checks = preflight(sweep, gpu=ns.gpu, utilisation=ns.utilisation, distinct_paths=ns.distinct_paths)
    print()
    print("\n".join(cost_table(checks, gpu=ns.gpu, utilisation=ns.utilisation)))
    bad = [c for c in checks if c.status != "ok"]
    if bad:
        print(f"\n{len(bad)} of {len(checks)} arm(s) did not pass: see their rows")
    return 1 if bad else 0
