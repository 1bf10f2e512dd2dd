"""A worker whose broker (Redis) is down keeps retrying, and does its work once Redis is
back. Uses a private redis-server on a free port, started late (needs redis-server)."""

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from .live import PYTHON, REPO, Worker, base_env, free_port, wait_for

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("redis-server") is None, reason="needs redis-server"
    ),
]


def test_the_worker_rides_out_a_broker_outage() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="pwpush-outage-"))
    port = free_port()
    env = base_env(
        DATA_DIR=str(data_dir),
        REDIS_URL=f"redis://127.0.0.1:{port}/0",
        EXPIRE_SWEEP_SECONDS="1",
    )
    manage = [PYTHON, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=REPO, env=env, check=True)
    log_path = data_dir / "worker.log"
    worker = redis = None
    try:
        worker = Worker(env, data_dir)
        worker.start()
        assert wait_for(
            lambda: "Trying again" in log_path.read_text(errors="replace"), 60
        ), log_path.read_text(errors="replace")[-2000:]
        assert worker.process.poll() is None  # still alive, still retrying

        back_date = (
            "from datetime import timedelta; from django.utils import timezone; "
            "from pushes.models import PasswordPush; "
            "p = PasswordPush(payload='old', expire_after_days=1, expire_after_views=5); p.save(); "
            "PasswordPush.objects.filter(pk=p.pk).update(created_at=timezone.now() - timedelta(days=2))"
        )
        subprocess.run(
            [*manage, "shell", "-c", back_date], cwd=REPO, env=env, check=True
        )

        redis = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        check = "from pushes.models import PasswordPush; print(PasswordPush.objects.get().expired)"

        def expired() -> bool:
            out = subprocess.run(
                [*manage, "shell", "-c", check],
                cwd=REPO,
                env=env,
                capture_output=True,
                text=True,
            ).stdout
            return out.strip().endswith("True")

        assert wait_for(expired, 90), log_path.read_text(errors="replace")[-2000:]
    finally:
        if worker is not None:
            worker.kill()
        if redis is not None:
            redis.terminate()
            redis.wait()
        shutil.rmtree(data_dir, ignore_errors=True)
