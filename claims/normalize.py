"""The one place where claim texts and URLs are normalised into identities."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

_WHITESPACE = re.compile(r"\s+")
# Invisible characters ignored when comparing texts.
_INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff\u00ad]")
# Invisible characters also removed from the stored text. Zero-width (non-)joiners and
# direction marks stay: they carry meaning in emoji sequences, Persian, Indic and RTL text.
_INVISIBLE_NOISE = re.compile("[\u200b\u2060\ufeff\u00ad]")
_PERCENT_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
# Characters left as they are in a canonical path or query (RFC 3986 reserved and unreserved, and "%").
_URL_SAFE = "!$%&'()*+,/:;=?@[]~-._"

TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "wt_mc",
        "ref_src",
        "ref_url",
        "spm",
        "s_cid",
    }
)
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def clean_claim_text(text: str) -> str:
    """The text as stored: Unicode NFC, invisible noise (zero-width spaces, BOMs, soft hyphens) removed,
    whitespace collapsed, trimmed."""
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE_NOISE.sub("", text)
    return _WHITESPACE.sub(" ", text).strip()


def has_visible_text(text: str) -> bool:
    """Whether anything but whitespace and invisible characters is left."""
    return bool(_INVISIBLE.sub("", text).strip())


def claim_text_key(text: str) -> str:
    """Identity of a claim text: NFKC, whitespace collapsed, case-folded, hashed."""
    folded = _WHITESPACE.sub(" ", _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))).strip().casefold()
    return hashlib.sha256(unicodedata.normalize("NFKC", folded).encode()).hexdigest()


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(_TRACKING_PREFIXES)


def _encode_component(text: str) -> str:
    """Percent-encode what must be (non-ASCII, spaces...); upper-case existing escapes; keep the rest."""
    return _PERCENT_ESCAPE.sub(lambda m: m.group(0).upper(), quote(text, safe=_URL_SAFE))


def _query_without_tracking(query: str) -> str:
    """The query minus tracking parameters; other parameters keep their order and spelling."""
    kept = []
    for pair in query.split("&"):
        if not pair:
            continue
        name = unquote_plus(pair.split("=", 1)[0])
        if not _is_tracking(name):
            kept.append(_encode_component(pair))
    return "&".join(kept)


def canonicalize_url(url: str) -> str:
    """Canonical form of a URL: one row per page however it was linked.

    Scheme and host lower-cased (IDN hosts in punycode), default port, fragment
    and tracking parameters dropped, empty path made ``/``, non-ASCII characters
    of path and query percent-encoded. Other parameters are kept as written, in
    order, since this is also the URL that gets fetched. Raises ValueError for a
    URL without scheme or host.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = parts.hostname
    if not scheme or not host:
        raise ValueError("URL needs a scheme and a host")
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError as exc:
        raise ValueError("URL host is not a valid domain name") from exc
    host = host.lower().rstrip(".")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = parts.port  # raises ValueError for a malformed port
    netloc = host if port is None or _DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    if parts.username is not None or parts.password is not None:
        userinfo = parts.netloc.rsplit("@", 1)[0]
        netloc = f"{userinfo}@{netloc}"
    path = _encode_component(parts.path or "/")
    return urlunsplit((scheme, netloc, path, _query_without_tracking(parts.query), ""))


def url_key(canonical_url: str) -> str:
    return hashlib.sha256(canonical_url.encode()).hexdigest()
