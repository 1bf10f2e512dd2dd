"""`make run`'s supervisor (pwpush/serve.py) on the embedded default: SQLite, a broker in
files under DATA_DIR, no Redis. Expiry still happens, and stopping it stops everything."""

import os
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

from .live import PYTHON, REPO, base_env, decode, free_port, http, wait_for

pytestmark = pytest.mark.slow


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purposes
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


@pytest.fixture
def served():
    data_dir = tempfile.mkdtemp(prefix="pwpush-serve-")
    env = base_env(
        DATA_DIR=data_dir, EXPIRE_SWEEP_SECONDS="1", REDIS_URL=None, DATABASE_URL=None
    )
    manage = [PYTHON, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=REPO, env=env, check=True)
    subprocess.run([*manage, "createcachetable"], cwd=REPO, env=env, check=True)
    port = free_port()
    log = open(Path(data_dir) / "serve.log", "wb")
    process = subprocess.Popen(
        [PYTHON, "-m", "pwpush.serve", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_for(lambda: _up(base)), (Path(data_dir) / "serve.log").read_text()
        yield process, base, env
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # the supervisor stops its children
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        log.close()
        subprocess.run(["rm", "-rf", data_dir])


def _up(base: str) -> bool:
    try:
        return http("GET", f"{base}/up", timeout=2)[0] == 200
    except OSError:
        return False


def children_of(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def test_it_expires_a_push_past_its_days_with_nobody_reading_it(served) -> None:
    _, base, env = served
    status, _, body = http(
        "POST",
        f"{base}/p.json",
        json_body={"password": {"payload": "old", "expire_after_days": 1}},
    )
    assert status == 201
    token = decode(body)["url_token"]
    shell = [PYTHON, "manage.py", "shell", "-c"]
    back_date = (
        "from datetime import timedelta; from django.utils import timezone; from pushes.models import PasswordPush; "
        f"PasswordPush.objects.filter(url_token='{token}').update(created_at=timezone.now() - timedelta(days=2))"
    )
    subprocess.run(
        [*shell, back_date], cwd=REPO, env=env, check=True, capture_output=True
    )
    check = f"from pushes.models import PasswordPush; p = PasswordPush.objects.get(url_token='{token}'); print(p.expired, p.payload)"

    def erased() -> bool:
        out = subprocess.run(
            [*shell, check], cwd=REPO, env=env, capture_output=True, text=True
        ).stdout
        return out.strip().splitlines()[-1] == "True None"

    assert wait_for(erased, timeout=60), "the embedded worker never expired the push"


def test_it_stops_gunicorn_and_the_worker_on_sigterm(served) -> None:
    process, base, _ = served
    children = children_of(process.pid)
    assert len(children) == 2  # gunicorn's master and the Celery worker
    grandchildren = [g for c in children for g in children_of(c)]
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=40) == 0
    assert wait_for(
        lambda: not any(process_alive(pid) for pid in children + grandchildren),
        timeout=10,
    )
    assert not _up(base)


def test_it_stops_cleanly_on_ctrl_c_after_traffic(served) -> None:
    process, base, _ = served
    for _ in range(20):
        http("POST", f"{base}/p.json", json_body={"password": {"payload": "x"}})
    children = children_of(process.pid)
    grandchildren = [g for c in children for g in children_of(c)]
    os.killpg(process.pid, signal.SIGINT)  # what a terminal's Ctrl-C sends
    assert process.wait(timeout=40) == 0
    assert wait_for(
        lambda: not any(process_alive(pid) for pid in children + grandchildren),
        timeout=10,
    )


def test_its_children_die_with_it_even_when_it_is_killed_hard(served) -> None:
    process, base, _ = served
    children = children_of(process.pid)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    assert wait_for(lambda: not any(process_alive(pid) for pid in children), timeout=40)
    assert not _up(base)
