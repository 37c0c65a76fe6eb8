"""A registry in front of pypiserver that misbehaves on a schedule, on 127.0.0.1 only.

Upload POSTs are numbered across the whole fuzz run (all reruns); a scheduled number gets a
connection reset, a 503, a 429 or a delay. New files stay off the simple index for `late`
seconds after their upload. Every upload the index accepted is logged by file name: that
log, not the release's own records, says whether anything was uploaded twice.
"""

from __future__ import annotations

import contextlib
import http.client
import re
import socket
import struct
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOST = "127.0.0.1"
_SKIP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "host", "content-length"}
_FILENAME = re.compile(rb'filename="([^"]+)"')


@dataclass
class FuzzProxy:
    upstream: str
    post_faults: dict[int, tuple[str, float]]  # POST number -> ("reset"|"503"|"429"|"slow", s)
    late: float = 0.0
    url: str = ""
    posts: int = 0
    uploads: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)  # answered 409: already there
    injected: Counter[str] = field(default_factory=Counter)
    uploaded_at: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_post(self) -> tuple[str, float] | None:
        with self.lock:
            self.posts += 1
            fault = self.post_faults.get(self.posts)
            if fault is not None:
                self.injected[fault[0]] += 1
            return fault

    def hidden(self) -> set[str]:
        now = time.monotonic()
        with self.lock:
            return {n for n, t in self.uploaded_at.items() if now - t < self.late}


def _body(handler: BaseHTTPRequestHandler) -> bytes:
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks: list[bytes] = []
        while size := int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16):
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
        handler.rfile.readline()
        return b"".join(chunks)
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


def _handler(proxy: FuzzProxy) -> type[BaseHTTPRequestHandler]:
    up = urlsplit(proxy.upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _handle(self) -> None:
            body = _body(self)
            fault = proxy.next_post() if self.command == "POST" else None
            if fault is not None and fault[0] == "reset":
                # SO_LINGER 0: close() sends RST instead of FIN
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.close_connection = True
                self.connection.close()
                return
            if fault is not None and fault[0] in ("503", "429"):
                self._answer(int(fault[0]), b"injected failure\n", {"Retry-After": "1"})
                return
            if fault is not None:
                time.sleep(fault[1])
            self._forward(body)

        def _answer(self, status: int, payload: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        def _forward(self, body: bytes) -> None:
            conn = http.client.HTTPConnection(up.hostname or HOST, up.port, timeout=60)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _SKIP_HEADERS}
                headers["Host"] = up.netloc
                conn.request(self.command, self.path, body=body or None, headers=headers)
                resp = conn.getresponse()
                payload = resp.read()
            finally:
                conn.close()
            if self.command == "POST":
                self._log_upload(body, resp.status)
            elif proxy.late and "/simple/" in self.path:
                for name in proxy.hidden():
                    payload = re.sub(
                        rb"<a [^>]*>" + re.escape(name.encode()) + rb"</a>(<br>)?", b"", payload
                    )
            kept = {k: v for k, v in resp.getheaders() if k.lower() not in _SKIP_HEADERS}
            self.send_response(resp.status, resp.reason)
            self._answer_headers(kept, payload)

        def _answer_headers(self, headers: dict[str, str], payload: bytes) -> None:
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        def _log_upload(self, body: bytes, status: int) -> None:
            found = _FILENAME.search(body)
            if found is None:
                return
            name = found.group(1).decode("utf-8", "replace")
            with proxy.lock:
                if 200 <= status < 300:
                    proxy.uploads[name] += 1
                    proxy.uploaded_at[name] = time.monotonic()
                elif status == 409:
                    proxy.refused[name] += 1

        do_GET = do_POST = do_HEAD = _handle

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A client gone mid-answer (its run was killed, or it gave up) is part of the game,
        not a traceback in the fuzz log; anything else is still printed."""
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


@contextlib.contextmanager
def running(
    upstream: str, post_faults: dict[int, tuple[str, float]], late: float
) -> Iterator[FuzzProxy]:
    proxy = FuzzProxy(upstream, post_faults, late)
    server = _Server((HOST, 0), _handler(proxy))
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    proxy.url = f"http://{HOST}:{server.server_address[1]}/"
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
