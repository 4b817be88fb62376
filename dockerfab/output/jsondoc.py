"""Machine output: the printer that stays quiet while a task runs and writes one JSON
document at its end (schema: docs/output.rst)."""
from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO

from dockerfab.output.records import NORMAL, EventRecord, HostReport, Lifecycle, RunInfo

#: Version of the JSON document; raised when a key changes meaning or goes away.
JSON_VERSION = 1


class JsonPrinter(Lifecycle):
    """Machine output: nothing while running, one JSON document from :meth:`summary`
    (schema in docs/output.rst)."""

    always_summary = True
    mode = "json"

    def __init__(self, stream: TextIO | None = None, verbosity: int = NORMAL) -> None:
        self.stream = stream
        self.verbosity = verbosity
        self.events: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []
        self.streamed = False  # lines were written: the document follows on one line

    def event(self, record: EventRecord) -> None:
        self.events.append(record.as_dict())

    def message(self, host: str | None, text: str) -> None:
        self.messages.append({"host": host, "message": text})

    def line(self, host: str, source: str, stream: str, text: str) -> None:
        """A container's output line, written at once as a JSON object on one line; the
        task's document then follows on one line too (JSON lines)."""
        self.streamed = True
        out = self.stream or sys.stdout
        out.write(json.dumps({"host": host, "container": source, "stream": stream,
                              "line": text}) + "\n")
        out.flush()

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
        indent, self.streamed = (None if self.streamed else 2), False
        stream = self.stream or sys.stdout
        stream.write(json.dumps(doc, indent=indent, default=str) + "\n")
        stream.flush()
