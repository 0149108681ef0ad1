"""Real loopback HTTP(S) servers for tests that need a live peer.

Tests of outbound HTTP (``claims.sources.fetching`` and everything built on it) should
talk to a real socket, not a mock: timeouts, framing, compression and TLS are
exactly what the fetcher must get right. :class:`LoopbackServer` runs a
``ThreadingHTTPServer`` on ``127.0.0.1`` (port 0) in a background thread; each
test registers the routes it needs::

    with LoopbackServer() as server:
        server.route("/page", Reply(200, {"Content-Type": "text/html"}, b"<p>hi</p>"))
        server.route("/echo", lambda request: Reply(body=request.body))
        server.route("/old", Reply(302, {"Location": "/page"}))
        response = safe_fetch(server.url("/page"))
        assert server.requests[0].path == "/page"

A route is answered with a :class:`Reply` (status, headers, body; the body may
be an iterable of chunks sent with a ``delay`` between them, to drip), or a
:class:`RawReply` whose callable writes raw bytes to the socket (malformed or
hand-framed responses). A callable route receives the :class:`Request` and
returns either. Unknown paths get 404. Every response closes its connection.

Pass ``ssl_context`` (a server-side ``ssl.SSLContext``, e.g. from ``trustme``) to
serve HTTPS. Slow handlers should sleep with :meth:`LoopbackServer.wait`, which
returns early once the server stops, so tests never wait for leftover drips.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import BinaryIO, Literal

__all__ = ["LoopbackServer", "RawReply", "Reply", "Request", "free_port"]


@dataclass(frozen=True)
class Request:
    """What the server received, recorded for assertions."""

    method: str
    path: str  # path and query, as sent on the request line
    headers: dict[str, str]  # lower-cased names
    body: bytes


@dataclass
class Reply:
    """A response to send.

    ``framing`` decides how the body is delimited: ``"auto"`` (Content-Length for
    bytes, chunked for an iterable), ``"length"``, ``"chunked"``, ``"close"``
    (no length; the connection close ends the body) or ``"raw"`` (headers sent
    exactly as given, chunks written as is, e.g. to lie about Content-Length).
    ``delay`` seconds pass before each body chunk is sent.
    """

    status: int = 200
    headers: Mapping[str, str] | Sequence[tuple[str, str]] = field(default_factory=dict)
    body: bytes | Iterable[bytes] = b""
    delay: float = 0.0
    framing: Literal["auto", "length", "chunked", "close", "raw"] = "auto"


@dataclass
class RawReply:
    """A response written by hand: ``write(wfile, server)`` sends every byte itself."""

    write: Callable[[BinaryIO, LoopbackServer], None]


Route = Reply | RawReply | Callable[[Request], Reply | RawReply]


def free_port() -> int:
    """A loopback TCP port with nothing listening on it (for connection-refused tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"
    timeout = 10  # an idle client cannot pin a handler thread forever

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output clean."""

    def _serve(self) -> None:
        self.close_connection = True
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(
            method=self.command,
            path=self.path,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
        )
        owner = self.server.owner
        owner._record(request)
        route = owner._routes.get(self.path.split("?", 1)[0])
        if route is None:
            reply: Reply | RawReply = Reply(404, {"Content-Type": "text/plain"}, b"not found")
        elif isinstance(route, Reply | RawReply):
            reply = route
        else:
            reply = route(request)
        if isinstance(reply, RawReply):
            reply.write(self.wfile, owner)
            self.wfile.flush()
            return
        self._send(reply, owner)

    def _send(self, reply: Reply, owner: LoopbackServer) -> None:
        pairs = list(reply.headers.items()) if isinstance(reply.headers, Mapping) else list(reply.headers)
        framing = reply.framing
        if framing == "auto":
            framing = "length" if isinstance(reply.body, bytes | bytearray) else "chunked"
        chunks = [bytes(reply.body)] if isinstance(reply.body, bytes | bytearray) else reply.body

        self.send_response_only(reply.status)
        for name, value in pairs:
            self.send_header(name, value)
        if framing == "length":
            if not isinstance(reply.body, bytes | bytearray):
                raise TypeError('framing="length" needs a bytes body')
            self.send_header("Content-Length", str(len(reply.body)))
        elif framing == "chunked":
            self.send_header("Transfer-Encoding", "chunked")
        if framing != "raw":
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.flush()
        if self.command == "HEAD":
            return
        for chunk in chunks:
            if reply.delay and not owner.wait(reply.delay):
                return
            if not chunk:
                continue
            if framing == "chunked":
                self.wfile.write(b"%x\r\n%b\r\n" % (len(chunk), chunk))
            else:
                self.wfile.write(chunk)
            self.wfile.flush()
        if framing == "chunked":
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    owner: LoopbackServer

    def verify_request(self, request: object, client_address: object) -> bool:
        self.owner._count_connection()
        return True

    def finish_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        context = self.owner.ssl_context
        if context is None:
            super().finish_request(request, client_address)
            return
        request.settimeout(10)
        try:
            tls = context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as exc:  # e.g. the client rejected our certificate
            self.owner._record_error(exc)
            return
        try:
            super().finish_request(tls, client_address)
        finally:
            tls.close()

    def handle_error(self, request: object, client_address: object) -> None:
        import sys

        exc = sys.exc_info()[1]
        if exc is not None:
            self.owner._record_error(exc)


class LoopbackServer:
    """A threaded HTTP(S) server on 127.0.0.1 with per-test routes; use it as a context manager."""

    def __init__(self, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.ssl_context = ssl_context
        self.requests: list[Request] = []
        self.errors: list[BaseException] = []
        self.connections = 0
        self._routes: dict[str, Route] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle

    def start(self) -> LoopbackServer:
        """Bind port 0 on loopback and serve in a daemon thread."""
        httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        httpd.owner = self
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake slow handlers and close the listening socket."""
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- configuration

    def route(self, path: str, handler: Route) -> None:
        """Answer requests for ``path`` (query ignored) with ``handler``."""
        with self._lock:
            self._routes[path] = handler

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def scheme(self) -> str:
        return "https" if self.ssl_context is not None else "http"

    def url(self, path: str = "/", *, host: str = "127.0.0.1") -> str:
        """Absolute URL of ``path`` on this server (``host`` may be e.g. ``localhost``)."""
        return f"{self.scheme}://{host}:{self.port}{path}"

    def wait(self, seconds: float) -> bool:
        """Sleep in a handler; False (early) when the server is stopping, so drips end promptly."""
        return not self._stopping.wait(seconds)

    # -- bookkeeping (called from handler threads)

    def _record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    def _record_error(self, exc: BaseException) -> None:
        with self._lock:
            self.errors.append(exc)

    def _count_connection(self) -> None:
        with self._lock:
            self.connections += 1
