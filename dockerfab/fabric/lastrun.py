"""The record of the last run: which hosts were ok, which failed, which were never reached.

The ``dockerfab`` program writes ``.dockerfab/last-run.json`` in the project directory (the
working directory) after every run, and ``dockerfab --retry-failed`` runs the recorded
tasks again on the hosts that failed or were never reached. The record is small and
plain JSON::

    {"version": 1, "tasks": ["startup"], "argv": ["startup", "web_server"],
     "hosts_arg": "web1,web2", "started": "2026-12-01T10:00:00+00:00", "seconds": 4.2,
     "hosts": {"web1": {"result": "ok", "error": null},
               "web2": {"result": "not reached", "error": "web2: cannot connect ..."}}}

``result`` is ``ok``, ``failed`` (reached, but a task failed there) or ``not reached``
(the connection failed, or the host was never started: ``--fail-fast``, Ctrl-C, a rollout
batch after the one that failed). A host a rollout took back to its old release is
``failed``: a retry rolls it out again. Building and reading records is pure;
:func:`write` and :func:`load` do the file I/O.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockerfab.errors import UsageError

RECORD_PATH = Path(".dockerfab") / "last-run.json"
OK, FAILED, NOT_REACHED = "ok", "failed", "not reached"
_VERSION = 1


@dataclass
class RunRecord:
    """The per-host results of one program run (of one or more tasks)."""
    tasks: list[str]
    argv: list[str]
    hosts_arg: str | None
    started: str
    seconds: float
    hosts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"version": _VERSION, "tasks": self.tasks, "argv": self.argv,
                "hosts_arg": self.hosts_arg, "started": self.started,
                "seconds": round(self.seconds, 3), "hosts": self.hosts}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunRecord:
        if data.get("version") != _VERSION or not isinstance(data.get("hosts"), dict):
            raise ValueError("not a dockerfab run record")
        return cls([str(t) for t in data.get("tasks") or ()],
                   [str(a) for a in data.get("argv") or ()], data.get("hosts_arg"),
                   str(data.get("started", "")), float(data.get("seconds") or 0),
                   dict(data["hosts"]))

    def to_retry(self) -> list[str]:
        """The hosts that failed or were never reached, in recorded order."""
        return [h for h, r in self.hosts.items() if r.get("result") != OK]


def host_results(planned: Iterable[str], outcomes: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """Per host (``planned`` order, then any others) its result over all tasks of the run
    from ``outcomes`` (:class:`dockerfab.fabric.pipeline.HostOutcome`): ok when ok in every
    task, failed when a task failed on the reached host, else not reached; a planned host
    without any outcome was not reached."""
    results: dict[str, dict[str, Any]] = {h: {"result": NOT_REACHED, "error": None,
                                               "seen": False} for h in planned}
    for outcome in outcomes:
        entry = results.setdefault(outcome.host, {"result": NOT_REACHED, "error": None,
                                                  "seen": False})
        if outcome.ok:
            if not entry["seen"]:
                entry.update(result=OK)
        elif outcome.reached and not outcome.skipped:
            entry.update(result=FAILED, error=outcome.error)
        elif entry["result"] != FAILED:
            entry.update(result=NOT_REACHED, error=outcome.error)
        entry["seen"] = True
    for entry in results.values():
        del entry["seen"]
    return results


def merged(previous: RunRecord | None, current: RunRecord) -> RunRecord:
    """A retry's record: the previous run's hosts with the retried ones' new results, so
    that retrying again takes only what is still not ok."""
    if previous is None:
        return current
    hosts = {**previous.hosts, **current.hosts}
    return RunRecord(current.tasks, previous.argv, previous.hosts_arg, current.started,
                     current.seconds, hosts)


@dataclass
class ProgramRequest:
    """What the ``dockerfab`` command line asked for, as far as the record goes: the tasks
    and their arguments, the ``-H`` value, the project directory; with ``--retry-failed``
    also the previous record and the hosts to retry."""
    task_argv: list[str]
    hosts_arg: str | None
    directory: str
    previous: RunRecord | None = None
    retry: list[str] | None = None

    def retry_from(self, previous: RunRecord) -> None:
        """Retry ``previous``: its tasks (unless others are given) on its hosts that were
        not ok."""
        self.previous = previous
        self.retry = previous.to_retry()
        if not self.task_argv:
            self.task_argv = list(previous.argv)
        if self.hosts_arg is None:
            self.hosts_arg = previous.hosts_arg

    def record(self, tasks: list[str], started: float, seconds: float, planned: Iterable[str],
               outcomes: Iterable[Any]) -> RunRecord:
        from datetime import datetime, timezone

        utc = timezone.utc  # noqa: UP017  (datetime.UTC is 3.11+)
        when = datetime.fromtimestamp(started, utc).isoformat(timespec="seconds")
        current = RunRecord(tasks, self.task_argv, self.hosts_arg, when, seconds,
                            host_results(planned, outcomes))
        return merged(self.previous, current)


def path_in(directory: str | os.PathLike[str]) -> Path:
    return Path(directory) / RECORD_PATH


def write(record: RunRecord, directory: str | os.PathLike[str]) -> Path:
    """Write the record (atomically: a reader never sees half of it)."""
    path = path_in(directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(record.to_json(), indent=1) + "\n")
    os.replace(temporary, path)
    return path


def load(directory: str | os.PathLike[str]) -> RunRecord:
    """The last run's record; a missing or unreadable one is a usage error."""
    path = path_in(directory)
    try:
        return RunRecord.from_json(json.loads(path.read_text()))
    except FileNotFoundError:
        raise UsageError(f"--retry-failed: no record of a run here ({path})") from None
    except (OSError, ValueError, TypeError) as exc:
        raise UsageError(f"--retry-failed: cannot read {path}: {exc}") from None


__all__ = ["FAILED", "NOT_REACHED", "OK", "RECORD_PATH", "ProgramRequest", "RunRecord", "host_results",
           "load", "merged", "write"]
