"""`make run`: gunicorn and a Celery worker (with beat inside it) as one foreground program.

    python -m pwpush.serve --port 8000

Both children get a process group of their own, so a terminal's Ctrl-C reaches only this
supervisor, which then stops each child once and cleanly (gunicorn's workers must not get
SIGINT from the terminal and SIGTERM from their master at the same time). SIGTERM to this
process, or either child dying, stops the other; the exit status is the first child's.
"""

import argparse
import ctypes
import os
import signal
import subprocess
import sys
import time

STOP_TIMEOUT = 30


def worker_command(data_dir: str) -> list[str]:
    """The Celery worker with beat inside it, on a single process (the tests start this too)."""
    celery = os.path.join(os.path.dirname(sys.executable), "celery")
    schedule = os.path.join(data_dir, "celerybeat-schedule")
    return [
        celery, "-A", "pwpush", "worker", "--beat", "--pool", "solo",
        "--loglevel", "INFO", "--schedule", schedule,
    ]  # fmt: skip


def web_command(port: int) -> list[str]:
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    return [
        gunicorn,
        "pwpush.wsgi",
        "--config",
        "gunicorn.conf.py",
        "--bind",
        f"127.0.0.1:{port}",
    ]


def commands(port: int, data_dir: str) -> dict[str, list[str]]:
    return {"worker": worker_command(data_dir), "web": web_command(port)}


def die_with_parent() -> None:
    """In each child: be sent SIGTERM if this supervisor dies, even by SIGKILL (Linux)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: a hard-killed supervisor may leave its children running


def stop(children: dict[str, subprocess.Popen]) -> None:
    """SIGTERM to each child's group, SIGKILL to what is left after STOP_TIMEOUT."""
    for child in children.values():
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    for child in children.values():
        try:
            child.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    args = parser.parse_args()
    data_dir = os.environ.get("DATA_DIR", "data")
    children = {
        name: subprocess.Popen(
            command, start_new_session=True, preexec_fn=die_with_parent
        )
        for name, command in commands(args.port, data_dir).items()
    }
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(True))
    try:
        while not stopping and all(c.poll() is None for c in children.values()):
            time.sleep(0.2)
    finally:
        first = next(
            (c.returncode for c in children.values() if c.poll() is not None), 0
        )
        stop(children)
    return first or 0


if __name__ == "__main__":
    sys.exit(main())
