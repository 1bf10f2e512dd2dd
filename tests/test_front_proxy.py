"""deploy/nginx.conf, the front proxy of docker-compose.yml, in front of a real gunicorn:
slow or idle clients tie up nginx, not gunicorn's threads. Needs nginx on PATH (.ci/run
installs Debian's nginx-light)."""

import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from .live import REPO, LiveServer, decode, free_port, http

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed"),
]
IDLE_CLIENTS = 12  # more than the 2 workers x 4 threads gunicorn has here


def local_config(upstream_port: int, listen_port: int, folder: Path) -> str:
    """The shipped config with the compose names swapped for this machine's."""
    text = (REPO / "deploy" / "nginx.conf").read_text()
    text = text.replace("server web:8000;", f"server 127.0.0.1:{upstream_port};")
    text = text.replace("listen 8080;", f"listen 127.0.0.1:{listen_port};")
    paths = f"    client_body_temp_path {folder}/body;\n    proxy_temp_path {folder}/proxy;\n"
    text = re.sub(r"^http \{\n", "http {\n" + paths, text, flags=re.M)
    return f"pid {folder}/nginx.pid;\nerror_log {folder}/error.log;\n" + text


@pytest.fixture(scope="module")
def stack():
    # as in docker-compose.yml: the app believes forwarded headers from the proxy only
    with LiveServer(
        workers=2, threads=4, env={"TRUSTED_PROXIES": "127.0.0.1"}
    ) as server:
        folder = Path(tempfile.mkdtemp(prefix="pwpush-nginx-"))
        port = free_port()
        config = folder / "nginx.conf"
        config.write_text(local_config(server.port, port, folder))
        subprocess.run(
            ["nginx", "-t", "-c", str(config)], check=True, capture_output=True
        )
        subprocess.run(["nginx", "-c", str(config)], check=True)
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                try:
                    if http("GET", f"http://127.0.0.1:{port}/up", timeout=2)[0] == 200:
                        break
                except OSError:
                    time.sleep(0.2)
            yield server, port
        finally:
            subprocess.run(["nginx", "-c", str(config), "-s", "stop"], check=False)
            shutil.rmtree(folder, ignore_errors=True)


def idle_half_requests(port: int) -> list[socket.socket]:
    sockets = []
    for _ in range(IDLE_CLIENTS):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(
            b"POST /p.json HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n{"
        )
        sockets.append(sock)
    time.sleep(0.5)
    return sockets


def answers(port: int, timeout: float) -> bool:
    try:
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/up", timeout=timeout
        ) as r:
            return r.status == 200
    except OSError:
        return False


def test_idle_clients_do_not_stall_the_service_behind_the_proxy(stack) -> None:
    server, proxy_port = stack
    held = idle_half_requests(proxy_port)
    try:
        assert answers(proxy_port, timeout=5)
    finally:
        for sock in held:
            sock.close()


def test_the_proxy_replaces_a_forged_client_address(stack) -> None:
    server, proxy_port = stack
    token = server.create_user("proxy@example.com")
    auth = {"Authorization": f"Bearer {token}", "X-Forwarded-For": "203.0.113.9"}
    status, _, body = http(
        "POST",
        f"http://127.0.0.1:{proxy_port}/p.json",
        json_body={"password": {"payload": "via the proxy"}},
        headers=auth,
    )
    assert status == 201
    url_token = decode(body)["url_token"]
    status, _, body = http(
        "GET", f"http://127.0.0.1:{proxy_port}/p/{url_token}/audit.json", headers=auth
    )
    assert [entry["ip"] for entry in decode(body)["views"]] == ["127.0.0.1"]
