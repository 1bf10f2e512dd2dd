"""Streams one large file through a real pwpush server and measures the web worker's memory.

Starts gunicorn (1 worker, 1 thread) on a fresh temporary DATA_DIR, uploads SIZE bytes to
POST /f.json with a multipart body generated on the fly, downloads it back through the push's
files[0].url, checks the SHA-256 both ways, and samples the worker's (and master's) VmRSS every
~50 ms from /proc. PASS means the worker's VmHWM stayed under --limit-mb (default 150 MB).

    .venv/bin/python bench/file_stream.py [--size-mb 1024] [--limit-mb 150]

Run from the repository root (Linux only: it reads /proc). MB here is 10**6 bytes. Stdlib only.
"""

import argparse
import hashlib
import http.client
import json
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
MB = 10**6
BLOCK = 1024 * 1024


def proc_kb(pid: int, field: str) -> int:
    """A kB field (VmRSS, VmHWM) of /proc/<pid>/status; 0 once the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def children(pid: int) -> list[int]:
    kids = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(k) for k in (task / "children").read_text().split()]
        except FileNotFoundError:
            pass
    return kids


class Sampler(threading.Thread):
    """Every interval: the peak VmRSS (kB) per phase of the master and of any worker."""

    def __init__(self, master: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.master, self.interval = master, interval
        self.phase = "idle"
        self.peaks: dict[tuple[str, str], int] = {}
        self.workers_seen: set[int] = set()
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            workers = children(self.master)
            self.workers_seen.update(workers)
            for role, rss in [("master", proc_kb(self.master, "VmRSS"))] + [
                ("worker", proc_kb(w, "VmRSS")) for w in workers
            ]:
                key = (self.phase, role)
                self.peaks[key] = max(self.peaks.get(key, 0), rss)
            self.stopped.wait(self.interval)

    def peak_mb(self, phase: str, role: str = "worker") -> float:
        return self.peaks.get((phase, role), 0) * 1024 / MB


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(
    data_dir: Path, port: int, max_file_size: int, log
) -> tuple[subprocess.Popen, str]:
    env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "WEB_CONCURRENCY": "1",
        "WEB_THREADS": "1",
        "MAX_FILE_SIZE": str(max_file_size),
    }
    env.pop("DATABASE_URL", None)  # a fresh DATA_DIR means a fresh SQLite database
    py = str(VENV_BIN / "python")
    subprocess.run(
        [py, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    subprocess.run([py, "manage.py", "createcachetable"], cwd=ROOT, env=env, check=True)
    out = subprocess.run(
        [py, "manage.py", "createuser", "bench@example.com"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    token = out.strip().splitlines()[-1].strip()
    server = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "pwpush.wsgi",
            "--config",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/v1/version.json")
            if conn.getresponse().status == 200:
                return server, token
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("server did not answer /api/v1/version.json within 60 s")


def payload_chunks(size: int, seed: int = 1234):
    """SIZE reproducible bytes in 1 MiB pieces: a random block, rotated and stamped per piece."""
    block = random.Random(seed).randbytes(BLOCK)
    sent, i = 0, 0
    while sent < size:
        k = (i * 7919) % BLOCK
        piece = (
            i.to_bytes(8, "big") + block[k + 8 :] + block[:k]
            if k + 8 < BLOCK
            else block
        )
        piece = piece[: min(BLOCK, size - sent)]
        sent, i = sent + len(piece), i + 1
        yield piece


def upload(port: int, token: str, size: int) -> tuple[dict, str, float]:
    boundary = "bench" + os.urandom(12).hex()
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file_push[payload]"\r\n\r\nbench\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file_push[files][]"; filename="bench.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    sha = hashlib.sha256()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    start = time.monotonic()
    conn.putrequest("POST", "/f.json")
    conn.putheader("Authorization", f"Bearer {token}")
    conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    conn.putheader("Content-Length", str(len(head) + size + len(tail)))
    conn.endheaders()
    conn.send(head)
    for piece in payload_chunks(size):
        sha.update(piece)
        conn.send(piece)
    conn.send(tail)
    response = conn.getresponse()
    body = response.read()
    elapsed = time.monotonic() - start
    if response.status != 201:
        raise RuntimeError(f"upload: HTTP {response.status}: {body[:500]!r}")
    return json.loads(body), sha.hexdigest(), elapsed


def get_json(port: int, path: str) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        raise RuntimeError(f"GET {path}: HTTP {response.status}: {body[:500]!r}")
    return json.loads(body)


def download(port: int, url: str) -> tuple[str, int, float]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    start = time.monotonic()
    conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
    response = conn.getresponse()
    if response.status != 200:
        raise RuntimeError(
            f"download: HTTP {response.status}: {response.read()[:500]!r}"
        )
    sha, total, buf = hashlib.sha256(), 0, bytearray(BLOCK)
    view = memoryview(buf)
    while n := response.readinto(buf):
        sha.update(view[:n])
        total += n
    return sha.hexdigest(), total, time.monotonic() - start


def disk_usage(directory: Path) -> tuple[int, int]:
    """(apparent bytes, allocated bytes) of the regular files under directory."""
    stats = [p.stat() for p in directory.rglob("*") if p.is_file()]
    return sum(s.st_size for s in stats), sum(s.st_blocks * 512 for s in stats)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--size-mb",
        type=int,
        default=1024,
        help="file size in MiB (default 1024 = 1 GiB)",
    )
    parser.add_argument(
        "--limit-mb",
        type=float,
        default=150,
        help="worker RSS limit in MB (default 150)",
    )
    args = parser.parse_args()
    size = args.size_mb * 1024 * 1024
    data_dir = Path(tempfile.mkdtemp(prefix="pwpush-bench-"))
    log_path = data_dir.parent / (data_dir.name + ".log")
    server = None
    try:
        with open(log_path, "wb") as log:
            server, token = start_server(
                data_dir, free_port(), max(2 * 1024**3, size), log
            )
            port = int(server.args[-1].rsplit(":", 1)[1])
            sampler = Sampler(server.pid)
            sampler.start()
            time.sleep(0.5)
            sampler.phase = "baseline"
            time.sleep(0.5)
            sampler.phase = "upload"
            push, sent_sha, up_s = upload(port, token, size)
            sampler.phase = "retrieve"
            files = get_json(port, f"/p/{push['url_token']}.json")["files"]
            sampler.phase = "download"
            got_sha, got_size, down_s = download(port, files[0]["url"])
            sampler.phase = "done"
            time.sleep(0.2)
            workers = children(server.pid)
            hwm_mb = max((proc_kb(w, "VmHWM") for w in workers), default=0) * 1024 / MB
            sampler.stopped.set()
            sampler.join()
        apparent, allocated = disk_usage(data_dir / "files")
        leftovers = (
            list((data_dir / "tmp").glob("*")) if (data_dir / "tmp").exists() else []
        )
        hash_ok = got_sha == sent_sha and got_size == size
        restarted = len(sampler.workers_seen) != 1
        passed = hwm_mb <= args.limit_mb and hash_ok and not restarted
        client_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB
        print(f"""
== pwpush file stream benchmark (1 gunicorn worker, 1 thread) ==
size                 {size:,} bytes ({size / MB:.1f} MB)
upload               {up_s:7.2f} s  {size / MB / up_s:8.1f} MB/s
download             {down_s:7.2f} s  {size / MB / down_s:8.1f} MB/s
sha256               {"match" if hash_ok else f"MISMATCH sent {sent_sha} got {got_sha} ({got_size} bytes)"}
worker RSS baseline  {sampler.peak_mb("baseline"):7.1f} MB
worker RSS peak      upload {sampler.peak_mb("upload"):.1f} MB, download {sampler.peak_mb("download"):.1f} MB
worker VmHWM         {hwm_mb:7.1f} MB  (lifetime peak)
master RSS peak      {max(sampler.peak_mb(p, "master") for p in ("baseline", "upload", "download")):7.1f} MB
worker pids seen     {sorted(sampler.workers_seen)}{"  (RESTARTED during the run)" if restarted else ""}
stored ciphertext    {apparent:,} bytes ({allocated:,} allocated) vs plaintext {size:,} (+{apparent - size:,})
leftover temp files  {len(leftovers)}
client peak RSS      {client_mb:7.1f} MB
result               {"PASS" if passed else "FAIL"} (worker VmHWM {hwm_mb:.1f} MB vs limit {args.limit_mb:g} MB)
""")
        return 0 if passed else 1
    except Exception:
        if log_path.exists():
            sys.stderr.write(
                "--- server log (tail) ---\n"
                + log_path.read_text(errors="replace")[-3000:]
            )
        raise
    finally:
        if server is not None and server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        shutil.rmtree(data_dir, ignore_errors=True)
        log_path.unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
