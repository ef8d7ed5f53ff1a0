"""Jobs to and from plain JSON-able dicts (the journal's and the export's format), canonical JSON, and the
streaming reader of a RunScript result document (``extract_script_document``)."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from lrtui.api.sequence import Sequence
from lrtui.engine.jobs import CommandResult, Job, JobState, Outcome, Priority


def canonical(obj: Any) -> str:
    """Stable JSON: sorted keys, no spaces, UTF-8 kept (what the hash chain hashes)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class Entry:
    seq: int
    at: float
    kind: str
    job_id: str | None
    data: dict[str, Any]
    prev: str
    hash: str

    @classmethod
    def from_row(cls, r: tuple[Any, ...]) -> Entry:
        """An entry from a row of ``SELECT seq, at, kind, job_id, data, prev, hash``."""
        return cls(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6])

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "kind": self.kind,
            "job_id": self.job_id,
            "data": self.data,
            "prev": self.prev,
            "hash": self.hash,
        }


def entry_hash(prev: str, seq: int, at: float, kind: str, job_id: str | None, data: dict[str, Any]) -> str:
    body = canonical({"seq": seq, "at": at, "kind": kind, "job_id": job_id, "data": data})
    return hashlib.sha256((prev + body).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainReport:
    ok: bool
    count: int
    first_bad: int | None = None  #: seq of the first entry that does not verify
    reason: str = ""


REDACTED_KEYS = frozenset({"seq", "prev", "hash", "redacted"})


def verify_chain(entries: Iterable[Entry | dict[str, Any]]) -> ChainReport:
    """Recompute every hash; report the first entry whose link or content was changed.

    An exported bundle may carry *redacted* entries (another case's): only their links are checked, and such an
    entry may hold nothing but its links, so marking a changed entry "redacted" cannot hide the change."""
    prev = GENESIS
    n = 0
    expected_seq = None
    for e in entries:
        d = e.to_dict() if isinstance(e, Entry) else e
        n += 1
        if expected_seq is not None and d["seq"] != expected_seq:
            return ChainReport(False, n, d["seq"], f"entry {expected_seq} is missing")
        if d["prev"] != prev:
            return ChainReport(False, n, d["seq"], f"entry {d['seq']} does not follow the entry before it")
        if d.get("redacted"):
            if set(d) - REDACTED_KEYS:
                return ChainReport(False, n, d["seq"], f"entry {d['seq']} is marked redacted but carries content")
        elif entry_hash(prev, d["seq"], d["at"], d["kind"], d["job_id"], d["data"]) != d["hash"]:
            return ChainReport(False, n, d["seq"], f"entry {d['seq']} was changed after it was written")
        prev = d["hash"]
        expected_seq = d["seq"] + 1
    return ChainReport(True, n)


#: a RunScript result's files, sizes and hashes (``CommandResult`` fields, kept as they are)
SCRIPT_FILE_FIELDS = (
    "stdout_path",
    "stderr_path",
    "result_path",
    "stdout_sha256",
    "stderr_sha256",
    "result_sha256",
    "stdout_size",
    "stderr_size",
)


def result_to_dict(r: CommandResult) -> dict[str, Any]:
    return {
        "index": r.index,
        "type": r.type,
        "status": r.status,
        "errors": r.errors,
        "script": r.script.model_dump() if r.script else None,
        "output_truncated": r.output_truncated,
        **{k: getattr(r, k) for k in SCRIPT_FILE_FIELDS},
        "file_path": r.file_path,
        "size": r.size,
        "sha256_received": r.sha256_received,
        "sha256": r.sha256,
        "downloaded": r.downloaded,
        "download_error": r.download_error,
    }


def result_from_dict(d: dict[str, Any]) -> CommandResult:
    from lrtui.api.models import ScriptResult  # pydantic: only when a journal row holds a script's output

    script = d.get("script")
    return CommandResult(
        index=int(d["index"]),
        type=d.get("type", ""),
        status=d.get("status"),
        errors=d.get("errors") or "",
        script=ScriptResult.model_validate(script) if script else None,
        file_path=d.get("file_path"),
        size=d.get("size"),
        sha256_received=d.get("sha256_received"),
        sha256=d.get("sha256"),
        downloaded=bool(d.get("downloaded")),
        download_error=d.get("download_error"),
        output_truncated=bool(d.get("output_truncated")),
        **{k: d.get(k) for k in SCRIPT_FILE_FIELDS},
    )


_FIELDS = (
    "id",
    "batch_id",
    "machine_id",
    "machine_name",
    "os_family",
    "action_id",
    "action_status",
    "command_status",
    "command_started",
    "created_at",
    "submitted_at",
    "started_at",
    "finished_at",
    "error_code",
    "error_message",
    "machine_online",
    "attempts",
    "evidence_dir",
    "out_dir",
)


def job_to_dict(job: Job) -> dict[str, Any]:
    d: dict[str, Any] = {k: getattr(job, k) for k in _FIELDS}
    d["state"] = job.state.value
    d["outcome"] = job.outcome.value if job.outcome else None
    d["priority"] = job.priority.value
    d["sequence"] = job.sequence.to_body()
    d["results"] = [result_to_dict(r) for r in job.results]
    return d


def job_from_dict(d: dict[str, Any]) -> Job:
    job = Job(
        id=d["id"],
        batch_id=d.get("batch_id", ""),
        machine_id=d["machine_id"],
        machine_name=d.get("machine_name") or d["machine_id"],
        os_family=d.get("os_family") or "unknown",
        sequence=Sequence.from_body(d["sequence"]),
        priority=Priority(d.get("priority") or Priority.BULK),
        state=JobState(d.get("state") or JobState.QUEUED),
        outcome=Outcome(d["outcome"]) if d.get("outcome") else None,
    )
    for k in _FIELDS[5:]:
        if k in d and d[k] is not None:
            setattr(job, k, d[k])
    job.results = [result_from_dict(r) for r in d.get("results") or []]
    return job


# ---------------------------------------------------------------- the RunScript result document, streamed

#: characters read from the document at a time (memory: a few of these, whatever the document's size)
READ_CHARS = 1 << 18
#: a field other than stdout/stderr (script_name, exit_code, anything unknown) is at most this long
SMALL_FIELD_CHARS = 1 << 20
STREAMED_FIELDS = {"script_output": "stdout", "script_errors": "stderr"}
# one JSON string's content: plain runs, \uXXXX escapes, other one-character escapes (stops before `"`, a
# partial escape at the end of the buffer, or an invalid escape)
_STRING_BODY = re.compile(r'(?:[^"\\]+|\\u[0-9a-fA-F]{4}|\\[^u])*', re.DOTALL)
_WS = re.compile(r"[ \t\r\n]*")
_DECODER = json.JSONDecoder(strict=False)


class DocumentError(ValueError):
    """The result document is not the JSON object a RunScript result is (says where and what)."""


@dataclass(slots=True)
class StreamedText:
    """One text field written to a file: its size and sha256 (UTF-8 bytes) and the first characters."""

    path: Path
    size: int = 0
    sha256: str = ""
    preview: str = ""
    truncated: bool = False


@dataclass(slots=True)
class ScriptDocument:
    """What ``extract_script_document`` found: the small fields and the two texts' files."""

    fields: dict[str, Any]
    stdout: StreamedText
    stderr: StreamedText


class _Text:
    """Buffered characters of the document (``newline=""``: carriage returns kept)."""

    def __init__(self, f: TextIO) -> None:
        self.f, self.buf, self.pos, self.eof = f, "", 0, False

    def fill(self) -> bool:
        if self.eof:
            return False
        more = self.f.read(READ_CHARS)
        self.buf, self.pos = self.buf[self.pos :] + more, 0
        self.eof = not more
        return bool(more)

    def peek(self) -> str:
        self.skip_ws()
        return self.buf[self.pos] if self.pos < len(self.buf) else ""

    def skip_ws(self) -> None:
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.buf) or not self.fill():
                return

    def expect(self, ch: str) -> None:
        got = self.peek()
        if got != ch:
            raise DocumentError(f"expected {ch!r} but found {repr(got) if got else 'the end'}")
        self.pos += 1

    def small_value(self) -> Any:
        """One JSON value of at most SMALL_FIELD_CHARS (read whole)."""
        self.skip_ws()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError:
                if len(self.buf) - self.pos > SMALL_FIELD_CHARS or not self.fill():
                    raise DocumentError("a field is not JSON, or longer than 1 MiB") from None
                continue
            except RecursionError:
                raise DocumentError("a field is nested too deeply") from None
            if end >= len(self.buf) and not self.eof and self.fill():
                continue  # a number may go on in the next chunk
            self.pos = end
            return value

    def stream_string(self, sink: Callable[[str], None]) -> None:
        """The JSON string at ``pos`` (its opening quote), decoded in pieces into ``sink``."""
        self.expect('"')
        while True:
            end = _STRING_BODY.match(self.buf, self.pos).end()  # type: ignore[union-attr]
            closed = end < len(self.buf) and self.buf[end] == '"'
            if not closed and end < len(self.buf) and (len(self.buf) - end >= 6 or self.eof):
                raise DocumentError("a text holds an invalid escape")
            try:
                piece = _DECODER.decode('"' + self.buf[self.pos : end] + '"') if end > self.pos else ""
            except json.JSONDecodeError:
                raise DocumentError("a text holds an invalid escape") from None
            if not closed and piece and "\ud800" <= piece[-1] <= "\udbff":
                piece, end = piece[:-1], end - 6  # the low half of the pair is in the next chunk
            sink(piece)
            self.pos = end
            if closed:
                self.pos += 1
                return
            if not self.fill():
                raise DocumentError("the document ends inside a text")


class _FileText:
    """A text written to ``path`` as UTF-8 (lone surrogates kept as they came), hashed, first characters kept."""

    def __init__(self, path: Path, preview_chars: int) -> None:
        self.out = StreamedText(path)
        self.limit = preview_chars
        self.h = hashlib.sha256()
        self.f = os.fdopen(os.open(part_of(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb")

    def __call__(self, piece: str) -> None:
        data = piece.encode("utf-8", "surrogatepass")
        self.f.write(data)
        self.h.update(data)
        self.out.size += len(data)
        room = self.limit - len(self.out.preview)
        if room > 0:
            self.out.preview += piece[:room]
        if len(piece) > room:
            self.out.truncated = True

    def close(self, keep: bool) -> StreamedText:
        self.f.close()
        if keep:
            os.replace(part_of(self.out.path), self.out.path)
        else:
            part_of(self.out.path).unlink(missing_ok=True)
        self.out.sha256 = self.h.hexdigest()
        return self.out


def part_of(path: Path) -> Path:
    return path.with_name(path.name + ".part")


def extract_script_document(src: Path, stdout: Path, stderr: Path, preview_chars: int) -> ScriptDocument:
    """Blocking: read the RunScript result document at ``src`` once, in pieces, writing ``script_output`` to
    ``stdout`` and ``script_errors`` to ``stderr`` (0600, whole, NULs kept); other fields are returned (each at
    most 1 MiB). Memory stays at a few chunks whatever the document's size. Raises ``DocumentError``."""
    sinks = {"stdout": _FileText(stdout, preview_chars), "stderr": _FileText(stderr, preview_chars)}
    ok = False
    try:
        with open(src, encoding="utf-8-sig", errors="strict", newline="") as f:
            fields = _read_object(_Text(f), sinks)
        ok = True
    except UnicodeDecodeError as e:
        raise DocumentError(f"the document is not UTF-8 (byte {e.start})") from None
    finally:
        done = {k: s.close(ok) for k, s in sinks.items()}
    return ScriptDocument(fields, done["stdout"], done["stderr"])


def _read_object(t: _Text, sinks: dict[str, _FileText]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    t.expect("{")
    while t.peek() != "}":
        if fields:
            t.expect(",")
        if t.peek() != '"':
            raise DocumentError("expected a field name")
        key = t.small_value()
        if key in fields:
            raise DocumentError(f"the field {key[:40]!r} appears twice")
        t.expect(":")
        stream = STREAMED_FIELDS.get(key)
        if stream is not None and t.peek() == '"':
            t.stream_string(sinks[stream])
            fields[key] = None
        else:
            fields[key] = t.small_value()
            if stream is not None and fields[key] is not None:
                raise DocumentError(f"{key} is not a text")
    t.pos += 1
    if t.peek():
        raise DocumentError("something follows the document's closing brace")
    return fields
