"""`jepa-bench data fetch` against a loopback HTTP server serving small fixtures (never the real data).

The module's MANIFEST is swapped for the fixtures' sizes and sha256, so every check the real fetch makes
(size, checksum, truncation, HTTP status, zip-slip) runs here offline in well under a second.
"""
from __future__ import annotations

import hashlib
import io
import socket
import sqlite3
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from benchmark.data import fetch as F
from benchmark.cli import main

REAL_MANIFEST = dict(F.MANIFEST)  # taken before the autouse fixture swaps it

# Named like real files so the CLI's `--tasks synth` resolves to them through the task registry.
FILES = {
    "synth_train.jsonl": b'{"messages": [{"role": "user", "content": "train"}]}\n' * 40,
    "synth_test.jsonl": b'{"messages": [{"role": "user", "content": "test"}]}\n' * 10,
}


def _artifact(body: bytes, pinned: bool = True) -> F.Artifact:
    return F.Artifact(len(body), hashlib.sha256(body).hexdigest() if pinned else None)


class _Handler(BaseHTTPRequestHandler):
    """Serves server.routes: path -> (body, declared Content-Length); unknown paths are 404."""

    def do_GET(self) -> None:
        route = self.server.routes.get(self.path)
        if route is None:
            self.send_error(404)
            return
        body, declared = route
        self.send_response(200)
        self.send_header("Content-Length", str(declared))
        self.end_headers()
        self.wfile.write(body)  # fewer bytes than declared + closing = a connection dropped mid-download
        self.close_connection = True

    def log_message(self, *args) -> None:  # keep pytest output clean
        pass


class Server:
    def __init__(self, httpd: ThreadingHTTPServer):
        self.httpd = httpd
        self.url = f"http://127.0.0.1:{httpd.server_address[1]}/"

    def serve(self, name: str, body: bytes, declared: int | None = None) -> None:
        self.httpd.routes["/" + name] = (body, len(body) if declared is None else declared)

    def remove(self, name: str) -> None:
        self.httpd.routes.pop("/" + name, None)


@pytest.fixture
def server(monkeypatch):
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)  # loopback must never go through a proxy
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.routes = {}
    # a short poll interval: shutdown() waits for one poll, 0.5 s by default, per test
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    srv = Server(httpd)
    for name, body in FILES.items():
        srv.serve(name, body)
    yield srv
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def manifest(monkeypatch) -> dict[str, F.Artifact]:
    table = {name: _artifact(body) for name, body in FILES.items()}
    monkeypatch.setattr(F, "MANIFEST", table)
    return table


def _leftovers(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir()) if d.exists() else []


# ---------------------------------------------------------------------------------------------------
# The real manifest


UPSTREAM = [f"{t}_{s}.jsonl" for t in ("synth", "turk", "gsm8k", "spider", "rotten_tomatoes", "nq_open")
            for s in ("train", "test")] + ["yelp_test.jsonl", "hellaswag_test.jsonl"]


def test_real_manifest_pins_every_upstream_file():
    assert set(REAL_MANIFEST) == set(UPSTREAM) | {F.SPIDER_ZIP}
    assert set(UPSTREAM) <= set(F.jsonl_files())  # the names agree with the task registry
    for name in UPSTREAM:
        art = REAL_MANIFEST[name]
        assert art.size > 0 and len(art.sha256) == 64 and int(art.sha256, 16) >= 0
    assert REAL_MANIFEST[F.SPIDER_ZIP] == F.Artifact(205_800_266, None)


# ---------------------------------------------------------------------------------------------------
# JSONL files


def test_fetch_writes_verified_files_and_skips_them_next_time(server, tmp_path, capsys):
    d = tmp_path / "data"
    paths = F.fetch(list(FILES), d, server.url, progress=False)
    assert [p.read_bytes() for p in paths] == list(FILES.values())
    assert _leftovers(d) == sorted(FILES)  # no .partial
    assert capsys.readouterr().out.count("sha256 verified") == 2

    for name in FILES:
        server.remove(name)  # a second run must not download anything
    F.fetch(list(FILES), d, server.url, progress=False)
    assert capsys.readouterr().out.count("ok (already present)") == 2


def test_truncated_download_leaves_nothing(server, tmp_path):
    name, body = "synth_train.jsonl", FILES["synth_train.jsonl"]
    server.serve(name, body[:100], declared=len(body))
    with pytest.raises(F.FetchError, match=rf"{name}: truncated download: got 100 of {len(body)} bytes; retry"):
        F.fetch([name], tmp_path, server.url, progress=False)
    assert _leftovers(tmp_path) == []


def test_checksum_mismatch_leaves_nothing(server, tmp_path):
    name, body = "synth_test.jsonl", FILES["synth_test.jsonl"]
    server.serve(name, body.replace(b"test", b"TEST"))  # same length, other bytes
    with pytest.raises(F.FetchError, match=rf"{name}: checksum mismatch: expected sha256 [0-9a-f]{{64}} got"):
        F.fetch([name], tmp_path, server.url, progress=False)
    assert _leftovers(tmp_path) == []


def test_wrong_content_length_fails_before_downloading(server, tmp_path):
    # e.g. a Git-LFS pointer or an HTML page served in place of the file
    pointer = b"version https://git-lfs.github.com/spec/v1\n"
    server.serve("synth_test.jsonl", pointer)
    with pytest.raises(F.FetchError, match=f"size mismatch: the server sends {len(pointer)} bytes, the manifest expects"):
        F.fetch(["synth_test.jsonl"], tmp_path, server.url, progress=False)
    assert _leftovers(tmp_path) == []


def test_http_404_keeps_the_files_fetched_before(server, tmp_path):
    server.remove("synth_test.jsonl")
    with pytest.raises(F.FetchError, match="synth_test.jsonl: HTTP 404 .*check --base-url"):
        F.fetch(list(FILES), tmp_path, server.url, progress=False)
    assert _leftovers(tmp_path) == ["synth_train.jsonl"]  # verified before the failure, so it stays


def test_unreachable_server(tmp_path):
    with socket.socket() as s:  # a port nobody listens on: connection refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(F.FetchError, match="synth_train.jsonl: network unreachable"):
        F.fetch(["synth_train.jsonl"], tmp_path, f"http://127.0.0.1:{port}/", progress=False)
    assert _leftovers(tmp_path) == []


def test_present_file_with_wrong_checksum_needs_force(server, tmp_path):
    name = "synth_train.jsonl"
    (tmp_path / name).write_bytes(b"x" * len(FILES[name]))
    with pytest.raises(F.FetchError, match="already present .* checksum mismatch.*pass --force"):
        F.fetch([name], tmp_path, server.url, progress=False)
    assert (tmp_path / name).read_bytes() == b"x" * len(FILES[name])  # untouched without --force
    F.fetch([name], tmp_path, server.url, force=True, progress=False)
    assert (tmp_path / name).read_bytes() == FILES[name]


def test_progress_bar_path_works(server, tmp_path):
    F.fetch(["synth_test.jsonl"], tmp_path, server.url, progress=True)
    assert (tmp_path / "synth_test.jsonl").read_bytes() == FILES["synth_test.jsonl"]


# ---------------------------------------------------------------------------------------------------
# Command line


def test_cli_success_and_one_line_failure(server, tmp_path, capsys):
    args = ["data", "fetch", "--data-dir", str(tmp_path), "--tasks", "synth", "--base-url", server.url, "--no-progress"]
    assert main(args) == 0
    assert _leftovers(tmp_path) == sorted(FILES)

    (tmp_path / "synth_test.jsonl").unlink()
    server.remove("synth_test.jsonl")
    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("jepa-bench: error: synth_test.jsonl: HTTP 404"), err


def test_cli_files_missing_from_the_manifest(server, tmp_path, capsys):
    # The test manifest pins only the synth files: the default run fetches them and names the others...
    assert main(["data", "fetch", "--data-dir", str(tmp_path), "--base-url", server.url, "--no-progress"]) == 0
    assert "gsm8k_train.jsonl: skipped, not in the fetch manifest" in capsys.readouterr().out
    assert _leftovers(tmp_path) == sorted(FILES)
    # ... while a task asked for by name that cannot be verified is an error.
    assert main(["data", "fetch", "--data-dir", str(tmp_path), "--tasks", "gsm8k", "--base-url", server.url]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "gsm8k_train.jsonl, gsm8k_test.jsonl: not in the fetch manifest" in err


def test_cli_unknown_task(tmp_path, capsys):
    assert main(["data", "fetch", "--data-dir", str(tmp_path), "--tasks", "synht"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Did you mean 'synth'" in err


# ---------------------------------------------------------------------------------------------------
# Spider databases


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _sqlite_bytes(tmp_path: Path) -> bytes:
    path = tmp_path / "shop.sqlite"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE shop (id INTEGER, name TEXT)")
        con.execute("INSERT INTO shop VALUES (1, 'corner')")
    con.close()
    return path.read_bytes()


def test_spider_zip_is_extracted_and_located(server, manifest, tmp_path, capsys):
    db = _sqlite_bytes(tmp_path)
    archive = _zip({"spider_data/README.txt": b"spider",
                    "spider_data/database/shop/shop.sqlite": db,
                    "spider_data/database/shop/schema.sql": b"CREATE TABLE shop (id INTEGER, name TEXT);",
                    "spider_data/test_database/shop/shop.sqlite": db})
    manifest[F.SPIDER_ZIP] = _artifact(archive, pinned=False)  # like the real entry: size only
    server.serve(F.SPIDER_ZIP, archive)
    d = tmp_path / "data"
    args = ["data", "fetch", "--data-dir", str(d), "--tasks", "synth", "--spider",
            "--spider-url", server.url + F.SPIDER_ZIP, "--base-url", server.url, "--no-progress"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "checksum not pinned" in out
    line = next(x for x in out.splitlines() if x.startswith("Spider databases ready: pass --spider-db-dir "))
    found = Path(line.rsplit(" ", 1)[1])
    assert found == d / "spider_db" / "spider_data" / "database"  # database/ preferred over test_database/
    with sqlite3.connect(found / "shop" / "shop.sqlite") as con:
        assert con.execute("SELECT name FROM shop").fetchall() == [("corner",)]
    con.close()
    assert not (d / "spider_db.partial").exists() and not (d / (F.SPIDER_ZIP + ".partial")).exists()

    server.remove(F.SPIDER_ZIP)  # already extracted: a re-run needs no download
    assert main(args) == 0
    assert f"pass --spider-db-dir {found}" in capsys.readouterr().out


@pytest.mark.parametrize("evil", ["../evil", "spider_data/../../evil", "/tmp/evil-abs"])
def test_zip_slip_is_rejected(server, manifest, tmp_path, evil):
    archive = _zip({"spider_data/database/shop/shop.sqlite": b"", evil: b"pwned"})
    manifest[F.SPIDER_ZIP] = _artifact(archive)
    server.serve(F.SPIDER_ZIP, archive)
    d = tmp_path / "data"
    with pytest.raises(F.FetchError, match="unsafe member path"):
        F.fetch_spider(d, server.url + F.SPIDER_ZIP, progress=False)
    assert not (tmp_path / "evil").exists() and not Path("/tmp/evil-abs").exists()
    assert not (d / "spider_db").exists() and not (d / "spider_db.partial").exists()


# ---------------------------------------------------------------------------------------------------
# The main job on a fresh machine: it fetches what it needs, or says how to get it


def _demo_spec(tmp_path: Path, data_dir: Path) -> Path:
    import yaml

    spec = yaml.safe_load((Path(__file__).resolve().parent.parent / "configs" / "demo.yaml").read_text())
    spec["fixed"].update(model="tiny-random-llama", limit_train=8, epochs=1, batch_size=2, grad_accum=1,
                         bf16=False, data_dir=str(data_dir))
    spec["eval"].update(limit=2, max_new_tokens=4)
    path = tmp_path / "demo.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def test_the_demo_fetches_missing_data_then_runs(server, manifest, tmp_path, capsys):
    from conftest import write_jsonl

    rows = tmp_path / "rows"
    for name in FILES:  # the task's real row format, served by the loopback server and pinned in the manifest
        body = write_jsonl(rows / name).read_bytes()
        server.serve(name, body)
        manifest[name] = _artifact(body)
    data = tmp_path / "data"  # does not exist yet: a fresh machine
    args = ["demo", "--spec", str(_demo_spec(tmp_path, data)), "--results", str(tmp_path / "res"),
            "--report", str(tmp_path / "rep"), "--data-url", server.url, "--no-progress"]
    assert main(args) == 0
    assert sorted(p.name for p in data.iterdir()) == sorted(FILES)
    assert (tmp_path / "rep" / "README.md").is_file() and "fetching" in capsys.readouterr().out


def test_the_demo_offline_stops_with_one_line_and_leaves_nothing(tmp_path, capsys):
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = tmp_path / "data"
    rc = main(["demo", "--spec", str(_demo_spec(tmp_path, data)), "--results", str(tmp_path / "res"),
               "--report", str(tmp_path / "rep"), "--data-url", f"http://127.0.0.1:{port}/", "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1, err
    assert "jepa-bench data fetch --tasks synth" in err and "--data-dir" in err
    assert not data.exists() and not (tmp_path / "res").exists() and not (tmp_path / "rep").exists()


def test_the_fetch_urls_are_pinned_to_a_commit():
    assert "/main/" not in F.BASE_URL and F.UPSTREAM_COMMIT in F.BASE_URL and F.UPSTREAM_COMMIT in F.SPIDER_URL
