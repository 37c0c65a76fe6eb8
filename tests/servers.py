"""Real servers for the tests, bound to 127.0.0.1 only: pypiserver and a fault-injecting proxy.

Plain context managers (`running_pypiserver`, `running_faulty_proxy`) plus pytest fixtures
(`pypiserver`, `auth_pypiserver`, `pypiserver_factory`, `faulty_proxy`) that a conftest can
re-export with ``from tests.servers import pypiserver, auth_pypiserver, ...``.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

HOST = "127.0.0.1"
START_TIMEOUT = 20.0
AUTH_USER = "releaser"
AUTH_PASSWORD = "s3cret-Pa55word-xyz"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class PypiServer:
    url: str  # upload URL, e.g. http://127.0.0.1:PORT/
    simple: str  # simple index, e.g. http://127.0.0.1:PORT/simple/
    packages_dir: Path
    port: int
    process: subprocess.Popen[bytes]
    username: str | None = None
    password: str | None = None

    def url_with_auth(self, username: str | None = None, password: str | None = None) -> str:
        user = username if username is not None else self.username
        pw = password if password is not None else self.password
        return f"http://{user}:{pw}@{HOST}:{self.port}/"


def _wait_until_up(proc: subprocess.Popen[bytes], url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                if resp.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.05)
    return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            continue
        return


@contextlib.contextmanager
def running_pypiserver(
    packages_dir: Path,
    *,
    htpasswd: Path | None = None,
    authenticate: str = "update,download,list",
    username: str | None = None,
    password: str | None = None,
) -> Iterator[PypiServer]:
    """Run pypiserver on a free 127.0.0.1 port; without `htpasswd` nothing needs auth."""
    packages_dir.mkdir(parents=True, exist_ok=True)
    auth = ["-a", authenticate, "-P", str(htpasswd)] if htpasswd else ["-a", ".", "-P", "."]
    for _attempt in range(3):  # a free port can be taken between probing and binding
        port = free_port()
        argv = [
            sys.executable, "-m", "pypiserver", "run", "-p", str(port), "-i", HOST,
            *auth, "--disable-fallback", "--log-stream", "none", str(packages_dir),
        ]  # fmt: skip
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            if _wait_until_up(proc, f"http://{HOST}:{port}/health", START_TIMEOUT):
                url = f"http://{HOST}:{port}/"
                yield PypiServer(url, url + "simple/", packages_dir, port, proc, username, password)
                return
        finally:
            _stop(proc)
    raise RuntimeError(f"pypiserver did not start: {' '.join(argv)}")


def write_htpasswd(path: Path, username: str, password: str) -> Path:
    with warnings.catch_warnings():  # passlib imports the deprecated `crypt` module
        warnings.simplefilter("ignore", DeprecationWarning)
        from passlib.apache import HtpasswdFile  # type: ignore[import-untyped]

    ht = HtpasswdFile(str(path), new=True)
    ht.set_password(username, password)
    ht.save()
    return path


@contextlib.contextmanager
def running_auth_pypiserver(
    workdir: Path,
    username: str = AUTH_USER,
    password: str = AUTH_PASSWORD,
    authenticate: str = "update,download,list",
) -> Iterator[PypiServer]:
    """pypiserver requiring basic auth for `authenticate` (default: upload, download, list)."""
    workdir.mkdir(parents=True, exist_ok=True)
    htpasswd = write_htpasswd(workdir / "htpasswd.txt", username, password)
    with running_pypiserver(
        workdir / "packages", htpasswd=htpasswd, authenticate=authenticate,
        username=username, password=password,
    ) as server:  # fmt: skip
        yield server


# --- fault-injecting proxy -------------------------------------------------------------

_HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
    "trailers", "transfer-encoding", "upgrade", "host", "content-length",
}  # fmt: skip


@dataclass
class FaultyProxy:
    """Answers `status` (or resets the connection) for the first `fail` requests of `method`,
    then forwards everything to `upstream`. `counts` counts requests per method."""

    upstream: str
    fail: int
    method: str = "POST"
    status: int = 503
    mode: str = "status"  # "status" | "reset"
    counts: Counter[str] = field(default_factory=Counter)
    failed: int = 0
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def should_fail(self, method: str) -> bool:
        with self._lock:
            self.counts[method] += 1
            if method == self.method and self.failed < self.fail:
                self.failed += 1
                return True
            return False


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks: list[bytes] = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                handler.rfile.readline()
                return b"".join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


def _make_handler(proxy: FaultyProxy) -> type[BaseHTTPRequestHandler]:
    up = urlsplit(proxy.upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _handle(self) -> None:
            body = _read_body(self)
            if proxy.should_fail(self.command):
                self._fail()
                return
            self._forward(body)

        def _fail(self) -> None:
            if proxy.mode == "reset":
                # SO_LINGER 0: close() sends RST instead of FIN
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.close_connection = True
                self.connection.close()
                return
            payload = b"injected failure\n"
            self.send_response(proxy.status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(payload)
            self.close_connection = True

        def _forward(self, body: bytes) -> None:
            conn = http.client.HTTPConnection(up.hostname or HOST, up.port, timeout=30)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                headers["Host"] = up.netloc
                conn.request(self.command, self.path, body=body or None, headers=headers)
                resp = conn.getresponse()
                payload = resp.read()
                self.send_response(resp.status, resp.reason)
                for key, value in resp.getheaders():
                    if key.lower() not in _HOP_BY_HOP:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)
            finally:
                conn.close()

        do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _handle

    return Handler


@contextlib.contextmanager
def running_faulty_proxy(
    upstream: str, *, fail: int, method: str = "POST", status: int = 503, mode: str = "status"
) -> Iterator[FaultyProxy]:
    proxy = FaultyProxy(upstream, fail, method.upper(), status, mode)
    server = ThreadingHTTPServer((HOST, 0), _make_handler(proxy))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    proxy.url = f"http://{HOST}:{server.server_address[1]}/"
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- pytest fixtures -------------------------------------------------------------------

PypiServerFactory = Callable[..., PypiServer]
FaultyProxyFactory = Callable[..., FaultyProxy]


@pytest.fixture
def pypiserver_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PypiServerFactory]:
    """`pypiserver_factory(auth=False, authenticate="update,download,list")` starts another
    server (with auth: user AUTH_USER, password AUTH_PASSWORD); all stop with the test."""
    with contextlib.ExitStack() as stack:

        def start(*, auth: bool = False, authenticate: str = "update,download,list") -> PypiServer:
            workdir = tmp_path_factory.mktemp("pypiserver")
            if auth:
                return stack.enter_context(
                    running_auth_pypiserver(workdir, authenticate=authenticate)
                )
            return stack.enter_context(running_pypiserver(workdir / "packages"))

        yield start


@pytest.fixture
def pypiserver(pypiserver_factory: PypiServerFactory) -> PypiServer:
    """A fresh pypiserver without authentication (uploads need only dummy credentials)."""
    return pypiserver_factory()


@pytest.fixture
def auth_pypiserver(pypiserver_factory: PypiServerFactory) -> PypiServer:
    """A fresh pypiserver requiring AUTH_USER/AUTH_PASSWORD for upload, download and list."""
    return pypiserver_factory(auth=True)


@pytest.fixture
def faulty_proxy() -> Iterator[FaultyProxyFactory]:
    """`faulty_proxy(upstream_url, fail=2, method="POST", status=503, mode="status"|"reset")`."""
    with contextlib.ExitStack() as stack:

        def start(
            upstream: str,
            *,
            fail: int,
            method: str = "POST",
            status: int = 503,
            mode: str = "status",
        ) -> FaultyProxy:
            return stack.enter_context(
                running_faulty_proxy(upstream, fail=fail, method=method, status=status, mode=mode)
            )

        yield start
