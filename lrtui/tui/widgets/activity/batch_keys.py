"""Activity's batch keys and the batch line: the highlighted job's batch paused/resumed (P), its failed jobs
retried (R), the batch cancelled (X), and its state said in words (a glyph too, never colour alone)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rich.text import Text

from lrtui.engine.batch_state import BatchState
from lrtui.engine.engine import Engine
from lrtui.engine.jobs import Job
from lrtui.tui.glyphs import current
from lrtui.tui.safe_text import append_clean

#: (title of a failure, the engine call) for the pane's worker
Call = tuple[str, Callable[[], Awaitable[object]]]
Say = Callable[[str, str], None]
Run = Callable[[str, Callable[[], Awaitable[object]]], object]
Confirm = Callable[..., Any]  #: ``App.push_screen(screen, callback)``


def act(what: str, engine: Engine, job: Job, *, say: Say, call: Run, confirm: Confirm) -> None:
    """One batch key on ``job``'s batch: "pause" (P, also resumes), "retry" (R) or "cancel" (X, confirmed)."""
    if what == "pause":
        say(*toggle_pause(engine, job))
        return
    if what == "retry":
        retry = retry_call(engine, job)
        if isinstance(retry, str):
            say(retry, "yellow")
        else:
            call(*retry)
        return
    asked = cancel_question(engine, job)
    if isinstance(asked, str):
        say(asked, "yellow")
        return
    from lrtui.tui.widgets.sequence.confirm import ConfirmScreen

    question, (title, fn) = asked

    def answer(yes: bool | None) -> None:
        if yes:
            call(title, fn)

    confirm(ConfirmScreen("Cancel the batch?", question), answer)


def batch_line(state: BatchState) -> Text:
    """``‖ Batch 3f2a1b2c paused: canary: 2 of 3 failed: ... (4 held) · P resume · R retry failed · X cancel``."""
    g = current()
    t = Text()
    glyph, style = (g.paused, "bold yellow") if state.paused else (g.canary, "bold cyan")
    t.append(f"{glyph} Batch {state.batch_id[:8]} {state.phase}", style=style)
    if state.reason:
        t.append(": ")
        append_clean(t, state.reason)
    t.append(f" ({state.finished} of {state.total} finished, {state.failed} failed, {state.held} held)", style="dim")
    keys = "P resume · R retry failed · X cancel" if state.paused else "P pause · X cancel"
    t.append(f"  {keys}", style="dim")
    return t


def shows(state: BatchState | None) -> bool:
    """Whether Activity shows the batch line: a canary running or a pause."""
    return state is not None and state.phase in ("canary", "paused")


def toggle_pause(engine: Engine, job: Job) -> tuple[str, str]:
    """P: resume a paused batch, pause a running one; (what to say, its style)."""
    bid = job.batch_id
    state = engine.batches.state(bid)
    if state.paused:
        state = engine.batches.resume(bid)
        return f"Batch {bid[:8]} resumed: its held jobs are queued again.", "green"
    if state.phase == "done":
        return f"Batch {bid[:8]} is finished; nothing to pause.", "yellow"
    engine.batches.pause(bid)
    return f"Batch {bid[:8]} paused: its queued jobs are held (P resumes); running actions continue.", "yellow"


def retry_call(engine: Engine, job: Job) -> Call | str:
    """R: the call that retries the batch's failed jobs, or why there is none."""
    bid = job.batch_id
    if not engine.batches.state(bid).failed:
        return f"Batch {bid[:8]} has no failed job to retry."
    return "Retry of the batch failed", lambda: engine.batches.retry_failed(bid)


def cancel_question(engine: Engine, job: Job) -> tuple[Text, Call] | str:
    """X: the question to confirm and the call that cancels the batch, or why there is nothing to cancel."""
    bid = job.batch_id
    state = engine.batches.state(bid)
    if state.phase == "done":
        return f"Batch {bid[:8]} is finished; nothing to cancel."
    left = state.total - state.finished
    q = Text(
        f"Cancel batch {bid[:8]}? Its {left} unfinished job(s) are dropped ({state.held} held, never sent) or"
        " cancelled on the service."
    )
    return q, ("Cancel of the batch failed", lambda: engine.batches.cancel(bid))
