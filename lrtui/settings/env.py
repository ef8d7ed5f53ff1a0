"""Every ``LRTUI_*`` variable is read here (and the two folder variables in ``folders``); nowhere else in lrtui.

Values are checked as they are read: a bad number names the variable and says what to set. Empty values count
as unset. Secrets are only carried, never validated into a message.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import TypeVar

from lrtui.api.errors import ConfigError
from lrtui.settings.sections import (
    Budgets,
    CaEnv,
    DemoSettings,
    GeneralBudget,
    GlyphMode,
    Pacing,
    Secrets,
    TokenCacheMode,
    UiSettings,
)

Environ = Mapping[str, str]
_T = TypeVar("_T")

#: profile keys that ``LRTUI_<KEY>`` overrides (text values, checked with the file's rules)
PROFILE_KEYS = (
    "tenant_id",
    "client_id",
    "auth",
    "cloud",
    "region",
    "api_url",
    "scope",
    "ca_bundle",
    "cert_path",
    "cert_thumbprint",
    "analyst",
    "case_id",
    "comment_prefix",
)
_FALSE_WORDS = ("0", "false", "no", "off")


def var_name(key: str) -> str:
    """The environment variable that overrides setting ``key`` (``rate_calls`` -> ``LRTUI_RATE_CALLS``)."""
    return f"LRTUI_{key.upper()}"


def _raw(environ: Environ, var: str) -> str | None:
    value = environ.get(var)
    return value.strip() if value and value.strip() else None


def _finite(var: str, raw: str, what: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ConfigError(f"{var}={raw!r} is not a number.", hint=f"Set {var} to {what}, or unset it for the default.")
    return value


def env_float(environ: Environ, var: str) -> float | None:
    """A finite, positive number from ``var``; None when unset or empty."""
    raw = _raw(environ, var)
    if raw is None:
        return None
    what = "a positive number"
    value = _finite(var, raw, what)
    if value <= 0:
        raise ConfigError(f"{var} must be positive, not {raw!r}.", hint=f"Set {var} to {what}, or unset it.")
    return value


def env_int(environ: Environ, var: str, *, least: int = 1) -> int | None:
    """A whole number of at least ``least`` from ``var`` (``5`` or ``5.0``); None when unset or empty."""
    raw = _raw(environ, var)
    if raw is None:
        return None
    what = "a positive whole number" if least == 1 else f"a whole number of at least {least}"
    value = _finite(var, raw, what)
    if value < least:
        rule = "positive" if least == 1 else f"at least {least}"
        raise ConfigError(f"{var} must be {rule}, not {raw!r}.", hint=f"Set {var} to {what}, or unset it.")
    if not value.is_integer():
        raise ConfigError(f"{var}={raw!r} is not a whole number.", hint=f"Set {var} to {what}, or unset it.")
    return int(value)


def _pick(value: _T | None, default: _T) -> _T:
    return default if value is None else value


def env_general_budget(environ: Environ) -> GeneralBudget | None:
    """``LRTUI_GENERAL_BUDGET``: ``per-endpoint`` (each API its own windows) or ``shared`` (one for all)."""
    raw = _raw(environ, "LRTUI_GENERAL_BUDGET")
    if raw is None:
        return None
    value = raw.strip().lower()
    if value == "per-endpoint":
        return "per-endpoint"
    if value == "shared":
        return "shared"
    raise ConfigError(
        f"LRTUI_GENERAL_BUDGET={raw!r} is not a budget mode.",
        hint="Set LRTUI_GENERAL_BUDGET to per-endpoint (each API its own 100/min and 1500/h) or shared, or unset it.",
    )


def read_budgets(base: Budgets, environ: Environ) -> Budgets:
    """``base`` with ``LRTUI_RATE_CALLS``, ``LRTUI_RATE_WINDOW_S``, ``LRTUI_MAX_SESSIONS``, ``LRTUI_GENERAL_PER_*``
    and ``LRTUI_GENERAL_BUDGET``."""
    return dataclasses.replace(
        base,
        rate_calls=_pick(env_int(environ, "LRTUI_RATE_CALLS"), base.rate_calls),
        rate_window_s=_pick(env_float(environ, "LRTUI_RATE_WINDOW_S"), base.rate_window_s),
        max_sessions=_pick(env_int(environ, "LRTUI_MAX_SESSIONS"), base.max_sessions),
        general_per_minute=_pick(env_int(environ, "LRTUI_GENERAL_PER_MINUTE"), base.general_per_minute),
        general_per_hour=_pick(env_int(environ, "LRTUI_GENERAL_PER_HOUR"), base.general_per_hour),
        general_budget=_pick(env_general_budget(environ), base.general_budget),
    )


def read_pacing(environ: Environ) -> Pacing:
    """The engine knobs: ``LRTUI_GENERAL_WINDOW_S``, ``LRTUI_POLL_*``, ``LRTUI_RETRY_AFTER_DEFAULT_S``, ..."""
    d = Pacing()
    return Pacing(
        general_window_s=_pick(env_float(environ, "LRTUI_GENERAL_WINDOW_S"), d.general_window_s),
        poll_share=_pick(env_float(environ, "LRTUI_POLL_SHARE"), d.poll_share),
        poll_fast_s=_pick(env_float(environ, "LRTUI_POLL_FAST_S"), d.poll_fast_s),
        poll_slow_s=_pick(env_float(environ, "LRTUI_POLL_SLOW_S"), d.poll_slow_s),
        poll_chunk=_pick(env_int(environ, "LRTUI_POLL_CHUNK"), d.poll_chunk),
        retry_after_default_s=_pick(env_float(environ, "LRTUI_RETRY_AFTER_DEFAULT_S"), d.retry_after_default_s),
        reconcile_grace_s=_pick(env_float(environ, "LRTUI_RECONCILE_GRACE_S"), d.reconcile_grace_s),
    )


def env_glyphs(environ: Environ) -> GlyphMode | None:
    """``LRTUI_GLYPHS``: ``auto``, ``unicode`` or ``console`` (what a Linux console font can show)."""
    raw = _raw(environ, "LRTUI_GLYPHS")
    if raw is None:
        return None
    value = raw.lower()
    if value == "auto":
        return "auto"
    if value == "unicode":
        return "unicode"
    if value == "console":
        return "console"
    raise ConfigError(
        f"LRTUI_GLYPHS={raw!r} is not a glyph mode.",
        hint="Set LRTUI_GLYPHS to console (a Linux console font), unicode, or auto (console on TERM=linux "
        "or a 16-colour terminal), or unset it.",
    )


def read_ui(base: UiSettings, environ: Environ) -> UiSettings:
    """``base`` with ``LRTUI_THEME``, ``LRTUI_BULK_CONFIRM_THRESHOLD`` and ``LRTUI_GLYPHS``."""
    return dataclasses.replace(
        base,
        theme=environ.get("LRTUI_THEME") or base.theme,
        bulk_confirm_threshold=_pick(env_int(environ, "LRTUI_BULK_CONFIRM_THRESHOLD"), base.bulk_confirm_threshold),
        glyphs=_pick(env_glyphs(environ), base.glyphs),
    )


def read_demo(environ: Environ) -> DemoSettings:
    """The demo tenant: ``LRTUI_DEMO_SEED``, ``LRTUI_DEMO_MACHINES``, ``LRTUI_DEMO_TIME_SCALE``."""
    d = DemoSettings()
    return DemoSettings(
        seed=_pick(env_int(environ, "LRTUI_DEMO_SEED", least=0), d.seed),
        machines=_pick(env_int(environ, "LRTUI_DEMO_MACHINES"), d.machines),
        time_scale=_pick(env_float(environ, "LRTUI_DEMO_TIME_SCALE"), d.time_scale),
    )


def read_secrets(environ: Environ) -> Secrets:
    """``LRTUI_CLIENT_SECRET``, ``LRTUI_ACCESS_TOKEN``, ``LRTUI_CERT_PASSPHRASE``, ``LRTUI_REDIS_PASSWORD``."""
    return Secrets(
        client_secret=environ.get("LRTUI_CLIENT_SECRET") or None,
        access_token=environ.get("LRTUI_ACCESS_TOKEN") or None,
        cert_passphrase=environ.get("LRTUI_CERT_PASSPHRASE") or None,
        redis_password=environ.get("LRTUI_REDIS_PASSWORD") or None,
    )


def read_token_cache(environ: Environ) -> TokenCacheMode:
    """``LRTUI_TOKEN_CACHE``: ``plain`` (a 0600 file), ``memory`` (nothing on disk), or ``auto`` (encrypted if possible)."""
    raw = (_raw(environ, "LRTUI_TOKEN_CACHE") or "auto").lower()
    if raw == "plain":
        return "plain"
    if raw == "memory":
        return "memory"
    if raw == "auto":
        return "auto"
    raise ConfigError(
        f"LRTUI_TOKEN_CACHE={raw!r} is not a token cache mode.",
        hint="Set it to plain (a 0600 file), memory (nothing on disk) or auto, or unset it.",
    )


def read_traceback(environ: Environ) -> bool:
    """``LRTUI_TRACEBACK``: show the full traceback of an unexpected error (any value but 0/false/no/off)."""
    raw = _raw(environ, "LRTUI_TRACEBACK")
    return raw is not None and raw.lower() not in _FALSE_WORDS


def read_ca_env(environ: Environ) -> CaEnv:
    """``SSL_CERT_FILE`` and ``REQUESTS_CA_BUNDLE`` (a proxy's CA, for httpx and msal alike) and
    ``LRTUI_TRUSTSTORE`` (0/false/no/off: not the OS trust store)."""
    raw = _raw(environ, "LRTUI_TRUSTSTORE")
    return CaEnv(
        ssl_cert_file=_raw(environ, "SSL_CERT_FILE"),
        requests_ca_bundle=_raw(environ, "REQUESTS_CA_BUNDLE"),
        truststore=raw is None or raw.lower() not in _FALSE_WORDS,
    )


def profile_overrides(environ: Environ) -> dict[str, str]:
    """``LRTUI_TENANT_ID``, ``LRTUI_AUTH``, ... (non-empty ones) keyed by the profile field they override."""
    return {key: value for key in PROFILE_KEYS if (value := environ.get(var_name(key)))}


def api_url_var(environ: Environ) -> str | None:
    """``LRTUI_API_URL`` as set, even when empty (an empty API URL is an error, never the production API)."""
    return environ.get("LRTUI_API_URL")


def wanted_profile(environ: Environ) -> str | None:
    """``LRTUI_PROFILE``: the profile to use when ``--profile`` is not given."""
    return environ.get("LRTUI_PROFILE") or None
