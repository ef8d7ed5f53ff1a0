"""Batches in the journal: one record per submit (id, sequence, comment, case, time, machines), read back newest
first, found by id or unique prefix, with their jobs; the hash chain still verifies."""

from __future__ import annotations

import pytest

from lrtui.engine.batches import BatchNotFound, batch_jobs, batches, case_of, find_batch
from lrtui.engine.journal import Journal

from .conftest import make_sim, usable
from .test_engine_inproc import sequence


async def test_each_submit_records_one_batch_read_back_newest_first(engine_factory, journal: Journal) -> None:
    sim = make_sim()
    eng = await engine_factory(sim)
    ms = usable(sim, 4)
    first = await eng.submit(sequence(("RunScript", "Get-Processes.ps1"), comment="case CASE-9 sweep"), ms[:3])
    second = await eng.submit(sequence(("RunScript", "Get-Autoruns.csv.ps1"), comment="IR-17 persistence"), ms[3:])
    await eng.wait_idle(timeout=30)
    got = batches(journal)
    assert [b.batch_id for b in got] == [second[0].batch_id, first[0].batch_id]
    newest, oldest = got
    assert oldest.machines == 3 and oldest.comment == "case CASE-9 sweep" and oldest.case_id == "CASE-9"
    assert newest.machines == 1 and newest.case_id == "IR-17" and newest.at >= oldest.at
    assert oldest.sequence["Commands"][0]["params"][0]["value"] == "Get-Processes.ps1"
    assert {j.id for j in batch_jobs(journal, oldest.batch_id)} == {j.id for j in first}
    assert [j.machine_id for j in batch_jobs(journal, newest.batch_id)] == [ms[3].id]
    assert journal.verify().ok


async def test_a_batch_is_found_by_id_or_unique_prefix(engine_factory, journal: Journal) -> None:
    sim = make_sim()
    eng = await engine_factory(sim)
    jobs = await eng.submit(sequence(("RunScript", "Get-Processes.ps1")), usable(sim, 2))
    bid = jobs[0].batch_id
    assert find_batch(journal, bid).batch_id == bid
    assert find_batch(journal, bid[:6]).batch_id == bid
    with pytest.raises(BatchNotFound, match="No batch"):
        find_batch(journal, "zzzzzz")
    with pytest.raises(BatchNotFound, match="No batch"):
        find_batch(journal, bid[:3])  # too short to be a prefix
    await eng.wait_idle(timeout=30)


def test_case_ids_in_comments() -> None:
    assert case_of("case CASE-42 sweep") == "CASE-42"
    assert case_of("Case: 1234 triage") == "1234"
    assert case_of("INC-991 ransomware triage by alice") == "INC-991"
    assert case_of("weekly hygiene sweep") is None


def test_a_damaged_batch_entry_is_skipped_and_said(journal: Journal) -> None:
    journal.record_note("batch", {"comment": "no id"})
    journal.record_note("batch", {"batch_id": "b" * 32, "machines": 2, "comment": "ok", "sequence": {}})
    assert [b.batch_id for b in batches(journal)] == ["b" * 32]
    assert any("cannot be read" in p for p in journal.problems)


def _old_job(i: int, batch_id: str, at: float, comment: str):
    from lrtui.engine.jobs import Job

    seq = sequence(("RunScript", "Get-Autoruns.csv.ps1"), comment=comment)
    return Job(id=f"j{batch_id}{i}", batch_id=batch_id, machine_id=f"m{i}", machine_name=f"ws{i}",
               os_family="windows", sequence=seq, created_at=at + i)  # fmt: skip


def test_batches_of_a_journal_from_before_batch_records_are_derived_from_its_jobs(journal: Journal) -> None:
    """Jobs written the old way (no batch entry): their batches are listed, found and read, marked derived."""
    journal.record_jobs([_old_job(i, "a" * 32, 1000.0, "case CASE-3 sweep") for i in range(3)])
    journal.record_jobs([_old_job(i, "c" * 32, 2000.0, "weekly") for i in range(2)])
    journal.record_note("batch", {"batch_id": "b" * 32, "machines": 1, "comment": "new", "sequence": {}})
    got = {b.batch_id: b for b in batches(journal)}
    assert set(got) == {"a" * 32, "b" * 32, "c" * 32}
    old = got["a" * 32]
    assert old.derived and not got["b" * 32].derived
    assert (old.machines, old.at, old.comment, old.case_id) == (3, 1000.0, "case CASE-3 sweep", "CASE-3")
    assert old.sequence["Commands"][0]["params"][0]["value"] == "Get-Autoruns.csv.ps1"
    assert [b.batch_id for b in batches(journal)][-1] == "a" * 32  # the oldest last
    assert find_batch(journal, "cccc").batch_id == "c" * 32
    assert [j.machine_name for j in batch_jobs(journal, "a" * 32)] == ["ws0", "ws1", "ws2"]
