"""The Machines pane and the inventory behind it: search, marks, details, untrusted text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrtui.api.models import Machine
from lrtui.api.text import clean, clean_line
from lrtui.engine.inventory import DROPPED_FIELDS, Inventory, Term, parse_query
from lrtui.tui.safe_text import plain
from lrtui.tui.textual_compat import update_scrollbars
from tests.tui.conftest import DEMO_MACHINES, DEMO_SEED, simulator_of, wait_ready, wait_until


def demo_machines(n: int = DEMO_MACHINES, seed: int = DEMO_SEED) -> list[Machine]:
    """The demo tenant's machines as the service sends them (wire JSON -> Machine)."""
    from lrtui.sim import make_demo_simulator

    sim = make_demo_simulator(seed=seed, machines=n)
    return [Machine.model_validate(m.wire) for m in sim.state.machines]


@pytest.fixture(scope="module")
def machines() -> list[Machine]:
    return demo_machines()


@pytest.fixture
def inventory(machines) -> Inventory:
    return Inventory(machines)


# ---------------------------------------------------------------- inventory


def test_parse_query_tokens():
    terms = parse_query('tag:VIP os:linux risk:high health:inactive group:"Finance Workstations" srv -tag:lab C:\\x')
    assert terms == (
        Term("tag", "vip"),
        Term("os", "linux"),
        Term("risk", "high"),
        Term("health", "inactive"),
        Term("group", "finance workstations"),
        Term(None, "srv"),
        Term("tag", "lab", negate=True),
        Term(None, "c:\\x"),
    )
    assert parse_query("tag: ") == ()  # half-typed field: no constraint yet
    assert parse_query("health:offline") == (Term("health", "active", negate=True),)


def test_search_fields(inventory, machines):
    def names(q):
        return {inventory.name(i) for i in inventory.search(q)}

    vip = {m.name for m in machines if "VIP" in m.machine_tags}
    assert vip and names("tag:vip") == vip
    linux = {m.name for m in machines if m.os_family == "linux"}
    assert linux and names("os:linux") == linux
    offline = {m.name for m in machines if m.health_status != "Active"}
    assert offline and names("health:offline") == offline
    assert names("health:active") == {m.name for m in machines if m.health_status == "Active"}  # not "Inactive"
    group = {m.name for m in machines if m.rbac_group_name == "Finance Workstations"}
    assert group and names('group:"finance work"') == group
    high = {m.name for m in machines if m.risk_score == "High"}
    assert names("risk:high") == high
    some = machines[5]
    assert some.name in names(some.last_ip_address)  # free text finds an IP
    assert names(f"ip:{some.last_ip_address}") >= {some.name}
    assert names("-tag:vip") == {m.name for m in machines} - vip
    assert names("tag:vip os:windows") == {
        m.name for m in machines if "VIP" in m.machine_tags and m.os_family == "windows"
    }
    assert list(inventory.search("no-such-machine-anywhere")) == []


def test_results_in_name_order_and_machines_rebuilt_faithfully(inventory, machines):
    rows = inventory.search("")
    assert list(rows) == list(range(len(machines)))
    listed = [inventory.name(i).lower() for i in rows]
    assert listed == sorted(listed)
    by_id = {m.id: m for m in machines}
    for i in rows:
        rebuilt = inventory[i]
        original = by_id[rebuilt.id]
        for field in Machine.model_fields:
            if field not in DROPPED_FIELDS:  # not kept (never shown or used)
                assert getattr(rebuilt, field) == getattr(original, field), field
        assert rebuilt.is_online == original.is_online and rebuilt.os_family == original.os_family


def test_rows_are_compact(inventory):
    """Memory at 100,000 machines: no slots for the dropped fields, one tuple per distinct list of tags."""
    rows = [inventory.row(i) for i in range(len(inventory))]
    assert {len(r) for r in rows} == {len(Machine.model_fields) - len(DROPPED_FIELDS)}
    tag_index = inventory.field_index["machine_tags"]
    tagged = [r[tag_index] for r in rows if r[tag_index]]
    assert len({id(t) for t in tagged}) == len(set(tagged)) < len(tagged)


_ALPHABET = "abcdefghiklmnoprstuvw0123456789-.: "
_PREFIXES = ["", "tag:", "os:", "health:", "risk:", "group:", "ip:", "-", "name:"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_PREFIXES), st.text(_ALPHABET, max_size=8)), min_size=1, max_size=3))
def test_incremental_narrowing_equals_full_scan(words):
    """Typing a query keystroke by keystroke (which reuses earlier results) gives what one fresh scan gives."""
    inv = _HYPO_INVENTORY
    query = " ".join(p + w for p, w in words)
    typed = inv.search("")
    for k in range(1, len(query) + 1):
        typed = inv.search(query[:k])
    fresh = Inventory.__new__(Inventory)
    fresh.__dict__.update(inv.__dict__)
    fresh._cache, fresh._last = type(inv._cache)(), None
    assert list(typed) == list(fresh.search(query))
    # and backspacing returns to the same answers as before
    for k in range(len(query), 0, -1):
        assert list(inv.search(query[:k])) == list(fresh.search(query[:k]))


_HYPO_INVENTORY = Inventory(demo_machines(300, seed=3))


def test_repeated_machine_across_pages_is_kept_once(machines):
    inv = Inventory()
    inv.add(machines[:10])
    changed = machines[3].model_copy(update={"health_status": "Inactive"})
    inv.add([changed])
    assert len(inv) == 10
    assert inv.get(changed.id).health_status == "Inactive"
    assert inv.find(machines[3].name.split(".")[0].upper()).id == changed.id


async def test_inventory_loads_from_the_service_in_pages():
    from lrtui.cli.compose import build_runtime
    from lrtui.settings import load_settings
    from lrtui.sim import SimConfig

    rt = await build_runtime(
        load_settings(demo=True), demo=True, sim_config=SimConfig(seed=DEMO_SEED, machines=250), start=False
    )
    try:
        pages: list[tuple[int, int]] = []
        count = await rt.inventory.load(rt.client, page_size=100, on_page=lambda n, p: pages.append((n, p)))
        assert count == 250 and len(rt.inventory) == 250
        assert pages == [(100, 1), (200, 2), (250, 3)]
        assert rt.inventory.loaded and not rt.inventory.loading
    finally:
        await rt.aclose()


# ---------------------------------------------------------------- safe text


def test_clean_strips_terminal_controls_and_keeps_brackets():
    evil = "a\x1b[31mred\x1b[0m\x1b]0;title\x07b\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ \x9b2Jc\u202etxt\u202c [bold]x[/bold]\x00\x07\r\n"
    out = clean(evil)
    assert "\x1b" not in out and "\x9b" not in out and "\u202e" not in out and "\x07" not in out
    assert out == "aredblink ctxt [bold]x[/bold]\n"
    assert clean_line("two\nlines\tand tab") == "two lines and tab"
    text = plain("[bold]not bold[/bold]")
    assert text.plain == "[bold]not bold[/bold]" and not text.spans


# ---------------------------------------------------------------- the pane, by keys


async def test_search_as_you_type_filters_and_counts(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        pane = demo_app.machines_pane
        assert len(pane.machine_list.rows) == DEMO_MACHINES
        await pilot.press("slash")
        assert demo_app.focused is pane.search_input
        await pilot.press(*"tag:vip")
        inv = demo_app.runtime.inventory
        rows = pane.machine_list.rows
        assert rows and all("VIP" in inv[i].machine_tags for i in rows)
        status = str(pane.query_one("#machine-status").render())
        assert f"{len(rows)} of {DEMO_MACHINES} machines" in status
        await pilot.press("ctrl+l")  # clears the search
        assert pane.search_input.value == "" and len(pane.machine_list.rows) == DEMO_MACHINES
        await pilot.press("escape")  # leaves to the list
        assert demo_app.focused is pane.machine_list


async def test_marks_by_keys_reach_the_sequence_pane(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        pane = demo_app.machines_pane
        lst = pane.machine_list
        await pilot.press("space", "space", "down", "space")
        await pilot.pause()
        assert len(lst.marked) == 3
        assert "3 marked" in str(pane.query_one("#machine-status").render())
        seq = demo_app.sequence_pane
        await wait_until(pilot, lambda: len(seq.targets) == 3)
        expected = [demo_app.runtime.inventory[lst.rows[i]].id for i in (0, 1, 3)]
        assert [m.id for m in seq.targets] == expected
        await pilot.press("c")
        await wait_until(pilot, lambda: len(seq.targets) == 0)
        await pilot.press("slash", *"os:linux", "enter", "a")
        await pilot.pause()
        linux = len(lst.rows)
        assert linux and len(lst.marked) == linux
        await wait_until(pilot, lambda: len(seq.targets) == linux)
        await pilot.press("escape")  # escape in the list clears marks too
        assert not lst.marked


async def test_details_show_the_highlighted_machine_and_flag_offline(demo_app):
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        pane = demo_app.machines_pane
        await pilot.press("slash", *"health:offline", "enter")
        inv = demo_app.runtime.inventory
        machine = inv[pane.machine_list.highlighted_index]
        assert not machine.is_online
        text = str(pane.details.render())
        assert machine.name in text and "will queue up to 3 days" in text
        for label in ("OS", "Health", "Risk", "Exposure", "IPs", "Last seen", "Group", "Tags", "Onboarding"):
            assert f"{label} " in text
        await pilot.press("escape")  # list: clear marks (none); search keeps "health:offline"
        await pilot.press("slash", "escape", "escape", "home")
        online = inv[pane.machine_list.highlighted_index]
        if online.is_online:
            assert "will queue" not in str(pane.details.render())


async def test_untrusted_machine_text_renders_literally(demo_app):
    """Names and tags come from the tenant: escape sequences are stripped, markup is never parsed."""
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        sim = simulator_of(demo_app)
        victim = sim.state.machines[0]
        victim.wire["computerDnsName"] = "zz-\x1b[31mevil\x1b[0m-[bold]host[/bold].example\x1b]0;pwned\x07"
        victim.wire["machineTags"] = ["[red]tag[/]", "\x1b[2Jclear", "[/", "bad[link=x]"]
        await pilot.press("r")  # refresh from the service
        await wait_until(
            pilot,
            lambda: (
                not demo_app.runtime.inventory.loading
                and demo_app.runtime.inventory.find(victim.id) is not None
                and "zz-" in demo_app.runtime.inventory.find(victim.id).name
            ),
        )
        await pilot.press("slash", *"zz-", "enter")
        pane = demo_app.machines_pane
        assert len(pane.machine_list.rows) == 1
        details = str(pane.details.render())
        assert "zz-evil-[bold]host[/bold].example" in details
        assert "[red]tag[/], clear, [/, bad[link=x]" in details
        assert "\x1b" not in details and "pwned" not in details
        line = pane.machine_list.render_line(0).text
        assert "zz-evil-[bold]host[/bold]" in line and "\x1b" not in line
        svg = demo_app.export_screenshot()
        assert "[bold]host[/bold]" in svg.replace("&#160;", " ")


# ---------------------------------------------------------------- the search index


def _random_tenant(seed: int, n: int) -> list[Machine]:
    """Machines with names over a small alphabet, so that 1-3 character strings are both common and rare."""
    import random

    from lrtui.api.models import IpAddress

    rnd = random.Random(seed)

    def word(alphabet: str, size: int) -> str:
        return "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, size)))

    out = []
    for i in range(n):
        ip = f"10.{rnd.randint(0, 12)}.{rnd.randint(0, 3)}.{rnd.randint(0, 30)}"
        out.append(Machine(
            id=f"{i:040x}",
            computer_dns_name=rnd.choice([None, word("abAB-.10", 14), f"srv-{word('ab01', 5)}.corp"]),
            machine_tags=rnd.sample(["Prod", "VIP", "lab", "pci x", "ab.1"], rnd.randint(0, 3)),
            ip_addresses=[IpAddress(ip_address=ip, mac_address="00AB")] if rnd.random() < 0.8 else [],
            last_ip_address=rnd.choice([ip, None, "fe80::1a"]),
            os_platform=rnd.choice(["Windows11", "Linux", "macOS", None]),
            health_status=rnd.choice(["Active", "Inactive", None]),
            risk_score=rnd.choice(["High", "Low", "None"]),
            rbac_group_name=rnd.choice(["Finance ab", "Web DMZ", None]),
        ))  # fmt: skip
    return out


_INDEX_ALPHABET = "abAB-.10:x "


@pytest.mark.parametrize("verify_max", [0, 40_000])
def test_index_candidates_are_verified(verify_max):
    """Machines holding every 3-character piece of a term but not the term itself are not listed."""
    from lrtui.engine import search_index

    tenant = [
        Machine(id=f"{i:040x}", computer_dns_name=f"aba-bab{i}" if i % 3 else f"xabab{i}.10.1.2") for i in range(90)
    ]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(search_index, "VERIFY_MAX", verify_max)
        inv = Inventory(tenant)
        for query in ("abab", "name:abab", "-abab", "aba-", "10.1", "ab ba"):
            _check_index_against_scan(inv, query)
        assert len(inv.search("abab")) == 30


_INDEX_PREFIXES = ["", "", "", "tag:", "os:", "health:", "risk:", "group:", "ip:", "id:0", "-", "name:", "-tag:"]


@pytest.mark.parametrize("verify_max", [0, 40_000])  # dense candidates: scanned in C, or verified one by one
@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10**6),
    size=st.sampled_from([1, 40, 300]),
    words=st.lists(st.tuples(st.sampled_from(_INDEX_PREFIXES), st.text(_INDEX_ALPHABET, max_size=7)), min_size=1, max_size=3),
)  # fmt: skip
def test_index_search_equals_plain_scan(verify_max, seed, size, words):
    """Every query the index answers gives exactly what scanning every machine gives."""
    from lrtui.engine import search_index

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(search_index, "VERIFY_MAX", verify_max)
        _check_index_against_scan(Inventory(_random_tenant(seed, size)), " ".join(p + w for p, w in words))


def _check_index_against_scan(inv: Inventory, query: str) -> None:
    assert inv._store.index is not None
    plain = Inventory.__new__(Inventory)
    plain.__dict__.update(inv.__dict__)
    plain._store = type(inv._store)()
    for slot in ("rows", "names", "keys", "by_id", "_distinct"):
        setattr(plain._store, slot, getattr(inv._store, slot))
    for k in range(1, len(query) + 1):  # keystroke by keystroke, as typed
        plain._cache, plain._last = type(inv._cache)(), None  # a fresh scan every time
        assert list(inv.search(query[:k])) == list(plain.search(query[:k])), query[:k]


def test_selection_reads_like_a_sorted_list():
    from bisect import bisect_left

    from lrtui.engine.search_index import Selection, pack

    n = 5000
    members = [i for i in range(n) if i % 7 == 0 or 2100 <= i < 3300 or i == n - 1]
    sel = Selection(pack(members, n), n)
    assert len(sel) == len(members) and list(sel) == members
    assert [sel[k] for k in (0, 5, -1, len(members) - 1)] == [members[k] for k in (0, 5, -1, len(members) - 1)]
    assert sel[10:14] == members[10:14]
    for x in (0, 1, 6, 7, 2100, 2099, 3300, n - 1, n):
        assert sel.rank(x) == bisect_left(members, x) == bisect_left(sel, x)
        assert (x in sel) == (x in members)
    assert sel.index(2100) == members.index(2100)
    with pytest.raises(ValueError):
        sel.index(1)
    with pytest.raises(IndexError):
        sel[len(members)]


async def test_list_scrollbar_follows_the_search(demo_app):
    """The list skips repainting its scrollbar when the thumb would not move; what it shows stays right."""
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        pane = demo_app.machines_pane
        lst = pane.machine_list
        await pilot.press("slash", *"tag:vip", "backspace", "backspace", "l")
        await wait_until(pilot, lambda: lst.vertical_scrollbar.window_virtual_size == len(lst.rows))
        await pilot.pause(0.3)  # the details follow the typing after a short delay: let them settle first
        await demo_app.workers.wait_for_complete()
        await pilot.pause()
        shown = demo_app.export_screenshot()
        update_scrollbars(lst, lst.virtual_size)  # what Textual itself would draw
        lst.vertical_scrollbar.refresh()
        await pilot.pause()
        assert demo_app.export_screenshot() == shown


async def test_list_repaints_every_line_when_the_inventory_is_republished(demo_app):
    """A new generation reuses the same indices for other machines (the first load shows pages in service
    order, then sorts by name): every line must be repainted, so the name on screen is the machine a mark
    would take."""
    import html
    import re

    def screen_text() -> str:
        return html.unescape(re.sub(r"<[^>]+>", "", demo_app.export_screenshot())).replace("\xa0", " ")

    async with demo_app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        await pilot.pause()
        pane = demo_app.machines_pane
        lst = pane.machine_list
        inv = demo_app.runtime.inventory
        machines = [inv[i] for i in range(len(inv))]
        first_before = inv[lst.rows[0]].name
        assert first_before[:24] in screen_text()
        # same machines, another order: index 0 is now another machine (as after the final sort of a load)
        store = type(inv._store)()
        store.extend(list(reversed(machines)))
        inv._publish(store)
        pane._apply_search(force=True)
        await pilot.pause()
        first_after = inv[lst.rows[0]].name
        assert first_after != first_before
        text = screen_text()
        assert first_after[:24] in text


async def test_list_rows_are_painted_once_and_reused(demo_app):
    """The line cache: moving the cursor rebuilds only the two rows it leaves and enters; scrolling back
    reuses the painted rows; a mark, a theme or the focus repaints them with the new look."""
    from lrtui.tui.widgets.machines.machine_list import MachineList

    async with demo_app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        ml = demo_app.query_one(MachineList)
        ml.focus()
        await pilot.pause()
        built: list[int] = []
        original = ml._row_segments

        def counting(index, *a, **kw):
            built.append(index)
            return original(index, *a, **kw)

        ml._row_segments = counting  # type: ignore[method-assign]
        await pilot.press("down")
        await pilot.pause()
        assert 1 <= len(built) <= 2, built  # the old and the new cursor row; the others are reused
        built.clear()
        await pilot.press("up")
        await pilot.pause()
        assert len(built) == 0, built  # both looks of both rows are cached
        await pilot.press("space")  # a mark changes the rows' look: repainted
        await pilot.pause()
        assert len(built) >= ml.scrollable_content_region.height - 1
        first = ml.render_line(0)
        built.clear()
        demo_app.theme = "lrtui-light" if demo_app.theme != "lrtui-light" else "lrtui-dark"
        await pilot.pause()
        assert built and ml.render_line(0).text == first.text and ml.render_line(0) is not first
