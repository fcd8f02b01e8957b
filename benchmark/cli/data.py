"""`jepa-bench data fetch`: download and verify the authors' data files."""
from __future__ import annotations

HELP = "manage the data files"


def register(sub) -> None:
    from benchmark.data.fetch import BASE_URL, SPIDER_URL

    data = sub.add_parser("data", help=HELP, description=HELP)
    data_sub = data.add_subparsers(dest="data_command", required=True)
    f = data_sub.add_parser("fetch", help="download and verify the authors' data files",
                            description="Download the authors' JSONL files (and with --spider the Spider "
                                        "databases), each verified by size and sha256 before it is moved in.")
    f.add_argument("--data-dir", default=None, help="destination (default: $JEPA_BENCH_DATA_DIR, else ./data)")
    f.add_argument("--tasks", default=None, help="comma-separated task names (default: every registered task)")
    f.add_argument("--spider", action="store_true", help="also fetch the Spider sqlite databases (~200 MB)")
    f.add_argument("--base-url", default=BASE_URL, help="where the JSONL files are; file:// URLs work too "
                                                        f"(default: {BASE_URL})")
    f.add_argument("--spider-url", default=SPIDER_URL, help=f"where spider_data.zip is (default: {SPIDER_URL})")
    f.add_argument("--force", action="store_true", help="re-download files whose checksum does not match")
    f.add_argument("--from-hub", action="store_true", help="build the tasks' files through Hugging Face datasets "
                                                           "(tasks that declare a hub source: rotten_tomatoes, gsm8k, nq_open)")
    f.add_argument("--hub-path", default=None, help="with --from-hub: a local copy (a save_to_disk folder or "
                                                    "parquet files) instead of the hub")
    f.add_argument("--no-progress", action="store_true", help="no progress bar")
    f.set_defaults(handler=run_fetch)


def run_fetch(ns) -> int:
    from benchmark.cli.flags import comma_list
    from benchmark.data.fetch import FetchError, fetch, fetch_spider, plan
    from tasks import resolve_data_dir

    tasks = comma_list(ns.tasks)
    root = resolve_data_dir(ns.data_dir)
    if ns.from_hub:
        from benchmark.data.hub import build_from_hub

        if not tasks:
            raise FetchError("--from-hub needs --tasks (e.g. --tasks rotten_tomatoes)")
        for name in tasks:
            build_from_hub(name, root, local=ns.hub_path, force=ns.force)
        return 0
    wanted, unpinned = plan(tasks)
    hand = f"not in the fetch manifest (no pinned checksum); copy it by hand into {root}"
    if unpinned and tasks is not None:  # asked for by name: refuse rather than fetch it unverified
        raise FetchError(f"{', '.join(unpinned)}: {hand}")
    for name in unpinned:  # a task registered after the manifest was written: say so, fetch the rest
        print(f"{name}: skipped, {hand}")
    fetch(wanted, root, ns.base_url, ns.force, not ns.no_progress)
    if ns.spider:
        fetch_spider(root, ns.spider_url, ns.force, not ns.no_progress)
    return 0
