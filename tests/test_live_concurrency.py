"""Spec §9.1 and §7.2.3 through a real gunicorn with several worker processes.

Concurrent retrievals of one push land in different processes, so only the database
(row lock on PostgreSQL, BEGIN IMMEDIATE on SQLite) can keep the view count exact, and
only a shared cache can keep the passphrase rate limit at 5 per minute.

The database is PostgreSQL when the pytest run's DATABASE_URL points at one (a
throwaway database on that server, never pytest-django's), otherwise SQLite in a fresh
DATA_DIR.
"""

import contextlib
import os
import re
import secrets
import threading
from collections import Counter
from urllib.parse import urlsplit

import pytest

from .live import (
    LiveServer,
    clear_of_minute_boundary,
    decode,
    http,
    is_postgres_url,
    postgres_database_exists,
    throwaway_postgres,
)
from .spec import SHOW_KEYS

pytestmark = pytest.mark.slow

WORKERS = 4
THREADS = 4
CONCURRENT = 20
VIEWS = 3
TRIALS = 5
PASSPHRASE_TRIALS = 3
ATTEMPTS_PER_MINUTE = 5

PASSPHRASE_401 = {
    "error": "That passphrase is incorrect.",
    "message": "This push requires a passphrase. Please provide it using the 'passphrase' parameter "
    "(e.g. ?passphrase=mysecret)",
    "status": "unauthorized",
}
PASSPHRASE_429 = {
    "error": "Too many passphrase attempts. Please try again in a minute."
}
SERVER_ERROR_IN_ACCESS_LOG = re.compile(r'"[A-Z]+" 5\d\d ')


@pytest.fixture(scope="module")
def server():
    database_url = os.environ.get("DATABASE_URL")
    on_postgres = is_postgres_url(database_url)
    with contextlib.ExitStack() as stack:
        live_db = (
            stack.enter_context(throwaway_postgres(database_url))
            if on_postgres
            else None
        )
        live = stack.enter_context(
            LiveServer(workers=WORKERS, threads=THREADS, database_url=live_db)
        )
        vendor = live.shell_json(
            "from django.db import connection\nresult = connection.vendor"
        )
        assert vendor == ("postgresql" if on_postgres else "sqlite")
        yield live
        log = live.log_text()
        assert not SERVER_ERROR_IN_ACCESS_LOG.search(log), (
            f"the server answered 5xx:\n{live.log_tail()}"
        )
        assert "Traceback" not in log, (
            f"the server logged a traceback:\n{live.log_tail()}"
        )
    if on_postgres:
        assert not postgres_database_exists(
            database_url, urlsplit(live_db).path.lstrip("/")
        )


def create_push(server: LiveServer, **fields) -> dict:
    status, _, body = http(
        "POST", f"{server.url}/p.json", json_body={"password": fields}
    )
    assert status == 201, body
    return decode(body)


def concurrent_gets(url: str, count: int) -> list[tuple[int, object]]:
    """count GETs of url released together from count threads; (status, decoded body) each."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def fetch(index: int) -> None:
        barrier.wait()
        try:
            status, _, body = http("GET", url, timeout=120)
            results[index] = (status, decode(body))
        except (
            Exception
        ) as exc:  # reported by the assertion below, not lost in a thread
            results[index] = ("error", repr(exc))

    threads = [threading.Thread(target=fetch, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    assert all(result is not None for result in results), "a request never finished"
    return results


def summary(results: list) -> list:
    """Short form of concurrent_gets results for failure messages."""
    return [
        (
            status,
            {k: body.get(k) for k in ("expired", "views_remaining") if k in body}
            | {"payload": bool(body.get("payload"))},
        )
        if isinstance(body, dict)
        else (status, body)
        for status, body in results
    ]


def test_concurrent_retrievals_yield_exactly_the_allowed_views(
    server: LiveServer,
) -> None:
    """20 concurrent GETs of a views=3 push: exactly 3 payloads, 17 expired, never a 500 (x5)."""
    for trial in range(TRIALS):
        secret = f"trial-{trial}-{secrets.token_hex(8)}"
        created = create_push(server, payload=secret, expire_after_views=VIEWS)
        assert created["views_remaining"] == VIEWS
        token = created["url_token"]

        results = concurrent_gets(f"{server.url}/p/{token}.json", CONCURRENT)

        statuses = Counter(status for status, _ in results)
        assert statuses == {200: CONCURRENT}, (
            f"trial {trial}: {statuses}: {summary(results)}"
        )
        bodies = [body for _, body in results]
        assert all(set(body) == SHOW_KEYS for body in bodies), bodies
        served = [body for body in bodies if body["payload"] is not None]
        refused = [body for body in bodies if body["payload"] is None]
        assert len(served) == VIEWS, (
            f"trial {trial}: {len(served)} payloads: {summary(results)}"
        )
        assert all(
            body["payload"] == secret and body["expired"] is False for body in served
        )
        # each counted view saw its own place in line: 2, 1 and then 0 views left
        assert sorted(body["views_remaining"] for body in served) == list(range(VIEWS))
        assert len(refused) == CONCURRENT - VIEWS
        for body in refused:
            assert body["expired"] is True
            assert body["expired_on"] is not None
            assert body["passphrase"] is None
            assert body["files"] == []
            assert body["views_remaining"] == 0
            assert body["deleted"] is False

        row = server.push_row(token)
        assert row is not None
        assert row["expired"] is True
        assert row["payload"] is None and row["payload_is_null"] is True
        assert row["passphrase_is_null"] is True
        assert row["expired_on"] is not None
        assert Counter(row["audit"]) == {
            "creation": 1,
            "view": VIEWS,
            "failed_view": CONCURRENT - VIEWS,
        }

        # and a later retrieval still finds nothing
        status, _, body = http("GET", f"{server.url}/p/{token}.json")
        assert status == 200
        assert decode(body)["payload"] is None


def test_concurrent_wrong_passphrases_hit_one_shared_limit(server: LiveServer) -> None:
    """20 concurrent wrong passphrases: exactly 5 get 401, 15 get 429, across all workers (x3)."""
    for trial in range(PASSPHRASE_TRIALS):
        secret = f"gated-{trial}-{secrets.token_hex(8)}"
        passphrase = f"right-{secrets.token_hex(4)}"
        token = create_push(
            server, payload=secret, passphrase=passphrase, expire_after_views=VIEWS
        )["url_token"]

        clear_of_minute_boundary()
        results = concurrent_gets(
            f"{server.url}/p/{token}.json?passphrase=wrong-{trial}", CONCURRENT
        )

        statuses = Counter(status for status, _ in results)
        assert statuses == {
            401: ATTEMPTS_PER_MINUTE,
            429: CONCURRENT - ATTEMPTS_PER_MINUTE,
        }, f"trial {trial}: {statuses}: {summary(results)}"
        for status, body in results:
            assert body == (PASSPHRASE_401 if status == 401 else PASSPHRASE_429)

        # the window is spent: the right passphrase is refused too (spec §7.2.3, case 74)
        status, _, body = http(
            "GET", f"{server.url}/p/{token}.json?passphrase={passphrase}"
        )
        assert (status, decode(body)) == (429, PASSPHRASE_429)

        row = server.push_row(token)
        assert row["expired"] is False
        assert row["payload"] == secret
        assert row["passphrase"] == passphrase
        # 429s are not logged and failed passphrases count no view
        assert Counter(row["audit"]) == {
            "creation": 1,
            "failed_passphrase": ATTEMPTS_PER_MINUTE,
        }
