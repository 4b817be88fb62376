"""Terminal output of a run: live lines per action, plans, status tables, the per-host
summary, progress bars, and the JSON document (schema: docs/output.rst).

One :class:`Reporter` per program run collects a :class:`HostReport` per host. The engine's
``ActionEvent`` listener (:meth:`Reporter.listener`) feeds it; the tasks add plans, status
and the outcome of each host. What gets printed is decided by a *printer*:
:class:`TextPrinter` writes lines as things happen, :class:`JsonPrinter` stays quiet and
writes one document at the end.

Nothing here prints an environment value: actions carry reasons ("env FOO changed"), never
their arguments.
"""
from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

#: Version of the JSON document; raised when a key changes meaning or goes away.
JSON_VERSION = 1

#: Output modes (``docker.output`` / ``--format``).
MODES = ("text", "json")

QUIET, NORMAL, VERBOSE = 0, 1, 2

# Summary column -> engine action kinds counted in it (dockerfab.plan.actions).
COLUMNS: dict[str, frozenset[str]] = {
    "created": frozenset({"create", "create_volume", "create_network"}),
    "started": frozenset({"start", "restart"}),
    "stopped": frozenset({"stop", "kill"}),
    "removed": frozenset({"remove", "remove_volume", "remove_network"}),
    "updated": frozenset({"connect_network", "disconnect_network", "update_limits", "exec",
                          "prepare_volume", "pull_image", "run_script", "custom"}),
}
SUMMARY_HEADERS = ("host", *COLUMNS, "unchanged", "failed", "time", "result")
STATUS_COLUMNS = ("in_sync", "drifted", "stopped", "missing", "unhealthy", "orphaned")
STATUS_HEADERS = ("host", *STATUS_COLUMNS, "time", "result")


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


def action_dict(action: Any) -> dict[str, Any]:
    """Plain form of a planned ``Action`` or an ``ActionResult`` (never its arguments)."""
    if hasattr(action, "as_dict"):
        return dict(action.as_dict())
    return dict(action)


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
    """What happened (or, in a dry run, would happen) on one host during a task."""
    host: str
    task: str = ""
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COLUMNS, 0))
    unchanged: int | None = None
    failed: int = 0
    error: str | None = None  # one line: why the host failed
    result: Any = None  # task-specific data for JSON (e.g. script logs)
    actions: list[dict[str, Any]] | None = None  # planned (dry run) or done actions
    status: list[Any] | None = None  # ClientStatus per client (status task)

    @property
    def ok(self) -> bool:
        return self.error is None and self.failed == 0

    @property
    def in_sync(self) -> bool:
        """Status: everything in sync (a host that could not be checked is not)."""
        if self.status is None:
            return self.error is None
        return all(s.in_sync for s in self.status)

    @property
    def elapsed(self) -> float:
        end = self.finished if self.finished is not None else time.monotonic()
        return end - self.started

    def status_counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATUS_COLUMNS, 0)
        for s in self.status or ():
            for key, value in s.counts().items():
                out[key] += value
        return out

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "host": self.host, "task": self.task, **self.counts, "unchanged": self.unchanged,
            "failed": self.failed, "seconds": round(self.elapsed, 3), "ok": self.ok,
            "error": self.error}
        if self.actions is not None:
            data["actions"] = self.actions
        if self.status is not None:
            data["in_sync"] = self.in_sync
            data["status_counts"] = self.status_counts()
            data["containers"] = [c.as_dict() for s in self.status for c in s.containers]
            data["orphans"] = [o.as_dict() for s in self.status for o in s.orphans]
        if self.result is not None:
            data["result"] = self.result
        return data


@dataclass
class RunInfo:
    """The task being reported: its name, whether it is a dry run, when it began."""
    task: str = ""
    dry_run: bool = False
    began: float = field(default_factory=time.monotonic)


def format_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Left-aligned columns separated by two spaces; ``None`` shows as ``-``."""
    text_rows = [[("-" if v is None else str(v)) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in text_rows:
        for i, value in enumerate(row):
            widths[i] = max(widths[i], len(value))
    lines = ["  ".join(h.upper().replace(" ", "_").ljust(w) for h, w in zip(headers, widths)
                       ).rstrip()]
    for row in text_rows:
        lines.append("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())
    return "\n".join(lines)


def _size(count: float) -> str:
    return f"{count / 2**20:.1f} MiB"


class TextPrinter:
    """Human output: a line per action start/finish, plans, tables, the summary.

    ``verbosity``: 0 (``-q``) only failures, plans, status and the summary; 1 a line when
    each action starts and ends; 2 (``-v``) also the plan before a real run and the reasons
    on every line. Progress bars are drawn in place when the stream is a terminal, else
    written as plain lines every few seconds.
    """

    #: Host utilities print their summary only when a host failed.
    always_summary = False
    mode = "text"
    plain_interval = 5.0  # seconds between plain progress lines
    bar_interval = 0.1  # seconds between redraws of a bar

    def __init__(self, stream: TextIO | None = None, verbosity: int = NORMAL,
                 tty: bool | None = None) -> None:
        self.stream = stream
        self.verbosity = verbosity
        self._tty = tty
        self._bar: str | None = None  # key of the bar currently drawn (not ended by \n)
        self._progress_at: dict[str, float] = {}

    @property
    def out(self) -> TextIO:
        return self.stream or sys.stdout

    @property
    def tty(self) -> bool:
        if self._tty is not None:
            return self._tty
        isatty = getattr(self.out, "isatty", None)
        return bool(isatty and isatty())

    def _write(self, text: str) -> None:
        stream = self.out
        if self._bar is not None:  # finish the bar line before anything else
            stream.write("\n")
            self._bar = None
        stream.write(text + "\n")
        stream.flush()

    def event(self, record: EventRecord) -> None:
        if record.phase != "failed" and self.verbosity <= QUIET:
            return
        stamp = time.strftime("%H:%M:%S", time.localtime(record.time)) + \
            f".{int(record.time * 1000) % 1000:03d}"
        if record.phase == "start":
            tail = "..."
        elif record.phase == "done":
            tail = f"done {record.duration or 0:.2f}s"
        else:
            tail = f"FAILED {record.duration or 0:.2f}s: {record.error}"
        show_why = record.phase == "start" or self.verbosity >= VERBOSE
        why = f"  ({'; '.join(record.reasons)})" if record.reasons and show_why else ""
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

    def plan(self, host: str, task: str, actions: Sequence[dict[str, Any]],
             unchanged: int | None, dry_run: bool) -> None:
        """A host's plan: numbered actions in the order they run, each with its reasons."""
        if not dry_run and self.verbosity < VERBOSE:
            return
        what = "would do" if dry_run else "will do"
        count = f"{len(actions)} action{'s' if len(actions) != 1 else ''}"
        more = f", {unchanged} unchanged" if unchanged is not None else ""
        if not actions:
            self._write(f"[{host}] {task}: nothing to do{more}")
            return
        self._write(f"[{host}] {task} {what} {count}{more}:")
        rows = [[f"{i}.", a["action"], a["item"], "; ".join(a.get("reasons") or ())]
                for i, a in enumerate(actions, 1)]
        table = format_table(("#", "action", "item", "reasons"), rows).splitlines()[1:]
        for line in table:
            self._write(f"[{host}]   {line}")

    def status(self, host: str, statuses: Sequence[Any]) -> None:
        """Per container: state, Docker status, health and the differences; then orphans."""
        rows = []
        orphans = []
        for s in statuses:
            for c in s.containers:
                rows.append([c.name, c.state, c.status, c.health, "; ".join(c.reasons)])
            orphans.extend(s.orphans)
        self._write(f"[{host}] status:")
        if rows:
            self._write(format_table(("container", "state", "docker", "health", "details"),
                                     rows))
        else:
            self._write("(no map containers on this host)")
        if orphans:
            self._write(format_table(("orphan", "kind", "map", "config", "running"),
                                     [[o.name, o.kind, o.map, o.config,
                                       "yes" if o.running else "no"] for o in orphans]))

    def progress(self, host: str, what: str, done: int, total: int | None,
                 final: bool) -> None:
        """A transfer's progress: a bar on a terminal, else a plain line now and then."""
        if self.verbosity <= QUIET and not final:
            return
        key = f"{host}\0{what}"
        now = time.monotonic()
        interval = self.bar_interval if self.tty else self.plain_interval
        if not final and now - self._progress_at.get(key, -1e9) < interval:
            return
        self._progress_at[key] = now
        if final:
            self._progress_at.pop(key, None)
        amount = _size(done) + (f" of {_size(total)}" if total else "")
        if not self.tty:
            self._write(f"[{host}] {what}: {amount}{' done' if final else ''}")
            return
        width = 30
        if total:
            filled = min(width, int(width * done / total))
            bar = "#" * filled + "." * (width - filled)
            line = f"[{host}] {what} [{bar}] {min(100, int(100 * done / total)):3d}% {amount}"
        else:
            line = f"[{host}] {what} {amount}"
        stream = self.out
        if self._bar is not None and self._bar != key:
            stream.write("\n")
        stream.write("\r\x1b[K" + line)
        self._bar = key
        if final:
            stream.write("\n")
            self._bar = None
        stream.flush()

    def summary(self, reports: Sequence[HostReport], run: RunInfo) -> None:
        title = f"summary: {time.monotonic() - run.began:.1f}s in total"
        if run.dry_run:
            title += " (dry run: nothing was changed; counts are planned actions)"
        self._write("")
        self._write(title)
        if reports and all(r.status is not None or r.error for r in reports) and \
                any(r.status is not None for r in reports):
            rows = [[r.host, *(r.status_counts().values() if r.status is not None
                               else [None] * len(STATUS_COLUMNS)),
                     f"{r.elapsed:.1f}s",
                     "FAILED" if not r.ok else ("in sync" if r.in_sync else "OUT OF SYNC")]
                    for r in reports]
            self._write(format_table(STATUS_HEADERS, rows))
        else:
            rows = [[r.host, *r.counts.values(), r.unchanged, r.failed, f"{r.elapsed:.1f}s",
                     "ok" if r.ok else "FAILED"] for r in reports]
            self._write(format_table(SUMMARY_HEADERS, rows))


class JsonPrinter:
    """Machine output: nothing while running, one JSON document from :meth:`summary`
    (schema in docs/output.rst)."""

    always_summary = True
    mode = "json"

    def __init__(self, stream: TextIO | None = None, verbosity: int = NORMAL) -> None:
        self.stream = stream
        self.verbosity = verbosity
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

    def plan(self, host: str, task: str, actions: Sequence[dict[str, Any]],
             unchanged: int | None, dry_run: bool) -> None:
        pass  # carried by the host's "actions"

    def status(self, host: str, statuses: Sequence[Any]) -> None:
        pass  # carried by the host's "containers" and "orphans"

    def progress(self, host: str, what: str, done: int, total: int | None,
                 final: bool) -> None:
        pass

    def summary(self, reports: Sequence[HostReport], run: RunInfo) -> None:
        doc: dict[str, Any] = {
            "version": JSON_VERSION, "task": run.task, "dry_run": run.dry_run,
            "ok": all(r.ok for r in reports),
            "seconds": round(time.monotonic() - run.began, 3),
            "hosts": [r.as_dict() for r in reports],
            "events": self.events, "output": self.messages}
        if any(r.status is not None for r in reports):
            doc["in_sync"] = all(r.in_sync for r in reports)
        self.events, self.messages = [], []
        stream = self.stream or sys.stdout
        stream.write(json.dumps(doc, indent=2, default=str) + "\n")
        stream.flush()


PRINTERS: dict[str, Callable[..., Any]] = {"text": TextPrinter, "json": JsonPrinter}


class Reporter:
    """Collects what happens on every host of one run and hands it to the printer.

    Thread-safe: hosts run concurrently and the engine reports from worker threads.
    """

    def __init__(self, printer: Any = None) -> None:
        self.printer = printer if printer is not None else TextPrinter()
        self.reports: dict[str, HostReport] = {}
        self.run = RunInfo()
        self.last_in_sync = True  # of the last summary (status task exit code)
        self._lock = threading.RLock()

    @classmethod
    def for_mode(cls, mode: str, verbosity: int = NORMAL) -> Reporter:
        return cls(PRINTERS[mode](verbosity=verbosity))

    def begin(self, task: str, dry_run: bool = False, mode: str | None = None,
              verbosity: int | None = None) -> None:
        """A task call starts: name it, and switch printer or verbosity if the task's flags
        ask for it (only between tasks: never while reports are pending)."""
        with self._lock:
            if not self.reports:
                self.run = RunInfo(task, dry_run)
                if mode is not None and mode != getattr(self.printer, "mode", mode):
                    self.printer = PRINTERS[mode](stream=getattr(self.printer, "stream", None))
                if verbosity is not None:
                    self.printer.verbosity = verbosity

    def host(self, host: str, task: str = "") -> HostReport:
        """The report of ``host`` (created on first use; timing starts then)."""
        with self._lock:
            report = self.reports.get(host)
            if report is None:
                if not self.reports and not self.run.task:
                    self.run = RunInfo(task)
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

    def plan(self, host: str, actions: Sequence[Any], unchanged: int | None = None,
             dry_run: bool = True) -> None:
        """A host's plan. In a dry run its actions fill the summary's counts (planned)."""
        plain = [action_dict(a) for a in actions]
        with self._lock:
            report = self.host(host)
            if dry_run:
                report.actions = plain
                for a in plain:
                    report.counts[_column(a["action"])] += 1
            self.printer.plan(host, report.task or self.run.task, plain, unchanged, dry_run)

    def done(self, host: str, results: Sequence[Any]) -> None:
        """The actions a real run did on ``host`` (for JSON: ``actions`` with durations)."""
        with self._lock:
            self.host(host).actions = [action_dict(r) for r in results]

    def status(self, host: str, statuses: Sequence[Any]) -> None:
        with self._lock:
            self.host(host).status = list(statuses)
            self.printer.status(host, statuses)

    def progress(self, host: str, what: str, done: int, total: int | None = None,
                 final: bool = False) -> None:
        with self._lock:
            self.printer.progress(host, what, done, total, final)

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
            self.run = RunInfo()
            return True

    def summary(self) -> bool:
        """Print the per-host summary (or the JSON document) and forget the reports, so a
        following task of the same run starts a fresh summary. True if every host was ok."""
        with self._lock:
            reports = sorted(self.reports.values(), key=lambda r: r.host)
            run = self.run
            self.reports = {}
            self.run = RunInfo()
            self.last_in_sync = all(r.in_sync for r in reports)
            if reports:
                self.printer.summary(reports, run)
            return all(r.ok for r in reports)
