"""The official `pwpush` CLI (PyPI) end to end against a real server (spec §13).

The CLI is installed from PyPI into a virtualenv of its own, cached under the temp
dir (PWPUSH_CLI_VERSION picks the release). It runs with HOME and XDG_CONFIG_HOME in a
temp dir, so its config file (~/.config/pwpush/config.ini) is the test's own, and from
a directory outside the repo, because the repo's `pwpush` package would shadow the
CLI's. Every check looks at both what the CLI printed and what the server stored.

CLI 0.16.7 facts these tests rely on (pwpush/__main__.py, commands/*.py):
- `login --url --email --token` probes GET /api/v2/version (404 keeps the "legacy"
  profile), then GET /p/active.json; prints "Login successful." on 200 and, on any
  other status, "Could not log in:" but still exits 0.
- `push --secret S [--days N] [--views N] [--note] [--name] [--passphrase]
  [--[no-]deletable] [--[no-]retrieval-step] [--kind text|url|qr]`: POST /p.json
  (JSON body), then GET /p/<t>/preview.json; prints "The secret has been pushed to:"
  and the URL, or `{"url": ...}` with the global --json.
- `list [--expired]`: GET /p/active.json or /p/expired.json, shown as a table.
- `audit TOKEN`: GET /p/<t>/audit.json, shown as a table.
- `push-file PATH [same options]`: POST /f.json multipart (file_push[...] fields,
  booleans as "True"/"False", file_push[files][]), then GET /f/<t>/preview.json;
  prints the URL alone.
- `expire TOKEN`: DELETE /p/<t>.json; prints nothing on success (the JSON with --json).
- Errors print "Error <status>: <the body's error>" and exit 1.
- A token is a positional argument, and tokens may begin with "-" (spec §6.6 alphabet
  [a-z0-9_-]; legacy's base64url tokens too): the CLI then reads it as an option
  ("No such option '-t'", exit 2). The tests pass tokens after "--", as users must.
"""

import configparser
import fcntl
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from .live import LiveServer, base_env, decode, http
from .spec import AUDIT_KEYS, LIST_KEYS

pytestmark = pytest.mark.slow

CLI_VERSION = os.environ.get("PWPUSH_CLI_VERSION", "0.16.7")
EMAIL = "cli-user@example.com"


# --- the CLI ---


def _cli_works(executable: Path) -> bool:
    if not (executable.parent.parent / ".installed").exists():
        return False
    try:
        result = subprocess.run(
            [str(executable), "--version"],
            env=base_env(PYTHONPATH=None, HOME=tempfile.gettempdir()),
            cwd=tempfile.gettempdir(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and CLI_VERSION in result.stdout


@pytest.fixture(scope="session")
def pwpush_cli() -> Path:
    """The `pwpush` executable of PyPI's pwpush==CLI_VERSION, in a cached virtualenv."""
    python = f"py{sys.version_info.major}{sys.version_info.minor}"
    root = Path(tempfile.gettempdir()) / f"pwpush-cli-{CLI_VERSION}-{python}"
    executable = root / "bin" / "pwpush"
    with open(
        f"{root}.lock", "w"
    ) as lock:  # one installer at a time across pytest runs
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _cli_works(executable):
            shutil.rmtree(root, ignore_errors=True)
            steps = [
                [sys.executable, "-m", "venv", str(root)],
                [
                    str(root / "bin" / "python"),
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    f"pwpush=={CLI_VERSION}",
                ],
            ]
            for step in steps:
                result = subprocess.run(
                    step,
                    capture_output=True,
                    text=True,
                    timeout=900,
                    stdin=subprocess.DEVNULL,
                )
                if result.returncode != 0:
                    pytest.fail(
                        f"installing the pwpush CLI failed: {step}\n{result.stdout}\n{result.stderr}"
                    )
            (root / ".installed").touch()
            assert _cli_works(executable), (
                "the freshly installed pwpush CLI does not run"
            )
    return executable


class Cli:
    """Runs the CLI with its own HOME, outside the repo."""

    def __init__(self, executable: Path, home: Path) -> None:
        self.executable = executable
        self.home = home
        self.env = base_env(
            PYTHONPATH=None,
            HOME=str(home),
            XDG_CONFIG_HOME=str(home / ".config"),
            COLUMNS="250",  # rich tables and lines must not wrap or cut tokens
            NO_COLOR="1",
            TERM="dumb",
            NO_PROXY="127.0.0.1,localhost",
            no_proxy="127.0.0.1,localhost",
        )

    def __call__(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(self.executable), *args],
            env=self.env,
            cwd=self.home,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def ok(self, *args: str) -> str:
        """stdout of a run that must exit 0 and print no error."""
        result = self(*args)
        assert result.returncode == 0, (
            f"pwpush {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
        )
        assert "Error" not in result.stdout, result.stdout
        return result.stdout

    @property
    def config(self) -> configparser.ConfigParser:
        parser = configparser.ConfigParser()
        assert parser.read(self.home / ".config" / "pwpush" / "config.ini"), (
            "the CLI saved no config"
        )
        return parser


# --- fixtures ---


@pytest.fixture(scope="module")
def server():
    with LiveServer(workers=2, threads=4) as live:  # SQLite in a fresh DATA_DIR
        yield live
        assert "Traceback" not in live.log_text(), live.log_tail()


@pytest.fixture(scope="module")
def token(server: LiveServer) -> str:
    return server.create_user(EMAIL)


@pytest.fixture(scope="module")
def login_result(
    pwpush_cli: Path, server: LiveServer, token: str, tmp_path_factory
) -> tuple[Cli, str]:
    cli = Cli(pwpush_cli, tmp_path_factory.mktemp("cli-home"))
    return cli, cli.ok(
        "login", "--url", server.url, "--email", EMAIL, f"--token={token}"
    )  # API tokens may begin with "-"


@pytest.fixture
def cli(login_result) -> Cli:
    return login_result[0]


def pushed_token(server: LiveServer, output: str) -> tuple[str, str]:
    """(url, url_token) from `pwpush push` output."""
    match = re.search(r"The secret has been pushed to:\s*(\S+)", output)
    assert match, output
    url = match.group(1)
    token = re.fullmatch(re.escape(server.url) + r"/p/([a-z0-9_-]+)(?:/r)?", url)
    assert token, f"not a secret URL of this server: {url}"
    return url, token.group(1)


def push(cli: Cli, server: LiveServer, *args: str) -> tuple[str, str]:
    return pushed_token(server, cli.ok("push", *args))


def table_row(output: str, token: str) -> str:
    rows = [line for line in output.splitlines() if token in line]
    assert len(rows) == 1, f"{token} is in {len(rows)} rows of:\n{output}"
    return rows[0]


# --- tests ---


def test_login_saves_the_credentials_and_keeps_the_legacy_profile(
    login_result, server: LiveServer, token: str
) -> None:
    cli, output = login_result
    assert "Login successful" in output
    instance = cli.config["instance"]
    assert instance["url"] == server.url
    assert instance["email"] == EMAIL
    assert instance["token"] == token
    # GET /api/v2/version answered 404, so the CLI speaks v1 (spec §13)
    assert instance["api_profile"] == "legacy"


def test_login_with_a_wrong_token_is_refused(
    pwpush_cli: Path, server: LiveServer, tmp_path: Path
) -> None:
    cli = Cli(pwpush_cli, tmp_path)
    result = cli(
        "login", "--url", server.url, "--email", EMAIL, "--token", "not-a-real-token"
    )
    # the server answers 401 on /p/active.json; CLI 0.16.7 reports it but exits 0
    assert "Could not log in" in result.stdout, result.stdout + result.stderr
    assert "Login successful" not in result.stdout
    assert not (tmp_path / ".config" / "pwpush" / "config.ini").exists()


def test_push_with_days_and_views(cli: Cli, server: LiveServer) -> None:
    secret = f"days-views-{secrets.token_hex(8)}"
    url, token = push(cli, server, "--secret", secret, "--days", "3", "--views", "2")
    assert url == f"{server.url}/p/{token}/r"  # retrieval step on by default

    row = server.push_row(token)
    assert row["payload"] == secret
    assert row["kind"] == "text"
    assert row["expire_after_days"] == 3
    assert row["expire_after_views"] == 2
    assert row["owner"] == EMAIL
    assert row["deletable_by_viewer"] is True and row["retrieval_step"] is True
    assert row["expired"] is False
    assert row["audit"] == ["creation"]

    # the recipient gets it
    status, _, body = http("GET", f"{server.url}/p/{token}.json")
    assert status == 200
    shown = decode(body)
    assert shown["payload"] == secret
    assert (
        shown["expire_after_days"],
        shown["expire_after_views"],
        shown["views_remaining"],
    ) == (3, 2, 1)


def test_json_push_prints_the_preview_url(cli: Cli, server: LiveServer) -> None:
    secret = f"json-{secrets.token_hex(8)}"
    output = cli.ok("--json", "push", "--secret", secret)
    printed = json.loads(output)
    assert set(printed) == {"url"}
    match = re.fullmatch(re.escape(server.url) + r"/p/([a-z0-9_-]+)/r", printed["url"])
    assert match, printed
    token = match.group(1)

    row = server.push_row(token)
    assert row["payload"] == secret
    assert (row["expire_after_days"], row["expire_after_views"]) == (
        7,
        5,
    )  # the pw defaults
    assert row["owner"] == EMAIL


def test_push_with_note_name_passphrase_and_switches(
    cli: Cli, server: LiveServer
) -> None:
    secret = f"gated-{secrets.token_hex(8)}"
    passphrase = f"pass-{secrets.token_hex(4)}"
    url, token = push(
        cli,
        server,
        "--secret",
        secret,
        "--note",
        "ticket 42",
        "--name",
        "DB creds",
        "--passphrase",
        passphrase,
        "--no-deletable",
        "--no-retrieval-step",
    )
    assert url == f"{server.url}/p/{token}"  # no retrieval step, no /r

    row = server.push_row(token)
    assert (row["payload"], row["passphrase"], row["note"], row["name"]) == (
        secret,
        passphrase,
        "ticket 42",
        "DB creds",
    )
    assert row["deletable_by_viewer"] is False
    assert row["retrieval_step"] is False

    status, _, _ = http("GET", f"{server.url}/p/{token}.json")
    assert status == 401
    status, _, body = http(
        "GET", f"{server.url}/p/{token}.json?passphrase={passphrase}"
    )
    assert status == 200 and decode(body)["payload"] == secret


@pytest.mark.parametrize(
    ("kind", "secret"),
    [("qr", "qr text to show"), ("url", "https://example.com/some/where")],
)
def test_push_of_other_kinds(
    cli: Cli, server: LiveServer, kind: str, secret: str
) -> None:
    _, token = push(cli, server, "--secret", secret, "--kind", kind)
    status, _, body = http("GET", f"{server.url}/p/{token}.json")
    assert status == 200
    shown = decode(body)
    assert shown["payload"] == secret
    if kind == "url":
        assert shown["deletable_by_viewer"] is None
    else:
        assert server.push_row(token)["kind"] == "qr"


def test_push_file_uploads_through_multipart(
    cli: Cli, server: LiveServer, tmp_path: Path
) -> None:
    """push-file: POST /f.json multipart, file_push[...] fields, booleans sent as "True"/"False"."""
    content = f"attached {secrets.token_hex(8)}\n".encode()
    document = tmp_path / "report.txt"
    document.write_bytes(content)
    output = cli.ok(
        "push-file",
        str(document),
        "--days",
        "3",
        "--views",
        "2",
        "--no-deletable",
        "--note",
        "files",
    )
    match = re.search(re.escape(server.url) + r"/p/([a-z0-9_-]+)/r", output)
    assert match, output
    token = match.group(1)

    row = server.push_row(token)
    assert (row["expire_after_days"], row["expire_after_views"]) == (3, 2)
    assert row["deletable_by_viewer"] is False  # "False" in multipart
    assert row["note"] == "files"
    assert row["owner"] == EMAIL

    status, _, body = http("GET", f"{server.url}/f/{token}.json")
    assert status == 200
    shown = decode(body)
    assert [attachment["filename"] for attachment in shown["files"]] == ["report.txt"]
    status, _, downloaded = http("GET", shown["files"][0]["url"])
    assert (status, downloaded) == (200, content)

    cli.ok("expire", "--", token)
    status, _, body = http("GET", f"{server.url}/f/{token}.json")
    shown = decode(body)
    assert (shown["expired"], shown["deleted"], shown["files"]) == (True, True, [])


def test_list_shows_the_users_pushes(cli: Cli, server: LiveServer) -> None:
    note = f"list-{secrets.token_hex(4)}"
    _, token = push(
        cli, server, "--secret", "listed", "--days", "3", "--views", "2", "--note", note
    )
    _, other = push(cli, server, "--secret", "listed too")
    http("GET", f"{server.url}/p/{token}.json")  # one view used

    output = cli.ok("list")
    assert "Active Pushes" in output
    row = table_row(output, token)
    assert note in row
    assert "1/2" in row  # views used / allowed
    assert "0/3" in row  # days used / allowed
    table_row(output, other)

    listed = json.loads(cli.ok("--json", "list"))
    assert isinstance(listed, list)
    items = {item["url_token"]: item for item in listed}
    assert {token, other} <= set(items)
    item = items[token]
    assert set(item) == LIST_KEYS  # no payload in lists
    assert item["note"] == note
    assert (item["expire_after_views"], item["views_remaining"]) == (2, 1)
    assert (item["expire_after_days"], item["days_remaining"]) == (3, 3)
    assert item["expired"] is False
    # newest first
    assert list(items).index(other) < list(items).index(token)


def test_audit_shows_creation_and_views(cli: Cli, server: LiveServer) -> None:
    _, token = push(cli, server, "--secret", "audited")
    status, _, _ = http(
        "GET",
        f"{server.url}/p/{token}.json",
        headers={"User-Agent": "live-recipient/1.0"},
    )
    assert status == 200

    output = cli.ok("audit", "--", token)
    assert f"Audit Log for {token}" in output
    creation = table_row(output, "creation")
    assert f"pwpush-cli/{CLI_VERSION}" in creation
    assert "127.0.0.1" in creation
    assert "live-recipient/1.0" in table_row(output, " view ")

    audit = json.loads(cli.ok("--json", "audit", "--", token))
    assert [entry["kind"] for entry in audit["views"]] == ["creation", "view"]
    assert all(set(entry) == AUDIT_KEYS for entry in audit["views"])
    assert audit["views"][0]["user_agent"] == f"pwpush-cli/{CLI_VERSION}"
    assert audit["views"][1]["user_agent"] == "live-recipient/1.0"
    assert server.push_row(token)["audit"] == ["creation", "view"]


def test_audit_of_someone_elses_push_is_refused(cli: Cli, server: LiveServer) -> None:
    status, _, body = http(
        "POST", f"{server.url}/p.json", json_body={"password": {"payload": "anonymous"}}
    )
    assert status == 201
    result = cli("audit", "--", decode(body)["url_token"])
    assert result.returncode == 1
    assert "Error 403: That push doesn't belong to you." in result.stdout


def test_expire_erases_the_push(cli: Cli, server: LiveServer) -> None:
    secret = f"expire-me-{secrets.token_hex(8)}"
    _, token = push(
        cli,
        server,
        "--secret",
        secret,
        "--days",
        "3",
        "--views",
        "2",
        "--passphrase",
        "pp",
    )
    assert server.push_row(token)["payload"] == secret

    assert cli.ok("expire", "--", token).strip() == ""  # silent on success

    row = server.push_row(token)
    assert row["expired"] is True
    assert row["expired_on"] is not None
    assert row["deleted"] is True
    assert row["payload"] is None and row["payload_is_null"] is True
    assert row["passphrase_is_null"] is True
    assert (row["expire_after_days"], row["expire_after_views"]) == (
        3,
        2,
    )  # settings are kept
    assert row["audit"] == ["creation", "expire"]

    status, _, body = http("GET", f"{server.url}/p/{token}.json")
    assert status == 200
    shown = decode(body)
    assert (shown["expired"], shown["deleted"], shown["payload"]) == (True, True, None)

    assert token in cli.ok("list", "--expired")
    assert token not in cli.ok("list")

    # a second expire changes nothing and logs nothing (spec §7.5)
    again = json.loads(cli.ok("--json", "expire", "--", token))
    assert (
        again["url_token"],
        again["expired"],
        again["deleted"],
        again["passphrase"],
    ) == (token, True, True, None)
    assert "payload" not in again
    assert server.push_row(token)["audit"].count("expire") == 1


def test_expire_of_an_unknown_token_fails(cli: Cli) -> None:
    # a token may begin with "-" (alphabet [a-z0-9_-]): after "--" the CLI takes it as a token
    for token in ("nosuchtoken12345", "-nosuchtoken1234"):
        result = cli("expire", "--", token)
        assert result.returncode == 1, result.stdout + result.stderr
        assert "Error 404: not-found" in result.stdout
