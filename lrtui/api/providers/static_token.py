"""``StaticToken``: a token given as is (the settings layer reads it from ``LRTUI_ACCESS_TOKEN``)."""

from __future__ import annotations

from lrtui.api.errors import AuthError
from lrtui.api.providers.base import AccessToken, TokenProvider, jwt_expiry

#: where the settings layer reads the token; named in messages
ENV_TOKEN = "LRTUI_ACCESS_TOKEN"  # noqa: S105 - the variable's name, not a secret


class StaticToken(TokenProvider):
    """A token given as is (``LRTUI_ACCESS_TOKEN``). It cannot be refreshed."""

    name = "token"

    def __init__(self, token: str | None = None) -> None:
        tok = (token or "").strip()
        if tok.lower().startswith("bearer "):
            tok = tok[7:].strip()
        if not tok:
            raise AuthError(f"No access token: set {ENV_TOKEN}.")
        self._token = tok
        exp = jwt_expiry(tok)
        self._expires_on = exp if exp is not None else float("inf")

    async def get_token(self, *, force_refresh: bool = False) -> AccessToken:
        return AccessToken(self._token, self._expires_on, "static")

    def describe(self) -> str:
        return f"a fixed access token from {ENV_TOKEN}"
