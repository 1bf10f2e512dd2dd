"""Two web processes, one Celery worker with beat, PostgreSQL and Redis: the docker-compose
topology, run as plain processes. They must behave as one server.

Needs DATABASE_URL (PostgreSQL) and REDIS_URL (or TEST_REDIS_URL); .ci/run provides both:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test TEST_REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/pytest tests/test_multiprocess.py
"""

from __future__ import annotations

import base64
import os
import shutil
import signal
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .live import (
    LiveServer,
    Worker,
    clear_of_minute_boundary,
    decode,
    http,
    is_postgres_url,
    throwaway_postgres,
    wait_for,
)

pytestmark = pytest.mark.slow

PG_URL = os.environ.get("DATABASE_URL")
REDIS_URL = os.environ.get("TEST_REDIS_URL") or os.environ.get("REDIS_URL")
if not (is_postgres_url(PG_URL) and REDIS_URL):
    pytest.skip(
        "needs DATABASE_URL on PostgreSQL and REDIS_URL", allow_module_level=True
    )

REDIS_DB_URL = (
    REDIS_URL.rsplit("/", 1)[0] + "/7"
)  # a database of its own, flushed around the test


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_DB_URL).flushdb()


@pytest.fixture(scope="module")
def cluster():
    flush_redis()
    data_dir = Path(tempfile.mkdtemp(prefix="pwpush-cluster-"))
    key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    env = {
        "REDIS_URL": REDIS_DB_URL,
        "PWPUSH_ENCRYPTION_KEYS": key,
        "EXPIRE_SWEEP_SECONDS": "1",
        "SWEEP_BATCH_SIZE": "25",
    }
    with throwaway_postgres(PG_URL) as database_url:
        one = LiveServer(
            workers=2, threads=4, database_url=database_url, env=env, data_dir=data_dir
        )
        two = LiveServer(
            workers=2, threads=4, database_url=database_url, env=env, data_dir=data_dir
        )
        worker = Worker(one.env, data_dir)
        try:
            one.start()
            two.start()
            worker.start()
            yield one, two, worker
        finally:
            worker.kill()
            two.stop()
            one.stop()
            flush_redis()
            shutil.rmtree(data_dir, ignore_errors=True)


def create(server: LiveServer, **fields) -> str:
    status, _, body = http(
        "POST",
        f"{server.url}/p.json",
        json_body={"password": {"payload": "s3cr3t", **fields}},
    )
    assert status == 201, body
    return decode(body)["url_token"]


def test_a_push_made_on_one_port_is_read_on_the_other(cluster) -> None:
    one, two, _ = cluster
    token = create(one, expire_after_views=2)
    status, _, body = http("GET", f"{two.url}/p/{token}.json")
    assert status == 200
    assert decode(body)["payload"] == "s3cr3t"
    assert decode(body)["views_remaining"] == 1


def test_concurrent_retrievals_across_both_ports_yield_exactly_the_views_allowed(
    cluster,
) -> None:
    one, two, _ = cluster
    for trial in range(3):
        token = create(one, expire_after_views=3)
        urls = [f"{(one if i % 2 else two).url}/p/{token}.json" for i in range(20)]
        with ThreadPoolExecutor(max_workers=20) as pool:
            results = list(pool.map(lambda url: http("GET", url), urls))
        assert [status for status, _, _ in results] == [200] * 20, f"trial {trial}"
        payloads = [decode(body)["payload"] for _, _, body in results]
        assert sum(payload == "s3cr3t" for payload in payloads) == 3, (
            f"trial {trial}: {payloads}"
        )
        row = one.push_row(token)
        assert row["expired"] and row["payload"] is None


def test_the_passphrase_limit_counts_attempts_on_both_ports_together(cluster) -> None:
    one, two, _ = cluster
    token = create(one, passphrase="right")
    clear_of_minute_boundary()
    statuses = [
        http("GET", f"{server.url}/p/{token}.json?passphrase=wrong")[0]
        for server in (one, two) * 4
    ]
    assert statuses == [401] * 5 + [429] * 3
    assert http("GET", f"{two.url}/p/{token}.json?passphrase=right")[0] == 429


def test_the_worker_erases_a_push_past_its_days_with_no_request(cluster) -> None:
    one, _, _ = cluster
    token = create(one, expire_after_days=1)
    one.shell(
        "from datetime import timedelta; from django.utils import timezone; from pushes.models import PasswordPush; "
        f"PasswordPush.objects.filter(url_token='{token}').update(created_at=timezone.now() - timedelta(days=2))"
    )
    assert wait_for(lambda: one.push_row(token)["expired"]), (
        "the worker never expired the push"
    )
    assert one.push_row(token)["payload"] is None


def test_a_worker_killed_mid_sweep_loses_nothing_when_restarted(cluster) -> None:
    one, _, worker = cluster
    total = 10_000
    one.shell(
        "from datetime import timedelta; from django.utils import timezone; from pushes.models import PasswordPush; "
        "old = timezone.now() - timedelta(days=3); "
        f"PasswordPush.objects.bulk_create([PasswordPush(url_token='bulk%05d' % i, payload='p', expire_after_days=1, "
        f"expire_after_views=5, created_at=old, updated_at=old) for i in range({total})])"
    )
    count = "from pushes.models import PasswordPush; print(PasswordPush.objects.filter(url_token__startswith='bulk', expired=True).count())"
    assert wait_for(
        lambda: int(one.shell(count).strip().splitlines()[-1]) > 0, timeout=30
    ), "the sweep never started"
    worker.kill(signal.SIGKILL)
    at_kill = int(one.shell(count).strip().splitlines()[-1])
    assert at_kill < total, "the sweep finished before the kill: nothing was proven"
    worker.start()
    assert wait_for(
        lambda: int(one.shell(count).strip().splitlines()[-1]) == total, timeout=120
    ), f"after restart only {one.shell(count)} of {total} expired (killed at {at_kill})"
    live_payloads = "from pushes.models import PasswordPush; print(PasswordPush.objects.filter(url_token__startswith='bulk', payload__isnull=False).count())"
    assert one.shell(live_payloads).strip().splitlines()[-1] == "0"
