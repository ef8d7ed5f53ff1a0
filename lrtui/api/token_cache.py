"""Persistent msal token cache: encrypted via msal-extensions where the platform can, else a 0600 file.

Where the caches live and how they are kept come in as ``TokenCacheSettings`` (the settings layer fills it
from ``LRTUI_TOKEN_CACHE`` and the cache folder). msal and msal-extensions are imported only when a cache is
loaded (never at import time).
"""

from __future__ import annotations

import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

CacheKind = Literal["encrypted", "plain", "memory"]
#: auto: encrypted where the platform can, else a 0600 file; plain: the 0600 file; memory: never saved
CacheMode = Literal["auto", "plain", "memory"]


@dataclass(frozen=True, slots=True)
class TokenCacheSettings:
    """Where and how token caches are kept. ``path`` is the folder holding one cache file per profile."""

    path: Path
    mode: CacheMode = "auto"

    def file_for(self, profile: str) -> Path:
        """The plain cache file of ``profile`` (the encrypted one sits next to it with ``.enc``)."""
        return self.path / f"tokens-{profile}.bin"


class TokenCacheStore:
    """Owns one profile's msal token cache and where it lives.

    ``load()`` returns an msal ``SerializableTokenCache`` (or msal-extensions ``PersistedTokenCache``, which
    saves itself); call ``save()`` after each token call (a no-op unless the cache changed).
    """

    def __init__(self, profile: str, settings: TokenCacheSettings) -> None:
        self.profile = profile
        self._plain_path = settings.file_for(profile)
        self.path = self._plain_path
        self._want_encrypted = settings.mode == "auto"
        self.persist = settings.mode != "memory"
        self.kind: CacheKind | None = None
        self.detail = ""
        self._cache: Any = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ loading

    def load(self) -> Any:
        with self._lock:
            if self._cache is not None:
                return self._cache
            import msal

            if not self.persist:
                self._cache, self.kind, self.detail = msal.SerializableTokenCache(), "memory", "kept in memory only"
                return self._cache
            if self._want_encrypted:
                cache = self._try_encrypted()
                if cache is not None:
                    self._cache = cache
                    return cache
            cache = msal.SerializableTokenCache()
            if self.path.exists():
                try:
                    cache.deserialize(self.path.read_text(encoding="utf-8"))
                except (ValueError, OSError):
                    pass  # unreadable cache: start empty (it is only a cache)
                _tighten(self.path)
            self._cache, self.kind = cache, "plain"
            self.detail = self.detail or "plain file, mode 0600"
            return cache

    def _try_encrypted(self) -> Any:
        try:
            from msal_extensions import PersistedTokenCache, build_encrypted_persistence
        except ImportError:
            self.detail = "plain file, mode 0600 (msal-extensions is not installed)"
            return None
        enc_path = self.path.with_suffix(".enc")
        try:
            _ensure_dir(enc_path.parent)
            persistence = build_encrypted_persistence(str(enc_path))
            try:
                persistence.load()  # probe: raises when the keyring/DPAPI is unusable
            except FileNotFoundError:
                pass
            except Exception as e:  # PersistenceNotFound is fine, anything else is not
                if type(e).__name__ != "PersistenceNotFound":
                    raise
        except Exception as e:
            self.detail = f"plain file, mode 0600 (encrypted storage unavailable: {type(e).__name__})"
            return None
        self.kind = "encrypted"
        self.detail = f"encrypted ({type(persistence).__name__})"
        self.path = enc_path
        return PersistedTokenCache(persistence)

    # ------------------------------------------------------------------ saving

    def save(self) -> None:
        with self._lock:
            cache = self._cache
            if cache is None or self.kind != "plain":
                return  # encrypted caches persist themselves; memory caches do not persist
            if not cache.has_state_changed:
                return
            write_private(self.path, cache.serialize())
            cache.has_state_changed = False

    def clear(self) -> None:
        """Forget every token of this profile (``lrtui logout``)."""
        with self._lock:
            for p in {self.path, self.path.with_suffix(".enc"), self._plain_path}:
                try:
                    p.unlink()
                except FileNotFoundError:
                    pass
            self._cache = None

    def describe(self) -> str:
        """One line for ``lrtui login``: where tokens are kept and how."""
        if self.kind is None:
            try:
                self.load()
            except Exception as e:  # msal missing or broken
                return f"token cache unavailable ({type(e).__name__})"
        if self.kind == "memory":
            return "Tokens are kept in memory only (not saved)."
        return f"Tokens are cached at {self.path}: {self.detail}."


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, mode 0600 from creation (never briefly world-readable)."""
    _ensure_dir(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=".tokens-", dir=str(path.parent))
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
        os.chmod(path, 0o600)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _tighten(path: Path) -> None:
    try:
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)
    except OSError:
        pass


def _ensure_dir(path: Path) -> None:
    """The cache folder, 0700: created so, or tightened when it is ours and others could read or enter it."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.name == "posix":
        st = path.stat()
        if st.st_uid == os.getuid() and st.st_mode & 0o077:
            os.chmod(path, 0o700)


def describe_cache(profile: str, settings: TokenCacheSettings) -> str:
    """Where ``lrtui login`` keeps this profile's tokens (encrypted or a 0600 file)."""
    return TokenCacheStore(profile, settings).describe()
