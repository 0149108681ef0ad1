"""Markdown for analyses, rendered safely: no raw HTML, no scripts, no dangerous links."""

import threading
from functools import lru_cache

import markdown as md
import nh3

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "sup", "sub", "del",
}  # fmt: skip

_local = threading.local()


def _converter() -> md.Markdown:
    """One converter per thread: building one (and its extensions) costs more than converting."""
    converter = getattr(_local, "converter", None)
    if converter is None:
        converter = _local.converter = md.Markdown(
            extensions=["tables", "fenced_code", "sane_lists"], output_format="html"
        )
        # Raw HTML is text: without these, a tag or an entity passes through as markup. (Escaping
        # the source first instead escaped code blocks twice: `a < b` showed as `a &lt; b`.)
        converter.preprocessors.deregister("html_block")
        converter.inlinePatterns.deregister("html")
        converter.inlinePatterns.deregister("entity")
    return converter


@lru_cache(maxsize=2048)
def render_markdown(text: str) -> str:
    """HTML for display. Raw HTML in the source is shown as text, then the output is sanitised.

    Published versions never change, so the same texts are rendered again and again: cached.
    """
    converter = _converter()
    html = converter.reset().convert(text)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}, "th": {"align"}, "td": {"align"}},
        url_schemes={"http", "https", "mailto"},
        url_relative="deny",
        link_rel="noopener noreferrer nofollow ugc",
    )
