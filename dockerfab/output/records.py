"""What a run reports, as plain data: the vocabulary shared by the printers (output modes,
verbosity levels, summary columns) and the records the :class:`~dockerfab.output.Reporter`
keeps per host (events, host reports, the run itself)."""
from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

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
#: Status summary columns (counts of dockerfab.plan.status states, and orphans).
STATUS_COLUMNS = ("in_sync", "drifted", "stopped", "missing", "unhealthy", "orphaned")


def column(kind: str) -> str:
    """The summary column an engine action kind is counted in."""
    for name, kinds in COLUMNS.items():
        if kind in kinds:
            return name
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
    note: str | None = None  # what a done start waited for: healthy, running 5s, exited 0

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
    interrupted: bool = False  # stopped by SIGINT/SIGTERM (error says what was not done)
    exit_code: int = 0  # the program's exit status for this host's failure (errors.py)
    release: str | None = None  # the release the host is at after a changing run
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
            "error": self.error, "interrupted": self.interrupted}
        if self.release is not None:
            data["release"] = self.release
        if self.actions is not None:
            data["actions"] = self.actions
        if self.status is not None:
            data["in_sync"] = self.in_sync
            data["status_counts"] = self.status_counts()
            data["containers"] = [c.as_dict() for s in self.status for c in s.containers]
            data["orphans"] = [o.as_dict() for s in self.status for o in s.orphans]
            data["resources"] = [r.as_dict() for s in self.status
                                 for r in getattr(s, "resources", ())]
        if self.result is not None:
            data["result"] = self.result
        return data


#: Which exit status wins when hosts failed differently: rolled back, then a real failure,
#: a configuration error, a locked host (docs/reliability.rst has the table).
EXIT_PRECEDENCE = (4, 1, 2, 5)


def exit_status(reports: list[HostReport]) -> int:
    """The program's exit status for a run with these host reports (0: every host ok)."""
    codes = {r.exit_code or 1 for r in reports if not r.ok}
    for code in EXIT_PRECEDENCE:
        if code in codes:
            return code
    return min(codes) if codes else 0


@dataclass
class RunInfo:
    """The task being reported: its name, whether it is a dry run, when it began."""
    task: str = ""
    dry_run: bool = False
    began: float = field(default_factory=time.monotonic)



class Lifecycle:
    """What the reporter tells a printer around the hosts of a task, for a display that
    lives as long as the task (the board, :mod:`dockerfab.output.live`); printers of
    lines and of one document have nothing to do there."""

    def begin(self, run: RunInfo) -> None:
        """A task starts."""

    def expect(self, hosts: Sequence[str]) -> None:
        """The hosts the task is about to work on."""

    def started(self, report: HostReport) -> None:
        """A host's report was made: the host is being connected to."""

    def finished(self, report: HostReport) -> None:
        """A host's work ended (ok or not: ``report.error``)."""

    def close(self) -> None:
        """The task ended: whatever is drawn live is finished."""
