"""The registry adapter under hostile conditions: hung servers, odd charsets, odd URLs, and a
canary password that must never turn up in anything we show."""

from __future__ import annotations

import contextlib
import os
import random
import socket
import threading
import time
import traceback
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pytest_releaseplan.errors import Category, CheckFailure, ConfigError
from pytest_releaseplan.registry import (
    Budget,
    Registry,
    parse_registry,
    published_files,
    upload,
)
from pytest_releaseplan.registry.budget import MIN_ATTEMPT, UPLOAD_SHARE
from pytest_releaseplan.registry.http_get import decode
from pytest_releaseplan.retry import retry, worst_backoff
from pytest_releaseplan.scaffold import PackageSpec, tree
from pytest_releaseplan.secrets import mask, mask_url
from tests.conftest import NO_ISOLATION_BUILD, run_release
from tests.servers import HOST, free_port, pypiserver_factory
from tests.test_registry import NAME, build_dists

__all__ = ["pypiserver_factory"]

CANARY = "Canary-Pa55-7d1f-never-show"


# --- servers ---------------------------------------------------------------------------


class SilentServer:
    """Accepts every connection, reads what it is sent, never answers a byte."""

    def __init__(self) -> None:
        self.sock = socket.create_server((HOST, 0))
        self.port = int(self.sock.getsockname()[1])
        self.accepted = 0
        self._conns: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def url(self, password: str | None = None) -> str:
        auth = f"releaser:{password}@" if password else ""
        return f"http://{auth}{HOST}:{self.port}/"

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                conn, _ = self.sock.accept()
                conn.settimeout(0.2)
                self._conns.append(conn)
                self.accepted += 1
            for conn in list(self._conns):
                with contextlib.suppress(TimeoutError, OSError):
                    conn.recv(65536)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for conn in self._conns:
            conn.close()
        self.sock.close()


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer()
    try:
        yield server
    finally:
        server.close()


@contextlib.contextmanager
def page_server(content_type: str, body: bytes) -> Iterator[str]:
    """An index that answers every GET with `body` under `content_type`; yields its URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((HOST, 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return build_dists(tmp_path_factory.mktemp("dists"))


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for key in ("TWINE_USERNAME", "TWINE_PASSWORD", "TWINE_REPOSITORY_URL", "TWINE_REPOSITORY"):
        monkeypatch.delenv(key, raising=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWINE_")}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    return env


def shown_everywhere(failure: CheckFailure, *objects: object) -> str:
    """Every text a user or a log could see of `failure` and `objects`."""
    return "\n".join(
        [
            failure.render(),
            str(failure),
            repr(failure),
            repr(failure.args),
            *failure.evidence,
            *failure.fix,
            "".join(traceback.format_exception(failure)),
            *(f"{o!s}\n{o!r}" for o in objects),
        ]
    )


# --- budget and retry deadline ---------------------------------------------------------


@pytest.mark.parametrize(("timeout", "retries"), [(1800, 3), (60, 3), (20, 1), (8, 0), (3, 5)])
def test_upload_attempts_and_backoff_fit_in_a_share_of_the_item_timeout(
    timeout: float, retries: int
) -> None:
    budget = Budget.of_item(timeout, retries, clock=lambda: 100.0)
    assert budget.deadline == 100.0 + timeout * UPLOAD_SHARE
    worst = budget.attempt * (retries + 1) + worst_backoff(retries)
    assert worst <= timeout * UPLOAD_SHARE or budget.attempt == MIN_ATTEMPT
    assert budget.attempt_timeout() <= budget.attempt
    assert budget.attempt_timeout(cap=0.5) == MIN_ATTEMPT


def test_the_default_item_timeout_gives_each_upload_attempt_minutes() -> None:
    budget = Budget.of_item(1800, 3, clock=lambda: 0.0)
    assert 200 < budget.attempt < 230


def test_an_attempt_never_runs_past_the_deadline() -> None:
    now = [0.0]
    budget = Budget.of_item(20, 1, clock=lambda: now[0])
    now[0] = budget.deadline - 2.5
    assert budget.attempt_timeout() == pytest.approx(2.5)
    now[0] = budget.deadline + 5
    assert budget.attempt_timeout() == MIN_ATTEMPT


def test_retry_starts_no_attempt_after_the_deadline() -> None:
    now = [0.0]
    calls: list[float] = []

    def slow_failure() -> None:
        calls.append(now[0])
        now[0] += 4.0
        raise TimeoutError("timed out")

    with pytest.raises(TimeoutError):
        retry(
            slow_failure, retries=10, is_transient=lambda e: True, base=0.0,
            sleep=lambda d: None, deadline=10.0, clock=lambda: now[0],
            rng=random.Random(0),
        )  # fmt: skip
    assert calls == [0.0, 4.0, 8.0]


# --- hung registries -------------------------------------------------------------------


def test_an_upload_the_registry_never_answers_fails_transient_before_the_item_timeout(
    silent_server: SilentServer, dists: list[Path], clean_env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "empty-index").mkdir()
    reg = parse_registry(silent_server.url(CANARY), "file:empty-index", tmp_path)
    # 14 s: each of the two attempts gets ~3 s, enough for twine to start and connect on a
    # loaded 2-core machine (with 8 s, ~1.5 s each, it sometimes never connected)
    item_timeout = 14.0
    start = time.monotonic()
    with pytest.raises(CheckFailure) as info:
        upload(reg, dists, retries=1, timeout=item_timeout, env=clean_env)
    elapsed = time.monotonic() - start
    failure = info.value
    assert elapsed < item_timeout * UPLOAD_SHARE + 2.0, elapsed
    assert silent_server.accepted >= 2  # twine connected, twice: the retry happened
    assert failure.category is Category.TRANSIENT
    assert "no answer within" in failure.what
    assert failure.what.endswith("after 2 attempts")
    assert failure.fix[0].startswith("rerun the same command")
    assert any("raise `timeout`" in line for line in failure.fix)
    text = shown_everywhere(failure, reg)
    assert "Traceback" not in failure.render()
    assert CANARY not in text


def test_an_index_that_never_answers_fails_transient_before_the_item_timeout(
    silent_server: SilentServer, dists: list[Path], clean_env: dict[str, str], tmp_path: Path
) -> None:
    reg = parse_registry(silent_server.url(CANARY), None, tmp_path)
    start = time.monotonic()
    with pytest.raises(CheckFailure) as info:
        upload(reg, dists, retries=2, timeout=6, env=clean_env)
    assert time.monotonic() - start < 6 * UPLOAD_SHARE + 2.0
    assert info.value.category is Category.TRANSIENT
    assert info.value.what.startswith("cannot read the package index http://releaser:***@")
    assert CANARY not in shown_everywhere(info.value, reg)


def test_a_publish_whose_registry_never_answers_ends_in_a_clean_transient_failure(
    pytester: pytest.Pytester, tmp_path: Path, silent_server: SilentServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """End to end: the item's budget is small, the upload hangs; our failure, not pytest-timeout's."""
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    root = tmp_path / "ws"
    (root / "empty-index").mkdir(parents=True)
    config = (
        f'registry = "{silent_server.url(CANARY)}"\nindex-url = "file:empty-index"\n'
        f"timeout = 40\nretries = 1\n{NO_ISOLATION_BUILD}"
    )
    tree(root, [PackageSpec("core")], config=config)
    result = run_release(pytester, root, "--release-publish", "--release-yes", subprocess=True)
    out = result.stdout.str() + result.stderr.str()
    assert result.ret != 0, out
    assert "no answer within" in out, out
    assert "category: transient" in out
    assert "Timeout" not in out  # pytest-timeout never fired
    assert "Traceback" not in out
    assert CANARY not in out
    for path in (root / ".releaseplan").rglob("*"):
        if path.is_file():
            assert CANARY not in path.read_text(errors="replace"), path


# --- the canary password ---------------------------------------------------------------


def test_the_canary_password_is_never_shown_for_a_wrong_password(
    pypiserver_factory, dists: list[Path], clean_env: dict[str, str], tmp_path: Path
) -> None:
    server = pypiserver_factory(auth=True, authenticate="update")
    reg = parse_registry(server.url_with_auth(password=CANARY), None, tmp_path)
    with pytest.raises(CheckFailure) as info:
        upload(reg, dists, retries=2, timeout=60, env=clean_env, sleep=lambda d: None)
    assert info.value.category is Category.BLOCKING
    assert CANARY not in shown_everywhere(info.value, reg, reg.display_target, reg.display_index)


def test_the_canary_password_is_never_shown_for_a_refused_connection(
    dists: list[Path], clean_env: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    (tmp_path / "empty").mkdir()
    for index in (None, "file:empty"):  # refused while reading the index, then in twine
        reg = parse_registry(f"http://releaser:{CANARY}@{HOST}:{port}/", index, tmp_path)
        with pytest.raises(CheckFailure) as info:
            upload(reg, dists, retries=1, timeout=30, env=clean_env, sleep=lambda d: None)
        assert info.value.category is Category.TRANSIENT
        assert info.value.what.endswith("after 2 attempts")
        assert CANARY not in shown_everywhere(info.value, reg)


def test_registry_display_forms_never_show_a_password_or_token(tmp_path: Path) -> None:
    reg = parse_registry(f"https://me:{CANARY}@pkgs.example/up/", None, tmp_path)
    assert reg.display_target == "https://me:***@pkgs.example/up/"
    assert reg.display_index == "https://me:***@pkgs.example/up/simple/"
    assert repr(reg) == str(reg)
    assert CANARY not in repr(reg)
    token = "pypi-AgEIcHlwaS5vcmc-token-canary"
    by_token = parse_registry(f"https://{token}@pkgs.example/", None, tmp_path)
    assert by_token.display_target == "https://***@pkgs.example/"
    assert token not in repr(by_token)
    assert token not in mask(f"echoed: {token}")  # registered at parse time


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://user:S3cret-x@host/", "http://user:***@host/"),
        ("http://Tok3n-abcdef@host:8080/p/", "http://***@host:8080/p/"),
        ("http://user:p%40ss%2Fw0rd@host/", "http://user:***@host/"),
        ("http://:S3cret-y@host/", "http://***@host/"),
        ("https://host/simple/", "https://host/simple/"),
    ],
)
def test_mask_url(url: str, shown: str) -> None:
    assert mask_url(url) == shown


def test_mask_hides_userinfo_with_an_unencoded_at_sign() -> None:
    assert mask("see http://u:p@ss-w0rd@host/x") == "see http://***@host/x"


# --- odd URLs and answers --------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "url", "hint"),
    [
        ("registry", "http://pkgs.exämple.org/", "IDNA"),
        ("registry", "http://host/päckages/", "%C3%A4"),
        ("index-url", "http://host/sïmple/", "%C3%AF"),
        ("registry", f"http://me:{CANARY}é@host/", "user name or password"),
    ],
)
def test_a_non_ascii_url_is_a_config_error_naming_the_key(
    key: str, url: str, hint: str, tmp_path: Path
) -> None:
    registry_value, index = (url, None) if key == "registry" else ("http://host/", url)
    with pytest.raises(ConfigError) as info:
        parse_registry(registry_value, index, tmp_path)
    message = str(info.value)
    assert message.startswith(f"{key}: ")
    assert hint in message
    assert CANARY not in message


def test_a_password_with_an_unencoded_slash_is_a_config_error_that_shows_nothing(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConfigError) as info:
        parse_registry("https://me:pa/ss-Wd-42@host/", None, tmp_path)
    assert "ss-Wd-42" not in str(info.value)
    assert "%2F" in str(info.value)


def test_a_bad_port_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"registry: .*invalid port"):
        parse_registry("http://host:port/", None, tmp_path)


@pytest.mark.parametrize("charset", ["x-unknown", "base64", "utf-8", "latin-1"])
def test_an_index_page_in_an_unknown_charset_is_read_leniently(
    charset: str, tmp_path: Path
) -> None:
    page = (
        '<html><body><a href="rp_demo-0.1.0.tar.gz#sha256=00">rp_demo-0.1.0.tar.gz</a>'
        " caf\xe9 \u2603</body></html>"
    ).encode("utf-8", errors="replace")
    with page_server(f"text/html; charset={charset}", page) as url:
        reg = parse_registry(url, None, tmp_path)
        assert published_files(reg, NAME, timeout=10) == {"rp_demo-0.1.0.tar.gz"}


def test_decode_falls_back_to_utf8_with_replacements() -> None:
    assert decode("caf\xe9".encode(), "x-unknown") == "caf\xe9"
    assert decode(b"caf\xff", "x-unknown") == "caf\ufffd"
    assert decode(b"caf\xe9", "latin-1") == "caf\xe9"
    assert decode(b"abc", None) == "abc"


def test_registry_objects_compare_by_value_without_showing_secrets(tmp_path: Path) -> None:
    a = parse_registry(f"http://u:{CANARY}@h/", None, tmp_path)
    b = Registry(index_url=f"http://u:{CANARY}@h/simple/", upload_url=f"http://u:{CANARY}@h/")
    assert a == b
    assert CANARY not in repr([a, b])
