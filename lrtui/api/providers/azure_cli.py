"""``AzureCli``: a token from ``az account get-access-token`` (the user signed in with ``az login``)."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from datetime import datetime
from typing import Any

from lrtui.api.clouds import Cloud, get_cloud, scope_to_resource
from lrtui.api.errors import AuthError
from lrtui.api.providers.base import AccessToken, TokenProvider, jwt_expiry
from lrtui.api.redact import redact_text


class AzureCli(TokenProvider):
    """``az account get-access-token`` (the user signed in with ``az login``)."""

    name = "azure_cli"

    def __init__(
        self,
        *,
        tenant_id: str | None = None,
        cloud: str | Cloud | None = "commercial",
        scope: str | None = None,
        az: str | None = None,
        timeout_s: float = 60.0,
    ) -> None:
        self.tenant_id = tenant_id
        self.cloud = get_cloud(cloud)
        self.resource = scope_to_resource(scope or self.cloud.scope)
        self.az = az
        self.timeout_s = timeout_s
        self._lock = asyncio.Lock()

    def describe(self) -> str:
        return "Azure CLI (az login)"

    async def get_token(self, *, force_refresh: bool = False) -> AccessToken:
        async with self._lock:
            exe = self.az or shutil.which("az") or shutil.which("az.cmd")
            if not exe:
                raise AuthError(
                    "The Azure CLI (az) was not found.",
                    hint="Install it and run az login, or pick another auth method.",
                )
            args = [exe, "account", "get-access-token", "--resource", self.resource, "-o", "json"]
            if self.tenant_id:
                args += ["--tenant", self.tenant_id]
            try:
                proc = await asyncio.create_subprocess_exec(
                    *args,
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.PIPE,
                )
            except OSError as e:
                raise AuthError(f"Cannot run the Azure CLI: {e.strerror or e}.") from None
            try:
                async with asyncio.timeout(self.timeout_s):  # not wait_for: it can swallow a cancel on 3.11
                    out, err = await proc.communicate()
            except TimeoutError:
                proc.kill()
                await proc.wait()
                raise AuthError(f"az account get-access-token did not answer within {self.timeout_s:.0f} s.") from None
            if proc.returncode != 0:
                lines = [ln for ln in err.decode("utf-8", "replace").splitlines() if ln.strip()]
                first = redact_text(lines[0])[:300] if lines else f"exit code {proc.returncode}"
                raise AuthError(
                    f"az account get-access-token failed: {first}", hint="Run az login (with the right tenant)."
                )
            try:
                data = json.loads(out.decode("utf-8-sig"))
                token = data["accessToken"]
            except (ValueError, KeyError, TypeError):
                raise AuthError("az account get-access-token printed no token.") from None
            return AccessToken(token, az_expiry(data, token), "azure_cli")


def az_expiry(data: dict[str, Any], token: str) -> float:
    """When the token ``az account get-access-token`` printed expires (epoch seconds)."""
    v = data.get("expires_on")
    if isinstance(v, (int, float)) or (isinstance(v, str) and v.isdigit()):
        return float(v)
    s = data.get("expiresOn")
    if isinstance(s, str):
        try:
            return datetime.fromisoformat(s.strip()).timestamp()  # local time, as az prints it
        except ValueError:
            pass
    exp = jwt_expiry(token)
    return exp if exp is not None else time.time() + 300.0
