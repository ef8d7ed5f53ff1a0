"""Token providers for ``BearerAuth`` (``lrtui.api.auth``), one module per sign-in method.

msal (and requests) are imported only inside provider methods, never at module level.
"""

from __future__ import annotations

from lrtui.api.providers.app_credentials import Certificate, ClientSecret
from lrtui.api.providers.azure_cli import AzureCli
from lrtui.api.providers.base import AccessToken, PromptFn, TokenProvider
from lrtui.api.providers.device_code import DeviceCode
from lrtui.api.providers.managed_identity import ManagedIdentity
from lrtui.api.providers.static_token import StaticToken

__all__ = [
    "AccessToken", "AzureCli", "Certificate", "ClientSecret", "DeviceCode", "ManagedIdentity", "PromptFn",
    "StaticToken", "TokenProvider",
]  # fmt: skip
