"""URL normalisation used to recognise the same article behind different links."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_DEFAULT_PORTS = {"http": "80", "https": "443"}
_TRACKING_PARAMS = frozenset({"fbclid", "gclid"})


def normalize_url(url: str) -> str:
    """Return a canonical form of ``url`` for deduplication; never raises.

    Lower-cases the scheme and host, drops default ports, the fragment, ``utm_*``/``fbclid``/``gclid``
    parameters and a trailing slash (except the root path), and sorts the remaining parameters.
    Strings that are not absolute URLs are returned stripped and otherwise unchanged.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.scheme or not parts.netloc:
        return url
    scheme = parts.scheme.lower()
    netloc = _normalize_netloc(parts.netloc, scheme)
    path = parts.path or "/"
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith("utm_") and k.lower() not in _TRACKING_PARAMS
    ]
    query.sort()
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


def _normalize_netloc(netloc: str, scheme: str) -> str:
    userinfo, sep, hostport = netloc.rpartition("@")
    if hostport.startswith("["):  # IPv6 literal: [::1]:8080
        host, _, rest = hostport.partition("]")
        host += "]"
        port = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port = hostport.partition(":")
    host = host.lower().rstrip(".")
    if port in ("", _DEFAULT_PORTS.get(scheme)):
        return f"{userinfo}{sep}{host}"
    return f"{userinfo}{sep}{host}:{port}"
