"""Terminal output of a run: live lines per action, the per-host summary, tables, JSON.

One :class:`Reporter` per program run collects a :class:`HostReport` per host. The engine's
``ActionEvent`` listener (:meth:`Reporter.listener`) feeds it; the tasks add the outcome of
each host. What gets printed is decided by a *printer*: :class:`TextPrinter` writes lines
as things happen, :class:`JsonPrinter` stays quiet and writes one document at the end. Other
modes (dry-run plans, status) add a printer rather than touching the tasks.
"""
from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

# Summary column -> engine action kinds counted in it (dockerfab.plan.actions).
COLUMNS: dict[str, frozenset[str]] = {
    "created": frozenset({"create", "create_volume", "create_network"}),
    "started": frozenset({"start", "restart"}),
    "stopped": frozenset({"stop", "kill"}),
    "removed": frozenset({"remove", "remove_volume"}),
    "updated": frozenset({"connect_network", "disconnect_network", "update_limits", "exec",
                          "prepare_volume", "pull_image", "run_script", "custom"}),
}
SUMMARY_HEADERS = ("host", *COLUMNS, "unchanged", "failed", "time", "result")


def _column(kind: str) -> str:
    for column, kinds in COLUMNS.items():
        if kind in kinds:
            return column
    return "updated"


def describe(error: BaseException | str, host: str) -> str:
    """One line for an error on ``host``, without repeating the host name."""
    text = " ".join(str(error).split()) or type(error).__name__
    for name in (host, "__default__"):  # the engine's name for the host's own client
        for prefix in (f"{name}: ", f"{name} "):
            if text.startswith(prefix):
                return text[len(prefix):]
    return text


@dataclass
class EventRecord:
    """One action event as the output keeps it (plain data, JSON-ready)."""
    time: float  # wall clock, seconds since the epoch
    host: str
    phase: str  # start, done, failed
    action: str
    item: str
    duration: float | None = None
    reasons: list[str] = field(default_factory=list)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class HostReport:
    """What happened on one host during the run."""
    host: str
    task: str = ""
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COLUMNS, 0))
    unchanged: int | None = None
    failed: int = 0
    error: str | None = None  # one line: why the host failed
    result: Any = None  # task-specific data for JSON (e.g. script logs)

    @property
    def ok(self) -> bool:
        return self.error is None and self.failed == 0

    @property
    def elapsed(self) -> float:
        end = self.finished if self.finished is not None else time.monotonic()
        return end - self.started

    def as_dict(self) -> dict[str, Any]:
        return {"host": self.host, "task": self.task, **self.counts,
                "unchanged": self.unchanged, "failed": self.failed,
                "seconds": round(self.elapsed, 3), "ok": self.ok, "error": self.error}


def format_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Left-aligned columns separated by two spaces; ``None`` shows as ``-``."""
    text_rows = [[("-" if v is None else str(v)) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in text_rows:
        for i, value in enumerate(row):
            widths[i] = max(widths[i], len(value))
    lines = ["  ".join(h.upper().ljust(w) for h, w in zip(headers, widths)).rstrip()]
    for row in text_rows:
        lines.append("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())
    return "\n".join(lines)


class TextPrinter:
    """Human output: a line per action start/finish, tables, the summary."""

    #: Host utilities print their summary only when a host failed.
    always_summary = False

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def _write(self, text: str) -> None:
        stream = self.stream or sys.stdout
        stream.write(text + "\n")
        stream.flush()

    def event(self, record: EventRecord) -> None:
        stamp = time.strftime("%H:%M:%S", time.localtime(record.time)) + \
            f".{int(record.time * 1000) % 1000:03d}"
        if record.phase == "start":
            tail = "..."
        elif record.phase == "done":
            tail = f"done {record.duration or 0:.2f}s"
        else:
            tail = f"FAILED {record.duration or 0:.2f}s: {record.error}"
        why = f"  ({'; '.join(record.reasons)})" if record.reasons and record.phase == "start" else ""
        self._write(f"{stamp} [{record.host}] {record.action} {record.item} {tail}{why}")

    def message(self, host: str | None, text: str) -> None:
        self._write(f"[{host}] {text}" if host else text)

    def error(self, report: HostReport) -> None:
        self._write(f"[{report.host}] ERROR {report.task}: {report.error}")

    def data(self, host: str | None, title: str, value: Any) -> None:
        """Task output (tables, YAML, versions): printed as given."""
        text = value if isinstance(value, str) else json.dumps(value, indent=2, default=str)
        if host:
            self._write(f"[{host}] {title}:" if title else f"[{host}]")
        self._write(text)

    def summary(self, reports: Sequence[HostReport]) -> None:
        rows = []
        for r in reports:
            rows.append([r.host, *r.counts.values(), r.unchanged, r.failed,
                         f"{r.elapsed:.1f}s", "ok" if r.ok else "FAILED"])
        self._write("")
        self._write(format_table(SUMMARY_HEADERS, rows))


class JsonPrinter:
    """Machine output: nothing while running, one JSON document from :meth:`summary`."""

    always_summary = True

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream
        self.events: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []

    def event(self, record: EventRecord) -> None:
        self.events.append(record.as_dict())

    def message(self, host: str | None, text: str) -> None:
        self.messages.append({"host": host, "message": text})

    def error(self, report: HostReport) -> None:
        pass  # carried by the host's entry in the summary

    def data(self, host: str | None, title: str, value: Any) -> None:
        self.messages.append({"host": host, "title": title, "data": value})

    def summary(self, reports: Sequence[HostReport]) -> None:
        doc = {"hosts": [r.as_dict() | ({"result": r.result} if r.result is not None else {})
                         for r in reports],
               "events": self.events, "output": self.messages,
               "ok": all(r.ok for r in reports)}
        self.events, self.messages = [], []
        stream = self.stream or sys.stdout
        stream.write(json.dumps(doc, indent=2, default=str) + "\n")
        stream.flush()


PRINTERS: dict[str, Callable[[], Any]] = {"text": TextPrinter, "json": JsonPrinter}


class Reporter:
    """Collects what happens on every host of one run and hands it to the printer.

    Thread-safe: hosts run concurrently and the engine reports from worker threads.
    """

    def __init__(self, printer: Any = None) -> None:
        self.printer = printer if printer is not None else TextPrinter()
        self.reports: dict[str, HostReport] = {}
        self._lock = threading.RLock()

    @classmethod
    def for_mode(cls, mode: str) -> Reporter:
        return cls(PRINTERS[mode]())

    def host(self, host: str, task: str = "") -> HostReport:
        """The report of ``host`` (created on first use; timing starts then)."""
        with self._lock:
            report = self.reports.get(host)
            if report is None:
                report = self.reports[host] = HostReport(host, task)
            return report

    def listener(self, host: str) -> Callable[[Any], None]:
        """An ``ActionEvent`` listener for the engine that reports under ``host``."""
        def on_event(event: Any) -> None:
            self.event(host, event)
        return on_event

    def event(self, host: str, event: Any) -> None:
        """Record one engine ``ActionEvent`` (duck-typed: kind/action, item, phase...)."""
        phase = str(getattr(event, "phase", "done"))
        error = getattr(event, "error", None)
        record = EventRecord(
            time=time.time(), host=host, phase=phase,
            action=str(getattr(event, "kind", None) or getattr(event, "action", "")),
            item=str(getattr(event, "item", "")),
            duration=getattr(event, "duration", None),
            reasons=list(getattr(event, "reasons", None) or ()),
            error=None if error is None else " ".join(str(error).split()))
        with self._lock:
            report = self.host(host)
            if phase == "done":
                report.counts[_column(record.action)] += 1
            elif phase == "failed":
                report.failed += 1
            self.printer.event(record)

    def message(self, host: str | None, text: str) -> None:
        with self._lock:
            self.printer.message(host, text)

    def data(self, host: str | None, title: str, value: Any) -> None:
        with self._lock:
            self.printer.data(host, title, value)

    def finish(self, host: str, error: BaseException | str | None = None,
               unchanged: int | None = None, result: Any = None) -> HostReport:
        """Close ``host``'s report: its one-line error (if any) and final numbers."""
        with self._lock:
            report = self.host(host)
            report.finished = time.monotonic()
            if unchanged is not None:
                report.unchanged = unchanged
            if result is not None:
                report.result = result
            if error is not None:
                report.error = describe(error, host)
                self.printer.error(report)
            return report

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.reports.values())

    def end(self, full: bool) -> bool:
        """End of a task: print the summary if ``full``, if a host failed, or if the printer
        always wants one (JSON); forget the reports. True if every host was ok."""
        with self._lock:
            if full or not self.ok or self.printer.always_summary:
                return self.summary()
            self.reports = {}
            return True

    def summary(self) -> bool:
        """Print the per-host summary (or the JSON document) and forget the reports, so a
        following task of the same run starts a fresh summary. True if every host was ok."""
        with self._lock:
            reports = sorted(self.reports.values(), key=lambda r: r.host)
            self.reports = {}
            if reports:
                self.printer.summary(reports)
            return all(r.ok for r in reports)
