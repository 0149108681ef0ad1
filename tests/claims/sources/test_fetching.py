"""Tests of the safe HTTP fetcher (``claims.sources.fetching``) against real loopback servers.

Nothing here needs the database or the internet: servers run on 127.0.0.1, and
the refusal tests forbid DNS and connections outright to prove that refusals
happen before any I/O.
"""

from __future__ import annotations

import contextlib
import email.utils
import gc
import gzip
import ipaddress
import pickle
import socket
import ssl
import struct
import threading
import time
import tracemalloc
import warnings
import zlib
from collections.abc import Iterator

import psutil
import pytest
import trustme
from django.test import override_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from claims.sources.fetching import (
    DEFAULT_CONTENT_TYPES,
    FetchError,
    FetchFailed,
    FetchRefused,
    FetchResponse,
    FetchTransient,
    check_url,
    is_public_address,
    safe_fetch,
)
from tests.claims.servers import LoopbackServer, RawReply, Reply, Request, free_port

HTML = {"Content-Type": "text/html; charset=utf-8"}


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def no_network(monkeypatch):
    """Make any DNS lookup or connect fail the test: refusals must come before I/O."""

    def forbidden(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket, "getaddrinfo", forbidden)
    monkeypatch.setattr(socket, "create_connection", forbidden)
    monkeypatch.setattr(socket.socket, "connect", forbidden)
    monkeypatch.setattr(socket.socket, "connect_ex", forbidden)


@pytest.fixture(scope="module")
def tls_ca():
    return trustme.CA()


def _tls_server(ca, *names: str) -> LoopbackServer:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(context)
    return LoopbackServer(ssl_context=context)


@pytest.fixture
def tls_server(tls_ca) -> Iterator[LoopbackServer]:
    with _tls_server(tls_ca, "127.0.0.1", "localhost") as srv:
        yield srv


@pytest.fixture
def ca_bundle(tls_ca, tmp_path, settings) -> str:
    path = tmp_path / "ca.pem"
    tls_ca.cert_pem.write_to_path(str(path))
    settings.FETCH_CA_BUNDLE = str(path)
    return str(path)


def gzip_bomb(decoded_size: int = 1 << 30, chunk: int = 1 << 20) -> bytes:
    """A valid gzip stream of ``decoded_size`` zero bytes (~1 MB for 1 GiB), built without holding it.

    After a full flush each deflate block of zeros is byte-identical, so one block
    is repeated instead of compressing a gigabyte.
    """
    zeros = bytes(chunk)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    first = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeat = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    count = decoded_size // chunk
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(zeros, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    trailer = struct.pack("<II", crc, decoded_size & 0xFFFFFFFF)
    return header + first + repeat * (count - 1) + compressor.flush() + trailer


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return gzip_bomb()


def drip(byte: bytes, count: int) -> Iterator[bytes]:
    """``count`` single bytes (with Reply.delay, one per delay)."""
    for _ in range(count):
        yield byte


# --------------------------------------------------------------------------- normal pages


def test_fetches_a_normal_page(server, allow_loopback):
    allow_loopback.FETCH_USER_AGENT = "factcheck-test/1"
    page = b"<!doctype html><html><head><title>Hi</title></head><body><p>Hello</p></body></html>"
    server.route("/page", Reply(200, {**HTML, "X-Thing": "1"}, page))

    url = server.url("/page?q=1")
    response = safe_fetch(url)

    assert response.status == 200
    assert response.body == page
    assert response.url == url
    assert response.final_url == url
    assert response.redirects == ()
    assert response.content_type == "text/html"
    assert response.charset == "utf-8"
    assert response.headers["x-thing"] == "1"
    assert all(name == name.lower() for name in response.headers)
    assert 0 < response.elapsed < 5
    sent = server.requests[0]
    assert sent.method == "GET"
    assert sent.path == "/page?q=1"
    assert sent.headers["host"] == f"127.0.0.1:{server.port}"
    assert sent.headers["user-agent"] == "factcheck-test/1"
    assert sent.headers["accept-encoding"] == "gzip, deflate"
    assert sent.headers["connection"] == "close"


def test_non_ascii_path_is_percent_encoded(server, allow_loopback):
    server.route("/caf%C3%A9%20au%20lait", Reply(200, HTML, b"<p>ok</p>"))
    response = safe_fetch(server.url("/café au lait"))
    assert response.status == 200
    assert server.requests[0].path == "/caf%C3%A9%20au%20lait"


def test_post_with_body_and_custom_headers(server, allow_loopback):
    server.route("/hook", lambda request: Reply(202, {"Content-Type": "application/json"}, b'{"ok": true}'))
    response = safe_fetch(
        server.url("/hook"),
        method="post",
        body=b'{"event": "x"}',
        headers={"Content-Type": "application/json", "X-Signature": "abc", "Host": "evil.example"},
    )
    assert response.status == 202
    sent = server.requests[0]
    assert sent.method == "POST"
    assert sent.body == b'{"event": "x"}'
    assert sent.headers["x-signature"] == "abc"
    assert sent.headers["host"] == f"127.0.0.1:{server.port}"  # callers cannot override the vetted Host


def test_header_injection_is_refused(server, allow_loopback):
    with pytest.raises(FetchRefused) as info:
        safe_fetch(server.url("/"), headers={"X-A": "1\r\nX-Injected: 2"})
    assert info.value.code == "bad_header"
    assert server.connections == 0


def test_non_utf8_page_is_returned_intact_with_charset(server, allow_loopback):
    text = "<html><body><p>Caf\u00e9 \u2013 na\u00efve \u201cquotes\u201d \u20ac</p></body></html>"
    body = text.encode("windows-1252")
    server.route("/cp1252", Reply(200, {"Content-Type": "text/html; charset=Windows-1252"}, body))
    latin = "<p>Señor Müller</p>".encode("iso-8859-1")
    server.route("/latin1", Reply(200, {"Content-Type": 'text/html; charset="ISO-8859-1"'}, latin))

    response = safe_fetch(server.url("/cp1252"))
    assert response.body == body
    assert response.charset == "windows-1252"
    assert response.body.decode(response.charset) == text

    response = safe_fetch(server.url("/latin1"))
    assert response.body == latin
    assert response.charset == "iso-8859-1"


def test_page_without_main_text_is_returned(server, allow_loopback):
    empty_page = b"<html><head><title>Nothing</title></head><body></body></html>"
    server.route("/empty-page", Reply(200, HTML, empty_page))
    server.route("/empty-body", Reply(200, HTML, b""))
    assert safe_fetch(server.url("/empty-page")).body == empty_page
    response = safe_fetch(server.url("/empty-body"))
    assert (response.status, response.body) == (200, b"")


def test_chunked_response_is_assembled(server, allow_loopback):
    server.route("/chunked", Reply(200, {"Content-Type": "text/plain"}, [b"one ", b"two ", b"three"]))
    assert safe_fetch(server.url("/chunked")).body == b"one two three"


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some servers send
        ("identity", lambda data: data),
    ],
    ids=["gzip", "x-gzip", "deflate-zlib", "deflate-raw", "identity"],
)
def test_content_encoding_is_removed(server, allow_loopback, encoding, encode):
    page = b"<html><body>" + b"<p>compressible text</p>" * 500 + b"</body></html>"
    server.route("/enc", Reply(200, {**HTML, "Content-Encoding": encoding}, encode(page)))
    response = safe_fetch(server.url("/enc"))
    assert response.body == page
    assert response.headers["content-encoding"] == encoding


@pytest.mark.parametrize("compress", [zlib.compress, lambda data: zlib.compress(data)[2:-4]], ids=["zlib", "raw"])
def test_deflate_dripped_byte_by_byte(server, allow_loopback, compress):
    page = b"<p>" + b"deflated " * 20 + b"</p>"
    payload = compress(page)
    server.route(
        "/d", Reply(200, {**HTML, "Content-Encoding": "deflate"}, [payload[:1], payload[1:2], payload[2:]], delay=0.05)
    )
    assert safe_fetch(server.url("/d")).body == page


def test_multi_member_gzip_is_fully_decoded(server, allow_loopback):
    server.route(
        "/multi", Reply(200, {**HTML, "Content-Encoding": "gzip"}, gzip.compress(b"abc") + gzip.compress(b"def"))
    )
    assert safe_fetch(server.url("/multi")).body == b"abcdef"


@pytest.mark.parametrize(
    ("encoding", "payload"),
    [("br", b"\x0b\x02\x80hello\x03"), ("gzip", b"\x1f\x8b\x08\x00garbage-not-gzip"), ("gzip, gzip", b"")],
    ids=["unknown-brotli", "corrupt-gzip", "stacked"],
)
def test_bad_content_encoding_fails(server, allow_loopback, encoding, payload):
    server.route("/bad", Reply(200, {**HTML, "Content-Encoding": encoding}, payload))
    with pytest.raises(FetchFailed) as info:
        safe_fetch(server.url("/bad"))
    assert info.value.code == "bad_content_encoding"


def test_missing_content_type_is_sniffed(server, allow_loopback):
    server.route("/html", Reply(200, {}, b"  <!DOCTYPE html><html><body>x</body></html>"))
    server.route("/pdf", Reply(200, {}, b"%PDF-1.7\n..."))
    server.route("/text", Reply(200, {}, b"just words"))
    server.route("/binary", Reply(200, {}, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
    assert safe_fetch(server.url("/html")).content_type == "text/html"
    assert safe_fetch(server.url("/pdf")).content_type == "application/pdf"
    assert safe_fetch(server.url("/text")).content_type == "text/plain"
    with pytest.raises(FetchFailed) as info:
        safe_fetch(server.url("/binary"))
    assert info.value.code == "unsupported_content_type"
    assert safe_fetch(server.url("/binary"), allowed_content_types=None).content_type == "application/octet-stream"


def test_wrong_content_type_is_refused_before_reading_the_body(server, allow_loopback):
    # The body would take 50 s to arrive: refusing it must not wait for it.
    server.route(
        "/image.png",
        Reply(200, {"Content-Type": "image/png", "Content-Length": "100"}, drip(b"x", 100), delay=0.5, framing="raw"),
    )
    started = time.monotonic()
    with pytest.raises(FetchFailed) as info:
        safe_fetch(server.url("/image.png"))
    assert info.value.code == "unsupported_content_type"
    assert time.monotonic() - started < 3


def test_allowed_content_types_can_be_widened_or_disabled(server, allow_loopback):
    server.route("/image.png", Reply(200, {"Content-Type": "IMAGE/PNG"}, b"\x89PNG"))
    assert safe_fetch(server.url("/image.png"), allowed_content_types={"image/png"}).content_type == "image/png"
    assert safe_fetch(server.url("/image.png"), allowed_content_types=None).body == b"\x89PNG"
    assert "text/html" in DEFAULT_CONTENT_TYPES
    assert "application/pdf" in DEFAULT_CONTENT_TYPES


def test_head_request_ignores_content_length(server, allow_loopback):
    server.route(
        "/big.pdf", Reply(200, {"Content-Type": "application/pdf", "Content-Length": str(10**9)}, framing="raw")
    )
    response = safe_fetch(server.url("/big.pdf"), method="HEAD")
    assert (response.status, response.body, response.content_type) == (200, b"", "application/pdf")
    assert server.requests[0].method == "HEAD"


# --------------------------------------------------------------------------- statuses


@pytest.mark.parametrize("status", [404, 410, 500, 503])
def test_error_statuses_are_returned_not_raised(server, allow_loopback, status):
    server.route("/err", Reply(status, {"Content-Type": "text/html"}, b"<h1>error page</h1>"))
    response = safe_fetch(server.url("/err"))
    assert response.status == status
    assert response.body == b"<h1>error page</h1>"


def test_error_status_with_unaccepted_type_and_huge_body_is_returned_truncated(server, allow_loopback):
    server.route("/err", Reply(404, {"Content-Type": "image/png"}, b"x" * 5000))
    response = safe_fetch(server.url("/err"), max_bytes=1000)
    assert response.status == 404
    assert response.body == b"x" * 1000


def test_429_retry_after_delta_seconds(server, allow_loopback):
    server.route("/busy", Reply(429, {"Content-Type": "text/plain", "Retry-After": "120"}, b"slow down"))
    response = safe_fetch(server.url("/busy"))
    assert response.status == 429
    assert response.retry_after_seconds() == 120.0


def test_503_retry_after_http_date(server, allow_loopback):
    later = email.utils.formatdate(time.time() + 90, usegmt=True)
    server.route("/busy", Reply(503, {"Content-Type": "text/plain", "Retry-After": later}, b"later"))
    retry_after = safe_fetch(server.url("/busy")).retry_after_seconds()
    assert retry_after is not None
    assert 80 <= retry_after <= 91


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("0", 0.0),
        ("  30 ", 30.0),
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # in the past: retry now
    ],
)
def test_retry_after_parsing(value, expected):
    headers = {} if value is None else {"retry-after": value}
    response = FetchResponse(
        url="http://x/",
        final_url="http://x/",
        status=429,
        headers=headers,
        content_type="",
        charset=None,
        body=b"",
        redirects=(),
        elapsed=0.0,
    )
    assert response.retry_after_seconds() == expected


# --------------------------------------------------------------------------- redirects


def test_redirect_chain_of_three_hops(server, allow_loopback):
    server.route("/a", Reply(301, {"Location": "/b"}))
    server.route("/b", Reply(302, {"Location": server.url("/c/")}))
    server.route("/c/", Reply(307, {"Location": "../final?x=1"}))
    server.route("/final", Reply(200, HTML, b"<p>final</p>"))

    response = safe_fetch(server.url("/a"))

    assert response.status == 200
    assert response.body == b"<p>final</p>"
    assert response.url == server.url("/a")
    assert response.final_url == server.url("/final?x=1")
    assert response.redirects == (server.url("/a"), server.url("/b"), server.url("/c/"))
    assert [r.path for r in server.requests] == ["/a", "/b", "/c/", "/final?x=1"]


def test_redirect_not_followed_when_disabled(server, allow_loopback):
    server.route("/a", Reply(302, {"Location": "/b", "Content-Type": "text/html"}, b"moved"))
    response = safe_fetch(server.url("/a"), follow_redirects=False)
    assert response.status == 302
    assert response.headers["location"] == "/b"
    assert response.redirects == ()
    assert len(server.requests) == 1


def test_redirect_without_location_is_returned(server, allow_loopback):
    server.route("/a", Reply(302, {"Content-Type": "text/html"}, b"nowhere"))
    assert safe_fetch(server.url("/a")).status == 302


def test_redirect_loop_fails(server, allow_loopback):
    server.route("/loop1", Reply(302, {"Location": "/loop2"}))
    server.route("/loop2", Reply(302, {"Location": "/loop1"}))
    with pytest.raises(FetchFailed) as info:
        safe_fetch(server.url("/loop1"))
    assert info.value.code == "redirect_loop"
    assert len(server.requests) == 2


def test_too_many_redirects_fails(server, allow_loopback):
    server.route("/r", lambda request: Reply(302, {"Location": f"/r?{len(server.requests)}"}))
    with pytest.raises(FetchFailed) as info:
        safe_fetch(server.url("/r"))
    assert info.value.code == "too_many_redirects"
    assert len(server.requests) == 6  # the first request + 5 redirects followed (default limit)

    with pytest.raises(FetchFailed) as info:
        safe_fetch(server.url("/r"), max_redirects=1)
    assert info.value.code == "too_many_redirects"


def test_303_switches_post_to_get_and_307_keeps_post(server, allow_loopback):
    server.route("/form", Reply(303, {"Location": "/done"}))
    server.route("/keep", Reply(307, {"Location": "/done"}))
    server.route("/done", Reply(200, HTML, b"<p>done</p>"))

    safe_fetch(server.url("/form"), method="POST", body=b"a=1", headers={"Content-Type": "text/plain"})
    first, second = server.requests[-2:]
    assert (first.method, first.body) == ("POST", b"a=1")
    assert (second.method, second.body) == ("GET", b"")
    assert "content-type" not in second.headers

    safe_fetch(server.url("/keep"), method="POST", body=b"b=2")
    first, second = server.requests[-2:]
    assert (second.method, second.body) == ("POST", b"b=2")


def test_cross_origin_redirect_drops_credentials(server, allow_loopback):
    with LoopbackServer() as other:
        other.route("/landing", Reply(200, HTML, b"<p>other</p>"))
        server.route("/go", Reply(302, {"Location": other.url("/landing")}))
        safe_fetch(server.url("/go"), headers={"Authorization": "Bearer secret", "X-Keep": "1"})
        assert server.requests[0].headers["authorization"] == "Bearer secret"
        landed = other.requests[0]
        assert "authorization" not in landed.headers
        assert landed.headers["x-keep"] == "1"
        assert landed.headers["host"] == f"127.0.0.1:{other.port}"


@pytest.mark.parametrize(
    "location",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://[::1]:{port}/",
        "http://[::ffff:127.0.0.1]:{port}/",
        "http://user:pw@127.0.0.1:{port}/",
        "file:///etc/passwd",
        "gopher://127.0.0.1:6379/_INFO",
        "http://2130706433:{port}/",
    ],
    ids=["metadata", "private", "ipv6-loopback", "mapped-loopback", "userinfo", "file", "gopher", "decimal-ip"],
)
def test_redirect_to_refused_target_is_refused(server, allow_loopback, location):
    server.route("/start", Reply(302, {"Location": location.format(port=server.port)}))
    with pytest.raises(FetchRefused):
        safe_fetch(server.url("/start"))
    assert server.connections == 1
    assert [r.path for r in server.requests] == ["/start"]


# --------------------------------------------------------------------------- time limits


@pytest.mark.parametrize(
    ("headers", "framing"),
    [({"Content-Length": "100"}, "raw"), ({}, "close"), ({}, "chunked")],
    ids=["content-length", "close-delimited", "chunked"],
)
def test_slow_drip_is_cut_at_the_total_deadline(server, allow_loopback, headers, framing):
    # A close-delimited body cut by the deadline must not pass for a complete (truncated) page.
    server.route(
        "/drip",
        Reply(200, {"Content-Type": "text/plain", **headers}, drip(b"x", 100), delay=0.25, framing=framing),
    )
    started = time.monotonic()
    with pytest.raises(FetchTransient) as info:
        safe_fetch(server.url("/drip"), total_timeout=1.5)
    elapsed = time.monotonic() - started
    assert info.value.code == "deadline"
    assert 1.4 <= elapsed < 3


def test_slow_headers_are_cut_at_the_total_deadline(server, allow_loopback):
    def slow_headers(wfile, srv):
        wfile.write(b"HTTP/1.1 200 OK\r\n")
        for _ in range(200):
            wfile.write(b"X-Pad: a\r\n")
            wfile.flush()
            if not srv.wait(0.2):
                return

    server.route("/slow-headers", RawReply(slow_headers))
    started = time.monotonic()
    with pytest.raises(FetchTransient) as info:
        safe_fetch(server.url("/slow-headers"), total_timeout=1.0)
    assert info.value.code == "deadline"
    assert time.monotonic() - started < 3


@pytest.fixture
def dripping_tls_peer() -> Iterator[int]:
    """A TCP peer that starts a TLS record of 16 KiB and drips it one byte per 0.1 s.

    Each socket read gets a byte well within the timeouts, so only the total
    deadline can stop a client stuck in the TLS handshake.
    """
    stop = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                try:
                    conn.sendall(b"\x16\x03\x03\x40\x00")  # handshake record header, 16384 bytes to come
                    while not stop.wait(0.1):
                        conn.sendall(b"\x00")
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


def test_dripped_tls_handshake_is_cut_at_the_deadline(dripping_tls_peer, allow_loopback):
    started = time.monotonic()
    with pytest.raises(FetchTransient) as info:
        safe_fetch(f"https://127.0.0.1:{dripping_tls_peer}/", total_timeout=1.0)
    assert info.value.code == "deadline"
    assert time.monotonic() - started < 3


def test_read_timeout(server, allow_loopback):
    def stall(wfile, srv):
        wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nabc")
        wfile.flush()
        srv.wait(5)

    server.route("/stall", RawReply(stall))
    started = time.monotonic()
    with pytest.raises(FetchTransient) as info:
        safe_fetch(server.url("/stall"), read_timeout=0.3, total_timeout=10)
    assert info.value.code == "read_timeout"
    assert time.monotonic() - started < 3


def test_connection_refused_is_transient(allow_loopback):
    with pytest.raises(FetchTransient) as info:
        safe_fetch(f"http://127.0.0.1:{free_port()}/")
    assert info.value.code == "connection_refused"
    assert info.value.retry_after is None


def test_truncated_body_is_transient(server, allow_loopback):
    server.route(
        "/short", Reply(200, {"Content-Type": "text/plain", "Content-Length": "100"}, b"only ten b", framing="raw")
    )
    with pytest.raises(FetchTransient) as info:
        safe_fetch(server.url("/short"))
    assert info.value.code == "incomplete_response"


def test_malformed_response_fails(server, allow_loopback):
    server.route("/garbage", RawReply(lambda wfile, srv: wfile.write(b"SPAM/9 what\r\n\r\n")))
    with pytest.raises(FetchFailed) as info:
        safe_fetch(server.url("/garbage"))
    assert info.value.code == "malformed_response"


def test_server_closing_without_response_is_transient(server, allow_loopback):
    server.route("/close", RawReply(lambda wfile, srv: None))
    with pytest.raises(FetchTransient) as info:
        safe_fetch(server.url("/close"))
    assert info.value.code == "connection_reset"


# --------------------------------------------------------------------------- size limits


def test_body_over_max_bytes_with_content_length_is_refused_early(server, allow_loopback):
    # Declares 1 GB but drips: only an early refusal on Content-Length is fast.
    server.route(
        "/big",
        Reply(
            200, {"Content-Type": "text/plain", "Content-Length": str(10**9)}, drip(b"x", 100), delay=0.5, framing="raw"
        ),
    )
    started = time.monotonic()
    with pytest.raises(FetchFailed) as info:
        safe_fetch(server.url("/big"))
    assert info.value.code == "too_large"
    assert time.monotonic() - started < 2


def test_body_over_max_bytes_without_content_length(server, allow_loopback):
    megabyte = b"x" * (1 << 20)
    server.route("/chunked", Reply(200, {"Content-Type": "text/plain"}, (megabyte for _ in range(64))))
    server.route("/close", Reply(200, {"Content-Type": "text/plain"}, (megabyte for _ in range(64)), framing="close"))
    for path in ("/chunked", "/close"):
        with pytest.raises(FetchFailed) as info:
            safe_fetch(server.url(path), max_bytes=2 << 20)
        assert info.value.code == "too_large"


def test_body_of_exactly_max_bytes_is_accepted(server, allow_loopback):
    server.route("/exact", Reply(200, {"Content-Type": "text/plain"}, b"y" * 4096))
    assert len(safe_fetch(server.url("/exact"), max_bytes=4096).body) == 4096
    with pytest.raises(FetchFailed):
        safe_fetch(server.url("/exact"), max_bytes=4095)


def test_max_bytes_setting_is_read_at_call_time(server, allow_loopback):
    allow_loopback.FETCH_MAX_BYTES = 10
    server.route("/p", Reply(200, {"Content-Type": "text/plain"}, b"eleven byte"))
    with pytest.raises(FetchFailed) as info:
        safe_fetch(server.url("/p"))
    assert info.value.code == "too_large"


def test_gzip_bomb_builder_makes_valid_gzip():
    assert gzip.decompress(gzip_bomb(8 << 20)) == bytes(8 << 20)


def test_gzip_bomb_stops_at_the_cap(server, allow_loopback, bomb):
    assert len(bomb) < 2 << 20  # ~1 MB on the wire for 1 GiB decoded
    server.route("/bomb", Reply(200, {**HTML, "Content-Encoding": "gzip"}, bomb))
    server.route("/bomb-chunked", Reply(200, {**HTML, "Content-Encoding": "gzip"}, iter([bomb])))
    for path in ("/bomb", "/bomb-chunked"):
        started = time.monotonic()
        tracemalloc.start()
        try:
            with pytest.raises(FetchFailed) as info:
                safe_fetch(server.url(path))  # default cap: 10 MiB
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert info.value.code == "too_large"
        assert time.monotonic() - started < 3
        assert peak < 32 << 20  # never inflated far past the cap


def test_deflate_bomb_stops_at_the_cap(server, allow_loopback):
    compressor = zlib.compressobj(9)
    zeros = bytes(1 << 20)
    payload = b"".join(compressor.compress(zeros) for _ in range(64)) + compressor.flush()  # 64 MiB -> ~64 KB
    server.route("/bomb", Reply(200, {**HTML, "Content-Encoding": "deflate"}, payload))
    with pytest.raises(FetchFailed) as info:
        safe_fetch(server.url("/bomb"), max_bytes=1 << 20)
    assert info.value.code == "too_large"


# --------------------------------------------------------------------------- TLS


def test_tls_untrusted_certificate_fails(tls_server, allow_loopback):
    tls_server.route("/", Reply(200, HTML, b"<p>secret</p>"))
    with pytest.raises(FetchFailed) as info:
        safe_fetch(tls_server.url("/"))  # certifi does not know our test CA
    assert info.value.code == "tls_error"
    assert tls_server.requests == []


def test_tls_trusted_with_ca_bundle(tls_server, allow_loopback, ca_bundle):
    tls_server.route("/", Reply(200, HTML, b"<p>secret</p>"))
    response = safe_fetch(tls_server.url("/"))
    assert (response.status, response.body) == (200, b"<p>secret</p>")
    assert tls_server.requests[0].headers["host"] == f"127.0.0.1:{tls_server.port}"


def test_tls_hostname_mismatch_fails(tls_ca, allow_loopback, ca_bundle):
    with _tls_server(tls_ca, "other.example") as srv:
        srv.route("/", Reply(200, HTML, b"<p>x</p>"))
        with pytest.raises(FetchFailed) as info:
            safe_fetch(srv.url("/"))
        assert info.value.code == "tls_error"


def test_plain_http_to_tls_port_is_not_a_success(tls_server, allow_loopback):
    tls_server.route("/", Reply(200, HTML, b"<p>x</p>"))
    with pytest.raises(FetchError):
        safe_fetch(tls_server.url("/").replace("https://", "http://"), total_timeout=3)


# --------------------------------------------------------------------------- allow-list and ports


def test_default_allowlist_refuses_the_loopback_server(server, settings):
    settings.FETCH_ALLOWLIST = []
    server.route("/", Reply(200, HTML, b"<p>internal</p>"))
    with pytest.raises(FetchRefused) as info:
        safe_fetch(server.url("/"))
    assert info.value.code == "port_not_allowed"  # the random port is refused first
    settings.FETCH_ALLOWED_PORTS = [80, 443, server.port]
    with pytest.raises(FetchRefused) as info:
        safe_fetch(server.url("/"))
    assert info.value.code == "private_address"
    with pytest.raises(FetchRefused):
        check_url(server.url("/"))
    assert server.connections == 0


def test_allowlist_by_cidr(server, settings):
    server.route("/", Reply(200, HTML, b"<p>ok</p>"))
    settings.FETCH_ALLOWLIST = ["127.0.0.0/8"]
    assert safe_fetch(server.url("/")).status == 200
    check_url(server.url("/"))
    settings.FETCH_ALLOWLIST = ["10.0.0.0/8"]
    with pytest.raises(FetchRefused):
        check_url(server.url("/"))


def test_allowlist_by_hostname(server, settings):
    """localhost comes from /etc/hosts (no DNS); if it also maps to ::1, the fetcher falls back to 127.0.0.1."""
    server.route("/", Reply(200, HTML, b"<p>ok</p>"))
    settings.FETCH_ALLOWLIST = ["LocalHost"]
    response = safe_fetch(server.url("/", host="localhost"))
    assert response.status == 200
    assert server.requests[0].headers["host"] == f"localhost:{server.port}"


def test_allowlisted_address_does_not_cover_other_addresses_of_a_name(server, settings):
    server.route("/", Reply(200, HTML, b"<p>ok</p>"))
    settings.FETCH_ALLOWLIST = ["127.0.0.1"]
    addresses = {info[4][0] for info in socket.getaddrinfo("localhost", 80, type=socket.SOCK_STREAM)}
    if addresses == {"127.0.0.1"}:
        assert safe_fetch(server.url("/", host="localhost")).status == 200
    else:  # e.g. localhost is also ::1, which is not allow-listed
        with pytest.raises(FetchRefused):
            safe_fetch(server.url("/", host="localhost"))


def test_check_url_accepts_public_literal_addresses(no_network):
    check_url("http://8.8.8.8/")
    check_url("https://[2606:4700:4700::1111]/dns-query?x=1")
    check_url("HTTPS://1.1.1.1:443/path#frag")


def test_check_url_reports_unresolvable_hosts_as_refused(monkeypatch):
    def no_such_host(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    with pytest.raises(FetchRefused) as info:
        check_url("https://does-not-exist.example/")
    assert info.value.code == "dns_not_found"
    with pytest.raises(FetchFailed) as failed:
        safe_fetch("https://does-not-exist.example/")
    assert failed.value.code == "dns_not_found"


def test_dns_temporary_failure_is_transient(monkeypatch):
    def try_again(*args, **kwargs):
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", try_again)
    with pytest.raises(FetchTransient) as info:
        safe_fetch("https://news.example/")
    assert info.value.code == "dns_temporary"


def test_hostname_resolving_to_any_private_address_is_refused(monkeypatch):
    """DNS answers are vetted as a whole: one private address among public ones is enough to refuse."""

    def mixed(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", mixed)
    with pytest.raises(FetchRefused) as info:
        check_url("https://rebind.example/")
    assert info.value.code == "private_address"
    assert "10.1.2.3" not in info.value.reason  # do not tell users what internal names resolve to


def test_connects_to_the_vetted_address_without_a_second_lookup(server, settings, monkeypatch):
    """DNS rebinding: the name is resolved once, and the socket goes to that very address."""
    server.route("/", Reply(200, HTML, b"<p>ok</p>"))
    settings.FETCH_ALLOWLIST = ["127.0.0.1"]
    real_getaddrinfo = socket.getaddrinfo
    lookups = []

    def rebinding(host, port, *args, **kwargs):
        lookups.append(host)
        if host == "rebind.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    response = safe_fetch(server.url("/", host="rebind.test"))
    assert response.status == 200
    assert lookups.count("rebind.test") == 1
    assert server.requests[0].headers["host"] == f"rebind.test:{server.port}"


# --------------------------------------------------------------------------- refusal table

REFUSED_URLS = [
    # IPv4 ranges that are not globally routable
    ("loopback", "http://127.0.0.1/", "private_address"),
    ("loopback-high", "http://127.255.255.254:443/", "private_address"),
    ("this-network", "http://0.0.0.0/", "private_address"),
    ("private-10", "http://10.0.0.1/", "private_address"),
    ("private-172-16", "http://172.16.0.1/", "private_address"),
    ("private-172-31", "https://172.31.255.255/", "private_address"),
    ("private-192-168", "http://192.168.1.1/admin", "private_address"),
    ("metadata", "http://169.254.169.254/latest/meta-data/", "private_address"),
    ("cgnat", "http://100.64.0.1/", "private_address"),
    ("cgnat-high", "http://100.127.255.254/", "private_address"),
    ("multicast", "http://224.0.0.1/", "private_address"),
    ("multicast-ssdp", "http://239.255.255.250/", "private_address"),
    ("reserved-240", "http://240.0.0.1/", "private_address"),
    ("broadcast", "http://255.255.255.255/", "private_address"),
    ("benchmarking", "http://198.18.0.1/", "private_address"),
    ("benchmarking-high", "http://198.19.255.1/", "private_address"),
    ("doc-test-net-1", "http://192.0.2.1/", "private_address"),
    ("doc-test-net-2", "http://198.51.100.7/", "private_address"),
    ("doc-test-net-3", "http://203.0.113.9/", "private_address"),
    ("ietf-protocol", "http://192.0.0.1/", "private_address"),
    ("uppercase-scheme", "HTTP://127.0.0.1/", "private_address"),
    ("trailing-dot", "http://127.0.0.1./", "private_address"),
    # IPv6
    ("ipv6-loopback", "http://[::1]/", "private_address"),
    ("ipv6-unspecified", "http://[::]/", "private_address"),
    ("ipv6-link-local", "http://[fe80::1]/", "private_address"),
    ("ipv6-unique-local-fc", "http://[fc00::1]/", "private_address"),
    ("ipv6-unique-local-fd", "http://[fd12:3456::1]:443/", "private_address"),
    ("ipv6-site-local", "http://[fec0::1]/", "private_address"),
    ("ipv6-multicast", "http://[ff02::1]/", "private_address"),
    ("ipv6-documentation", "http://[2001:db8::1]/", "private_address"),
    ("ipv6-discard", "http://[100::1]/", "private_address"),
    ("ipv4-mapped-loopback", "http://[::ffff:127.0.0.1]/", "private_address"),
    ("ipv4-mapped-hex", "http://[::ffff:7f00:1]/", "private_address"),
    ("ipv4-mapped-metadata", "http://[::ffff:169.254.169.254]/", "private_address"),
    ("ipv4-mapped-private", "http://[0:0:0:0:0:FFFF:0A00:0001]/", "private_address"),
    ("ipv4-compatible", "http://[::127.0.0.1]/", "private_address"),
    ("ipv4-compatible-public", "http://[::8.8.8.8]/", "private_address"),
    ("ipv4-translated", "http://[::ffff:0:8.8.8.8]/", "private_address"),
    ("nat64-loopback", "http://[64:ff9b::127.0.0.1]/", "private_address"),
    ("nat64-metadata", "http://[64:ff9b::a9fe:a9fe]/", "private_address"),
    ("nat64-local-use", "http://[64:ff9b:1::808:808]/", "private_address"),
    ("6to4-loopback", "http://[2002:7f00:1::1]/", "private_address"),
    ("6to4-metadata", "http://[2002:a9fe:a9fe::]/", "private_address"),
    ("teredo", "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "private_address"),
    # Odd IPv4 spellings (all of them loopback, private or metadata in disguise)
    ("decimal", "http://2130706433/", "bad_ip"),
    ("decimal-private", "http://3232235777/", "bad_ip"),
    ("octal", "http://0177.0.0.1/", "bad_ip"),
    ("octal-whole", "http://017700000001/", "bad_ip"),
    ("hex-short", "http://0x7f.1/", "bad_ip"),
    ("hex-whole", "http://0x7f000001/", "bad_ip"),
    ("hex-metadata", "http://0xA9FEA9FE/", "bad_ip"),
    ("short-two-parts", "http://127.1/", "bad_ip"),
    ("short-three-parts", "http://127.0.1/", "bad_ip"),
    ("zero", "http://0/", "bad_ip"),
    ("zero-padded", "http://127.000.000.001/", "bad_ip"),
    ("five-parts", "http://1.2.3.4.5/", "bad_ip"),
    ("fullwidth-digits", "http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/", "private_address"),
    ("ideographic-dots", "http://127\u30020\u30020\u30021/", "private_address"),
    ("bracketed-ipv4", "http://[127.0.0.1]/", "bad_url"),
    ("ipv6-zone", "http://[fe80::1%25eth0]/", "bad_host"),
    ("ipv6-unbracketed", "http://::1/", "bad_host"),
    ("ipv6-unclosed", "http://[::1/", "bad_url"),
    # User-info and parser-confusion tricks
    ("userinfo-host-confusion", "http://example.com@127.0.0.1/", "userinfo"),
    ("userinfo-user-pass", "http://user:pass@example.com/", "userinfo"),
    ("userinfo-empty", "http://@example.com/", "userinfo"),
    ("userinfo-public-ip", "http://user@8.8.8.8/", "userinfo"),
    ("userinfo-port-like", "http://127.0.0.1:80@example.com/", "userinfo"),
    ("fragment-at", "http://127.0.0.1#@example.com/", "private_address"),
    ("backslash-at", "http://example.com\\@127.0.0.1/", "bad_url"),
    ("backslash-path", "http://8.8.8.8\\.evil/", "bad_url"),
    ("crlf-injection", "http://8.8.8.8/\r\nX-Injected: 1", "bad_url"),
    ("tab-in-host", "http://127.0.0.\t1/", "bad_url"),
    ("nul-byte", "http://8.8.8.8/\x00", "bad_url"),
    ("zero-width-space", "http://8.8.8.8\u200b/", "bad_url"),
    ("leading-space", " http://8.8.8.8/", "bad_url"),
    ("space-in-host", "http://exa mple.com/", "bad_host"),
    ("percent-in-host", "http://%31%32%37.0.0.1/", "bad_host"),
    ("empty-label", "http://a..example/", "bad_host"),
    ("label-too-long", "http://" + "a" * 64 + ".example/", "bad_host"),
    # Schemes
    ("file", "file:///etc/passwd", "bad_scheme"),
    ("ftp", "ftp://ftp.example.com/", "bad_scheme"),
    ("gopher", "gopher://127.0.0.1:6379/_INFO", "bad_scheme"),
    ("data", "data:text/html,<script>alert(1)</script>", "bad_scheme"),
    ("javascript", "javascript:alert(1)", "bad_scheme"),
    ("dict", "dict://127.0.0.1:11211/stat", "bad_scheme"),
    ("ldap", "ldap://127.0.0.1/", "bad_scheme"),
    ("jar", "jar:http://example.com!/x", "bad_scheme"),
    ("websocket", "ws://example.com/", "bad_scheme"),
    ("scheme-relative", "//example.com/", "bad_scheme"),
    ("no-scheme", "example.com", "bad_scheme"),
    # Ports
    ("port-ssh", "http://8.8.8.8:22/", "port_not_allowed"),
    ("port-smtp", "http://8.8.8.8:25/", "port_not_allowed"),
    ("port-redis", "http://8.8.8.8:6379/", "port_not_allowed"),
    ("port-postgres", "http://8.8.8.8:5432/", "port_not_allowed"),
    ("port-8080", "https://8.8.8.8:8080/", "port_not_allowed"),
    ("port-hostname", "http://example.com:11211/", "port_not_allowed"),
    ("port-zero", "http://8.8.8.8:0/", "bad_port"),
    ("port-too-big", "http://8.8.8.8:65536/", "bad_port"),
    ("port-signed", "http://8.8.8.8:+80/", "bad_port"),
    ("port-not-number", "http://8.8.8.8:http/", "bad_port"),
    # Empty or malformed host, length
    ("empty-host", "http:///path", "missing_host"),
    ("empty-url-host", "http://", "missing_host"),
    ("no-slashes", "http:example.com", "missing_host"),
    ("port-only", "http://:80/", "missing_host"),
    ("empty-string", "", "bad_url"),
    ("too-long", "http://example.com/" + "a" * 2100, "url_too_long"),
]


@pytest.mark.parametrize(("url", "code"), [(u, c) for _, u, c in REFUSED_URLS], ids=[i for i, _, _ in REFUSED_URLS])
def test_refused_urls(no_network, url, code):
    with pytest.raises(FetchRefused) as checked:
        check_url(url)
    assert checked.value.code == code
    assert checked.value.reason
    with pytest.raises(FetchRefused) as fetched:
        safe_fetch(url)
    assert fetched.value.code == code


def test_refusal_table_is_broad():
    assert len(REFUSED_URLS) >= 45
    assert len({name for name, _, _ in REFUSED_URLS}) == len(REFUSED_URLS)


# --------------------------------------------------------------------------- address classifier

PUBLIC_ADDRESSES = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.216.34",
    "2606:4700:4700::1111",
    "2001:4860:4860::8888",
    "::ffff:8.8.8.8",  # IPv4-mapped: judged by the embedded address
    "64:ff9b::808:808",  # NAT64 of 8.8.8.8
    "2002:808:808::1",  # 6to4 of 8.8.8.8
]
NON_PUBLIC_ADDRESSES = [
    "127.0.0.1",
    "10.1.2.3",
    "172.16.5.4",
    "192.168.0.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.251",
    "240.0.0.1",
    "255.255.255.255",
    "198.18.0.1",
    "192.0.2.1",
    "198.51.100.1",
    "203.0.113.1",
    "::",
    "::1",
    "fe80::1",
    "fc00::1",
    "fd00::1",
    "fec0::1",
    "ff02::1",
    "2001:db8::1",
    "3fff::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::127.0.0.1",
    "64:ff9b::7f00:1",
    "64:ff9b:1::1",
    "2002:7f00:1::",
    "2002:c0a8:101::1",
    "2001::1",
    "fe80::1%eth0",
    "not an address",
    "",
]


@pytest.mark.parametrize("address", PUBLIC_ADDRESSES)
def test_public_addresses_pass(address):
    assert is_public_address(address)
    assert is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", NON_PUBLIC_ADDRESSES)
def test_non_public_addresses_fail(address):
    assert not is_public_address(address)


# --------------------------------------------------------------------------- property test

REFUSED_V4 = [
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
    )
]
REFUSED_V6 = [
    ipaddress.IPv6Network(n)
    for n in (
        "::1/128",
        "::/128",
        "fe80::/10",
        "fc00::/7",
        "fec0::/10",
        "ff00::/8",
        "2001:db8::/32",
        "2001::/32",
        "100::/64",
        "64:ff9b:1::/48",
        "3fff::/20",
    )
]


def _in(network) -> st.SearchStrategy:
    return st.integers(0, network.num_addresses - 1).map(lambda offset: network[offset])


refused_v4 = st.sampled_from(REFUSED_V4).flatmap(_in)
refused_v6 = st.sampled_from(REFUSED_V6).flatmap(_in)


def _v4_spellings(ip: ipaddress.IPv4Address) -> st.SearchStrategy[str]:
    value = int(ip)
    octets = ip.packed
    hi, lo = value >> 16, value & 0xFFFF
    fullwidth = str(ip).translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
    return st.sampled_from(
        [
            str(ip),
            f"{ip}.",
            str(value),
            hex(value),
            hex(value).upper().replace("0X", "0x"),
            "0" + oct(value)[2:],
            ".".join(f"0{b:o}" for b in octets),
            ".".join(hex(b) for b in octets),
            f"{octets[0]}.{value & 0xFFFFFF}",
            f"{octets[0]}.{octets[1]}.{lo}",
            f"0x{hi:x}.{lo}",
            fullwidth,
            f"[::ffff:{ip}]",
            f"[::ffff:{hi:x}:{lo:x}]",
            f"[0:0:0:0:0:ffff:{ip}]",
            f"[::{ip}]",
            f"[64:ff9b::{ip}]",
            f"[64:ff9b::{hi:x}:{lo:x}]",
            f"[2002:{hi:x}:{lo:x}::1]",
            f"[2002:{hi:x}:{lo:x}:ffff::abcd]",
        ]
    )


def _v6_spellings(ip: ipaddress.IPv6Address) -> st.SearchStrategy[str]:
    return st.sampled_from([f"[{ip.compressed}]", f"[{ip.exploded}]", f"[{ip.compressed.upper()}]"])


hosts = st.one_of(refused_v4.flatmap(_v4_spellings), refused_v6.flatmap(_v6_spellings))
url_templates = st.sampled_from(
    [
        "http://{host}/",
        "https://{host}/",
        "HTTP://{host}",
        "http://{host}:80/path?q=1",
        "https://{host}:443/#frag",
        "hTTps://{host}/a/../b",
    ]
)


@hypothesis_settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(host=hosts, template=url_templates)
def test_property_refused_networks_never_pass_check_url(host, template):
    url = template.format(host=host)
    with pytest.MonkeyPatch.context() as patch, override_settings(FETCH_ALLOWLIST=[], FETCH_ALLOWED_PORTS=[80, 443]):

        def forbidden(*args, **kwargs):
            raise AssertionError(f"DNS lookup attempted for {url!r}")

        patch.setattr(socket, "getaddrinfo", forbidden)
        with pytest.raises(FetchRefused) as info:
            check_url(url)
    assert info.value.code in {"private_address", "bad_ip"}


# --------------------------------------------------------------------------- errors and hygiene


def test_errors_are_typed_and_picklable():
    for error in (
        FetchRefused("private_address", "nope"),
        FetchFailed("too_large", "big"),
        FetchTransient("deadline", "slow", retry_after=3.0),
    ):
        assert isinstance(error, FetchError)
        clone = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
        assert type(clone) is type(error)
        assert (clone.code, clone.reason) == (error.code, error.reason)
        assert str(clone) == str(error)
    transient = pickle.loads(pickle.dumps(FetchTransient("x", "y", retry_after=3.0)))  # noqa: S301 - our own bytes
    assert transient.retry_after == 3.0


def test_no_sockets_are_leaked(server, allow_loopback):
    """Every path (success, refusal, errors) closes its socket explicitly, not via garbage collection."""
    server.route("/ok", Reply(200, HTML, b"<p>ok</p>"))
    server.route("/png", Reply(200, {"Content-Type": "image/png"}, b"x" * 100_000))
    server.route("/big", Reply(200, {"Content-Type": "text/plain"}, b"x" * 100_000))
    server.route("/redirect", Reply(302, {"Location": "/ok"}))
    server.route("/gone", Reply(410, HTML, b"gone"))
    server.route("/bad", RawReply(lambda wfile, srv: wfile.write(b"NOT HTTP\r\n\r\n")))
    server.route("/short", Reply(200, {"Content-Type": "text/plain", "Content-Length": "9"}, b"x", framing="raw"))
    gc.collect()  # garbage left by earlier tests must not be blamed on this one
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        for path, kwargs in [
            ("/ok", {}),
            ("/png", {}),
            ("/big", {"max_bytes": 1000}),
            ("/redirect", {}),
            ("/gone", {}),
            ("/bad", {}),
            ("/short", {}),
        ]:
            with contextlib.suppress(FetchError):
                safe_fetch(server.url(path), **kwargs)
        gc.collect()
    leaked = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert [m for m in leaked if f"{server.port}" in m] == []
    client_side = [c for c in psutil.Process().net_connections(kind="tcp") if c.raddr and c.raddr.port == server.port]
    assert client_side == []


def test_request_helper_records_requests(server):
    """The loopback helper itself: unknown paths are 404 and requests are recorded."""
    import urllib.error
    import urllib.request

    server.route("/x", lambda request: Reply(200, {"Content-Type": "text/plain"}, request.method.encode()))
    with urllib.request.urlopen(server.url("/x")) as reply:
        assert reply.read() == b"GET"
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(server.url("/missing"))
    info.value.close()
    assert info.value.code == 404
    assert [r.path for r in server.requests] == ["/x", "/missing"]
    assert isinstance(server.requests[0], Request)
