"""The origin the app serves this request at, when it differs from ``SITE_URL``'s in development
(``served.following_server``). ``conf`` rebases ``SITE_URL`` and ``API_URL`` onto it; nothing else
is imported here, so ``conf`` can use it."""

from __future__ import annotations

from contextvars import ContextVar
from urllib.parse import urlsplit

# (SITE_URL's origin, the origin the current request came to), while the app follows the server.
_following: ContextVar[tuple[str, str] | None] = ContextVar("secu_following", default=None)


def of(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, lower case; "" for a URL that is not absolute."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def rebase(url: str) -> str:
    """``url`` with ``SITE_URL``'s origin replaced by the request's while following it."""
    pair = _following.get()
    if pair is None or of(url) != pair[0]:
        return url
    return pair[1] + url[len(pair[0]) :]
