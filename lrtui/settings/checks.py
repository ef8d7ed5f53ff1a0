"""Values that become paths or destinations: profile names (file names) and the API URL (where the token goes).

Each check returns what is wrong (a phrase that follows the value's name), or None; the loader adds where the
value came from (the file and line, the variable or the option).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from lrtui.api.clouds import is_loopback_host

#: profile names become file names (the journal, the token cache), so only these characters
PROFILE_CHARS = "letters, digits, '.', '_' and '-'"
PROFILE_NAME_MAX = 64
_PROFILE_NAME = re.compile(r"[A-Za-z0-9._-]+")
_HOST = re.compile(r"[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\]")

API_URL_HINT = (
    "Use https://host[:port] (plain http only for loopback, e.g. the simulator), "
    "or remove it to use the cloud's own host."
)


def profile_name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a profile (it ends up in file names), or None."""
    if not name:
        return "is empty"
    if len(name) > PROFILE_NAME_MAX:
        return f"is longer than {PROFILE_NAME_MAX} characters"
    if not _PROFILE_NAME.fullmatch(name) or name in (".", ".."):
        return f"may only use {PROFILE_CHARS} (and is not '.' or '..')"
    return None


def api_url_problem(raw: str) -> str | None:
    """Why ``raw`` is not an API base URL lrtui will send a token to, or None.

    The scheme is https (http only for loopback and ``*.localhost``); a bare host means https. The host must be
    present, the port in 1..65535; no user name or password, query or fragment. An empty value is refused (it
    would otherwise mean the production API)."""
    value = raw.strip()
    if not value:
        return "is empty (an empty API URL never means the production API)"
    if any(c.isspace() or ord(c) < 32 for c in value):
        return "contains spaces or control characters"
    text = value if "://" in value else f"https://{value}"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return "has a port that is not a number from 1 to 65535"
    if parts.scheme.lower() not in ("https", "http"):
        return f"uses the scheme {parts.scheme!r}; only https is allowed"
    if "@" in parts.netloc:
        return "carries a user name or password; credentials never go in the URL"
    host = parts.hostname or ""
    if not host or not _HOST.fullmatch(parts.netloc.rsplit(":", 1)[0] if port is not None else parts.netloc):
        return "has no valid host name"
    if port == 0:
        return "has a port that is not a number from 1 to 65535"
    if "?" in text or "#" in text:
        return "has a query or fragment; give only the base URL"
    if parts.scheme.lower() == "http" and not is_loopback_host(host):
        return "uses plain http, so the bearer token would travel unencrypted; use https"
    return None
