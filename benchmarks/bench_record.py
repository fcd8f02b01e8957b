"""What the benchmark scripts share: their peak memory and the JSON record that summarize_performance.py
reads (run as `python benchmarks/X.py`, so this folder is on sys.path)."""
from __future__ import annotations

import json
import resource
from pathlib import Path


def peak_rss_gb() -> float:
    """Peak resident memory of this process; Linux reports ru_maxrss in KiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def write_record(path: str | Path, record: dict) -> None:
    """Write one script's figures, with its peak memory, as JSON."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**record, "peak_rss_gb": peak_rss_gb()}, indent=1) + "\n")
