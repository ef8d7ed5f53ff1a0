"""``StaticToken``: a token given as is (``LRTUI_ACCESS_TOKEN``)."""

from __future__ import annotations

import os

from lrtui.api.errors import AuthError
from lrtui.api.providers.base import AccessToken, TokenProvider, _jwt_exp

ENV_TOKEN = "LRTUI_ACCESS_TOKEN"


class StaticToken(TokenProvider):
    """A token given as is (``LRTUI_ACCESS_TOKEN``). It cannot be refreshed."""

    name = "token"

    def __init__(self, token: str | None = None) -> None:
        tok = token if token is not None else os.environ.get(ENV_TOKEN, "")
        tok = tok.strip()
        if tok.lower().startswith("bearer "):
            tok = tok[7:].strip()
        if not tok:
            raise AuthError(f"No access token: set {ENV_TOKEN}.")
        self._token = tok
        exp = _jwt_exp(tok)
        self._expires_on = exp if exp is not None else float("inf")

    async def get_token(self, *, force_refresh: bool = False) -> AccessToken:
        return AccessToken(self._token, self._expires_on, "static")

    def describe(self) -> str:
        return f"a fixed access token from {ENV_TOKEN}"
