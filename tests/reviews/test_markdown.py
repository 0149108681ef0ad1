"""Analyses are Markdown written by people; rendering must never let a script through."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from reviews.markdown import ALLOWED_TAGS, render_markdown

HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<<script>script>alert(1)<</script>/script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)><circle/></svg>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p style="width: expression(alert(1))">x</p>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](javascript&colon;alert(1))",
    "[click](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1))",
    "[click](&#x6A;avascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![img](javascript:alert(1))",
    "![img](data:image/svg+xml,<svg onload=alert(1)>)",
    '![img](https://ok.example/x.png" onerror="alert(1))',
    '[click](https://ok.example/" onmouseover="alert(1))',
    "[click][ref]\n\n[ref]: javascript:alert(1)",
    '[click][ref]\n\n[ref]: JAVASCRIPT:alert(1) "title"',
    "<javascript:alert(1)>",
    "```\n<script>alert(1)</script>\n```",
    "`<img src=x onerror=alert(1)>`",
]


class Markup(HTMLParser):
    """The tags and attributes a browser would see in the rendered HTML."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, attrs))


def markup_of(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = Markup()
    parser.feed(html)
    parser.close()
    return parser.tags


def url_scheme(value: str) -> str | None:
    """The scheme a browser would read from an attribute value (WHATWG URL parsing: C0 controls
    and spaces trimmed at the ends, tabs and newlines removed anywhere); None for a relative URL."""
    cleaned = re.sub(r"[\t\n\r]", "", value.strip("".join(map(chr, range(0x21)))))
    match = re.match(r"([a-zA-Z][a-zA-Z0-9+.-]*):", cleaned)
    return match.group(1).lower() if match else None


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_markdown_renders_harmless(source):
    html = render_markdown(source)
    assert "<script" not in html.lower()
    for tag, attrs in markup_of(html):  # what a browser would build from the HTML
        assert tag in ALLOWED_TAGS, tag
        for name, value in attrs:
            assert not name.lower().startswith("on"), (tag, name)
            assert name in {"href", "title", "align", "rel"}, (tag, name)
            assert "javascript:" not in (value or "").lower().replace("\t", ""), (tag, name, value)
            if name == "href":
                assert url_scheme(value or "") in {None, "http", "https", "mailto"}, value


def test_hostile_html_is_shown_as_text():
    html = render_markdown("<script>alert(1)</script> and <b>bold</b>")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def test_ordinary_markdown_keeps_its_formatting():
    html = render_markdown(
        "## Findings\n\nThe **budget** rose by *3%* — see [the report](https://city.example.org/r?a=1&b=2).\n\n"
        "| year | spent |\n|---|---|\n| 2023 | 4 |\n\n> quoted\n\n- one\n- two\n\nR&D < 5"
    )
    assert "<h2>Findings</h2>" in html
    assert "<strong>budget</strong>" in html and "<em>3%</em>" in html
    assert 'href="https://city.example.org/r?a=1&amp;b=2"' in html
    assert 'rel="noopener noreferrer nofollow ugc"' in html
    assert "<table>" in html and "<blockquote>" in html and "<li>one</li>" in html
    assert "R&amp;D &lt; 5" in html


def test_code_is_escaped_once_so_it_reads_as_typed():
    html = render_markdown("```\nif a < b && c > d:\n```\n\nInline `x<y` and AT&T.")
    assert "a &lt; b &amp;&amp; c &gt; d" in html and "&amp;lt;" not in html
    assert "<code>x&lt;y</code>" in html and "AT&amp;T" in html
