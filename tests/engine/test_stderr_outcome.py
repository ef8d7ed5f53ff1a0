"""A RunScript that exits 0 and writes to stderr succeeded: PowerShell's non-terminating errors, tar's notes and
warnings are no failure (a canary or a failure limit must not pause on them, and a fleet must not read "91
failed"), but they are never hidden either: the Activity state, the CLI summary, the JSON and the stack header
say that the script wrote to stderr."""

from __future__ import annotations

from lrtui.api.enums import ActionStatus, CommandStatus
from lrtui.api.models import ScriptResult
from lrtui.api.sequence import Command, CommandType, Sequence
from lrtui.cli.render import machine_report, render_summary
from lrtui.engine.canary import count_as
from lrtui.engine.jobs import CommandResult, Job, JobState, Outcome, job_to_json, stderr_line
from lrtui.engine.outcomes import failure_summary, final_outcome
from lrtui.engine.stacking import glance

SEQ = Sequence((Command(CommandType.RUN_SCRIPT, "Get-Autoruns.ps1"),), "IR-7 autoruns")
WARNING = "WARNING: Access to HKU\\S-1-5-21-1 was denied; skipped.\nsecond line\n"


def job(name: str, code: int | None, errors: str) -> Job:
    j = Job(id=name, batch_id="b1", machine_id=name, machine_name=name, os_family="windows", sequence=SEQ)
    j.action_status = ActionStatus.SUCCEEDED
    j.command_status = [CommandStatus.COMPLETED]
    script = ScriptResult(script_name="Get-Autoruns.ps1", exit_code=code, script_output="ok\n", script_errors=errors)
    j.results = [CommandResult(index=0, type="RunScript", status="Completed", script=script, downloaded=True)]
    j.state, j.outcome = JobState.DONE, final_outcome(j)
    return j


def test_exit_0_with_stderr_succeeds_and_says_so() -> None:
    warned, clean, failed = job("ws1", 0, WARNING), job("ws2", 0, ""), job("ws3", 5, "Access denied\n")
    assert warned.outcome is Outcome.SUCCEEDED and clean.outcome is Outcome.SUCCEEDED
    assert failed.outcome is Outcome.SCRIPT_FAILED and failure_summary(failed) == "script exited 5: Access denied"
    assert stderr_line(warned) == "WARNING: Access to HKU\\S-1-5-21-1 was denied; skipped." and stderr_line(clean) == ""
    assert job("ws4", 0, "  \n").outcome is Outcome.SUCCEEDED and stderr_line(job("ws4", 0, " \n")) == ""
    assert count_as(warned.outcome) == "ok"  # a canary or a failure limit does not count it


def test_the_cli_summary_json_and_report_name_the_stderr() -> None:
    jobs = [job("ws1", 0, WARNING), job("ws2", 0, ""), job("ws3", 5, "Access denied\n")]
    text = render_summary(jobs)
    assert "  succeeded: 2\n    1 of them wrote to stderr" in text and "  script failed: 1" in text
    assert text.endswith("succeeded, wrote to stderr:\n  ws1: WARNING: Access to HKU\\S-1-5-21-1 was denied; skipped.")
    assert machine_report(jobs[0]).startswith("ws1  succeeded (wrote to stderr)")
    assert machine_report(jobs[1]).startswith("ws2  succeeded\n") or machine_report(jobs[1]) == "ws2  succeeded"
    assert [job_to_json(j)["wrote_stderr"] for j in jobs] == [True, False, True]
    g = glance(jobs)
    assert g.stderr == 1 and dict(g.failures) == {"script_failed": 1}


def test_activity_shows_the_stderr_in_the_state_column() -> None:
    from lrtui.tui.widgets.activity.format import state_label

    assert state_label(job("ws1", 0, WARNING)) == ("✓ stderr", "bold yellow")
    assert state_label(job("ws2", 0, ""))[0] == "✓ done"
    assert state_label(job("ws3", 5, "x"))[0] == "✗ script"
