"""App-only (client credentials) sign-in: ``ClientSecret`` and ``Certificate``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lrtui.api.errors import AuthError, ConfigError
from lrtui.api.providers.base import AccessToken
from lrtui.api.providers.msal_base import MsalProvider

#: where the settings layer reads the client secret (never from the config file); named in messages
ENV_SECRET = "LRTUI_CLIENT_SECRET"  # noqa: S105 - the variable's name, not a secret
#: where the settings layer reads the certificate's passphrase
ENV_CERT_PASSPHRASE = "LRTUI_CERT_PASSPHRASE"  # noqa: S105 - the variable's name, not a secret


class _AppCredentials(MsalProvider):
    """Client-credentials sign-in; subclasses say what the credential is (``_credential``)."""

    label = "App sign-in"

    def _credential(self) -> Any:
        raise NotImplementedError

    def _construct(self) -> Any:
        import msal

        return msal.ConfidentialClientApplication(
            self.client_id, client_credential=self._credential(), **self._app_kwargs()
        )

    def _acquire_sync(self, force_refresh: bool) -> AccessToken:
        app = self._ensure_app()
        if force_refresh:
            app.remove_tokens_for_client()
        result = self._guard(app.acquire_token_for_client, scopes=[self.scope])
        self.cache.save()
        return self._to_token(result, self.label)


class ClientSecret(_AppCredentials):
    """App-only client credentials with a secret given (from ``LRTUI_CLIENT_SECRET``) or typed at a prompt."""

    name = "client_secret"
    label = "Client-secret sign-in"

    def __init__(self, *, secret: str | None = None, prompt: Callable[[str], str] | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self._secret = secret
        self._prompt = prompt

    def describe(self) -> str:
        return f"client secret for app {self.client_id} in tenant {self.tenant_id}"

    def _get_secret(self) -> str:
        if self._secret:
            return self._secret
        prompt = self._prompt
        if prompt is None and sys.stdin is not None and sys.stdin.isatty():
            import getpass

            prompt = getpass.getpass
        if prompt is None:
            raise AuthError(
                f"No client secret: set {ENV_SECRET} (it is never read from the config file).",
            )
        secret = prompt(f"Client secret for app {self.client_id}: ")
        if not secret:
            raise AuthError("No client secret was entered.")
        self._secret = secret
        return secret

    def _credential(self) -> str:
        return self._get_secret()


class Certificate(_AppCredentials):
    """App-only client credentials with a certificate: a PEM holding the private key (and the certificate)."""

    name = "certificate"
    label = "Certificate sign-in"

    def __init__(
        self,
        *,
        cert_path: str | Path | None,
        cert_thumbprint: str | None = None,
        passphrase: str | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        self._passphrase = passphrase
        if not cert_path:
            raise ConfigError("The certificate sign-in needs cert_path (a PEM file with the private key).")
        self.cert_path = Path(cert_path).expanduser()
        self.cert_thumbprint = cert_thumbprint.replace(":", "").replace(" ", "").upper() if cert_thumbprint else None

    def describe(self) -> str:
        return f"certificate {self.cert_path} for app {self.client_id} in tenant {self.tenant_id}"

    def _credential(self) -> dict[str, Any]:
        try:
            pem = self.cert_path.read_bytes()
        except OSError as e:
            raise AuthError(f"Cannot read the certificate file {self.cert_path}: {e.strerror or e}.") from None
        if b"PRIVATE KEY" not in pem:
            raise AuthError(f"{self.cert_path} holds no PEM private key.")
        thumb = self.cert_thumbprint or _pem_thumbprint(pem)
        if not thumb:
            raise AuthError(
                f"No thumbprint for {self.cert_path}.",
                hint="Set cert_thumbprint, or put the certificate in the PEM too.",
            )
        cred: dict[str, Any] = {"private_key": pem.decode("ascii", "replace"), "thumbprint": thumb}
        if self._passphrase:
            cred["passphrase"] = self._passphrase
        return cred


def _pem_thumbprint(pem: bytes) -> str | None:
    """SHA-1 thumbprint (hex, upper case) of the first certificate in a PEM, or None."""
    if b"BEGIN CERTIFICATE" not in pem:
        return None
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes

        start = pem.index(b"-----BEGIN CERTIFICATE-----")
        cert = x509.load_pem_x509_certificate(pem[start:])
        return cert.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 - the thumbprint Entra uses
    except Exception:
        return None
