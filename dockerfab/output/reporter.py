"""The :class:`Reporter`: one per program run, it collects a :class:`HostReport` per host
from the engine's events and the tasks' plans, status and outcomes, and hands what is to be
shown to the printer of the output mode (:mod:`~dockerfab.output.text` or
:mod:`~dockerfab.output.jsondoc`)."""
from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from dockerfab.output.jsondoc import JsonPrinter
from dockerfab.output.records import (
    NORMAL,
    EventRecord,
    HostReport,
    RunInfo,
    action_dict,
    column,
    describe,
    exit_status,
)
from dockerfab.output.text import TextPrinter

PRINTERS: dict[str, Callable[..., Any]] = {"text": TextPrinter, "json": JsonPrinter}


def board_wanted(stream: Any, enabled: bool = True,
                 environ: dict[str, str] | None = None) -> bool:
    """Whether text output on ``stream`` gets the live board: ``enabled`` (the setting
    ``docker.board``, ``--no-board``), the stream is a terminal, and the terminal can move
    the cursor (not ``TERM=dumb``)."""
    env = os.environ if environ is None else environ
    if not enabled or env.get("TERM", "") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def make_printer(mode: str, stream: TextIO | None = None, verbosity: int = NORMAL,
                 board: bool = False) -> Any:
    """The printer of an output mode; text on a terminal with ``board``: the live board."""
    if mode == "text" and board_wanted(stream or sys.stdout, board):
        from dockerfab.output.live import BoardPrinter  # rich: imported when drawn only

        return BoardPrinter(stream=stream, verbosity=verbosity)
    return PRINTERS[mode](stream=stream, verbosity=verbosity)


class Reporter:
    """Collects what happens on every host of one run and hands it to the printer.

    Thread-safe: hosts run concurrently and the engine reports from worker threads.
    """

    def __init__(self, printer: Any = None) -> None:
        self.printer = printer if printer is not None else TextPrinter()
        self.reports: dict[str, HostReport] = {}
        self.run = RunInfo()
        self.last_in_sync = True  # of the last summary (status task exit code)
        self.last_exit_code = 0  # of the last summary: the program's exit status
        self._lock = threading.RLock()

    @classmethod
    def for_mode(cls, mode: str, verbosity: int = NORMAL, board: bool = False) -> Reporter:
        return cls(make_printer(mode, verbosity=verbosity, board=board))

    def begin(self, task: str, dry_run: bool = False, mode: str | None = None,
              verbosity: int | None = None, board: bool | None = None) -> None:
        """A task call starts: name it, and switch printer or verbosity if the task's flags
        ask for it (only between tasks: never while reports are pending). ``board``: text
        on a terminal gets the live board (True) or plain lines (False); None: as before."""
        with self._lock:
            if not self.reports:
                self.run = RunInfo(task, dry_run)
                current = getattr(self.printer, "mode", mode)
                stream = getattr(self.printer, "stream", None)
                on = bool(getattr(self.printer, "board_on", False))
                if mode is not None and mode != current:
                    self.printer = make_printer(mode, stream, board=bool(board))
                elif board is not None and current == "text" and on != (
                        board and board_wanted(stream or sys.stdout)):
                    self.printer = make_printer("text", stream, board=board)
                if verbosity is not None:
                    self.printer.verbosity = verbosity
                self.printer.begin(self.run)

    def expect(self, hosts: Sequence[str]) -> None:
        """The hosts a task is about to work on (the board shows them waiting)."""
        with self._lock:
            self.printer.expect(list(hosts))

    def host(self, host: str, task: str = "") -> HostReport:
        """The report of ``host`` (created on first use; timing starts then)."""
        with self._lock:
            report = self.reports.get(host)
            if report is None:
                if not self.reports and not self.run.task:
                    self.run = RunInfo(task)
                report = self.reports[host] = HostReport(host, task)
                self.printer.started(report)
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
            error=None if error is None else " ".join(str(error).split()),
            note=getattr(event, "note", None))
        with self._lock:
            report = self.host(host)
            if phase == "done":
                report.counts[column(record.action)] += 1
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
                    report.counts[column(a["action"])] += 1
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

    def line(self, host: str, source: str, stream: str, text: str) -> None:
        """One line of a container's output (``logs``, ``exec``) on ``host``: ``source``
        names the container, ``stream`` is ``stdout`` or ``stderr``."""
        with self._lock:
            self.printer.line(host, source, stream, text)

    def data(self, host: str | None, title: str, value: Any) -> None:
        with self._lock:
            self.printer.data(host, title, value)

    def finish(self, host: str, error: BaseException | str | None = None,
               unchanged: int | None = None, result: Any = None,
               interrupted: bool = False) -> HostReport:
        """Close ``host``'s report: its one-line error (if any) and final numbers;
        ``interrupted``: the error says what a stopped run did and did not do."""
        with self._lock:
            report = self.host(host)
            report.interrupted = interrupted
            report.finished = time.monotonic()
            if unchanged is not None:
                report.unchanged = unchanged
            if result is not None:
                report.result = result
            if error is not None:
                report.error = describe(error, host)
                report.exit_code = int(getattr(error, "exit_code", 1))
                self.printer.error(report)
            self.printer.finished(report)
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
            self.last_exit_code = 0
            self.reports = {}
            self.run = RunInfo()
            self.printer.close()
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
            self.last_exit_code = exit_status(reports)
            if reports:
                self.printer.summary(reports, run)
            self.printer.close()
            return all(r.ok for r in reports)
