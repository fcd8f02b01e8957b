"""`jepa-bench tasks`: the registered tasks, their data files and metrics."""
from __future__ import annotations

HELP = "list the registered tasks and whether their data is present"


def register(sub) -> None:
    ls = sub.add_parser("tasks", help=HELP, description=HELP)
    ls.add_argument("--data-dir", default=None, help="folder of the upstream JSONL files")
    ls.set_defaults(handler=run)


def _count_rows(path) -> int:
    with open(path, "rb") as f:
        return sum(1 for line in f if line.strip())


def run(ns) -> int:
    from tasks import all_tasks, resolve_data_dir, task_data_dir

    root = resolve_data_dir(ns.data_dir)
    print(f"data directory: {root}{'' if root.is_dir() else '  (missing: jepa-bench data fetch, or --data-dir)'}")
    print(f"{'task':<16} {'ver':>3}  {'rows per split (- = file missing)':<30} {'metrics (main first, * = paper parity)':<40} notes")
    for t in all_tasks():
        here = task_data_dir(t, ns.data_dir)
        sizes = ", ".join(f"{s} {_count_rows(here / f) if (here / f).is_file() else '-'}" for s, f in t.files.items())
        if here != root:  # a task with a folder of its own says where
            sizes += f" (in {here})"
        ordered = sorted(t.metrics, key=lambda m: m.name != t.main_metric)
        metrics = ", ".join(m.name + ("*" if m.parity else "") for m in ordered) or "(views only)"
        print(f"{t.name:<16} {t.version:>3}  {sizes:<30} {metrics:<40} {t.notes}")
    return 0
