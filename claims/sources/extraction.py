"""Turning fetched bytes into readable text and metadata (trafilatura, htmldate, pypdf)."""

from __future__ import annotations

import codecs
import io
import logging
import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

import htmldate
import lxml.html
import trafilatura
from charset_normalizer import from_bytes
from lxml import etree

logger = logging.getLogger(__name__)

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
PDF_TYPES = frozenset({"application/pdf"})
MAX_TEXT_CHARS = 1_000_000
_TITLE_RE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
# <meta charset="x"> and <meta http-equiv="Content-Type" content="text/html; charset=x">
_META_CHARSET_RE = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([a-z0-9_.:+-]+)""", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


@dataclass(frozen=True)
class ExtractedDocument:
    title: str = ""
    author: str = ""
    published_date: date | None = None
    text: str = ""


def _codec(label: str | None) -> str | None:
    """Python's codec for a charset label, read as browsers read it (WHATWG), or None."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None
    # Browsers decode pages labelled latin-1 or ASCII as windows-1252 ("€", curly quotes).
    return "cp1252" if name in {"iso8859-1", "ascii"} else name


def _meta_charset(body: bytes) -> str | None:
    match = _META_CHARSET_RE.search(body[:4096])
    if match is None:
        return None
    label = match.group(1).decode("ascii", errors="ignore")
    # A page whose <meta> could be read as ASCII is not UTF-16, whatever the tag says (WHATWG).
    return "utf-8" if label.lower().startswith("utf-16") else label


def decode_body(body: bytes, charset: str | None) -> str:
    """Bytes to text: a byte-order mark, the declared charset (HTTP, then ``<meta>``), UTF-8, else detection."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, errors="replace")
    for label in (charset, _meta_charset(body)):
        encoding = _codec(label)
        if encoding is None:
            continue
        try:
            return body.decode(encoding)
        except UnicodeDecodeError:
            logger.info("declared charset %r does not decode the body; trying others", label)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        best = from_bytes(body).best()
        return str(best) if best is not None else body.decode("utf-8", errors="replace")


def _parse_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _title(doc, html: str) -> str:
    title = (doc.title if doc else None) or ""
    if not title:
        match = _TITLE_RE.search(html.encode("utf-8", errors="ignore")[:200_000])
        title = match.group(1).decode("utf-8", errors="replace").strip() if match else ""
    return " ".join(title.split())[:1000]


def _published(doc, html: str, url: str | None) -> date | None:
    published = None
    try:
        published = _parse_date(htmldate.find_date(html, url=url, outputformat="%Y-%m-%d"))
    except Exception:
        logger.warning("htmldate failed on %s", url, exc_info=True)
    if published is None and doc is not None:
        published = _parse_date(doc.date)
    return published


def extract_html(html: str, url: str | None = None) -> ExtractedDocument:
    doc = None
    try:
        doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False)
    except Exception:  # trafilatura raises a variety of parser errors on hostile pages
        logger.warning("trafilatura failed on %s", url, exc_info=True)
    return ExtractedDocument(
        title=_title(doc, html),
        author=((doc.author if doc else None) or "")[:1000],
        published_date=_published(doc, html, url),
        text=((doc.text if doc else None) or "")[:MAX_TEXT_CHARS],
    )


@dataclass(frozen=True)
class ArticleParagraph:
    text: str
    links: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExtractedArticle:
    """An article's metadata and main text as paragraphs, each with the links it holds."""

    title: str = ""
    author: str = ""
    outlet: str = ""
    published_date: date | None = None
    language: str = ""
    paragraphs: tuple[ArticleParagraph, ...] = ()

    @property
    def text(self) -> str:
        return "\n\n".join(paragraph.text for paragraph in self.paragraphs)


# Blocks of trafilatura's XML body that hold running text; the innermost ones are paragraphs.
_TEXT_BLOCKS = frozenset({"p", "head", "item", "quote", "cell"})
_HTML_LANG_RE = re.compile(r"""<html[^>]*?\slang\s*=\s*["']?([A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*)""", re.IGNORECASE)


def _is_absolute_http(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme.lower() in {"http", "https"} and bool(parts.hostname)
    except ValueError:
        return False


def _paragraphs(body) -> tuple[ArticleParagraph, ...]:
    """Innermost text blocks of trafilatura's body, with the absolute http(s) targets of their links."""
    if body is None:
        return ()
    for line_break in body.iter("lb"):
        line_break.tail = " " + (line_break.tail or "")
    paragraphs = []
    size = 0
    for element in body.iter(*_TEXT_BLOCKS):
        if any(child is not element for child in element.iter(*_TEXT_BLOCKS)):
            continue  # a quote or list holding paragraphs: its children are the paragraphs
        text = " ".join("".join(element.itertext()).split())
        if not text:
            continue
        links: dict[str, None] = {}
        for ref in element.iter("ref"):
            target = (ref.get("target") or "").strip()
            if _is_absolute_http(target):
                links.setdefault(target, None)
        paragraphs.append(ArticleParagraph(text=text, links=tuple(links)))
        size += len(text) + 2
        if size > MAX_TEXT_CHARS:
            break
    return tuple(paragraphs)


# Class or id words of page furniture that trafilatura may keep inside an article: consent
# banners, paywall prompts, newsletter boxes. Their sentences must not become candidate claims.
_FURNITURE_WORDS = frozenset(
    {"cookie", "cookies", "consent", "gdpr", "paywall", "regwall", "subscribe", "subscription", "newsletter"}
)
_WORD_SPLIT_RE = re.compile(r"[\s_-]+")
_KEPT_CONTAINERS = frozenset({"html", "body", "main", "article"})


def _without_furniture(html: str):
    """The page as an lxml tree minus consent, paywall and newsletter boxes; the text itself if unparsable."""
    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, etree.ParserError):
        return html
    doomed = []
    for element in tree.iter():
        if not isinstance(element.tag, str) or element.tag in _KEPT_CONTAINERS:
            continue
        words = _WORD_SPLIT_RE.split(f"{element.get('class', '')} {element.get('id', '')}".lower())
        if _FURNITURE_WORDS.intersection(words) or element.get("data-paywall") is not None:
            doomed.append(element)
    for element in doomed:
        if element.getparent() is not None:
            element.drop_tree()
    return tree


def extract_article_html(html: str, url: str | None = None) -> ExtractedArticle:
    """Like ``extract_html``, plus the outlet, the page language and paragraphs with their links."""
    doc = None
    try:
        doc = trafilatura.bare_extraction(
            _without_furniture(html), url=url, with_metadata=True, include_comments=False, include_links=True
        )
    except Exception:  # trafilatura raises a variety of parser errors on hostile pages
        logger.warning("trafilatura failed on %s", url, exc_info=True)
    lang = _HTML_LANG_RE.search(html[:20_000])
    return ExtractedArticle(
        title=_title(doc, html),
        author=((doc.author if doc else None) or "")[:1000],
        outlet=((doc.sitename if doc else None) or "")[:1000],
        published_date=_published(doc, html, url),
        language=lang.group(1) if lang else ((doc.language if doc else None) or ""),
        paragraphs=_paragraphs(doc.body if doc else None),
    )


def extract_pdf(body: bytes) -> ExtractedDocument:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(body))
        meta = reader.metadata
        pages = []
        size = 0
        for page in reader.pages:
            chunk = page.extract_text() or ""
            pages.append(chunk)
            size += len(chunk)
            if size > MAX_TEXT_CHARS:
                break
        created = meta.creation_date.date() if meta and meta.creation_date else None
        return ExtractedDocument(
            title=(meta.title or "") if meta else "",
            author=(meta.author or "") if meta else "",
            published_date=created,
            text="\n\n".join(pages)[:MAX_TEXT_CHARS],
        )
    except Exception:
        logger.warning("could not read PDF", exc_info=True)
        return ExtractedDocument()


def extract_document(body: bytes, content_type: str, charset: str | None, url: str | None = None) -> ExtractedDocument:
    """Title, author, publication date and main text of a fetched document."""
    if content_type in PDF_TYPES or body[:5] == b"%PDF-":
        return extract_pdf(body)
    text = decode_body(body, charset)
    if content_type in HTML_TYPES or (not content_type and "<html" in text[:2000].lower()):
        return extract_html(text, url)
    return ExtractedDocument(text=text[:MAX_TEXT_CHARS].strip())
