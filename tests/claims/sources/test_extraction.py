"""Main text, title, author and date from saved pages of different shapes (``claims.sources.extraction``)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from claims.sources.extraction import decode_body, extract_document

PAGES = Path(__file__).parent.parent / "pages"


def page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def test_news_article_with_metadata():
    doc = extract_document(page("news_article.html"), "text/html", "utf-8", "https://gazette.example/roads")

    assert doc.title == "City council doubles road budget"
    assert doc.author == "Maria Okafor"
    assert doc.published_date == date(2024, 3, 14)
    assert doc.text.startswith("City council doubles road budget")
    assert "raising the annual budget from 12 million to 24 million euros" in doc.text
    assert "last until the end of the summer" in doc.text
    for boilerplate in ("Most read", "Local team wins cup", "Privacy policy", "Cookie settings", "tracker"):
        assert boilerplate not in doc.text


def test_blog_post_buried_in_navigation_and_comments():
    doc = extract_document(page("boilerplate_blog.html"), "text/html", None, "https://valley.example/bridge")

    assert doc.title == "Why the bridge closure lasted six months"
    assert doc.author == "Tom Becker"  # from the JSON-LD block
    assert doc.published_date == date(2023, 11, 2)
    assert "corrosion in four of the twelve steel supports" in doc.text
    assert "lost up to a third of their customers" in doc.text
    for boilerplate in ("We use cookies", "Categories", "October 2023", "Share this", "Great post", "Powered by"):
        assert boilerplate not in doc.text


def test_non_english_article():
    doc = extract_document(page("german_article.html"), "text/html", "utf-8", "https://tageblatt.example/steuer")

    assert doc.title == "Stadtrat beschließt höhere Grundsteuer"
    assert doc.author == "Jürgen Müller"
    assert doc.published_date == date(2022, 9, 21)
    assert "Hebesatz der Grundsteuer von 450 auf 520 Prozent" in doc.text
    assert "Impressum" not in doc.text


@pytest.mark.parametrize(
    "declared",
    [None, "windows-1252", "iso-8859-1", "utf-8"],
    ids=["meta-only", "declared", "labelled-latin-1", "wrongly-declared-utf-8"],
)
def test_windows_1252_article(declared):
    doc = extract_document(page("windows1252_article.html"), "text/html", declared, "https://midi.example/piscine")

    assert doc.title == "Le maire annonce une piscine « olympique » à Sète"
    assert doc.author == "Hélène Lefèvre"
    assert doc.published_date == date(2021, 6, 30)
    assert "qu’il qualifie d’« olympique »" in doc.text
    assert "Coût par habitant : environ 320 €." in doc.text


def test_latin_1_label_decodes_as_windows_1252_like_browsers():
    body = "Prix : 5 € – «\u00a0offre\u00a0»".encode("cp1252")

    assert decode_body(body, "iso-8859-1") == "Prix : 5 € – «\u00a0offre\u00a0»"
    assert decode_body(body, "us-ascii") == "Prix : 5 € – «\u00a0offre\u00a0»"


def test_byte_order_mark_wins_over_a_wrong_label():
    text = "Grüße aus Köln"
    assert decode_body(b"\xef\xbb\xbf" + text.encode("utf-8"), "iso-8859-1") == text
    assert decode_body(b"\xff\xfe" + text.encode("utf-16-le"), None) == text


def test_unknown_charset_label_falls_back_to_the_content():
    assert decode_body("naïve café".encode(), "x-no-such-charset") == "naïve café"


def test_plain_text_document():
    doc = extract_document("  Line one.\nZeile zwei: Größe.\n".encode(), "text/plain", "utf-8")

    assert doc.text == "Line one.\nZeile zwei: Größe."
    assert (doc.title, doc.author, doc.published_date) == ("", "", None)


def test_pdf_document():
    doc = extract_document(page("report.pdf"), "application/pdf", None)

    assert doc.title == "Road maintenance report 2023"
    assert doc.author == "Public Works Department"
    assert doc.published_date == date(2024, 1, 15)
    assert doc.text.splitlines() == [
        "Annual road maintenance report 2023",
        "Total spending: 24 million euros.",
        "Streets repaired: 112.",
    ]


def test_broken_pdf_yields_an_empty_document():
    doc = extract_document(b"%PDF-1.4\nthis is not really a PDF", "application/pdf", None)

    assert (doc.title, doc.text, doc.published_date) == ("", "", None)
