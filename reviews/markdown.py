"""Markdown for analyses, rendered safely: no raw HTML, no scripts, no dangerous links."""

import markdown as md
import nh3

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "sup", "sub", "del",
}  # fmt: skip


def render_markdown(text: str) -> str:
    """HTML for display. Raw HTML in the source is escaped, then the output is sanitised."""
    html = md.markdown(
        text.replace("&", "&amp;").replace("<", "&lt;"),
        extensions=["tables", "fenced_code", "sane_lists"],
        output_format="html",
    )
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}, "th": {"align"}, "td": {"align"}},
        url_schemes={"http", "https", "mailto"},
        url_relative="deny",
        link_rel="noopener noreferrer nofollow ugc",
    )
