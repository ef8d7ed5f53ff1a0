"""``ManagedIdentity``: a system- or user-assigned managed identity on an Azure host."""

from __future__ import annotations

import asyncio
import ssl
import time
from typing import Any

from lrtui.api.clouds import Cloud, get_cloud, scope_to_resource
from lrtui.api.errors import AuthError
from lrtui.api.providers.base import AccessToken, TokenProvider
from lrtui.api.providers.msal_base import msal_error
from lrtui.api.redact import redact_text
from lrtui.api.tls import msal_http_client


class ManagedIdentity(TokenProvider):
    """A managed identity (Azure VM, App Service, Arc...), system- or user-assigned."""

    name = "managed_identity"

    def __init__(
        self,
        *,
        client_id: str | None = None,
        resource_id: str | None = None,
        object_id: str | None = None,
        cloud: str | Cloud | None = "commercial",
        scope: str | None = None,
        http_client: Any = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.client_id, self.resource_id, self.object_id = client_id, resource_id, object_id
        self.cloud = get_cloud(cloud)
        self.resource = scope_to_resource(scope or self.cloud.scope)
        self.http_client = http_client
        self.ssl_context = ssl_context  #: verifies https identity endpoints when no http_client is given
        self._client: Any = None
        self._lock = asyncio.Lock()

    def describe(self) -> str:
        which = "user-assigned" if (self.client_id or self.resource_id or self.object_id) else "system-assigned"
        return f"{which} managed identity"

    def _acquire_sync(self) -> AccessToken:
        import msal
        import requests

        if self._client is None:
            if self.client_id or self.resource_id or self.object_id:
                mi: Any = msal.UserAssignedManagedIdentity(
                    client_id=self.client_id, resource_id=self.resource_id, object_id=self.object_id
                )
            else:
                mi = msal.SystemAssignedManagedIdentity()
            self._client = msal.ManagedIdentityClient(
                mi, http_client=self.http_client or self._session(), token_cache=msal.TokenCache()
            )
        try:
            result = self._client.acquire_token_for_client(resource=self.resource)
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as e:
            raise AuthError(
                "Cannot reach the managed identity endpoint.",
                hint="Managed identity works only on an Azure host with one assigned.",
            ) from e
        except Exception as e:
            if type(e).__name__ == "ManagedIdentityError":
                raise AuthError(f"Managed identity sign-in failed: {redact_text(str(e))[:300]}") from e
            raise
        if result and "access_token" in result:
            expires_in = float(result.get("expires_in", 3600) or 3600)
            return AccessToken(result["access_token"], time.time() + expires_in, str(result.get("token_source", "")))
        raise msal_error(result, "Managed identity sign-in")

    def _session(self) -> Any:
        import requests

        return msal_http_client(self.ssl_context) if self.ssl_context is not None else requests.Session()

    async def get_token(self, *, force_refresh: bool = False) -> AccessToken:
        async with self._lock:
            if force_refresh:
                self._client = None  # a fresh client has an empty cache
            return await asyncio.to_thread(self._acquire_sync)
