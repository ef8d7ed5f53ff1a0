"""Clouds and base URLs; redaction of SAS signatures, bearer tokens and secrets."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrtui.api.clouds import CLOUDS, get_cloud, is_loopback_host, resolve_base_url
from lrtui.api.errors import ConfigError
from lrtui.api.redact import redact_text, redact_url


def test_clouds_table():
    assert set(CLOUDS) == {"commercial", "gcc", "gcc-high", "dod"}
    c = CLOUDS["commercial"]
    assert (c.authority, c.api_base, c.scope) == (
        "https://login.microsoftonline.com",
        "https://api.security.microsoft.com",
        "https://api.securitycenter.microsoft.com/.default",
    )
    assert c.resource == "https://api.securitycenter.microsoft.com"
    assert CLOUDS["gcc"].api_base == "https://api-gcc.securitycenter.microsoft.us"
    assert CLOUDS["gcc-high"].authority == "https://login.microsoftonline.us"
    assert CLOUDS["dod"].api_base == "https://api-gov.securitycenter.microsoft.us"
    assert CLOUDS["dod"].portal == "https://security.apps.mil"
    assert c.authority_url("t1") == "https://login.microsoftonline.com/t1"
    assert get_cloud("GCCHigh").name == "gcc-high" and get_cloud(None).name == "commercial"
    with pytest.raises(ConfigError, match="Unknown cloud"):
        get_cloud("mars")


@pytest.mark.parametrize(
    "cloud, region, api_url, expected",
    [
        ("commercial", None, None, "https://api.security.microsoft.com"),
        ("commercial", "eu", None, "https://eu.api.security.microsoft.com"),
        ("commercial", "SWA", None, "https://swa.api.security.microsoft.com"),
        ("commercial", "api-uk", None, "https://api-uk.securitycenter.microsoft.com"),
        ("commercial", "securitycenter", None, "https://api.securitycenter.microsoft.com"),
        ("gcc", None, None, "https://api-gcc.securitycenter.microsoft.us"),
        ("commercial", "eu", "https://proxy.corp.example/mde/api/", "https://proxy.corp.example/mde"),
        (None, None, "http://127.0.0.1:8765", "http://127.0.0.1:8765"),
        (None, None, "api.securitycenter.microsoft.com", "https://api.securitycenter.microsoft.com"),
    ],
)
def test_resolve_base_url(cloud, region, api_url, expected):
    assert resolve_base_url(cloud, region, api_url) == expected


def test_resolve_base_url_errors():
    with pytest.raises(ConfigError, match="Unknown region"):
        resolve_base_url("commercial", "mars")
    with pytest.raises(ConfigError, match="no regional hosts"):
        resolve_base_url("gcc", "us")
    with pytest.raises(ConfigError, match="plain http"):
        resolve_base_url(api_url="http://api.security.microsoft.com")
    with pytest.raises(ConfigError, match="query or fragment"):
        resolve_base_url(api_url="https://x/?a=1")


@pytest.mark.parametrize(
    "api_url, problem",
    [
        ("https://api.security.microsoft.com:abc", "Port could not be cast"),
        ("https://api.security.microsoft.com:99999", "Port out of range"),
        ("https://api.security.microsoft.com:0", "port 0"),
        ("https://[::1", "Invalid IPv6"),
        ("https://api.security\x07.microsoft.com", "control character"),
        ("https://api.se curity.microsoft.com", "control character or space"),
        ("https://h\u202ex.example", "control character"),
        ("https://" + "a" * 64 + ".example", "IDNA"),
    ],
)
async def test_a_url_httpx_would_refuse_is_a_config_error_before_any_call(api_url, problem):
    """Every caller (the app, the CLI, a library user) gets the clear message, never ``httpx.InvalidURL``."""
    import httpx

    from lrtui.api.client import MdeClient

    with pytest.raises(ConfigError, match=problem) as ei:
        resolve_base_url(api_url=api_url)
    assert "not a valid API URL" in str(ei.value) and "\x07" not in str(ei.value)
    sent: list[httpx.Request] = []
    with pytest.raises(ConfigError):
        transport = httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(200, json={"value": []}))
        client = MdeClient(base_url=api_url, auth=None, transport=transport)
        await client.machines.list()
    assert sent == []


def test_loopback():
    assert all(
        map(is_loopback_host, ["127.0.0.1", "127.9.9.9", "::1", "[::1]", "localhost", "blob.localhost", "LOCALHOST."])
    )
    assert not any(map(is_loopback_host, ["", None, "10.0.0.1", "localhost.evil.com", "127.0.0.1.nip.io", "::2"]))


def test_redact_sas_url():
    url = "https://acc.blob.core.windows.net/investigation-actions-data/x/h?sv=2020-08-04&se=2030-01-01T00%3A00%3A00Z&sr=b&sp=r&sig=AbC%2Bd%3D"
    red = redact_url(url)
    assert (
        red
        == "https://acc.blob.core.windows.net/investigation-actions-data/x/h?sv=2020-08-04&se=2030-01-01T00:00:00Z&sr=b&sp=r&sig=REDACTED"
    )
    assert redact_url("https://h/api/machines?$filter=id eq 'x'") == "https://h/api/machines?$filter=id eq 'x'"
    assert redact_url("https://u:pw@h/x") == "https://REDACTED@h/x"
    assert (
        redact_url("https://h/x?SIG=1&Signature=2&skoid=3")
        == "https://h/x?SIG=REDACTED&Signature=REDACTED&skoid=REDACTED"
    )


def test_redact_text():
    text = 'GET https://a/b?sv=1&sig=secret123 failed; Authorization: Bearer eyJhbGciOi.eyJzdWIiOi.sgn {"access_token": "xyz", "client_secret":"s"}'
    red = redact_text(text)
    for secret in ("secret123", "eyJhbGciOi", "xyz", '"s"'):
        assert secret not in red
    assert "sig=REDACTED" in red and "Bearer REDACTED" in red and '"access_token": "REDACTED"' in red
    assert redact_text("designer=1 assignment") == "designer=1 assignment"  # 'sig' inside words untouched


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="&#%+ \t\n\r\x0b\x0c\"'<>"),
        min_size=1,
        max_size=40,
    )
)
def test_sig_value_never_survives(sig):
    url = f"https://acc.blob.core.windows.net/c/b?sv=1&sig={sig}&se=2"
    red = redact_url(url)
    assert "sig=REDACTED" in red
    query = red.split("?", 1)[1]
    assert [p for p in query.split("&") if p.lower().startswith("sig=")] == ["sig=REDACTED"]
    assert "sig=REDACTED" in redact_text(url)


async def test_a_request_url_httpx_refuses_is_a_config_error_and_nothing_is_sent():
    import httpx

    from lrtui.api.client import MdeClient

    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(200, json={"value": []}))
    client = MdeClient(base_url="https://api.security.microsoft.com", auth=None, transport=transport)
    try:
        with pytest.raises(ConfigError, match="was not sent: the request URL is not valid"):
            await client.transport.send("GET", "machines/a\x00b")
    finally:
        await client.aclose()
    assert sent == []
