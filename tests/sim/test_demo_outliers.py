"""The demo's fleet scripts as a workshop uses them: one sequence on 40 Windows machines through the simulator,
the outputs stacked with lrtui.engine.stacking: the planted machines, and only they, stand out."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from lrtui.engine.stacking import (
    DEFAULT_MASKS,
    MachineOutput,
    group_outputs,
    is_outlier,
    iter_table_rows,
    stack_column,
    stack_lines,
)
from lrtui.sim.library.fleet import PLANT_KINDS, planted

from .conftest import run

#: budgets opened wide: the test is about the outputs, not about pacing 40 submissions
FLEET = {
    "machines": 200,
    "seed": 7,
    "rate_calls": 1000,
    "max_sessions": 100,
    "general_per_minute": 10_000,
    "general_per_hour": 100_000,
}
SCRIPTS = {
    "autorun": "Get-Autoruns.csv.ps1",
    "unsigned": "Get-ProcessImages.jsonl.ps1",
    "port": "Get-Listeners.csv.ps1",
}


def _fleet_outputs(srv, tmp_path: Path, n: int = 40) -> tuple[dict[str, list[MachineOutput]], list[str]]:
    """Run the three fleet scripts (one action each) on the first ``n`` Windows machines that take them."""
    now = srv.sim.clock.now()
    actions: dict[str, tuple[str, str]] = {}
    for m in srv.sim.state.machines:
        if len(actions) == n:
            break
        if m.family != "windows" or not m.is_online(now):
            continue
        r = srv.post_lr(m.id, *(run(SCRIPTS[k]) for k in PLANT_KINDS))
        if r.status_code == 201:
            actions[m.id] = (r.json()["id"], m.name)
    assert len(actions) == n
    outputs: dict[str, list[MachineOutput]] = {k: [] for k in PLANT_KINDS}
    for mid, (aid, name) in actions.items():
        final = srv.run_until_final(aid, step=20)
        assert final["status"] == "Succeeded", final
        for i, kind in enumerate(PLANT_KINDS):
            body = httpx.get(srv.link(aid, i).json()["value"], timeout=30).json()
            path = tmp_path / f"{mid}.{i}.txt"
            path.write_text(body["script_output"], encoding="utf-8")
            outputs[kind].append(MachineOutput(name, path))
    return outputs, list(actions)


def test_stacking_finds_exactly_the_planted_machines(make_server, tmp_path: Path) -> None:
    srv = make_server(**FLEET)
    outputs, machine_ids = _fleet_outputs(srv, tmp_path)
    names = {m.id: m.name for m in srv.sim.state.machines}
    for kind in PLANT_KINDS:
        want = {names[mid] for mid in machine_ids if planted(mid) == kind}
        assert want, f"seed 7 plants no {kind} among the 40 machines: pick another seed"
        groups = group_outputs(outputs[kind], DEFAULT_MASKS)
        found = {g.machines[0] for g in groups if is_outlier(g, groups)}
        assert found == want, kind
        # everyone else in groups (stamps, GUIDs, hosts masked; the transcript banner names the OS build)
        assert sum(g.size for g in groups if g.size > 1) == 40 - len(want)
        # line stacking: every line printed by one machine only is the planted one's
        rare = [s for s in stack_lines(outputs[kind], DEFAULT_MASKS).lines if s.count == 1]
        assert {s.machines[0] for s in rare} == want


def test_the_fleet_outputs_merge_into_tables_with_the_outliers_rarest(make_server, tmp_path: Path) -> None:
    srv = make_server(**FLEET)
    outputs, machine_ids = _fleet_outputs(srv, tmp_path)
    names = {m.id: m.name for m in srv.sim.state.machines}
    ports = stack_column(outputs["port"], "LocalPort")
    odd = {s.machines[0] for s in ports if s.count == 1}
    assert odd == {names[mid] for mid in machine_ids if planted(mid) == "port"}
    everywhere = {s.value for s in ports if s.count == 40}
    assert {"135", "139", "445", "5040", "7680"} <= everywhere and len(everywhere) == 11
    signed = stack_column(outputs["unsigned"], "Signed")
    assert [s.value for s in signed] == ["false", "true"]
    assert set(signed[0].machines) == {names[mid] for mid in machine_ids if planted(mid) == "unsigned"}
    rows = list(iter_table_rows(outputs["autorun"]))
    assert {r["machine"] for r in rows} == set(names[mid] for mid in machine_ids)
    assert all(set(r) == {"machine", "Category", "Location", "Entry", "ImagePath", "Signer", "Verified"} for r in rows)
    unverified = {r["machine"] for r in rows if r["Verified"] != "Verified"}
    assert unverified == {names[mid] for mid in machine_ids if planted(mid) == "autorun"}


def test_plants_are_deterministic_per_machine_and_rare(make_server) -> None:
    a = make_server(machines=300, seed=3).sim.state.machines
    b = make_server(machines=300, seed=3).sim.state.machines
    assert [planted(m.id) for m in a] == [planted(m.id) for m in b]
    share = sum(planted(m.id) is not None for m in a) / len(a)
    assert 0.08 < share < 0.30
    assert json.loads(json.dumps(PLANT_KINDS)) == ["autorun", "unsigned", "port"]
