"""Unit tests of ``claims.normalize``: the identities of claim texts and cited URLs."""

from __future__ import annotations

import hashlib

import pytest

from claims.normalize import canonicalize_url, claim_text_key, clean_claim_text, has_visible_text, url_key

# --------------------------------------------------------------------------- canonical URLs


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        # scheme and host lower-cased, path case kept
        ("HTTP://Example.COM/Path/To", "http://example.com/Path/To"),
        ("HtTpS://NEWS.Example.org/A", "https://news.example.org/A"),
        # default ports dropped, other ports kept
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:80/a", "https://example.com:80/a"),
        ("http://example.com:443/a", "http://example.com:443/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        # fragment dropped
        ("https://example.com/a#section-2", "https://example.com/a"),
        ("https://example.com/a?b=1#top", "https://example.com/a?b=1"),
        # empty path becomes "/"
        ("https://example.com", "https://example.com/"),
        ("https://example.com?x=1", "https://example.com/?x=1"),
        # a trailing dot on the host is the same host
        ("https://example.com./a", "https://example.com/a"),
        # surrounding whitespace ignored
        ("  https://example.com/a  ", "https://example.com/a"),
    ],
)
def test_canonical_url_scheme_host_port_fragment(url, canonical):
    assert canonicalize_url(url) == canonical


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("https://example.com/a?utm_source=tw&utm_medium=social&utm_campaign=x", "https://example.com/a"),
        ("https://example.com/a?fbclid=IwAR0abc", "https://example.com/a"),
        ("https://example.com/a?gclid=Cj0KCQ", "https://example.com/a"),
        ("https://example.com/a?UTM_Source=tw&FBCLID=1&GCLID=2", "https://example.com/a"),
        # other parameters kept, in their order, around removed ones
        ("https://example.com/a?z=1&utm_source=tw&a=2&fbclid=3&m=4", "https://example.com/a?z=1&a=2&m=4"),
        ("https://example.com/a?b=2&a=1", "https://example.com/a?b=2&a=1"),
        # repeated parameters kept
        ("https://example.com/a?tag=x&tag=y", "https://example.com/a?tag=x&tag=y"),
        # a tracking-looking value does not remove the parameter
        ("https://example.com/a?ref=utm_source", "https://example.com/a?ref=utm_source"),
        # empty pairs dropped; a query emptied entirely leaves no "?"
        ("https://example.com/a?&&x=1&", "https://example.com/a?x=1"),
        ("https://example.com/a?", "https://example.com/a"),
    ],
)
def test_canonical_url_tracking_parameters(url, canonical):
    assert canonicalize_url(url) == canonical


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        # parameters are kept as written: this URL is the one that gets fetched
        ("https://example.com/a?flag", "https://example.com/a?flag"),
        ("https://example.com/a?x=1;y=2", "https://example.com/a?x=1;y=2"),
        ("https://example.com/a?next=/b/c&u=http://x.org/", "https://example.com/a?next=/b/c&u=http://x.org/"),
        ("https://example.com/a?q=a+b&r=a%20b", "https://example.com/a?q=a+b&r=a%20b"),
        ("https://example.com/a?list[]=1", "https://example.com/a?list[]=1"),
        # percent-escapes are upper-cased, non-ASCII and spaces encoded
        ("https://example.com/caf%c3%a9?q=%c3%a9", "https://example.com/caf%C3%A9?q=%C3%A9"),
        ("https://example.com/café?q=é", "https://example.com/caf%C3%A9?q=%C3%A9"),
        ("https://example.com/a%2Fb", "https://example.com/a%2Fb"),
    ],
)
def test_canonical_url_keeps_other_parameters_as_written(url, canonical):
    assert canonicalize_url(url) == canonical


def test_canonical_url_same_page_linked_differently_is_one_identity():
    spellings = [
        "https://Bücher.example/straße?id=7&utm_source=newsletter#comments",
        "https://xn--bcher-kva.example/stra%C3%9Fe?id=7",
        "HTTPS://XN--BCHER-KVA.EXAMPLE:443/stra%c3%9fe?id=7&fbclid=abc",
    ]
    canonical = {canonicalize_url(url) for url in spellings}
    assert canonical == {"https://xn--bcher-kva.example/stra%C3%9Fe?id=7"}
    assert len({url_key(c) for c in canonical}) == 1


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("https://bücher.example/", "https://xn--bcher-kva.example/"),
        ("https://BÜCHER.example/", "https://xn--bcher-kva.example/"),
        ("http://пример.рф/путь", "http://xn--e1afmkfd.xn--p1ai/%D0%BF%D1%83%D1%82%D1%8C"),
        ("https://例え.jp/", "https://xn--r8jz45g.jp/"),
    ],
)
def test_canonical_url_idn_hosts_in_punycode(url, canonical):
    assert canonicalize_url(url) == canonical


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("http://[::1]/", "http://[::1]/"),
        ("http://[::1]:80/a", "http://[::1]/a"),
        ("http://[2001:DB8::1]:8080/p", "http://[2001:db8::1]:8080/p"),
        ("https://[2001:db8::2]:443", "https://[2001:db8::2]/"),
        ("http://127.0.0.1:80/x", "http://127.0.0.1/x"),
        ("http://127.0.0.1:8000/x", "http://127.0.0.1:8000/x"),
    ],
)
def test_canonical_url_ip_literals(url, canonical):
    assert canonicalize_url(url) == canonical


@pytest.mark.parametrize(
    "url",
    [
        "example.com/a",  # no scheme
        "/relative/path",
        "https://",  # no host
        "http:///path",
        "https://example.com:99999/",  # port out of range
        "https://example.com:port/",
        "http://[::1/",  # unclosed IPv6 literal
    ],
)
def test_canonical_url_refuses_urls_without_scheme_or_host(url):
    with pytest.raises(ValueError):
        canonicalize_url(url)


def test_canonical_url_is_idempotent():
    for url in [
        "https://Bücher.example:443/straße?id=7&utm_source=x#f",
        "http://[2001:DB8::1]:8080/p?a&b=1",
        "https://example.com/a b?q=é",
    ]:
        once = canonicalize_url(url)
        assert canonicalize_url(once) == once


def test_url_key_is_sha256_of_the_canonical_url():
    canonical = canonicalize_url("https://example.com/a")
    assert url_key(canonical) == hashlib.sha256(canonical.encode()).hexdigest()
    assert url_key(canonical) != url_key(canonicalize_url("https://example.com/b"))


# --------------------------------------------------------------------------- claim texts


@pytest.mark.parametrize(
    "variant",
    [
        "The city spent 5 million on roads",
        "the city spent 5 million on roads",
        "THE CITY SPENT 5 MILLION ON ROADS",
        "  The   city\tspent\n5 million on roads  ",
        "The\u00a0city spent 5 million on roads",  # no-break space
        "The city spent \uff15 million on roads",  # full-width digit (NFKC)
        "The city\u200b spent 5 mil\u00adlion on roads",  # zero-width space, soft hyphen
        "\ufeffThe city spent 5 million on roads\u2060",  # BOM, word joiner
        "The ci\u200dty spent 5 million on roads",  # zero-width joiner
    ],
)
def test_text_key_equal_for_same_text_after_normalisation(variant):
    assert claim_text_key(variant) == claim_text_key("The city spent 5 million on roads")


@pytest.mark.parametrize(
    "other",
    [
        "The city spent 6 million on roads",
        "The city spent 5 million on road",
        "The city spent 5 million on roads.",
        "The city spent 5million on roads",
    ],
)
def test_text_key_differs_for_different_texts(other):
    assert claim_text_key(other) != claim_text_key("The city spent 5 million on roads")


def test_text_key_case_folding_beyond_lower():
    # casefold, not lower(): "ß" and "SS" match, Greek final sigma matches.
    assert claim_text_key("Die Straße ist gesperrt") == claim_text_key("DIE STRASSE IST GESPERRT")
    assert claim_text_key("ΟΔΟΣ") == claim_text_key("οδος") == claim_text_key("οδoς".replace("o", "ο"))


def test_text_key_composed_and_decomposed_forms_match():
    composed = "Café résumé"
    decomposed = "Cafe\u0301 re\u0301sume\u0301"
    assert composed != decomposed
    assert claim_text_key(composed) == claim_text_key(decomposed)


def test_text_key_is_a_sha256_hex_digest():
    key = claim_text_key("anything")
    assert len(key) == 64
    int(key, 16)


def test_clean_text_collapses_whitespace_and_removes_noise_but_keeps_meaningful_joiners():
    assert clean_claim_text("  a \n\n b\t c  ") == "a b c"
    assert clean_claim_text("a\u200bb\ufeffc\u2060d\u00ade") == "abcde"
    # NFC: a decomposed é is stored composed
    assert clean_claim_text("e\u0301") == "\u00e9"
    # An emoji ZWJ sequence, a Persian ZWNJ and RTL marks survive in the stored text.
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert clean_claim_text(f"{family} family") == f"{family} family"
    persian = "می\u200cخواهم"
    assert clean_claim_text(persian) == persian
    assert clean_claim_text("\u200fשלום") == "\u200fשלום"


@pytest.mark.parametrize(
    ("text", "visible"),
    [("a", True), ("", False), ("   ", False), ("\u200b\u200d\u200c\ufeff", False), ("\u200ba", True)],
)
def test_has_visible_text(text, visible):
    assert has_visible_text(text) is visible
