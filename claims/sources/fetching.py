"""The one safe HTTP fetcher of the project.

Every outbound HTTP request (cited sources, article URLs, webhook deliveries)
goes through :func:`safe_fetch`. The URLs come from users, so this module is
the project's main SSRF surface; it therefore:

* accepts only ``http``/``https`` URLs with a plain host, no user-info, no
  backslash/whitespace/control-character tricks and no odd numeric IPv4
  spellings (``2130706433``, ``0177.0.0.1``, ``0x7f.1``, ``127.1``);
* allows ports 80/443 (``FETCH_ALLOWED_PORTS``) unless the host is allow-listed;
* resolves the host once and refuses it if *any* address is not globally
  routable (IPv4 embedded in IPv6 is unwrapped and checked too), then connects
  to that vetted address itself, so a second DNS answer cannot rebind it;
* re-validates every redirect target with the same rules;
* bounds the whole exchange: connect/read timeouts per socket operation, a total
  deadline enforced by a watchdog (slow headers or a body dripped byte by byte
  cannot outlive it), and a cap on the *decoded* body size (gzip bombs stop at
  the cap; only ``gzip``/``deflate`` are asked for and accepted);
* verifies TLS certificates against certifi (or ``FETCH_CA_BUNDLE``).

Errors are split by what the caller should do: :class:`FetchRefused` (policy;
never retry), :class:`FetchFailed` (permanent) and :class:`FetchTransient`
(retry later). Non-2xx statuses are *returned*, not raised.

Missing ``Content-Type`` on a 2xx response: the body is read (within the cap)
and sniffed (HTML, XML, PDF, JSON, plain text, else binary); the sniffed type
becomes ``FetchResponse.content_type`` and must be in ``allowed_content_types``.

Note: ``getaddrinfo`` has no timeout of its own; DNS time is bounded by the
system resolver configuration, not by ``total_timeout``.
"""

from __future__ import annotations

import contextlib
import email.utils
import http.client
import ipaddress
import logging
import re
import socket
import ssl
import threading
import time
import typing
import unicodedata
import zlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urldefrag, urljoin, urlsplit

import certifi
import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import (
    ConnectTimeoutError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.exceptions import (
    SSLError as Urllib3SSLError,
)

__all__ = [
    "DEFAULT_CONTENT_TYPES",
    "FetchError",
    "FetchFailed",
    "FetchRefused",
    "FetchResponse",
    "FetchTransient",
    "check_url",
    "is_public_address",
    "safe_fetch",
]

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_CONTENT_TYPES: frozenset[str] = frozenset(
    {
        "text/html",
        "application/xhtml+xml",
        "text/plain",
        "text/markdown",
        "text/csv",
        "application/pdf",
        "application/x-pdf",
        "text/xml",
        "application/xml",
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/json",
        "application/ld+json",
        "application/feed+json",
    }
)

MAX_URL_LENGTH = 2048
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

_DEFAULTS = {
    "FETCH_ALLOWLIST": [],
    "FETCH_ALLOWED_PORTS": [80, 443],
    "FETCH_CONNECT_TIMEOUT": 5.0,
    "FETCH_READ_TIMEOUT": 10.0,
    "FETCH_TOTAL_TIMEOUT": 30.0,
    "FETCH_MAX_BYTES": 10 * 1024 * 1024,
    "FETCH_MAX_REDIRECTS": 5,
    "FETCH_USER_AGENT": "factcheck/0.1 (+https://github.com/factcheck)",
    "FETCH_CA_BUNDLE": None,
}

_DEFAULT_PORTS = {"http": 80, "https": 443}
_READ_CHUNK = 64 * 1024
_MAX_ADDRESSES_TRIED = 4
_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
# Headers we always set ourselves: a caller must not be able to override framing,
# the Host we vetted, or ask for an encoding we cannot decode with a size cap.
_RESERVED_HEADERS = frozenset({"host", "accept-encoding", "connection", "content-length", "transfer-encoding"})
_BODY_HEADERS = frozenset({"content-type", "content-length", "content-encoding", "transfer-encoding"})
_CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
_TOKEN_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HOST_LABEL_RE = re.compile(r"[a-z0-9_-]{1,63}")
# WHATWG: a host whose last label is a number is an IPv4 address (maybe in an odd spelling).
_NUMERIC_LABEL_RE = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)")
_PATH_SAFE = "!#$%&'()*+,/:;=?@[]~"


# --------------------------------------------------------------------------- errors


class FetchError(Exception):
    """Base of every fetch error; ``code`` is for machines, ``reason`` is safe to show users."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason

    def __reduce__(self) -> tuple[type[FetchError], tuple[str, str]]:
        # Keeps the exception picklable (Celery, multiprocessing) despite the custom __init__.
        return (type(self), (self.code, self.reason))


class FetchRefused(FetchError):
    """Policy refusal (scheme, port, user-info, non-public address, bad host...): never retry."""


class FetchFailed(FetchError):
    """Permanent failure (TLS, too large, content type, redirects, encoding, malformed): do not retry."""


class FetchTransient(FetchError):
    """Failure worth retrying later (timeouts, deadline, refused/reset connections, DNS hiccups)."""

    def __init__(self, code: str, reason: str, retry_after: float | None = None) -> None:
        super().__init__(code, reason)
        self.retry_after = retry_after

    def __reduce__(self) -> tuple[type[FetchTransient], tuple[str, str, float | None]]:  # type: ignore[override]
        return (type(self), (self.code, self.reason, self.retry_after))


# --------------------------------------------------------------------------- response


@dataclass(frozen=True)
class FetchResponse:
    """What a fetch produced; non-2xx statuses are here too so callers can classify them."""

    url: str
    final_url: str
    status: int
    headers: dict[str, str]
    content_type: str
    charset: str | None
    body: bytes
    redirects: tuple[str, ...]
    elapsed: float

    def retry_after_seconds(self) -> float | None:
        """Seconds the server asked us to wait (Retry-After), so 429/503 retries respect it."""
        return _parse_retry_after(self.headers.get("retry-after"))


def _parse_retry_after(value: str | None) -> float | None:
    """Parse Retry-After as delta-seconds or an HTTP-date; None when absent or invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(int(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


# --------------------------------------------------------------------------- addresses


# Explicit lists, because Python 3.11's ``is_global`` misses several of these
# (multicast, 192.0.0.0/24 parts, 64:ff9b:1::/48, 3fff::/20...).
_V4_BLOCKED: tuple[tuple[IPNetwork, str], ...] = tuple(
    (ipaddress.ip_network(cidr), label)
    for cidr, label in (
        ("0.0.0.0/8", "unspecified"),
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "shared (CGNAT)"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "IETF protocol assignments"),
        ("192.0.2.0/24", "documentation"),
        ("192.31.196.0/24", "AS112"),
        ("192.52.193.0/24", "AMT"),
        ("192.88.99.0/24", "6to4 relay anycast"),
        ("192.168.0.0/16", "private"),
        ("192.175.48.0/24", "AS112"),
        ("198.18.0.0/15", "benchmarking"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),
    )
)
_V6_BLOCKED: tuple[tuple[IPNetwork, str], ...] = tuple(
    (ipaddress.ip_network(cidr), label)
    for cidr, label in (
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("::/96", "IPv4-compatible"),
        ("::ffff:0:0:0/96", "IPv4-translated"),
        ("64:ff9b:1::/48", "local-use NAT64"),
        ("100::/64", "discard-only"),
        ("2001::/32", "Teredo"),
        ("2001::/23", "IETF protocol assignments"),
        ("2001:db8::/32", "documentation"),
        ("3fff::/20", "documentation"),
        ("5f00::/16", "SRv6 SIDs"),
        ("fc00::/7", "unique-local"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local"),
        ("ff00::/8", "multicast"),
    )
)
_V6_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")
_NAT64_WKP = ipaddress.ip_network("64:ff9b::/96")
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")


def _v4_problem(ip: ipaddress.IPv4Address) -> str | None:
    for network, label in _V4_BLOCKED:
        if ip in network:
            return label
    if not ip.is_global:  # belt and braces over the explicit list
        return "not globally routable"
    return None


def _address_problem(ip: IPAddress) -> str | None:
    """Why ``ip`` must not be contacted (a short label), or None when it is public."""
    if isinstance(ip, ipaddress.IPv4Address):
        return _v4_problem(ip)
    if ip.scope_id:
        return "scoped"
    # IPv4 hidden inside IPv6: unwrap and judge the IPv4 address itself.
    if ip.ipv4_mapped is not None:
        inner = _v4_problem(ip.ipv4_mapped)
        return f"IPv4-mapped {inner}" if inner else None
    if ip in _NAT64_WKP:
        inner = _v4_problem(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        return f"NAT64 {inner}" if inner else None
    if ip in _SIX_TO_FOUR:
        embedded = ip.sixtofour
        inner = _v4_problem(embedded) if embedded is not None else "6to4"
        return f"6to4 {inner}" if inner else None
    for network, label in _V6_BLOCKED:
        if ip in network:
            return label
    if ip not in _V6_GLOBAL_UNICAST:
        return "not global unicast"
    if not ip.is_global:
        return "not globally routable"
    return None


def is_public_address(ip: str | IPAddress) -> bool:
    """True only for globally routable unicast addresses: the SSRF address gate.

    IPv4 embedded in IPv6 (mapped, NAT64 ``64:ff9b::/96``, 6to4) is judged by
    the embedded IPv4; IPv4-compatible, Teredo, and any unparsable or scoped
    address count as not public.
    """
    if isinstance(ip, str):
        try:
            ip = ipaddress.ip_address(ip)
        except ValueError:
            return False
    return _address_problem(ip) is None


# --------------------------------------------------------------------------- settings


def _setting(name: str) -> object:
    """Read a FETCH_* setting at call time, falling back to the documented default."""
    from django.conf import settings

    default = _DEFAULTS[name]
    if not settings.configured:
        return default
    return getattr(settings, name, default)


@dataclass(frozen=True)
class _Policy:
    """Allow-list and ports, read from settings once per call."""

    hosts: frozenset[str]
    networks: tuple[IPNetwork, ...]
    ports: frozenset[int]

    @classmethod
    def from_settings(cls) -> _Policy:
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for raw in _setting("FETCH_ALLOWLIST") or []:  # type: ignore[union-attr]
            entry = str(raw).strip().lower()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                hosts.add(entry.rstrip("."))
        ports = frozenset(int(p) for p in _setting("FETCH_ALLOWED_PORTS") or [])  # type: ignore[union-attr]
        return cls(frozenset(hosts), tuple(networks), ports)

    def address_allowed(self, ip: IPAddress) -> bool:
        return any(ip.version == net.version and ip in net for net in self.networks)


# --------------------------------------------------------------------------- URL vetting


@dataclass(frozen=True)
class _Target:
    """A vetted URL: where to connect (addresses) and what to send (path, Host)."""

    scheme: str
    host: str  # ASCII, lower-case, no brackets, no trailing dot
    port: int
    path: str  # path + query, percent-encoded, starts with "/"
    literal: IPAddress | None
    addresses: tuple[IPAddress, ...] = ()

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == _DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"

    @property
    def origin(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.port)

    def describe(self) -> str:
        """Scheme, host and port only: paths and queries may hold secrets, keep them out of logs."""
        return f"{self.scheme}://{self.host_header}"


def _refuse(code: str, reason: str) -> FetchRefused:
    return FetchRefused(code, reason)


def _parse_url(url: str) -> _Target:
    """Parse and syntactically validate ``url``; no DNS, no I/O."""
    if not isinstance(url, str) or not url:
        raise _refuse("bad_url", "The URL is empty.")
    if len(url) > MAX_URL_LENGTH:
        raise _refuse("url_too_long", f"The URL is longer than {MAX_URL_LENGTH} characters.")
    for char in url:
        if char == "\\" or unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            raise _refuse("bad_url", "The URL contains a backslash or control characters.")
    if url != url.strip():
        raise _refuse("bad_url", "The URL has leading or trailing whitespace.")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise _refuse("bad_url", "The URL cannot be parsed.") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise _refuse("bad_scheme", "Only http and https URLs can be fetched.")
    netloc = parts.netloc
    if not netloc:
        raise _refuse("missing_host", "The URL has no host.")
    if "@" in netloc:
        raise _refuse("userinfo", "URLs with a user name or password are not allowed.")
    if any(c.isspace() for c in netloc):
        raise _refuse("bad_host", "The host contains whitespace.")

    literal: IPAddress | None = None
    if netloc.startswith("["):
        end = netloc.find("]")
        if end < 0:
            raise _refuse("bad_host", "The IPv6 address is not closed with ']'.")
        host_text, rest = netloc[1:end], netloc[end + 1 :]
        if rest and not rest.startswith(":"):
            raise _refuse("bad_host", "Unexpected text after the IPv6 address.")
        port_text = rest[1:] if rest else None
        if "%" in host_text:
            raise _refuse("bad_host", "IPv6 zone identifiers are not allowed.")
        try:
            literal = ipaddress.IPv6Address(host_text)
        except ValueError:
            raise _refuse("bad_host", "The bracketed host is not a valid IPv6 address.") from None
        host = str(literal)
    else:
        if netloc.count(":") > 1:
            raise _refuse("bad_host", "IPv6 addresses must be written in brackets.")
        host_text, sep, port_text_raw = netloc.partition(":")
        port_text = port_text_raw if sep else None
        host = _normalize_hostname(host_text)
        last_label = host.rsplit(".", 1)[-1]
        if _NUMERIC_LABEL_RE.fullmatch(last_label):
            try:
                literal = ipaddress.IPv4Address(host)
            except ValueError:
                raise _refuse("bad_ip", "Only canonical dotted-decimal IPv4 addresses are allowed.") from None

    if port_text:
        if not (port_text.isascii() and port_text.isdigit() and len(port_text) <= 5):
            raise _refuse("bad_port", "The port is not a number.")
        port = int(port_text)
        if not 0 < port < 65536:
            raise _refuse("bad_port", "The port is out of range.")
    else:
        port = _DEFAULT_PORTS[scheme]

    path = quote(parts.path or "/", safe=_PATH_SAFE)
    if not path.startswith("/"):
        path = "/" + path
    if parts.query or url.split("#", 1)[0].endswith("?"):
        path += "?" + quote(parts.query, safe=_PATH_SAFE)
    return _Target(scheme=scheme, host=host, port=port, path=path, literal=literal)


def _normalize_hostname(text: str) -> str:
    """Lower-case, IDNA-encode and validate a DNS host name (or dotted IPv4 text)."""
    if not text:
        raise _refuse("missing_host", "The URL has no host.")
    if not text.isascii():
        try:
            # IDNA 2003 nameprep also folds full-width digits and ideographic dots into ASCII,
            # so such spellings of 127.0.0.1 end up checked as the address they are.
            text = text.encode("idna").decode("ascii")
        except UnicodeError:
            raise _refuse("bad_host", "The host name is not a valid internationalized name.") from None
    host = text.lower()
    if host.endswith("."):
        host = host[:-1]
    if not host or len(host) > 253:
        raise _refuse("bad_host", "The host name is empty or too long.")
    for label in host.split("."):
        if not _HOST_LABEL_RE.fullmatch(label):
            raise _refuse("bad_host", "The host name contains invalid characters or empty labels.")
    return host


def _vet(url: str, policy: _Policy) -> _Target:
    """Everything checked before connecting: syntax, port, DNS (once) and addresses."""
    target = _parse_url(url)
    host_allowed = target.host in policy.hosts
    port_allowed = host_allowed or target.port in policy.ports
    if not port_allowed and not policy.networks:
        raise _refuse("port_not_allowed", f"Port {target.port} is not allowed.")

    if target.literal is not None:
        addresses: tuple[IPAddress, ...] = (target.literal,)
    else:
        addresses = _resolve(target.host, target.port)

    if not port_allowed and not all(policy.address_allowed(ip) for ip in addresses):
        raise _refuse("port_not_allowed", f"Port {target.port} is not allowed.")
    if not host_allowed:
        for ip in addresses:
            if policy.address_allowed(ip):
                continue
            problem = _address_problem(ip)
            if problem is not None:
                if target.literal is not None:
                    reason = f"The address is not publicly routable ({problem})."
                else:  # do not reveal what an internal name resolves to
                    reason = f"The host resolves to an address that is not publicly routable ({problem})."
                raise _refuse("private_address", reason)
    return _Target(
        scheme=target.scheme,
        host=target.host,
        port=target.port,
        path=target.path,
        literal=target.literal,
        addresses=addresses,
    )


def _resolve(host: str, port: int) -> tuple[IPAddress, ...]:
    """Resolve ``host`` exactly once; the answer is what we vet and connect to."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        if exc.errno in (socket.EAI_AGAIN, getattr(socket, "EAI_SYSTEM", None)):
            raise FetchTransient("dns_temporary", "The host name could not be resolved right now.") from None
        raise FetchFailed("dns_not_found", "The host name does not resolve.") from None
    except (UnicodeError, OSError):
        raise FetchFailed("dns_not_found", "The host name does not resolve.") from None
    addresses: list[IPAddress] = []
    for family, _type, _proto, _canon, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        try:
            ip = ipaddress.ip_address(str(sockaddr[0]))
        except ValueError:
            raise _refuse("bad_host", "The host resolves to an unusable address.") from None
        if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id is None and len(sockaddr) > 3 and sockaddr[3]:
            ip = ipaddress.IPv6Address(f"{ip}%{sockaddr[3]}")  # keep the scope so it is refused
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise FetchFailed("dns_not_found", "The host name has no usable address.")
    return tuple(addresses)


def check_url(url: str) -> None:
    """Validate ``url`` exactly as :func:`safe_fetch` would before connecting.

    Used when a URL is registered (webhooks) so bad targets are rejected early.
    Every rejection, including a host that does not resolve (now), is raised as
    :class:`FetchRefused`, with the ``code`` of the underlying error.
    """
    try:
        _vet(url, _Policy.from_settings())
    except FetchRefused:
        raise
    except FetchError as exc:
        raise FetchRefused(exc.code, exc.reason) from None


# --------------------------------------------------------------------------- I/O


class _Watchdog:
    """Shuts the current socket down when the total deadline passes.

    Per-operation timeouts alone cannot bound a peer that drips response headers
    byte by byte; shutting the socket down from a timer thread wakes any blocked
    read, and ``fired`` tells the reader that the EOF it saw was ours.
    """

    def __init__(self, deadline: float) -> None:
        self.fired = False
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket | None) -> None:
        with self._lock:
            self._sock = sock
            if self.fired and sock is not None:
                self._kill(sock)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            if self._sock is not None:
                self._kill(self._sock)

    @staticmethod
    def _kill(sock: socket.socket) -> None:
        # The base-class method works on the fd without touching SSL state owned by the reader.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()
        with self._lock:
            self._sock = None


@dataclass(frozen=True)
class _Options:
    connect_timeout: float
    read_timeout: float
    max_bytes: int
    ca_bundle: str
    deadline: float


def _deadline_error() -> FetchTransient:
    return FetchTransient("deadline", "The fetch took longer than the total time allowed.")


def _translate(exc: BaseException, *, connected: bool, watchdog: _Watchdog, deadline: float) -> FetchError:
    """Map a low-level exception to our error classes (the deadline wins over what it caused)."""
    if watchdog.fired or time.monotonic() >= deadline:
        return _deadline_error()
    if isinstance(exc, NewConnectionError):
        cause = exc.__cause__
        if isinstance(cause, ConnectionRefusedError):
            return FetchTransient("connection_refused", "The server refused the connection.")
        if isinstance(cause, TimeoutError):
            return FetchTransient("connect_timeout", "Connecting to the server timed out.")
        return FetchTransient("connection_error", "Could not connect to the server.")
    if isinstance(exc, ConnectTimeoutError):
        return FetchTransient("connect_timeout", "Connecting to the server timed out.")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return FetchFailed("tls_error", "The server's TLS certificate could not be verified.")
    if isinstance(exc, ssl.SSLEOFError | ssl.SSLZeroReturnError):
        return FetchTransient("connection_reset", "The server closed the TLS connection.")
    if isinstance(exc, ssl.SSLError | Urllib3SSLError):
        if not connected:
            return FetchFailed("tls_error", "The TLS handshake with the server failed.")
        return FetchTransient("connection_error", "The TLS connection broke.")
    if isinstance(exc, ReadTimeoutError | TimeoutError):
        if not connected:  # e.g. a TLS handshake that stalls
            return FetchTransient("connect_timeout", "Connecting to the server timed out.")
        return FetchTransient("read_timeout", "The server stopped sending data.")
    if isinstance(exc, ProtocolError):
        inner = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], BaseException) else exc.__cause__
        if inner is not None and inner is not exc:
            return _translate(inner, connected=connected, watchdog=watchdog, deadline=deadline)
        return FetchTransient("connection_error", "The connection broke.")
    if isinstance(exc, http.client.IncompleteRead):
        return FetchTransient("incomplete_response", "The connection closed before the whole response arrived.")
    if isinstance(exc, ConnectionError):  # reset, aborted, broken pipe, RemoteDisconnected
        return FetchTransient("connection_reset", "The server closed the connection.")
    if isinstance(exc, http.client.HTTPException):
        return FetchFailed("malformed_response", "The server sent a malformed HTTP response.")
    if isinstance(exc, OSError):
        return FetchTransient("connection_error", "A network error occurred.")
    return FetchFailed("fetch_error", "The fetch failed.")


_IO_ERRORS = (OSError, http.client.HTTPException, urllib3.exceptions.HTTPError)


class _Exchange:
    """One request/response on a fresh connection to a vetted address; always closed."""

    def __init__(self, target: _Target, opts: _Options, watchdog: _Watchdog) -> None:
        self.target = target
        self.opts = opts
        self.watchdog = watchdog
        self.conn: HTTPConnection | None = None
        # http.client drops conn.sock once a "Connection: close" response is read; keep our own
        # reference so per-read timeouts can still be re-armed.
        self.sock: socket.socket | None = None
        self.response: urllib3.HTTPResponse | None = None

    def __enter__(self) -> _Exchange:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.watchdog.watch(None)
        if self.response is not None:
            with contextlib.suppress(Exception):
                self.response.close()
        if self.conn is not None:
            with contextlib.suppress(Exception):
                self.conn.close()

    def _timeout(self, base: float) -> float:
        remaining = self.opts.deadline - time.monotonic()
        if remaining <= 0 or self.watchdog.fired:
            raise _deadline_error()
        return max(0.001, min(base, remaining))

    def _new_connection(self, address: IPAddress) -> HTTPConnection:
        # The socket timeout also bounds the whole TLS handshake (CPython applies it as a deadline).
        timeout = self._timeout(self.opts.connect_timeout)
        if self.target.scheme == "https":
            # server_hostname drives SNI and the stdlib hostname check against the *name*,
            # while the socket goes to the vetted IP.
            return HTTPSConnection(
                str(address),
                self.target.port,
                timeout=timeout,
                server_hostname=self.target.host,
                cert_reqs="CERT_REQUIRED",
                ca_certs=self.opts.ca_bundle,
            )
        return HTTPConnection(str(address), self.target.port, timeout=timeout)

    def _connect(self) -> None:
        error: FetchError | None = None
        for address in self.target.addresses[:_MAX_ADDRESSES_TRIED]:
            conn = self._new_connection(address)
            try:
                conn.connect()
            except _IO_ERRORS as exc:
                with contextlib.suppress(Exception):
                    conn.close()
                error = _translate(exc, connected=False, watchdog=self.watchdog, deadline=self.opts.deadline)
                if not isinstance(error, FetchTransient) or error.code == "deadline":
                    raise error from None
                continue
            self.conn = conn
            self.sock = conn.sock
            self.watchdog.watch(conn.sock)
            return
        assert error is not None
        raise error

    def send(self, method: str, body: bytes | None, headers: dict[str, str]) -> urllib3.HTTPResponse:
        """Connect, send the request and read the status line and headers."""
        self._connect()
        assert self.conn is not None
        try:
            self.conn.timeout = self._timeout(self.opts.read_timeout)
            self.conn.request(
                method,
                self.target.path,
                body=body,
                headers=headers,
                preload_content=False,
                decode_content=False,
                enforce_content_length=True,
            )
            self.response = self.conn.getresponse()
        except _IO_ERRORS as exc:
            raise _translate(exc, connected=True, watchdog=self.watchdog, deadline=self.opts.deadline) from None
        if self.watchdog.fired:
            raise _deadline_error()
        return self.response

    def read_body(self, decoder: _BodyDecoder) -> None:
        """Stream the raw body into ``decoder`` with read1-style calls, re-arming timeouts each time."""
        assert self.conn is not None and self.response is not None
        raw_cap = 2 * self.opts.max_bytes + 64 * 1024  # compressed input that inflates to nothing
        raw_total = 0
        while True:
            timeout = self._timeout(self.opts.read_timeout)
            try:
                if self.sock is not None and self.sock.fileno() != -1:  # closed once the body is complete
                    self.sock.settimeout(timeout)
                chunk = self.response.read1(_READ_CHUNK, decode_content=False)
            except _IO_ERRORS as exc:
                raise _translate(exc, connected=True, watchdog=self.watchdog, deadline=self.opts.deadline) from None
            if self.watchdog.fired:  # our shutdown looks like a clean EOF: do not trust it
                raise _deadline_error()
            if not chunk:
                break
            raw_total += len(chunk)
            if raw_total > raw_cap:
                raise _too_large(self.opts.max_bytes)
            decoder.feed(chunk)
        decoder.finish()


# --------------------------------------------------------------------------- body decoding


def _too_large(limit: int) -> FetchFailed:
    return FetchFailed("too_large", f"The response body is larger than {limit} bytes.")


class _BodyDecoder:
    """Incremental identity/gzip/deflate decoding with a hard cap on *decoded* bytes.

    zlib's ``max_length`` keeps each step's output at most one byte past the
    remaining budget, so a gzip bomb is stopped at the cap instead of inflating.
    On overflow the kept body is truncated to the cap before ``too_large`` is raised.
    """

    def __init__(self, encoding: str, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self.chunks: list[bytes] = []
        self._done = False
        self._pending = b""  # deflate: first bytes, until we know zlib-wrapped from raw
        self._z: typing.Any = None
        encoding = encoding.strip().lower()
        if encoding in ("", "identity"):
            self.mode = "identity"
        elif encoding in ("gzip", "x-gzip"):
            self.mode = "gzip"
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self.mode = "deflate"  # decompressor chosen once two bytes are in
        else:
            raise FetchFailed("bad_content_encoding", "The response uses an unsupported content encoding.")

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)

    def _emit(self, data: bytes) -> None:
        if not data:
            return
        room = self.limit - self.size
        if len(data) > room:
            self.chunks.append(data[:room])
            self.size = self.limit
            raise _too_large(self.limit)
        self.chunks.append(data)
        self.size += len(data)

    def _start_deflate(self) -> bytes:
        """Pick zlib-wrapped or raw deflate (some servers send raw) from the first two bytes."""
        data, self._pending = self._pending, b""
        wrapped = len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
        self._z = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        return data

    def feed(self, data: bytes) -> None:
        if self._done or not data:
            return
        if self.mode == "identity":
            self._emit(data)
            return
        if self._z is None:
            self._pending += data
            if len(self._pending) < 2:
                return
            data = self._start_deflate()
        try:
            self._inflate(data)
        except zlib.error:
            raise FetchFailed("bad_content_encoding", "The compressed response body is corrupt.") from None

    def _inflate(self, data: bytes) -> None:
        z = self._z
        while data:
            out = z.decompress(data, self.limit - self.size + 1)
            self._emit(out)
            if z.eof:
                rest = z.unused_data
                if self.mode == "gzip" and rest.startswith(b"\x1f\x8b"):
                    z = self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)  # next gzip member
                    data = rest
                    continue
                self._done = True  # ignore trailing garbage, like browsers
                return
            data = z.unconsumed_tail

    def finish(self) -> None:
        if self.mode == "identity" or self._done:
            return
        try:
            if self._z is None:
                if not self._pending:
                    return  # empty body
                self._inflate(self._start_deflate())
            # A truncated stream keeps what decoded, like browsers do.
            self._emit(self._z.flush())
        except zlib.error:
            raise FetchFailed("bad_content_encoding", "The compressed response body is corrupt.") from None


# --------------------------------------------------------------------------- content type


def _parse_content_type(value: str | None) -> tuple[str, str | None]:
    """Media type (lower-case, no parameters) and charset parameter of a Content-Type value."""
    if not value:
        return "", None
    media, *params = value.split(";")
    charset = None
    for param in params:
        name, _, val = param.partition("=")
        if name.strip().lower() == "charset":
            charset = val.strip().strip("\"'").strip().lower() or None
    return media.strip().lower(), charset


_HTML_TAGS = tuple(
    f"<{tag}".encode()
    for tag in [
        "!doctype html",
        "html",
        "head",
        "script",
        "iframe",
        "h1",
        "div",
        "font",
        "table",
        "a",
        "style",
        "title",
        "b",
        "body",
        "br",
        "p",
    ]
)
_BINARY_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")


def _sniff(body: bytes) -> str:
    """Guess a media type for a 2xx body sent without Content-Type (a tiny WHATWG-style sniffer)."""
    head = body[:1024]
    if head.startswith((b"\xfe\xff", b"\xff\xfe")):
        return "text/plain"  # UTF-16 text
    head = head.removeprefix(b"\xef\xbb\xbf")
    stripped = head.lstrip(b" \t\r\n\x0c").lower()
    if stripped.startswith(b"%pdf-"):
        return "application/pdf"
    if stripped.startswith(b"<!--"):
        return "text/html"
    for tag in _HTML_TAGS:
        if stripped.startswith(tag) and stripped[len(tag) : len(tag) + 1] in (b" ", b">", b"\t", b"\n", b"\r", b"\x0c"):
            return "text/html"
    if stripped.startswith(b"<?xml"):
        return "text/xml"
    if stripped[:1] in (b"{", b"["):
        return "application/json"
    if _BINARY_BYTES.search(head):
        return "application/octet-stream"
    return "text/plain"


# --------------------------------------------------------------------------- the fetcher


def _request_headers(extra: Mapping[str, str] | None, user_agent: str) -> dict[str, str]:
    """Our default headers plus the caller's, refusing header injection."""
    headers = {"User-Agent": user_agent, "Accept": _ACCEPT}
    for name, value in (extra or {}).items():
        if not isinstance(name, str) or not isinstance(value, str) or not _TOKEN_RE.fullmatch(name):
            raise _refuse("bad_header", "A request header name is invalid.")
        if any(c in value for c in "\r\n\0"):
            raise _refuse("bad_header", "A request header value contains line breaks.")
        if name.lower() in _RESERVED_HEADERS:
            continue
        for existing in [k for k in headers if k.lower() == name.lower()]:
            del headers[existing]
        headers[name] = value
    return headers


def _number(value: object, name: str) -> float:
    number = float(_setting(name) if value is None else value)  # type: ignore[arg-type]
    if number <= 0:
        raise ValueError(f"{name} must be positive")
    return number


def safe_fetch(
    url: str,
    *,
    method: str = "GET",
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    allowed_content_types: Collection[str] | None = DEFAULT_CONTENT_TYPES,
    max_bytes: int | None = None,
    connect_timeout: float | None = None,
    read_timeout: float | None = None,
    total_timeout: float | None = None,
    max_redirects: int | None = None,
    follow_redirects: bool = True,
) -> FetchResponse:
    """Fetch ``url`` under the SSRF, size and time rules of this module.

    ``None`` arguments fall back to the ``FETCH_*`` settings. Non-2xx responses are
    returned (their body best-effort, truncated at ``max_bytes``); for 2xx the media
    type must be in ``allowed_content_types`` (``None`` accepts any) and the decoded
    body must fit ``max_bytes``. ``redirects`` lists, in order, each URL that answered
    with a redirect we followed (the first is ``url``); ``final_url`` answered last.

    Raises :class:`FetchRefused`, :class:`FetchFailed` or :class:`FetchTransient`.
    """
    started = time.monotonic()
    policy = _Policy.from_settings()
    method = method.upper()
    if not _TOKEN_RE.fullmatch(method):
        raise _refuse("bad_method", "The HTTP method is invalid.")
    limit = int(_number(max_bytes, "FETCH_MAX_BYTES"))
    redirect_limit = int(_setting("FETCH_MAX_REDIRECTS") if max_redirects is None else max_redirects)  # type: ignore[arg-type]
    allowed = None if allowed_content_types is None else frozenset(t.lower() for t in allowed_content_types)
    opts = _Options(
        connect_timeout=_number(connect_timeout, "FETCH_CONNECT_TIMEOUT"),
        read_timeout=_number(read_timeout, "FETCH_READ_TIMEOUT"),
        max_bytes=limit,
        ca_bundle=str(_setting("FETCH_CA_BUNDLE") or certifi.where()),
        deadline=started + _number(total_timeout, "FETCH_TOTAL_TIMEOUT"),
    )
    request_headers = _request_headers(headers, str(_setting("FETCH_USER_AGENT")))

    watchdog = _Watchdog(opts.deadline)
    try:
        current = url
        redirects: list[str] = []
        seen: set[tuple[str, str]] = set()
        previous: _Target | None = None
        while True:
            key = (method, urldefrag(current)[0])
            if key in seen:
                raise FetchFailed("redirect_loop", "The redirects loop back to a URL already visited.")
            seen.add(key)
            try:
                target = _vet(current, policy)
            except FetchRefused as exc:
                logger.info("fetch refused (%s)%s", exc.code, " after redirect" if redirects else "")
                raise
            if previous is not None and previous.origin != target.origin:
                # Never hand credentials to another origin a redirect pointed us at.
                for name in [k for k in request_headers if k.lower() in _CREDENTIAL_HEADERS]:
                    del request_headers[name]
            previous = target
            hop_headers = {**request_headers, "Host": target.host_header, "Accept-Encoding": "gzip, deflate"}
            hop_headers["Connection"] = "close"
            logger.debug("fetching %s", target.describe())

            with _Exchange(target, opts, watchdog) as exchange:
                response = exchange.send(method, body, hop_headers)
                status = response.status
                location = response.headers.get("location", "").strip()
                if follow_redirects and status in REDIRECT_STATUSES and location:
                    if len(redirects) >= redirect_limit:
                        raise FetchFailed("too_many_redirects", f"More than {redirect_limit} redirects.")
                    redirects.append(current)
                    current = urljoin(current, location)
                    if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
                        method, body = "GET", None
                        for name in [k for k in request_headers if k.lower() in _BODY_HEADERS]:
                            del request_headers[name]
                    continue

                result_headers = {name.lower(): response.headers[name] for name in response.headers}
                content_types = response.headers.getlist("content-type")
                content_type, charset = _parse_content_type(content_types[-1] if content_types else None)
                body_bytes = _read_response_body(
                    exchange,
                    response,
                    method=method,
                    status=status,
                    content_type=content_type,
                    allowed=allowed,
                    limit=limit,
                )
            if 200 <= status < 300 and not content_type and body_bytes:
                content_type = _sniff(body_bytes)
                if allowed is not None and content_type not in allowed:
                    raise FetchFailed("unsupported_content_type", "The response has no usable content type.")
            return FetchResponse(
                url=url,
                final_url=current,
                status=status,
                headers=result_headers,
                content_type=content_type,
                charset=charset,
                body=body_bytes,
                redirects=tuple(redirects),
                elapsed=time.monotonic() - started,
            )
    finally:
        watchdog.cancel()


def _read_response_body(
    exchange: _Exchange,
    response: urllib3.HTTPResponse,
    *,
    method: str,
    status: int,
    content_type: str,
    allowed: frozenset[str] | None,
    limit: int,
) -> bytes:
    """Read and decode the body: strictly for 2xx, best-effort (never raising) otherwise."""
    if 200 <= status < 300 and allowed is not None and content_type and content_type not in allowed:
        raise FetchFailed("unsupported_content_type", f"Content type {content_type[:100]!r} is not accepted.")
    if method == "HEAD" or status in (204, 304):
        return b""  # no body by definition, whatever Content-Length says
    encoding = response.headers.get("content-encoding", "")
    length_text = response.headers.get("content-length", "").strip()
    length = int(length_text) if length_text.isascii() and length_text.isdigit() else None
    if 200 <= status < 300:
        decoder = _BodyDecoder(encoding, limit)
        if length is not None and length > (limit if decoder.mode == "identity" else 2 * limit + 64 * 1024):
            raise _too_large(limit)
        exchange.read_body(decoder)
        return decoder.body
    # Error pages, 3xx not followed...: the status is what matters; keep what body we can.
    try:
        decoder = _BodyDecoder(encoding, limit)
    except FetchFailed:
        return b""
    with contextlib.suppress(FetchError):
        exchange.read_body(decoder)
    return decoder.body
