"""The live board's state (pure): what each host of a task is doing, and the view of it
that fits a terminal. No drawing and no clock of its own: times are handed in, so the
model is tested without a terminal (:mod:`dockerfab.output.live` draws it).

A host goes ``waiting`` (expected, not started) -> ``connecting`` (its report exists:
connecting, reading its state, planning) -> ``running`` (a plan, an action or a message
arrived) -> ``done``, ``failed``, ``interrupted`` or ``skipped``. Finished hosts that are ok
collapse into the counts; failed ones stay on the board with their one-line reason.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

WAITING, CONNECTING, RUNNING, DONE = "waiting", "connecting", "running", "done"
FAILED, INTERRUPTED, SKIPPED = "failed", "interrupted", "skipped"
#: the order of the counts in the title line
STATES = (RUNNING, CONNECTING, WAITING, DONE, FAILED, INTERRUPTED, SKIPPED)
ACTIVE = frozenset({CONNECTING, RUNNING})
#: finished and not ok: such hosts keep a line with their reason
TROUBLE = frozenset({FAILED, INTERRUPTED})


#: how the run layers word the error of a host they never started (--fail-fast, a stop,
#: a rollout that ended before the host's batch): such hosts collapse into the counts
NOT_STARTED = ("skipped:", "not started:", "not reached:")


def never_started(error: str | None) -> bool:
    """Whether a host's one-line error says it was never worked on."""
    return bool(error) and str(error).startswith(NOT_STARTED)


@dataclass
class Transfer:
    """A pull or image transfer in progress: bytes done of a total (if known)."""
    what: str
    done: int
    total: int | None = None

    @property
    def fraction(self) -> float | None:
        return min(1.0, self.done / self.total) if self.total else None


@dataclass
class HostRow:
    """What one host is doing now."""
    host: str
    state: str = WAITING
    started: float | None = None  # monotonic seconds
    finished: float | None = None
    #: the actions in flight: (action, item) -> when it started
    in_flight: dict[tuple[str, str], float] = field(default_factory=dict)
    actions_done: int = 0
    actions_failed: int = 0
    #: of the plan, when the host reported one before running it
    actions_planned: int | None = None
    #: (action, item) -> the step's number (1, 2 ...) in the plan
    steps: dict[tuple[str, str], int] = field(default_factory=dict)
    step_count: int = 0
    last_step: int | None = None
    transfers: dict[str, Transfer] = field(default_factory=dict)
    error: str | None = None

    def elapsed(self, now: float) -> float:
        if self.started is None:
            return 0.0
        return (self.finished if self.finished is not None else now) - self.started


@dataclass(frozen=True)
class RowView:
    """One line of the board, as text fields (``progress`` drawn by the drawing side)."""
    host: str
    state: str
    step: str  # "step 2/3" or ""
    action: str  # the latest action in flight ("start m.web +1"), or the error
    count: str  # actions finished: "4/7 done" (of the plan), "4 done" or ""
    transfer: Transfer | None
    elapsed: float


@dataclass(frozen=True)
class BoardView:
    """What the board shows: the title, the active hosts (at most what fits), the failed
    hosts with their reasons, and how many active hosts did not fit."""
    title: str
    counts: dict[str, int]
    active: list[RowView]
    trouble: list[RowView]
    hidden: int
    elapsed: float

    def count_line(self) -> str:
        """``3 hosts: 1 running, 1 done, 1 failed``: the states that have hosts."""
        total = sum(self.counts.values())
        parts = [f"{n} {state}" for state, n in self.counts.items() if n]
        return f"{total} host{'s' if total != 1 else ''}: {', '.join(parts) or 'none'}"


class Board:
    """The state of every host of one task. Fed by the board printer with what the
    reporter hands it; :meth:`view` is what to draw now."""

    def __init__(self, task: str = "", began: float = 0.0) -> None:
        self.task = task
        self.began = began
        self.rows: dict[str, HostRow] = {}

    def row(self, host: str) -> HostRow:
        row = self.rows.get(host)
        if row is None:
            row = self.rows[host] = HostRow(host)
        return row

    # ----- what happens ----------------------------------------------------------------------
    def expect(self, hosts: Iterable[str]) -> None:
        """Hosts the task will work on (shown as waiting until they start)."""
        for host in hosts:
            self.row(host)

    def started(self, host: str, now: float) -> None:
        row = self.row(host)
        if row.state == WAITING:
            row.state, row.started = CONNECTING, now

    def busy(self, host: str, now: float) -> None:
        """Something arrived from the host: it is connected and working."""
        row = self.row(host)
        if row.state == WAITING:
            row.started = now
        if row.state in (WAITING, CONNECTING):
            row.state = RUNNING

    def plan(self, host: str, actions: Sequence[dict[str, Any]], now: float) -> None:
        """The plan a host is about to run: its actions and steps, for "step i/n"."""
        self.busy(host, now)
        row = self.row(host)
        planned: set[int] = {int(a["step"]) for a in actions if a.get("step") is not None}
        numbers = {s: i for i, s in enumerate(sorted(planned), 1)}
        row.actions_planned = len(actions)
        row.step_count = len(numbers)
        row.steps = {(a["action"], a["item"]): numbers[int(a["step"])] for a in actions
                     if a.get("step") is not None}

    def event(self, host: str, phase: str, action: str, item: str, now: float) -> None:
        """An action started, was done, or failed."""
        self.busy(host, now)
        row = self.row(host)
        key = (action, item)
        if phase == "start":
            row.in_flight[key] = now
            row.last_step = row.steps.get(key, row.last_step)
            return
        row.in_flight.pop(key, None)
        if phase == "failed":
            row.actions_failed += 1
        else:
            row.actions_done += 1

    def progress(self, host: str, what: str, done: int, total: int | None,
                 final: bool, now: float) -> None:
        self.busy(host, now)
        row = self.row(host)
        if final:
            row.transfers.pop(what, None)
        else:
            row.transfers[what] = Transfer(what, done, total)

    def finish(self, host: str, now: float, error: str | None = None,
               interrupted: bool = False, skipped: bool = False) -> None:
        """The host's work ended: ok, failed (``error``: its one line), interrupted, or
        skipped (never started: ``--fail-fast``, a stop)."""
        row = self.row(host)
        if row.started is None:
            row.started = now
        row.finished = now
        row.in_flight.clear()
        row.transfers.clear()
        row.error = error
        if skipped:
            row.state = SKIPPED
        elif interrupted:
            row.state = INTERRUPTED
        elif error is not None or row.actions_failed:
            row.state = FAILED
        else:
            row.state = DONE

    # ----- what to show ----------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATES, 0)
        for row in self.rows.values():
            out[row.state] += 1
        return out

    def view(self, now: float, max_lines: int | None = None) -> BoardView:
        """The board now, in at most ``max_lines`` lines (title, rows, "N more" line):
        failed hosts first (they must stay visible), then the active hosts, longest
        running first."""
        trouble = [self._line(r, now) for r in sorted(
            (r for r in self.rows.values() if r.state in TROUBLE),
            key=lambda r: (r.finished or 0.0, r.host))]
        active_rows = sorted((r for r in self.rows.values() if r.state in ACTIVE),
                             key=lambda r: (r.started or 0.0, r.host))
        room = len(active_rows)
        if max_lines is not None:
            room = max(0, max_lines - 1 - len(trouble))  # the title takes one line
            if room < len(active_rows):
                room = max(0, room - 1)  # and the "N more" line one
            if len(trouble) > max_lines - 1:  # only failures fit: the newest of them
                trouble = trouble[len(trouble) - max(0, max_lines - 2):]
        shown = active_rows[:room]
        title = self.task or "run"
        return BoardView(title=title, counts=self.counts(),
                         active=[self._line(r, now) for r in shown],
                         trouble=trouble, hidden=len(active_rows) - len(shown),
                         elapsed=max(0.0, now - self.began))

    @staticmethod
    def _line(row: HostRow, now: float) -> RowView:
        if row.state in TROUBLE or row.state == SKIPPED:
            return RowView(row.host, row.state, "", row.error or "", "", None,
                           row.elapsed(now))
        action = ""
        if row.in_flight:
            (kind, item), _ = max(row.in_flight.items(), key=lambda kv: kv[1])
            action = f"{kind} {item}"
            if len(row.in_flight) > 1:
                action += f" +{len(row.in_flight) - 1}"
        step = f"step {row.last_step}/{row.step_count}" if row.last_step and \
            row.step_count else ""
        finished = row.actions_done + row.actions_failed
        if row.actions_planned:
            count = f"{finished}/{row.actions_planned} done"
        else:
            count = f"{finished} done" if finished else ""
        transfer = next(reversed(row.transfers.values()), None) if row.transfers else None
        return RowView(row.host, row.state, step, action, count, transfer, row.elapsed(now))
