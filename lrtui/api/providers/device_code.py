"""``DeviceCode``: the delegated, SSH-friendly device-code sign-in (then silent refresh from the cache)."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

from lrtui.api.errors import AuthError
from lrtui.api.providers.base import AccessToken, PromptFn
from lrtui.api.providers.msal_base import MsalProvider, msal_error


class DeviceCode(MsalProvider):
    """Delegated sign-in with a device code; later tokens come silently from the cached refresh token."""

    name = "device_code"

    def __init__(self, *, on_prompt: PromptFn | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.on_prompt = on_prompt
        self._flow: dict[str, Any] | None = None
        self.account: str | None = None

    def describe(self) -> str:
        who = f" as {self.account}" if self.account else ""
        return f"device code sign-in{who} (app {self.client_id}, tenant {self.tenant_id})"

    def _construct(self) -> Any:
        import msal

        return msal.PublicClientApplication(self.client_id, **self._app_kwargs())

    def _silent(self, force_refresh: bool) -> AccessToken | None:
        app = self._ensure_app()
        accounts = self._guard(app.get_accounts)
        for acc in accounts:
            result = self._guard(app.acquire_token_silent, [self.scope], account=acc, force_refresh=force_refresh)
            if result and "access_token" in result:
                self.account = acc.get("username") or self.account
                self.cache.save()
                return self._to_token(result, "Silent sign-in")
        return None

    def cancel(self) -> None:
        """Abort a device-code wait in progress (msal polls until ``expires_at``)."""
        if self._flow is not None:
            self._flow["expires_at"] = 0

    async def get_token(self, *, force_refresh: bool = False, interactive: bool = True) -> AccessToken:
        async with self._lock:
            tok = await asyncio.to_thread(self._silent, force_refresh)
            if tok is not None:
                return tok
            if not interactive or self.on_prompt is None:
                raise AuthError("Not signed in (or the sign-in expired).", hint="Run lrtui login for this profile.")
            app = await asyncio.to_thread(self._ensure_app)
            flow = await asyncio.to_thread(self._guard, app.initiate_device_flow, scopes=[self.scope])
            if "user_code" not in flow:
                raise msal_error(flow, "Starting the device-code sign-in")
            self._flow = flow
            try:
                shown = self.on_prompt(flow.get("verification_uri", ""), flow["user_code"], flow.get("message", ""))
                if inspect.isawaitable(shown):
                    await shown
                result = await asyncio.to_thread(self._guard, app.acquire_token_by_device_flow, flow)
            except asyncio.CancelledError:
                flow["expires_at"] = 0  # the worker thread stops at its next poll
                raise
            finally:
                self._flow = None
            if flow.get("expires_at", 1) == 0 and "access_token" not in (result or {}):
                raise AuthError("The device-code sign-in was cancelled.")
            claims = (result or {}).get("id_token_claims") or {}
            self.account = claims.get("preferred_username") or self.account
            await asyncio.to_thread(self.cache.save)
            return self._to_token(result, "Device-code sign-in")

    async def login(self) -> AccessToken:
        """Sign in now (``lrtui login``): silently when a cached account works, else with a device code."""
        return await self.get_token()
