"""`jepa-bench data fetch`: download the authors' data files, verified against pinned checksums.

The JSONL files come from rbalestr-lab/llm-jepa `datasets/`; the Spider sqlite databases (only with
`--spider`, ~200 MB) from the Git-LFS object `spider_data.zip` at that repository's root.

Every download streams to `<file>.partial` next to its destination and is moved into place with
`os.replace` only after its size and sha256 check out, so the data directory never holds a half-written
or unverified file: on any failure the `.partial` is deleted and one `FetchError` names the file, the
problem and what to do. Files fetched before a failure stay, since they were verified.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import urllib.error
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable

from tasks.upstream import FILES, Artifact

# The authors' repository at a pinned commit, not `main`: a later push cannot change a verified file's name.
UPSTREAM_COMMIT = "dd6196630f97016f7a607b0ac74f5e378ddf25db"
BASE_URL = f"https://raw.githubusercontent.com/rbalestr-lab/llm-jepa/{UPSTREAM_COMMIT}/datasets/"
# raw.githubusercontent.com would serve the ~130-byte LFS pointer, not the archive: LFS objects are
# served from media.githubusercontent.com.
SPIDER_URL = f"https://media.githubusercontent.com/media/rbalestr-lab/llm-jepa/{UPSTREAM_COMMIT}/spider_data.zip"
SPIDER_ZIP = "spider_data.zip"
SPIDER_DIR = "spider_db"  # extraction target under the data directory
CHUNK = 1 << 20  # 1 MiB: large enough to keep Python overhead negligible, small enough for a smooth bar
TIMEOUT_S = 60  # per socket operation; a stalled server should fail, not hang the command forever


class FetchError(RuntimeError):
    """A download or verification failed; the message names the file, the problem and what to do."""


# Sizes and sha256 of the upstream files (tasks/upstream.py), and the Spider databases archive.
MANIFEST: dict[str, Artifact] = {
    **FILES,
    # Size from the upstream LFS pointer. The sha256 is NOT pinned: the archive could not be downloaded
    # where this manifest was written (the LFS pointer's oid is the sha256; pin it here once verified).
    SPIDER_ZIP: Artifact(205_800_266, None),
}


def artifact(name: str) -> Artifact:
    """The manifest entry of a file; tests swap MANIFEST, so always look it up through here."""
    try:
        return MANIFEST[name]
    except KeyError:
        raise FetchError(f"{name}: not in the fetch manifest, so it cannot be verified") from None


# ---------------------------------------------------------------------------------------------------
# Which files


def jsonl_files(task_names: Iterable[str] | None = None) -> list[str]:
    """The data files of the named tasks (all registered tasks when None), in registry order."""
    from tasks import UnknownNameError, all_tasks, get_task

    try:
        chosen = all_tasks() if task_names is None else [get_task(n) for n in task_names]
    except UnknownNameError as e:
        raise FetchError(str(e)) from None
    names: list[str] = []
    for task in chosen:
        names += [f for f in task.files.values() if f not in names]
    return names


def plan(task_names: Iterable[str] | None = None) -> tuple[list[str], list[str]]:
    """(files of the tasks that the manifest pins, files it does not pin and so cannot verify)."""
    names = jsonl_files(task_names)
    return [n for n in names if n in MANIFEST], [n for n in names if n not in MANIFEST]


# ---------------------------------------------------------------------------------------------------
# Verification


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _problem_with_existing(path: Path, art: Artifact) -> str | None:
    """Why an existing file does not match the manifest, or None when it does."""
    size = path.stat().st_size
    if size != art.size:
        return f"size mismatch: expected {art.size} bytes, found {size}"
    if art.sha256 is not None and (got := _digest(path)) != art.sha256:
        return f"checksum mismatch: expected sha256 {art.sha256} got {got}"
    return None


# ---------------------------------------------------------------------------------------------------
# Downloading


def _open(url: str) -> http.client.HTTPResponse:
    """Open the URL; HTTP and network failures become one-phrase FetchError messages (no file named yet)."""
    # A fresh opener reads the proxy settings of the environment now, not when urlopen was first used.
    opener = urllib.request.build_opener()
    opener.addheaders = [("User-Agent", "llm-jepa-bench-fetch")]
    try:
        return opener.open(url, timeout=TIMEOUT_S)
    except urllib.error.HTTPError as e:
        raise FetchError(f"HTTP {e.code} {e.reason} for {url}") from None
    except urllib.error.URLError as e:
        if isinstance(e.reason, FileNotFoundError):  # a file:// URL (a local mirror) naming a missing file
            raise FetchError(f"not found: {url}") from None
        raise FetchError(f"network unreachable ({e.reason}) for {url}") from None
    except (OSError, http.client.HTTPException) as e:  # timeout, reset, TLS failure, bad status line
        raise FetchError(f"network error ({str(e) or type(e).__name__}) for {url}") from None


def _stream(response, out, expected: int, desc: str, progress: bool) -> tuple[int, str]:
    """Copy the body to `out` chunk by chunk; returns (bytes received, sha256). Stops at EOF."""
    from tqdm import tqdm

    h = hashlib.sha256()
    got = 0
    with tqdm(total=expected, unit="B", unit_scale=True, unit_divisor=1024, desc=desc,
              disable=not progress, leave=False) as bar:
        while True:
            try:
                chunk = response.read(CHUNK)
            except http.client.IncompleteRead as e:  # newer Pythons raise here instead of returning b""
                chunk, short = e.partial, True
            except (OSError, http.client.HTTPException) as e:  # reset, timeout, TLS error: a network problem
                why = str(e) or type(e).__name__
                raise FetchError(f"connection lost while downloading after {got} bytes ({why})") from None
            else:
                short = False
            if chunk:
                out.write(chunk)
                h.update(chunk)
                got += len(chunk)
                bar.update(len(chunk))
            if short or not chunk:
                return got, h.hexdigest()


def _download_to(url: str, partial: Path, art: Artifact, desc: str, progress: bool) -> str:
    """Download into `partial` and check it against `art`; returns the sha256. Raises FetchError."""
    with _open(url) as response:
        length = response.headers.get("Content-Length")
        declared = int(length) if length and length.isdigit() else None
        if declared is not None and declared != art.size:
            # Caught before downloading: e.g. an HTML error page or a Git-LFS pointer instead of the file.
            raise FetchError(f"size mismatch: the server sends {declared} bytes, the manifest expects {art.size}")
        with partial.open("wb") as out:  # a local OSError here (disk full, ...) is reported by download()
            got, sha = _stream(response, out, art.size, desc, progress)
    expected = declared if declared is not None else art.size
    if got < expected:
        raise FetchError(f"truncated download: got {got} of {expected} bytes")
    if got != art.size:
        raise FetchError(f"size mismatch: got {got} bytes, the manifest expects {art.size}")
    if art.sha256 is not None and sha != art.sha256:
        raise FetchError(f"checksum mismatch: expected sha256 {art.sha256} got {sha}")
    return sha


def download(url: str, dest: Path, art: Artifact, progress: bool, advice: str) -> str:
    """Fetch `url` to `dest` atomically and verified; returns the sha256 of what was written.

    On any failure (including Ctrl-C) the `.partial` is removed and nothing is left at `dest`; a
    FetchError carries "<file>: <problem>; <advice>" so the CLI can print it as one line.
    """
    partial = dest.with_name(dest.name + ".partial")
    try:
        sha = _download_to(url, partial, art, dest.name, progress)
        os.replace(partial, dest)
        return sha
    except FetchError as e:
        raise FetchError(f"{dest.name}: {e}; {advice}") from None
    except OSError as e:  # disk full, permission denied, ... while writing locally
        raise FetchError(f"{dest.name}: cannot write {partial} ({e}); check free space and permissions") from None
    finally:
        partial.unlink(missing_ok=True)  # after os.replace there is nothing left to remove


def _ensure(url: str, dest: Path, force: bool, progress: bool, advice: str, log: Callable[[str], None]) -> Path:
    """Keep a verified existing file, refuse a mismatching one (unless force), else download it."""
    art = artifact(dest.name)
    if dest.exists():
        problem = _problem_with_existing(dest, art)
        if problem is None:
            pinned = "" if art.sha256 else "; size verified, checksum not pinned"
            log(f"{dest.name}: ok (already present{pinned})")
            return dest
        if not force:
            raise FetchError(f"{dest.name}: already present in {dest.parent} but {problem}; "
                             "pass --force to re-download it, or remove it")
    sha = download(url, dest, art, progress, advice)
    if art.sha256 is None:
        log(f"{dest.name}: downloaded, size verified; checksum not pinned (sha256 {sha})")
    else:
        log(f"{dest.name}: downloaded, sha256 verified")
    return dest


def _make_dir(data_dir: str | os.PathLike) -> Path:
    root = Path(data_dir)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise FetchError(f"cannot create the data directory {root} ({e}); pass a writable --data-dir") from None
    return root


def fetch(names: Iterable[str], data_dir: str | os.PathLike, base_url: str = BASE_URL, force: bool = False,
          progress: bool = True, log: Callable[[str], None] = print) -> list[Path]:
    """Make each named file present and verified in `data_dir`; returns their paths.

    Stops at the first failure with a FetchError; files completed before it stay (they are verified), and a
    data directory this call created is removed again if it is still empty.
    """
    names = list(names)
    for name in names:
        artifact(name)  # an unknown name fails before anything is downloaded
    created = not Path(data_dir).exists()
    root = _make_dir(data_dir)
    advice = f"retry, check --base-url, or copy the files by hand into {root}"
    prefix = base_url if base_url.endswith("/") else base_url + "/"
    try:
        return [_ensure(prefix + name, root / name, force, progress, advice, log) for name in names]
    except BaseException:
        if created and root.is_dir() and not any(root.iterdir()):
            root.rmdir()  # leave nothing behind
        raise


def ensure_task_files(task_names: Iterable[str], data_dir: str | os.PathLike | None = None, *, base_url: str = BASE_URL,
                      progress: bool = True, log: Callable[[str], None] = print) -> list[str]:
    """Fetch whichever of the tasks' files are missing from the data directory (the main job's first step on
    a fresh machine); returns the names fetched. Offline, one FetchError says how to get them."""
    from tasks import resolve_data_dir

    root = resolve_data_dir(data_dir)
    wanted, unpinned = plan(task_names)
    missing = [n for n in wanted + unpinned if not (root / n).is_file()]
    if not missing:
        return []
    pinned = [n for n in missing if n in MANIFEST]
    if len(pinned) < len(missing):
        raise FetchError(f"{', '.join(n for n in missing if n not in pinned)} missing from {root} and not in the "
                         "fetch manifest: copy them there by hand, or pass --data-dir")
    log(f"fetching {', '.join(pinned)} into {root} (the authors' repository at {UPSTREAM_COMMIT[:12]})")
    try:
        fetch(pinned, root, base_url, progress=progress, log=log)
    except FetchError as e:
        raise FetchError(f"the data files are missing and could not be downloaded ({e}); run "
                         f"`jepa-bench data fetch --tasks {','.join(task_names)}` where GitHub is reachable, or "
                         "point --data-dir (or $JEPA_BENCH_DATA_DIR) at a folder holding them") from None
    return pinned


# ---------------------------------------------------------------------------------------------------
# Spider databases


def _check_members(zf: zipfile.ZipFile, archive: str) -> None:
    """Refuse absolute or `..` member paths (zip-slip) before anything is extracted."""
    for name in zf.namelist():
        p = PurePosixPath(name.replace("\\", "/"))  # a Windows-made zip may use backslashes
        if p.is_absolute() or ".." in p.parts or (p.parts and p.parts[0].endswith(":")):
            raise FetchError(f"{archive}: unsafe member path {name!r} (absolute or '..'); refusing to extract it")


def extract_zip(archive: Path, target: Path) -> None:
    """Extract `archive` into `target` all-or-nothing: via `<target>.partial`, then one rename."""
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)  # leftovers of an interrupted run
    try:
        with zipfile.ZipFile(archive) as zf:
            _check_members(zf, archive.name)
            zf.extractall(partial)
        shutil.rmtree(target, ignore_errors=True)
        os.replace(partial, target)
    except zipfile.BadZipFile as e:
        raise FetchError(f"{archive.name}: not a valid zip archive ({e}); delete it and fetch again") from None
    except OSError as e:
        raise FetchError(f"{archive.name}: cannot extract into {target} ({e}); "
                         "check free space and permissions") from None
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def _databases_in(folder: Path) -> int:
    """How many `<db>/<db>.sqlite` children the folder has."""
    return sum(1 for c in folder.iterdir() if c.is_dir() and (c / f"{c.name}.sqlite").is_file())


def locate_databases(root: Path) -> Path | None:
    """The folder under `root` whose children are `<db_id>/<db_id>.sqlite`, or None.

    Spider's archive has two such folders: `database/` (train + dev, which the authors' re-split uses)
    and `test_database/`; `database` is preferred, then the folder with the most databases.
    """
    candidates = [(d, n) for d in [root, *sorted(p for p in root.rglob("*") if p.is_dir())]
                  if "__MACOSX" not in d.parts and (n := _databases_in(d))]
    if not candidates:
        return None
    return max(candidates, key=lambda dn: (dn[0].name == "database", dn[1], -len(dn[0].parts)))[0]


def fetch_spider(data_dir: str | os.PathLike, url: str = SPIDER_URL, force: bool = False, progress: bool = True,
                 log: Callable[[str], None] = print) -> Path:
    """Download and extract the Spider databases into `<data_dir>/spider_db/`; returns the database folder."""
    root = _make_dir(data_dir)
    target = root / SPIDER_DIR
    found = locate_databases(target) if target.is_dir() and not force else None
    if found is None:
        advice = ("retry, check --spider-url, or download Spider's archive by hand and pass "
                  "its database/ folder as --spider-db-dir")
        archive = _ensure(url, root / SPIDER_ZIP, force, progress, advice, log)
        extract_zip(archive, target)
        found = locate_databases(target)
        if found is None:
            raise FetchError(f"{SPIDER_ZIP}: extracted into {target} but no <db_id>/<db_id>.sqlite folder found; "
                             "check that --spider-url points at Spider's archive")
    log(f"Spider databases ready: pass --spider-db-dir {found}")
    return found


# ---------------------------------------------------------------------------------------------------
# Command line
