"""Human output, written as things happen: a line per action start and finish, plans,
status tables, progress, and the summary table at the end of a task."""
from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO

from dockerfab.output.progress import ProgressLines
from dockerfab.output.records import (
    NORMAL,
    QUIET,
    VERBOSE,
    EventRecord,
    HostReport,
    Lifecycle,
    RunInfo,
)
from dockerfab.output.tables import plan_lines, status_tables, summary_table


def prefixed(host: str, source: str, text: str) -> str:
    """``[web1] app.web_server | text``: a container's output line, said where it came
    from."""
    return f"[{host}] {source} | {text}"


class TextPrinter(Lifecycle):
    """Human output: a line per action start/finish, plans, tables, the summary.

    ``verbosity``: 0 (``-q``) only failures, plans, status and the summary; 1 a line when
    each action starts and ends; 2 (``-v``) also the plan before a real run and the reasons
    on every line. Progress bars are drawn in place when the stream is a terminal, else
    written as plain lines every few seconds.
    """

    #: Host utilities print their summary only when a host failed.
    always_summary = False
    mode = "text"

    def __init__(self, stream: TextIO | None = None, verbosity: int = NORMAL,
                 tty: bool | None = None) -> None:
        self.stream = stream
        self.verbosity = verbosity
        self._tty = tty
        self.bars = ProgressLines()

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
        self.bars.close_bar(stream)  # finish the bar line before anything else
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
            if record.note:
                tail += f", {record.note}"
        else:
            tail = f"FAILED {record.duration or 0:.2f}s: {record.error}"
        show_why = record.phase == "start" or self.verbosity >= VERBOSE
        why = f"  ({'; '.join(record.reasons)})" if record.reasons and show_why else ""
        self._write(f"{stamp} [{record.host}] {record.action} {record.item} {tail}{why}")

    def message(self, host: str | None, text: str) -> None:
        self._write(f"[{host}] {text}" if host else text)

    def line(self, host: str, source: str, stream: str, text: str) -> None:
        """A container's output line, prefixed; stderr lines go to standard error (to the
        printer's own stream, when it was given one)."""
        if stream == "stderr" and self.stream is None:
            sys.stderr.write(prefixed(host, source, text) + "\n")
            sys.stderr.flush()
            return
        self._write(prefixed(host, source, text))

    def error(self, report: HostReport) -> None:
        label = "INTERRUPTED" if report.interrupted else "ERROR"
        self._write(f"[{report.host}] {label} {report.task}: {report.error}")

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
        for line in plan_lines(actions):
            self._write(f"[{host}]   {line}")

    def status(self, host: str, statuses: Sequence[Any]) -> None:
        """Per container: state, Docker status, health and the differences; then orphans."""
        self._write(f"[{host}] status:")
        for table in status_tables(statuses):
            self._write(table)

    def progress(self, host: str, what: str, done: int, total: int | None,
                 final: bool) -> None:
        """A transfer's progress: a bar on a terminal, else a plain line now and then."""
        if self.verbosity <= QUIET and not final:
            return
        self.bars.draw(self.out, host, what, done, total, final, self.tty)

    def summary(self, reports: Sequence[HostReport], run: RunInfo) -> None:
        title = f"summary: {time.monotonic() - run.began:.1f}s in total"
        if run.dry_run:
            title += " (dry run: nothing was changed; counts are planned actions)"
        self._write("")
        self._write(title)
        self._write(summary_table(reports))
        for report in reports:  # an interrupted run: what each host did not get done
            if report.interrupted and report.error:
                self._write(f"[{report.host}] {report.error}")
