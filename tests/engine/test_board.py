"""The board publishes a made event once per turn of the event loop however often it is asked for (the budget
snapshot counts every job: one per finished job made a poll of N final jobs cost N x N)."""

from __future__ import annotations

import asyncio

from lrtui.engine.board import JobBoard
from lrtui.engine.jobs import EngineNotice, Event
from lrtui.engine.journal import Journal


async def test_emit_soon_makes_the_event_once_per_turn(tmp_path) -> None:
    journal = Journal(tmp_path / "j.sqlite3").open()
    board = JobBoard(journal)
    seen: list[Event] = []
    board.subscribe(seen.append)
    made = 0

    def make() -> Event:
        nonlocal made
        made += 1
        return EngineNotice("info", f"snapshot {made}")

    for _ in range(1000):
        board.emit_soon(make)
    assert made == 0 and seen == []  # not yet: at the end of this turn
    await asyncio.sleep(0)
    assert made == 1 and seen == [EngineNotice("info", "snapshot 1")]
    board.emit_soon(make)  # a later turn: made again, with what is true then
    await asyncio.sleep(0)
    assert made == 2 and len(seen) == 2
    journal.close()


def test_without_a_running_loop_it_is_emitted_at_once(tmp_path) -> None:
    journal = Journal(tmp_path / "j.sqlite3").open()
    board = JobBoard(journal)
    seen: list[Event] = []
    board.subscribe(seen.append)
    board.emit_soon(lambda: EngineNotice("info", "now"))
    assert seen == [EngineNotice("info", "now")]
    journal.close()
