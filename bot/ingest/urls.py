"""Canonical URLs (so one article has one key across feeds) and content hashes."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

# Query parameters that only track the reader; dropping them never changes the page.
_TRACKING_PREFIXES = ("utm_", "_hs", "mc_", "pk_", "mtm_", "ga_")
_TRACKING = {
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "mkt_tok",
    "spm", "scm", "ref_src", "ref_url", "_ga", "_gl", "oly_anon_id", "oly_enc_id", "vero_id",
    "rb_clickid", "s_cid", "wt_mc", "share_source", "from_source", "feature", "cmpid", "ktm_source",
}
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _tracking(name: str) -> bool:
    low = name.lower()
    return low in _TRACKING or low.startswith(_TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """One spelling per page: lower-case scheme and host, no default port, userinfo, fragment or
    tracking parameters, remaining query sorted; the path is kept (a trailing slash can matter)."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    netloc = host
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{host}:{port}"
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _tracking(k)]
    query = urlencode(sorted(pairs), doseq=True)
    return urlunsplit((scheme, netloc, path, query, ""))


def url_variants(url: str) -> list[str]:
    """Spellings of the same page that feeds mix freely: http/https, www./bare host and a
    trailing slash. Used only to look up an article already stored, never to rewrite URLs."""
    parts = urlsplit(url)
    hosts = {parts.netloc, parts.netloc[4:] if parts.netloc.startswith("www.") else "www." + parts.netloc}
    path = parts.path
    paths = {path, path.rstrip("/") if len(path) > 1 and path.endswith("/") else path + "/"}
    out: list[str] = []
    for scheme in ("https", "http"):
        for host in sorted(hosts):
            for p in sorted(paths):
                candidate = urlunsplit((scheme, host, p, parts.query, ""))
                if candidate != url and candidate not in out:
                    out.append(candidate)
    return out


_SPACE = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """NFKC, lower case, single spaces: the form hashes and shingles are taken from."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text).lower()).strip()


def content_hash(text: str) -> str:
    """sha256 hex of the normalized text: the summary cache key."""
    return hashlib.sha256(normalize_text(text).encode("utf-8")).hexdigest()
