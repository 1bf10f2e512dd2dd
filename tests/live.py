"""Real server processes for tests: the app as `make run` starts it, in a subprocess.

    with LiveServer(workers=4, threads=4) as server:      # SQLite in a fresh DATA_DIR
        token = server.create_user("alice@example.com")
        status, body = server.request("GET", "/api/v1/version.json")
        row = server.push_row(url_token)                  # what the database holds

LiveServer runs `manage.py migrate` and `createcachetable` with this interpreter
(sys.executable, the project's virtualenv), then gunicorn with gunicorn.conf.py on a
free port, and waits until GET /api/v1/version.json answers. stop() sends SIGTERM to
the server's whole process group, then SIGKILL, so no worker outlives a test, even a
failing one (an atexit hook catches servers a test forgot).

throwaway_postgres() makes a database of its own on a PostgreSQL server and drops it
afterwards, so live tests never touch pytest-django's test database.

Nothing here uses pytest-django's database: tests built on it are plain pytest tests.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from pwpush.serve import worker_command

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

# Settings read from the environment that must not leak from the pytest run into a
# live server (the server gets exactly the database, cache and keys a test asks for).
SCRUBBED = {
    "DATABASE_URL",
    "REDIS_URL",
    "DATA_DIR",
    "SECRET_KEY",
    "PWPUSH_ENCRYPTION_KEYS",
    "STATIC_ROOT",
    "WEB_CONCURRENCY",
    "WEB_THREADS",
    "WEB_TIMEOUT",
    "GUNICORN_CMD_ARGS",
    "ALLOWED_HOSTS",
    "ALLOW_ANONYMOUS",
    "ENABLE_FILE_PUSHES",
    "ENABLE_URL_PUSHES",
    "ENABLE_QR_PUSHES",
    "OVERRIDE_BASE_URL",
    "FORCE_SSL",
    "REQUIRE_MFA",
    "PASSPHRASE_ATTEMPTS_PER_MINUTE",
    "AUDIT_LOG_CAP",
    "TRUSTED_PROXIES",
    "DEBUG",
}
SCRUBBED_PREFIXES = ("PWP__", "PW_", "URL_", "FILES_", "QR_")

JSON_MARKER = "@@LIVE-JSON@@"

_running: set[LiveServer] = set()


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM it when the test process dies, even by SIGKILL (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(
            1, signal.SIGTERM
        )  # 1 = PR_SET_PDEATHSIG


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def base_env(**overrides: str | None) -> dict[str, str]:
    """os.environ less the app's own settings, plus overrides (None removes a key)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in SCRUBBED and not key.startswith(SCRUBBED_PREFIXES)
    }
    env["DJANGO_SETTINGS_MODULE"] = "pwpush.settings"
    env["PYTHONUNBUFFERED"] = "1"
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


# --- PostgreSQL ---


def is_postgres_url(url: str | None) -> bool:
    return bool(url) and urllib.parse.urlsplit(url).scheme in {
        "postgres",
        "postgresql",
        "pgsql",
    }


def _conninfo(parts: urllib.parse.SplitResult, dbname: str) -> dict:
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": urllib.parse.unquote(parts.username or "postgres"),
        "password": urllib.parse.unquote(parts.password or "") or None,
        "dbname": dbname,
        "connect_timeout": 10,
    }


def _admin_connection(parts: urllib.parse.SplitResult):
    """An autocommit connection to the server's `postgres` database, else the URL's own."""
    import psycopg

    own = urllib.parse.unquote(parts.path.lstrip("/")) or "postgres"
    last_error: Exception | None = None
    for dbname in dict.fromkeys(["postgres", own]):
        try:
            return psycopg.connect(**_conninfo(parts, dbname), autocommit=True)
        except psycopg.OperationalError as exc:
            last_error = exc
    raise RuntimeError(
        f"cannot reach PostgreSQL at {parts.hostname}:{parts.port}: {last_error}"
    )


@contextlib.contextmanager
def throwaway_postgres(server_url: str) -> Iterator[str]:
    """Creates pwpush_live_<random> on the server of server_url; yields its URL; drops it."""
    from psycopg import sql

    parts = urllib.parse.urlsplit(server_url)
    name = f"pwpush_live_{secrets.token_hex(6)}"
    with _admin_connection(parts) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urllib.parse.urlunsplit(parts._replace(path="/" + name, query=""))
    finally:
        with _admin_connection(parts) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)
                )
            )


def postgres_database_exists(server_url: str, name: str) -> bool:
    parts = urllib.parse.urlsplit(server_url)
    with _admin_connection(parts) as conn:
        return (
            conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            is not None
        )


# --- HTTP ---


def http(
    method: str,
    url: str,
    *,
    json_body: object = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> tuple[int, dict[str, str], bytes]:
    """One request with urllib; returns (status, headers, raw body) for every status."""
    data = None
    all_headers = dict(headers or {})
    if json_body is not None:
        data = json.dumps(json_body).encode()
        all_headers.setdefault("Content-Type", "application/json")
    request = urllib.request.Request(url, data=data, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, dict(exc.headers), exc.read()


def clear_of_minute_boundary(margin: float = 8) -> None:
    """Waits out the last seconds of a clock minute, so that a burst of passphrase attempts
    all fall in one rate-limit window (they are counted per minute)."""
    into_minute = time.time() % 60
    if into_minute > 60 - margin:
        time.sleep(60 - into_minute + 0.5)


def decode(body: bytes):
    """The JSON in a response body; None for an empty body."""
    return json.loads(body) if body.strip() else None


# --- the server ---


class LiveServer:
    """gunicorn serving pwpush.wsgi, prepared like `make run` (see the module docstring)."""

    def __init__(
        self,
        *,
        workers: int = 2,
        threads: int = 4,
        database_url: str | None = None,
        env: dict[str, str | None] | None = None,
        data_dir: str | Path | None = None,
        ready_timeout: float = 60,
    ) -> None:
        self._own_data_dir = data_dir is None
        self.data_dir = (
            Path(data_dir)
            if data_dir
            else Path(tempfile.mkdtemp(prefix="pwpush-live-"))
        )
        self.workers = workers
        self.threads = threads
        self.database_url = database_url
        self.ready_timeout = ready_timeout
        self.env = base_env(
            DATA_DIR=str(self.data_dir),
            STATIC_ROOT=str(self.data_dir / "staticfiles"),
            DATABASE_URL=database_url,
            WEB_CONCURRENCY=str(workers),
            WEB_THREADS=str(threads),
            **(env or {}),
        )
        self.port: int | None = None
        self.process: subprocess.Popen | None = None
        self.log_path = self.data_dir / "gunicorn.log"

    # lifecycle

    def __enter__(self) -> LiveServer:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self.port is not None, "the server is not running"
        return f"http://127.0.0.1:{self.port}"

    def prepare(self) -> None:
        """What `make run` does before gunicorn: migrate and createcachetable."""
        self.manage("migrate", "--noinput", "-v0")
        self.manage("createcachetable")

    def start(self) -> None:
        try:
            self.prepare()
            for _attempt in range(
                3
            ):  # a free port may be taken before gunicorn binds it
                if self._spawn(free_port()):
                    return
            raise RuntimeError(f"gunicorn did not start:\n{self.log_tail()}")
        except BaseException:
            self.stop()
            raise

    def _spawn(self, port: int) -> bool:
        self.port = port
        log = open(
            self.log_path, "ab"
        )  # the child keeps its own copy of the descriptor
        try:
            self.process = subprocess.Popen(
                [
                    PYTHON,
                    "-m",
                    "gunicorn",
                    "pwpush.wsgi",
                    "--config",
                    "gunicorn.conf.py",
                    "--bind",
                    f"127.0.0.1:{port}",
                ],
                cwd=REPO,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() signals master and workers
                preexec_fn=_die_with_parent,
            )
        finally:
            log.close()
        _running.add(self)
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._reap()
                return False
            try:
                status, _, _ = http("GET", f"{self.url}/api/v1/version.json", timeout=2)
                if status == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.1)
        message = f"gunicorn answered no GET /api/v1/version.json in {self.ready_timeout}s:\n{self.log_tail()}"
        self.stop()
        raise RuntimeError(message)

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM to the process group, SIGKILL after timeout; then the data dir goes."""
        if self.process is not None:
            self._signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.process.wait(10)
            self._reap()
        if self._own_data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def _signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signum)

    def _reap(self) -> None:
        """Kills whatever is left in the group (workers whose master died) and forgets it."""
        self._signal(signal.SIGKILL)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and self.group_alive():
            time.sleep(0.05)
        _running.discard(self)
        self.process = None

    def group_alive(self) -> bool:
        """True while any process of the server's group is still alive."""
        if self.process is None:
            return False
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return False
        # zombies answer signal 0 too: look for a live member in /proc
        pgid = self.process.pid
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                return True
        return False

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    # management commands

    def manage(
        self, *args: str, check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess:
        """python manage.py ARGS with the server's environment."""
        result = subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=REPO,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise RuntimeError(
                f"manage.py {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
            )
        return result

    def create_user(self, email: str, *, admin: bool = False) -> str:
        """Creates the user with `manage.py createuser` and returns its API token."""
        args = ["createuser", email] + (["--admin"] if admin else [])
        lines = self.manage(*args).stdout.strip().splitlines()
        token = lines[-1].strip()
        assert token and " " not in token, f"createuser printed no token: {lines!r}"
        return token

    def shell(self, code: str) -> str:
        """Runs code with `manage.py shell -c` against the server's database; returns stdout."""
        return self.manage("shell", "-c", code).stdout

    def shell_json(self, code: str):
        """Runs code that sets `result`; returns result, JSON-encoded across the process boundary."""
        wrapped = f"{code}\nimport json as _json\nprint({JSON_MARKER!r} + _json.dumps(result, default=str))\n"
        for line in reversed(self.shell(wrapped).splitlines()):
            if line.startswith(JSON_MARKER):
                return json.loads(line[len(JSON_MARKER) :])
        raise AssertionError("the shell code printed no result")

    def push_row(self, url_token: str) -> dict | None:
        """The stored push with this token (any kind), its raw payload column and audit kinds."""
        code = f"""
from django.db import connection
from audit.models import AuditLog
from pushes.models import push_models
result = None
for model in push_models():
    push = model.objects.filter(url_token={url_token!r}).first()
    if push is None:
        continue
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT payload, passphrase FROM " + connection.ops.quote_name(model._meta.db_table)
            + " WHERE url_token = %s",
            [push.url_token],
        )
        raw_payload, raw_passphrase = cursor.fetchone()
    result = {{
        "model": model._meta.label,
        "kind": getattr(push, "kind", None),
        "payload": push.payload,
        "payload_is_null": raw_payload is None,
        "passphrase": push.passphrase,
        "passphrase_is_null": raw_passphrase is None,
        "name": push.name,
        "note": push.note,
        "expire_after_days": push.expire_after_days,
        "expire_after_views": push.expire_after_views,
        "deletable_by_viewer": push.deletable_by_viewer,
        "retrieval_step": push.retrieval_step,
        "expired": push.expired,
        "expired_on": push.expired_on.isoformat() if push.expired_on else None,
        "deleted": push.deleted,
        "view_count": push.view_count,
        "owner": push.user.email if push.user_id else None,
        "audit": list(AuditLog.objects.for_push(push).order_by("created_at", "id").values_list("kind", flat=True)),
    }}
    break
"""
        return self.shell_json(code)


# --- the Celery worker, and waiting ---


def wait_for(condition, timeout: float = 60, interval: float = 0.5) -> bool:
    """Polls condition() until it is true (True) or timeout seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False


class Worker:
    """The Celery worker with beat, started with the command `make run` uses
    (pwpush.serve.worker_command); its log is DATA_DIR/worker.log."""

    def __init__(self, env: dict[str, str], data_dir: Path) -> None:
        self.env, self.data_dir, self.process = env, data_dir, None

    def start(self) -> None:
        self.log = open(self.data_dir / "worker.log", "ab")
        self.process = subprocess.Popen(
            worker_command(str(self.data_dir)),
            cwd=REPO,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=30)
        self.log.close()


@atexit.register
def _stop_forgotten_servers() -> None:
    for server in list(_running):
        server.stop()
