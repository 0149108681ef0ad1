"""Article-sized HTML pages and a slow loopback server that serves them.

Run as a script it serves ``--pages`` distinct pages on 127.0.0.1 and prints
``PORT <n>`` once listening; every response waits ``--delay`` seconds first (a
remote site's latency) and closes its connection. It runs in its own process
so that its threads never compete for the GIL with the code being measured.
"""

from __future__ import annotations

import argparse
import random
import signal
import sys
import threading
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PAGE_BYTES = 16 * 1024

_WORDS_TEXT = (
    "government minister said report according data figures percent year million billion people "
    "country city council budget health hospital school teachers students police crime rate "
    "unemployment inflation prices energy wind solar coal emissions climate water housing rent "
    "election vote campaign poll survey study researchers university published official statement "
    "claimed increase decrease since record highest lowest compared previous average national local "
    "spokesperson interview television radio social media post shared thousands times week month "
    "analysis evidence source document agency office ministry department court judge ruling law "
    "policy plan funding tax revenue spending deficit debt growth economy jobs workers wages pension "
    "vaccine doctors patients waiting list beds emergency services ambulance response minutes hours"
)
_WORDS = tuple(_WORDS_TEXT.split())
_FIRST_TEXT = "Ana Ben Chloé Dev Elena Farid Grace Hugo Ines Jonas Kemi Luca Maya Nils Omar Priya Rosa Sam Tomás Yara"
_FIRST = tuple(_FIRST_TEXT.split())
_LAST_TEXT = (
    "Alvarez Brown Chen Dubois Eriksen Fofana García Haddad Ivanova Jensen Kowalski Lee Moreau "
    "Nakamura Okafor Patel Rossi Silva Tanaka Weber"
)
_LAST = tuple(_LAST_TEXT.split())
_SECTIONS = ("politics", "economy", "health", "climate", "world", "science", "education")


def _sentence(rng: random.Random, low: int = 8, high: int = 24) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(low, high))]
    if rng.random() < 0.5:
        words.insert(rng.randrange(len(words)), f"{rng.randint(2, 98)} percent")
    if rng.random() < 0.3:
        words.insert(rng.randrange(len(words)), f"{rng.randint(1, 900):,} million")
    text = " ".join(words)
    return text[0].upper() + text[1:] + rng.choice(".....?!")


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(3, 6)))


def page_path(index: int) -> str:
    section = _SECTIONS[index % len(_SECTIONS)]
    return f"/{section}/2024/article-{index:05d}.html"


def article_page(index: int, size: int = PAGE_BYTES) -> bytes:
    """A distinct, realistic news article page of about ``size`` bytes (deterministic per index)."""
    rng = random.Random(index * 7919 + 17)
    title = _sentence(rng, 6, 11).rstrip(".?!")
    author = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
    published = date(2023, 1, 1) + timedelta(days=rng.randrange(700))
    section = _SECTIONS[index % len(_SECTIONS)]
    nav = "".join(f'<li><a href="/{s}/">{s.title()}</a></li>' for s in _SECTIONS)
    related = "".join(
        f'<li><a href="{page_path(rng.randrange(100_000))}">{_sentence(rng, 5, 9)}</a></li>' for _ in range(6)
    )
    head = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title} | The Daily Record</title>\n"
        f'<meta name="description" content="{_sentence(rng)}">\n'
        f'<meta name="author" content="{author}">\n'
        f'<meta property="og:title" content="{title}">\n'
        '<meta property="og:type" content="article">\n'
        f'<meta property="article:published_time" content="{published.isoformat()}T08:{index % 60:02d}:00Z">\n'
        f'<meta property="article:section" content="{section}">\n'
        '<link rel="stylesheet" href="/static/site.css">\n'
        '<script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle",'
        f'"headline":"{title}","datePublished":"{published.isoformat()}",'
        f'"author":{{"@type":"Person","name":"{author}"}}}}</script>\n'
        "</head>\n<body>\n"
        f'<header class="site-header"><a class="logo" href="/">The Daily Record</a><nav><ul>{nav}</ul></nav></header>\n'
        '<main id="content">\n<article class="story">\n'
        f'<h1 class="headline">{title}</h1>\n'
        f'<p class="byline">By <a rel="author" href="/authors/{author.lower().replace(" ", "-")}">{author}</a>, '
        f'<time datetime="{published.isoformat()}">{published:%d %B %Y}</time></p>\n'
        f'<p class="standfirst"><strong>{_sentence(rng)}</strong></p>\n'
    )
    tail = (
        "</article>\n"
        f'<aside class="related"><h2>Related stories</h2><ul>{related}</ul></aside>\n'
        '</main>\n<footer class="site-footer"><p>© 2024 The Daily Record. All rights reserved.</p>'
        '<ul><li><a href="/about">About</a></li><li><a href="/privacy">Privacy</a></li>'
        '<li><a href="/contact">Contact</a></li></ul></footer>\n</body>\n</html>\n'
    )
    body: list[str] = []
    used = len(head.encode()) + len(tail.encode())
    while used < size:
        if body and rng.random() < 0.12:
            chunk = f"<h2>{_sentence(rng, 3, 7).rstrip('.?!')}</h2>\n"
        elif body and rng.random() < 0.08:
            chunk = f"<blockquote><p>“{_sentence(rng)}”</p></blockquote>\n"
        else:
            chunk = f"<p>{_paragraph(rng)}</p>\n"
        body.append(chunk)
        used += len(chunk.encode())
    return (head + "".join(body) + tail).encode()


class _PageServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # the default (5) drops SYNs when 32 fetchers connect at once
    pages: dict[str, bytes]
    delay: float


class _Handler(BaseHTTPRequestHandler):
    server: _PageServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        self.close_connection = True
        threading.Event().wait(self.server.delay)
        body = self.server.pages.get(self.path.split("?", 1)[0])
        status = 200 if body is not None else 404
        body = body if body is not None else b"not found"
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Last-Modified", "Mon, 04 Mar 2024 08:00:00 GMT")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--delay", type=float, default=0.2)
    args = parser.parse_args()
    server = _PageServer(("127.0.0.1", 0), _Handler)
    server.pages = {page_path(i): article_page(i) for i in range(args.pages)}
    server.delay = args.delay
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"PORT {server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.05)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    sys.exit(0)


if __name__ == "__main__":
    main()
