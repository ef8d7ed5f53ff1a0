"""Units: OData parser, clock formatting, multipart, tenant generation, package hygiene."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrtui.sim.clock import ManualClock, iso7, parse_iso
from lrtui.sim.odata import ODataError, Schema, compile_filter
from lrtui.sim.routes.multipart import parse_multipart

SIM_DIR = Path(__file__).resolve().parents[2] / "lrtui" / "sim"
S = Schema("T", {"name": "str", "n": "int", "t": "datetime", "tags": "list", "ok": "bool"})


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30))
def test_string_literal_roundtrip(value):
    lit = "'" + value.replace("'", "''") + "'"
    pred = compile_filter(f"name eq {lit}", S)
    assert pred({"name": value})
    assert not pred({"name": value + "x"})
    assert compile_filter(f"tags/any(q: q eq {lit})", S)({"tags": ["a", value]})


def test_operators_and_precedence():
    e = {"name": "abc", "n": 5, "t": "2024-06-01T08:00:00.0000000Z", "tags": ["x", "y"], "ok": True}
    true = [
        "n eq 5",
        "n ne 4",
        "n gt 4",
        "n ge 5",
        "n lt 6",
        "n le 5",
        "n eq 5 and name eq 'abc'",
        "n eq 1 or n eq 5",
        "not n eq 1",
        "not (n eq 1 or n eq 2)",
        "n eq 1 or n eq 5 and name eq 'abc'",
        "(n eq 1 or n eq 5) and name eq 'abc'",
        "startswith(name,'ab')",
        "endswith(name,'bc')",
        "contains(name,'b')",
        "n in (1,5)",
        "name in ('abc')",
        "t ge 2024-06-01Z",
        "t eq 2024-06-01T08:00:00Z",
        "t lt 2024-06-01T08:00:00.5+00:00",
        "t gt 2024-06-01T09:00:00+02:00",
        "tags/any(z: z eq 'y')",
        "tags/all(z: z ne 'q')",
        "tags/any()",
        "ok eq true",
        "tolower(name) eq 'abc'",
        "toupper(name) eq 'ABC'",
        "length(name) eq 3",
        "name ne null",
    ]
    for f in true:
        assert compile_filter(f, S)(e), f
    assert not compile_filter("n eq 1 or n eq 2 and name eq 'abc'", S)({**e, "n": 2, "name": "zz"})
    assert not compile_filter("tags/any()", S)({**e, "tags": []})


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "n eq",
        "eq 5",
        "n eq 5 and",
        "(n eq 5",
        "n eq 5)",
        "name eq 'x",
        "n eq 'x'",
        "nope eq 1",
        "tags eq 'x'",
        "startswith(name)",
        "n",
        "n eq 5 n eq 6",
        "tags/any(z z eq 1)",
        "name eq 'a' && n eq 1",
        "n in (name)",
    ],
)
def test_bad_filters_raise(bad):
    with pytest.raises(ODataError):
        compile_filter(bad, S)


def test_iso7_and_parse():
    assert iso7(0) == "1970-01-01T00:00:00.0000000Z"
    assert iso7(1717228800.125) == "2024-06-01T08:00:00.1250000Z"
    assert iso7(None) is None
    for s, want in [
        ("2018-08-01Z", 1533081600.0),
        ("2018-08-01T00:00:00Z", 1533081600.0),
        ("2018-08-01T02:00:00+02:00", 1533081600.0),
        ("2018-08-01T00:00:00.5000000Z", 1533081600.5),
    ]:
        assert parse_iso(s) == want
    c = ManualClock(100)
    assert c() == 100 and c.advance(5) == 105 and c() == 105


def test_multipart_parser():
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="Description"\r\n\r\nhello\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.ps1"\r\nContent-Type: text/plain\r\n\r\n'
        b"line1\r\nline2\r\n--XyZ--\r\n"
    )
    parts = parse_multipart(body, "multipart/form-data; boundary=XyZ")
    assert parts == {"Description": (None, b"hello"), "file": ("a.ps1", b"line1\r\nline2")}
    with pytest.raises(ValueError):
        parse_multipart(b"junk", "multipart/form-data")


def test_100k_machines_is_fast():
    from lrtui.sim import SimConfig, Simulator

    t = time.perf_counter()
    sim = Simulator(SimConfig(machines=100_000))
    took = time.perf_counter() - t
    assert len(sim.state.machines) == 100_000 and len(sim.state.by_name) == 100_000
    assert took < 12, took


def test_make_demo_simulator_defaults():
    from lrtui.sim import make_demo_simulator

    sim = make_demo_simulator()
    assert len(sim.state.machines) == 500
    assert sim.blob_base_url == "http://blob.localhost"
    assert callable(sim.api_app) and callable(sim.blob_app)
    assert len(sim.state.actions) > 0  # some history in the demo


def test_lazy_package_import_and_layering():
    code = (
        "import sys, lrtui.sim as s; assert 'starlette' not in sys.modules and 'uvicorn' not in sys.modules; "
        "s.SimConfig; assert 'uvicorn' not in sys.modules; s.make_demo_simulator; print('ok')"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=SIM_DIR.parents[1])
    assert r.stdout.strip() == "ok", r.stderr
    allowed = ("lrtui.api.models", "lrtui.api.enums", "lrtui.sim", "lrtui.sim.cli")
    for f in SIM_DIR.rglob("*.py"):
        for line in f.read_text().splitlines():
            m = re.match(r"\s*(?:from|import)\s+(lrtui[\w.]*)", line)
            if m:
                assert m.group(1) in allowed or m.group(1).startswith("lrtui.sim."), (f, line)
        assert "textual" not in f.read_text()


_TOKENS = [
    "machineTags",
    "any",
    "all",
    "(",
    ")",
    "t",
    ":",
    "/",
    "eq",
    "ne",
    "gt",
    "and",
    "or",
    "not",
    "in",
    ",",
    "'x'",
    "'O''B'",
    "5",
    "2024-06-01Z",
    "startswith",
    "contains",
    "tolower",
    "length",
    "computerDnsName",
    "lastSeen",
    "rbacGroupId",
    "null",
    "true",
    "ipAddresses",
    "ipAddress",
    "'",
    "$",
    "riskScore",
    "vmMetadata",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_TOKENS), min_size=1, max_size=12))
def test_filter_fuzz_only_odata_errors(tokens):
    from lrtui.sim.config import SimConfig
    from lrtui.sim.routes import machine_schema
    from lrtui.sim.simulator import Simulator

    global _FUZZ_SIM
    try:
        sim = _FUZZ_SIM
    except NameError:
        sim = _FUZZ_SIM = Simulator(SimConfig(machines=12))
    schema = machine_schema(sim.config.strict_filter_fields)
    text = " ".join(tokens)
    try:
        pred = compile_filter(text, schema)
    except ODataError:
        return
    for m in sim.state.machines:
        assert pred(m) in (True, False)


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=8)
    | st.sampled_from(
        [
            "RunScript",
            "GetFile",
            "PutFile",
            "Path",
            "ScriptName",
            "FileName",
            "Args",
            "Get-Processes.ps1",
            "C:\\Windows\\x.txt",
            "rules.yar",
        ]
    ),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["Comment", "Commands", "type", "params", "key", "value", "comment", "x"]),
            inner,
            max_size=4,
        )
    ),
    max_leaves=14,
)


@settings(max_examples=150, deadline=None)
@given(_json)
def test_post_body_fuzz_never_500(body):
    import asyncio
    import json as _j

    import httpx

    from lrtui.sim.config import SimConfig
    from lrtui.sim.simulator import Simulator

    global _BODY_SIM
    try:
        sim = _BODY_SIM
    except NameError:
        sim = _BODY_SIM = Simulator(
            SimConfig(machines=10, rate_calls=10**9, general_per_minute=10**9, general_per_hour=10**9)
        )

    async def go():
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=sim.api_app),
            base_url="http://sim.localhost",
            headers={"Authorization": "Bearer t"},
        ) as c:
            mid = sim.state.machines[0].id
            r1 = await c.post(f"/api/machines/{mid}/runliveresponse", content=_j.dumps(body))
            aid = next(iter(sim.state.actions))
            r2 = await c.post(f"/api/machineactions/{aid}/cancel", content=_j.dumps(body))
            return r1, r2

    for r in asyncio.run(go()):
        assert r.status_code in (200, 201, 400, 429), r.text
        if r.status_code >= 400:
            assert set(r.json()["error"]) == {"code", "message", "target"}
