"""What every token provider shares: ``AccessToken``, the ``TokenProvider`` base and JWT expiry."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

#: on_prompt(verification_uri, user_code, message); may be sync or async
PromptFn = Callable[[str, str, str], "Awaitable[None] | None"]


@dataclass
class AccessToken:
    token: str = field(repr=False)
    expires_on: float  #: epoch seconds (``inf`` when unknown and not expiring)
    source: str = ""  #: e.g. msal's token_source: identity_provider / cache

    @property
    def expires_in(self) -> float:
        """Seconds of validity left (``inf`` when unknown)."""
        return self.expires_on - time.time()

    def expires_within(self, seconds: float, now: float | None = None) -> bool:
        return self.expires_on - seconds <= (time.time() if now is None else now)


class TokenProvider:
    """Base: ``await get_token(force_refresh=...) -> AccessToken``."""

    name = "provider"

    async def get_token(self, *, force_refresh: bool = False) -> AccessToken:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> str:
        return self.name

    def describe_cache(self) -> str:
        return "No token cache (this sign-in method does not store tokens)."

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def jwt_expiry(token: str) -> float | None:
    """The ``exp`` claim of a JWT (epoch seconds), or None when the token is not a JWT or has none."""
    parts = token.split(".")
    if len(parts) < 2:
        return None
    try:
        pad = "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + pad))
        exp = claims.get("exp")
        return float(exp) if isinstance(exp, (int, float)) else None
    except Exception:
        return None
