"""URL normalization for deduplication: one article, one key, whatever tracking or AMP/mobile variant links it."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit, urlunsplit

from url_normalize import url_normalize
from w3lib.url import canonicalize_url, url_query_cleaner

from pipeline.textutil import until_stable

# Query parameters that identify a campaign or a click, never the content.
TRACKING_PARAMS = (
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "utm_id",
    "utm_name",
    "fbclid",
    "gclid",
    "dclid",
    "yclid",
    "msclkid",
    "mc_cid",
    "mc_eid",
    "igshid",
    "_ga",
    "_gl",
    "ref",
    "ref_src",
    "referrer",
    "source",
    "cmpid",
    "ito",
    "at_medium",
    "at_campaign",
    "rss",
    "from",
    "amp",
    "outputType",
    "output",
    "share",
    "s_cid",
)
MOBILE_HOST_PREFIXES = ("m.", "mobile.", "amp.")
_AMP_PATH = re.compile(r"(^/amp(?=/))|(/amp/?$)|(\.amp(?=\.html?$|$))", re.IGNORECASE)


def fold_variants(url: str) -> str:
    """Map AMP and mobile variants onto the main article URL (stacked prefixes such as amp.m. included)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    while (prefix := next((p for p in MOBILE_HOST_PREFIXES if host.startswith(p)), None)) and host.count(".") >= 2:
        host = host[len(prefix) :]
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    path = parts.path
    while (shorter := _AMP_PATH.sub("", path)) != path:
        path = shorter
    return urlunsplit((parts.scheme, netloc, path or "/", parts.query, ""))


def clean_url(url: str) -> str:
    """The URL as stored: lower-cased host, default port dropped, dot segments resolved, tracking parameters,
    fragment, AMP and mobile variants removed, remaining query sorted. A fixed point: cleaning it again
    changes nothing (one pass can leave work for the next, e.g. two spellings of one parameter)."""
    return until_stable(_clean_once, url.strip())


def _clean_once(url: str) -> str:
    normalized = url_normalize(url) or url
    cleaned = url_query_cleaner(normalized, TRACKING_PARAMS, remove=True, keep_fragments=False)
    return canonicalize_url(fold_variants(cleaned), keep_fragments=False)


def normalize_url(url: str) -> str:
    """The deduplication key: the clean URL with http/https and a leading www. folded together."""
    parts = urlsplit(clean_url(url))
    netloc = parts.netloc.removesuffix(":443")  # the default port once http is folded into https
    while (prefix := next((p for p in ("www.", *MOBILE_HOST_PREFIXES) if netloc.startswith(p)), None)) and netloc.count(
        "."
    ) >= 2:
        netloc = netloc[len(prefix) :]
    return urlunsplit(("https" if parts.scheme == "http" else parts.scheme, netloc, parts.path, parts.query, ""))


def url_hash(url: str) -> str:
    return hashlib.sha256(normalize_url(url).encode("utf-8")).hexdigest()
