"""Remove credentials from URLs and text before anything is logged, shown or journalled.

A result link is an Azure Blob SAS URL whose ``sig=`` value *is* the credential. Bearer tokens and client
secrets must never reach a log either. Everything here is pure and cheap (no imports beyond the stdlib).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "REDACTED"

#: Query parameter names whose values are credentials (compared case-insensitively).
SENSITIVE_QUERY_KEYS = frozenset(
    {
        "sig",  # SAS signature: the credential of a result link
        "signature",
        "skoid",  # user-delegation SAS: signing key object id and tenant (not secret, but identifying)
        "sktid",
        "code",  # OAuth authorisation code
        "client_secret",
        "client_assertion",
        "assertion",
        "access_token",
        "refresh_token",
        "id_token",
        "token",
        "password",
        "api_key",
        "apikey",
        "key",
    }
)

_SENSITIVE_ALT = "|".join(sorted((re.escape(k) for k in SENSITIVE_QUERY_KEYS), key=len, reverse=True))
# key=value inside a query string or free text; the value runs to the next separator.
_QUERY_VALUE = re.compile(rf"(?i)(?<![A-Za-z0-9_])({_SENSITIVE_ALT})=([^&\t\n\r\x0b\x0c \"'<>#]+)")
_BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9\-._~+/]+=*")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_JSON_SECRET = re.compile(
    r'(?i)("(?:access_token|refresh_token|id_token|client_secret|password|accessToken|refreshToken)"\s*:\s*")[^"]*(")'
)


def redact_url(url: object) -> str:
    """The URL with the value of every sensitive query parameter replaced by ``REDACTED``.

    Accepts ``str`` or ``httpx.URL``. Never raises: an unparsable URL goes through ``redact_text``.
    """
    text = str(url)
    try:
        parts = urlsplit(text)
    except ValueError:
        return redact_text(text)
    netloc = parts.netloc
    if "@" in netloc:  # user:password@host
        netloc = f"{REDACTED}@{netloc.rsplit('@', 1)[1]}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(k.lower() in SENSITIVE_QUERY_KEYS for k, _ in pairs):
            query = urlencode(
                [(k, REDACTED if k.lower() in SENSITIVE_QUERY_KEYS else v) for k, v in pairs], safe="$(),'/:*"
            )
    return redact_text(urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment)))


def redact_text(text: str) -> str:
    """Free text with SAS signatures, bearer tokens, JWTs and JSON secret fields replaced by ``REDACTED``."""
    if not text:
        return text
    text = _QUERY_VALUE.sub(lambda m: f"{m.group(1)}={REDACTED}", text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _JWT.sub(REDACTED, text)
    text = _JSON_SECRET.sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(2)}", text)
    return text


def url_origin(url: str) -> str:
    """``scheme://host[:port]`` of a URL, for messages that must not carry a path or query."""
    p = urlsplit(url)
    host = p.hostname or ""
    port = f":{p.port}" if p.port else ""
    return f"{p.scheme}://{host}{port}"
