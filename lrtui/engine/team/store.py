"""``TeamStore``: the budgets of one app registration, shared by every lrtui process of a team through Redis
(or Valkey). Each acquisition is one atomic Lua script (``lrtui.engine.team.scripts``) on the server's clock;
holds are leases the caller renews while its job lives. Every call is bounded by ``op_timeout_s`` and raises
:class:`TeamStoreUnavailable` when the store cannot answer, so the caller can fall back to local budgets."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError
from redis.exceptions import TimeoutError as RedisTimeoutError

from lrtui.api.text import clean_line
from lrtui.engine.team import scripts
from lrtui.engine.team.models import (
    ENDPOINT_KEYS,
    MAX_LABEL,
    Busy,
    Hold,
    Holder,
    MachineHolder,
    SessionAnswer,
    SessionsFull,
    TeamLimits,
    TeamStoreUnavailable,
    TeamUsage,
)

T = TypeVar("T")

_ID = re.compile(r"^[A-Za-z0-9._:-]{1,200}$")
_MAX_HOLD_JSON = 2048


def _check_id(what: str, value: str) -> str:
    if not _ID.match(value):
        raise ValueError(f"{what} {value[:60]!r} is not usable as a team key: use letters, digits, . _ : - only")
    return value


class TeamStore:
    """The shared budgets. Build it with :meth:`connect`; close it with :meth:`aclose`."""

    def __init__(
        self,
        redis: Redis,
        *,
        tenant_id: str,
        app_id: str,
        holder: Holder,
        ttl_s: float,
        limits: TeamLimits,
        op_timeout_s: float,
    ) -> None:
        self._redis = redis
        self._holder = holder
        self._ttl_ms = max(1, round(ttl_s * 1000))
        self._limits = limits
        self._timeout = op_timeout_s
        self._prefix = f"lrtui:{{{_check_id('tenant id', tenant_id)}:{_check_id('app id', app_id)}}}:"
        self._shas = {
            name: hashlib.sha1(src.encode(), usedforsecurity=False).hexdigest() for name, src in scripts.ALL.items()
        }
        self._seq = itertools.count()

    @classmethod
    def build(
        cls,
        url: str,
        *,
        password: str | None,
        tenant_id: str,
        app_id: str,
        holder: Holder,
        ttl_s: float = 30.0,
        limits: TeamLimits | None = None,
        op_timeout_s: float = 2.0,
    ) -> TeamStore:
        """A store for ``redis://`` or ``rediss://`` (TLS) ``url``, without any call (its first call connects and
        loads each script on NOSCRIPT). The password comes from the caller (never from a file); never logged."""
        if not url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("the team store's URL must start with redis:// or rediss:// (TLS)")
        kwargs: dict[str, Any] = {
            "socket_timeout": op_timeout_s,
            "socket_connect_timeout": op_timeout_s,
            "retry": Retry(NoBackoff(), 1),  # once: a pooled connection the server closed is opened again
            "decode_responses": True,
        }
        if password:
            kwargs["password"] = password
        return cls(
            Redis.from_url(url, **kwargs),
            tenant_id=tenant_id,
            app_id=app_id,
            holder=holder,
            ttl_s=ttl_s,
            limits=limits or TeamLimits(),
            op_timeout_s=op_timeout_s,
        )

    @classmethod
    async def connect(
        cls,
        url: str,
        *,
        password: str | None,
        tenant_id: str,
        app_id: str,
        holder: Holder,
        ttl_s: float = 30.0,
        limits: TeamLimits | None = None,
        op_timeout_s: float = 2.0,
    ) -> TeamStore:
        """:meth:`build`, then load the scripts (:class:`TeamStoreUnavailable` when the store does not answer)."""
        store = cls.build(
            url,
            password=password,
            tenant_id=tenant_id,
            app_id=app_id,
            holder=holder,
            ttl_s=ttl_s,
            limits=limits,
            op_timeout_s=op_timeout_s,
        )
        try:
            await store.load_scripts()
        except TeamStoreUnavailable:
            await store.aclose()
            raise
        return store

    @property
    def holder(self) -> Holder:
        return self._holder

    @property
    def limits(self) -> TeamLimits:
        return self._limits

    async def aclose(self) -> None:
        await self._redis.aclose()

    # -- plumbing ---------------------------------------------------------------------------------------------

    async def _bounded(self, make: Callable[[], Awaitable[T]], what: str) -> T:
        """One store call, bounded in time; every way the store can be gone is one :class:`TeamStoreUnavailable`."""
        try:
            async with asyncio.timeout(self._timeout):
                return await make()
        except TimeoutError as e:  # asyncio's and the socket's
            raise TeamStoreUnavailable(f"{what}: no answer within {self._timeout:g} s") from e
        except (RedisConnectionError, RedisTimeoutError, OSError) as e:
            raise TeamStoreUnavailable(f"{what}: {type(e).__name__}") from e

    async def load_scripts(self) -> None:
        """SCRIPT LOAD every script (done by :meth:`connect`; again after a NOSCRIPT answer)."""

        async def load() -> None:
            for name, src in scripts.ALL.items():
                self._shas[name] = str(await self._redis.script_load(src))

        await self._bounded(load, "loading scripts")

    async def _eval(self, name: str, keys: Sequence[str], args: Sequence[str | int]) -> Any:
        """EVALSHA the named script; on NOSCRIPT (a restarted or flushed server), load it and call once more."""

        async def call() -> Any:
            try:
                return await self._redis.evalsha(self._shas[name], len(keys), *keys, *args)
            except NoScriptError:
                self._shas[name] = str(await self._redis.script_load(scripts.ALL[name]))
                return await self._redis.evalsha(self._shas[name], len(keys), *keys, *args)

        return await self._bounded(call, name)

    def _key(self, *parts: str) -> str:
        return self._prefix + ":".join(parts)

    def _member(self) -> str:
        return f"{self._holder.id}:{next(self._seq)}"

    # -- windows ----------------------------------------------------------------------------------------------

    async def try_rate(self) -> float:
        """Record one runliveresponse call in the team's rolling window: 0.0 when recorded, else the seconds
        to wait before asking again (nothing recorded)."""
        lim = self._limits
        wait_ms = await self._eval(
            "windows", [self._key("rate")], [self._member(), lim.rate_calls, round(lim.rate_window_s * 1000)]
        )
        return int(wait_ms) / 1000.0

    async def try_general(self, endpoint: str) -> float:
        """Record one call to ``endpoint`` (one of ``ENDPOINT_KEYS``) in its per-minute and per-hour windows:
        0.0 when recorded in both, else the seconds to wait."""
        if endpoint not in ENDPOINT_KEYS:
            raise ValueError(f"unknown endpoint key {endpoint!r}: one of {', '.join(ENDPOINT_KEYS)}")
        lim = self._limits
        keys = [self._key("general", endpoint, "minute"), self._key("general", endpoint, "hour")]
        args: list[str | int] = [self._member(), lim.general_per_minute, round(lim.minute_s * 1000)]
        args += [lim.general_per_hour, round(lim.hour_s * 1000)]
        return int(await self._eval("windows", keys, args)) / 1000.0

    # -- sessions ---------------------------------------------------------------------------------------------

    def _session_keys(self, machine_id: str) -> list[str]:
        return [self._key("sessions"), self._key("holds"), self._key("machine", machine_id)]

    async def acquire_session(self, job_id: str, machine_id: str, *, adopt: bool = False) -> SessionAnswer:
        """Take a session slot and the machine's lock for ``job_id`` (idempotent for the same job and machine):
        a :class:`Hold`, :class:`Busy` (someone holds the machine) or :class:`SessionsFull`. ``adopt``: the job's
        action already exists (a resumed job), so a live hold of the same job id by another process (killed) is
        taken over, and the job is counted even when every slot is held."""
        _check_id("machine id", machine_id)
        _check_id("job id", job_id)
        hold_id = f"{self._holder.id}:{job_id}:{machine_id}"
        h = self._holder
        info = json.dumps({"h": h.id, "l": h.label, "c": h.comment_prefix, "m": machine_id, "j": job_id})
        kind, value = await self._eval(
            "acquire",
            self._session_keys(machine_id),
            [hold_id, self._ttl_ms, self._limits.max_sessions, info, job_id, "1" if adopt else ""],
        )
        if kind == "ok":
            return Hold(hold_id, job_id, machine_id, int(value) / 1000.0)
        if kind == "full":
            return SessionsFull(max(0.001, int(value) / 1000.0))
        other = self._parse_hold(str(value))
        label, comment = (other.holder_label, other.comment_prefix) if other else ("someone", "")
        return Busy(machine_id, label, comment, mine=bool(other and other.mine))

    async def renew(self, holds: Sequence[Hold]) -> list[Hold]:
        """Extend every hold by the TTL; returns the holds that were lost (their lease had ended)."""
        if not holds:
            return []
        keys = [self._key("sessions"), self._key("holds")] + [self._key("machine", h.machine_id) for h in holds]
        lost = set(await self._eval("renew", keys, [self._ttl_ms, *(h.hold_id for h in holds)]))
        return [h for h in holds if h.hold_id in lost]

    async def release(self, hold: Hold) -> bool:
        """Give the slot and the machine back; False when the lease had already ended."""
        return bool(await self._eval("release", self._session_keys(hold.machine_id), [hold.hold_id]))

    # -- presence ---------------------------------------------------------------------------------------------

    def _parse_hold(self, raw: str) -> MachineHolder | None:
        """A hold's JSON as teammates wrote it (untrusted: bounded and cleaned)."""
        if not raw or len(raw) > _MAX_HOLD_JSON:
            return None
        try:
            d = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(d, dict):
            return None

        def text(k: str) -> str:
            return clean_line(str(d.get(k, "")))[:MAX_LABEL]

        return MachineHolder(text("m"), text("l"), text("c"), text("j"), mine=d.get("h") == self._holder.id)

    async def usage(self) -> TeamUsage:
        """The team's use: sessions (and this process's share), runliveresponse calls in the window, and who
        holds each machine."""
        lim = self._limits
        keys = [self._key("sessions"), self._key("holds"), self._key("rate")]
        rate, *raw = await self._eval("usage", keys, [round(lim.rate_window_s * 1000)])
        held = tuple(m for m in (self._parse_hold(str(r)) for r in raw) if m is not None)
        return TeamUsage(
            sessions_used=len(raw),
            sessions_mine=sum(m.mine for m in held),
            sessions_limit=lim.max_sessions,
            rate_used=int(rate),
            rate_limit=lim.rate_calls,
            machines=held,
        )
