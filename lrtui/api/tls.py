"""One TLS trust for every connection lrtui makes: the API, result links and sign-in (msal).

Corporate networks put a TLS-inspecting proxy in the way, whose CA is in the operating system's trust store
(truststore uses it) or in a PEM file (``ca_bundle`` in the profile, ``SSL_CERT_FILE`` or ``REQUESTS_CA_BUNDLE``;
the settings layer reads them into ``TlsSettings``). ``make_ssl_context`` builds the one ``ssl.SSLContext``;
httpx takes it as ``verify=``, and msal (which talks through requests) gets ``msal_http_client(context)``, a
``requests.Session`` whose https adapter verifies with that same context, whatever ``verify`` or
``REQUESTS_CA_BUNDLE`` say. Both keep honouring ``HTTPS_PROXY`` and ``NO_PROXY`` from the environment.

```python
ctx = make_ssl_context(Path("corp-ca.pem"), use_truststore=True)
MdeClient(url, auth=auth, ssl_context=ctx); session = msal_http_client(ctx)
```
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lrtui.api.errors import ConfigError

if TYPE_CHECKING:
    import requests

#: what fixes "certificate verify failed" (named by sign-in and connection errors)
CA_HINT = (
    "certificate verify failed: if a TLS-inspecting proxy is in the way, set ca_bundle in the profile "
    "(or SSL_CERT_FILE) to your proxy's CA file (PEM)."
)
PROXY_HINT = "The proxy could not be used: check HTTPS_PROXY (and NO_PROXY for hosts that must not use it)."


@dataclass(frozen=True, slots=True)
class TlsSettings:
    """How connections are verified: extra CAs from ``ca_bundle`` (named by ``source``) and the OS trust store."""

    ca_bundle: Path | None = None
    source: str = ""  #: where ca_bundle came from (``ca_bundle in profile x``, ``SSL_CERT_FILE``, ...)
    use_truststore: bool = True  #: use the OS trust store when truststore is installed (LRTUI_TRUSTSTORE=0: off)

    def ssl_context(self) -> ssl.SSLContext:
        return make_ssl_context(self.ca_bundle, use_truststore=self.use_truststore, source=self.source)


def _base_context(use_truststore: bool) -> ssl.SSLContext:
    if use_truststore:
        try:
            import truststore
        except ImportError:
            pass
        else:
            return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        import certifi
    except ImportError:
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())  # what httpx and requests trust by default


def make_ssl_context(ca_bundle: Path | None, *, use_truststore: bool, source: str = "") -> ssl.SSLContext:
    """The context that verifies every https connection: the OS trust store (truststore, when installed and
    ``use_truststore``) or certifi's CAs, plus the CAs of ``ca_bundle`` (a PEM file). Raises ``ConfigError``
    naming the file (and ``source``, the setting that named it) when it cannot be used."""
    ctx = _base_context(use_truststore)
    if ca_bundle is not None:
        named = f" ({source})" if source else ""
        try:
            ctx.load_verify_locations(cafile=str(ca_bundle))
        except FileNotFoundError:
            raise ConfigError(
                f"The CA file {ca_bundle}{named} does not exist.",
                hint="Point it at your proxy's CA certificate (a PEM file), or remove the setting.",
            ) from None
        except (ssl.SSLError, OSError, ValueError) as e:
            why = (e.strerror if isinstance(e, OSError) else None) or e
            raise ConfigError(
                f"The CA file {ca_bundle}{named} cannot be used: {why}.",
                hint="It must hold one or more PEM certificates (-----BEGIN CERTIFICATE-----).",
            ) from None
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.check_hostname = True
    return ctx


def msal_http_client(ssl_context: ssl.SSLContext) -> requests.Session:
    """The ``requests.Session`` for msal: https verified with ``ssl_context`` (``verify=`` and
    ``REQUESTS_CA_BUNDLE`` cannot loosen or replace it); ``trust_env`` stays on so ``HTTPS_PROXY`` and
    ``NO_PROXY`` apply as they do for httpx. Imports requests: call it in a worker thread."""
    import requests

    session = requests.Session()
    session.mount("https://", _context_adapter(ssl_context))
    return session


def _context_adapter(ssl_context: ssl.SSLContext) -> Any:
    from requests.adapters import HTTPAdapter

    class ContextAdapter(HTTPAdapter):
        """Every https pool (direct or through a CONNECT proxy) verifies with the one context."""

        def build_connection_pool_key_attributes(
            self, request: Any, verify: Any, cert: Any = None
        ) -> tuple[dict[str, Any], dict[str, Any]]:
            host_params, _ = super().build_connection_pool_key_attributes(request, True, cert)
            return host_params, {"ssl_context": ssl_context, "cert_reqs": "CERT_REQUIRED"}

        def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
            conn.cert_reqs, conn.ca_certs, conn.ca_cert_dir = "CERT_REQUIRED", None, None

    return ContextAdapter()


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in seen and len(seen) < 16:
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen


def is_verify_failure(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is a failed certificate verification."""
    for e in _chain(exc):
        if isinstance(e, ssl.SSLCertVerificationError):
            return True
        text = " ".join(str(a) for a in e.args).lower()
        if "certificate_verify_failed" in text or "certificate verify failed" in text:
            return True
    return False


def tls_hint(exc: BaseException) -> str | None:
    """What fixes a connection failure that TLS or the proxy caused (``CA_HINT``, ``PROXY_HINT``), or None."""
    if is_verify_failure(exc):
        return CA_HINT
    for e in _chain(exc):
        if type(e).__name__ == "ProxyError" or "tunnel connection failed" in str(e).lower():
            return PROXY_HINT
    return None
