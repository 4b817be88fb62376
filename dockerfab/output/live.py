"""The live board on a terminal: :class:`BoardPrinter` draws the :class:`~dockerfab.output.
board.Board` of a task with rich's ``Live``, redrawn in place a few times a second.

It is a :class:`~dockerfab.output.text.TextPrinter` whose action lines and progress bars
go to the board instead of scrolling: messages, plans, status tables, a host's error line
and a failed action's line are printed above the board as they come, so they stay in the
terminal's history; the summary is printed as the plain printer prints it, after the board
has been drawn one last time (the counts and the failed hosts) and stopped. The cursor
comes back however the program ends (the end of a task, an exception, a second Ctrl-C).

Only made when standard output is a terminal that can move the cursor and the board is
not turned off (:func:`dockerfab.output.reporter.board_wanted`).
"""
from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TextIO

from rich.console import Console, Group, RenderableType
from rich.constrain import Constrain
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from dockerfab.output.board import (
    FAILED,
    INTERRUPTED,
    TROUBLE,
    Board,
    BoardView,
    RowView,
    never_started,
)
from dockerfab.output.progress import size
from dockerfab.output.records import NORMAL, EventRecord, HostReport, RunInfo
from dockerfab.output.text import TextPrinter

#: redraws per second
REFRESH = 4
#: lines of the terminal left free below the board (the prompt, a message being printed)
SPARE_LINES = 2
#: columns left free on the right: the terminal echoes ``^C`` after the board's last line,
#: and a full line would wrap, leaving a line behind that the next redraw does not erase
SPARE_COLUMNS = 3
STATE_STYLE = {"running": "cyan", "connecting": "yellow", "waiting": "dim",
               FAILED: "bold red", INTERRUPTED: "bold yellow", "skipped": "dim"}
SHOW_CURSOR = "\x1b[?25h"
#: characters of a pull's bar
BAR_WIDTH = 12
#: columns from which the board shows the step, the action counts and the pull's bar
WIDE = 90


def render(view: BoardView, width: int = 80, color: bool = True) -> RenderableType:
    """The board as rich renderables for a terminal ``width`` wide: the title line, the
    failed hosts with their reasons, a grid of the active hosts, and "N more" when not
    every active host fits. The action (or reason) column gives way first, with an
    ellipsis; a narrow terminal drops the step, the counts and the bar."""
    title = Text.assemble((view.title, "bold"), "  ", view.count_line(),
                          f"  {view.elapsed:.1f}s", no_wrap=True, overflow="ellipsis")
    parts: list[RenderableType] = [title]
    rows = [*view.trouble, *view.active]
    state_width = max((len(r.state) for r in rows), default=7)
    host_width = min(max((len(r.host) for r in rows), default=4), max(4, width // 4), 30)
    if view.trouble:  # first: the rows that must stay visible
        grid = _grid(host_width, state_width, ("reason",))
        for row in view.trouble:
            grid.add_row(_cut(row.host), Text(row.state.upper(), STATE_STYLE.get(row.state, "")),
                         _cut(row.action, "red"), f"{row.elapsed:.1f}s")
        parts.append(grid)
    if view.active:
        extra = [name for name, wanted in (("step", width >= WIDE), ("count", width >= WIDE),
                                           ("transfer", width >= 60)) if wanted and any(
            getattr(r, name) for r in view.active)]
        grid = _grid(host_width, state_width, ("action", *extra))
        for row in view.active:
            cells: dict[str, RenderableType] = {
                "step": row.step, "count": row.count,
                "transfer": _transfer(row, color and width >= WIDE)}
            grid.add_row(_cut(row.host), Text(row.state, STATE_STYLE.get(row.state, "")),
                         _cut(row.action), *(cells[name] for name in extra),
                         f"{row.elapsed:.1f}s")
        parts.append(grid)
    if view.hidden:
        parts.append(Text(f"... {view.hidden} more host{'s' if view.hidden != 1 else ''} "
                          "working", "dim"))
    return Group(*parts)


def _grid(host_width: int, state_width: int, middle: Sequence[str]) -> Table:
    """Columns host, state, ``middle`` (the first of them gives way), elapsed."""
    grid = Table.grid(padding=(0, 2), expand=True)
    grid.add_column("host", no_wrap=True, overflow="ellipsis", width=host_width)
    grid.add_column("state", no_wrap=True, width=state_width)
    for i, name in enumerate(middle):
        grid.add_column(name, no_wrap=i > 0, ratio=1 if i == 0 else None)
    grid.add_column("elapsed", no_wrap=True, justify="right", width=6)
    return grid


def _cut(text: str, style: str = "") -> Text:
    """A cell that is cut with an ellipsis rather than wrapped."""
    return Text(text, style, no_wrap=True, overflow="ellipsis")


def _transfer(row: RowView, bar: bool) -> RenderableType:
    t = row.transfer
    if t is None:
        return ""
    if t.fraction is None or not t.total:
        return size(t.done)
    label = Text(f"{int(100 * t.fraction):3d}% {t.done / 2**20:.1f}/{size(t.total)}")
    if not bar:  # narrow, or no colours: a bar without them does not show how far it got
        return label
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=BAR_WIDTH, no_wrap=True)
    grid.add_column(no_wrap=True)
    grid.add_row(ProgressBar(total=1.0, completed=t.fraction, width=BAR_WIDTH), label)
    return grid


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class BoardPrinter(TextPrinter):
    """Human output on a terminal with a live board (see the module's docstring)."""

    board_on = True

    def __init__(self, stream: TextIO | None = None, verbosity: int = NORMAL,
                 tty: bool | None = None, clock: Callable[[], float] = time.monotonic
                 ) -> None:
        super().__init__(stream, verbosity, tty)
        self.clock = clock
        self.board = Board(began=clock())
        self._state = threading.Lock()  # the board's state: never held while drawing
        self._live: Live | None = None
        self._console: Console | None = None
        self._undo: list[Callable[[], None]] = []
        self._display = threading.RLock()  # starting and stopping the display
        self._paused = 0

    # ----- the live display ----------------------------------------------------------------
    def _view(self) -> RenderableType:
        console = self._console
        width, height = console.size if console is not None else (80, 24)
        with self._state:
            view = self.board.view(self.clock(), max(3, height - SPARE_LINES))
        width = max(20, width - SPARE_COLUMNS)
        return Constrain(render(view, width, color=not (console is not None and
                                                        console.no_color)), width)

    def _start(self) -> None:
        with self._display:
            if self._live is None and not self._paused:
                self._show()

    def _show(self) -> None:
        stream = self.out
        # the terminal's own size, as it is now and after a resize: not COLUMNS/LINES,
        # which a shell or tmux may have exported with a size that no longer holds
        environ = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
        self._console = Console(file=stream, highlight=False, emoji=False, markup=False,
                                force_terminal=True, _environ=environ)
        # what else writes to the terminal goes above the board; stderr only when it is
        # the terminal too (2>file keeps getting what it always got)
        self._live = Live(console=self._console, get_renderable=self._view,
                          refresh_per_second=REFRESH, transient=False,
                          redirect_stdout=True, redirect_stderr=_is_terminal(sys.stderr))
        from dockerfab import interrupts

        def cursor_back() -> None:  # a second Ctrl-C ends the process without stop()
            try:
                stream.write(SHOW_CURSOR + "\n")
                stream.flush()
            except (OSError, ValueError):
                pass

        self._undo = [interrupts.at_exit_now(cursor_back)]
        atexit.register(self.close)
        self._undo.append(lambda: atexit.unregister(self.close))
        self._live.start(refresh=True)

    def close(self) -> None:
        """Stop the board: drawn one last time (the counts and the failed hosts) if a host
        failed or was interrupted, else erased; the cursor is shown again. Further output
        goes to the stream as plain lines."""
        with self._display:
            live, self._live = self._live, None
            if live is None:
                return
            with self._state:  # an all-ok board goes: the summary says it all
                live.transient = not any(r.state in TROUBLE for r in self.board.rows.values())
            try:
                live.stop()
            finally:
                for undo in self._undo:
                    undo()
                self._undo = []
                self._console = None

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Stop redrawing (a question on the terminal); the board comes back after."""
        with self._display:
            was_live = self._live is not None
            self._paused += 1
            self.close()
        try:
            yield
        finally:
            with self._display:
                self._paused -= 1
            if was_live:
                self._start()

    def _write(self, text: str) -> None:
        console = self._console
        if console is None:
            super()._write(text)
            return
        console.out(text, highlight=False)  # above the board, as given

    # ----- what the reporter hands over --------------------------------------------------
    def expect(self, hosts: Sequence[str]) -> None:
        with self._state:
            self.board.expect(hosts)
        self._start()

    def started(self, report: HostReport) -> None:
        with self._state:
            self.board.task = self.board.task or report.task
            self.board.started(report.host, self.clock())
        self._start()

    def begin(self, run: RunInfo) -> None:
        """A task starts: a fresh board."""
        self.close()
        with self._state:
            self.board = Board(run.task, run.began)

    def event(self, record: EventRecord) -> None:
        with self._state:
            self.board.event(record.host, record.phase, record.action, record.item,
                             self.clock())
        if record.phase == "failed":  # the item and the cause, above the board
            super().event(record)

    def message(self, host: str | None, text: str) -> None:
        if host:
            with self._state:
                self.board.busy(host, self.clock())
        super().message(host, text)

    def plan(self, host: str, task: str, actions: Sequence[dict[str, Any]],
             unchanged: int | None, dry_run: bool) -> None:
        with self._state:
            self.board.plan(host, actions, self.clock())
        super().plan(host, task, actions, unchanged, dry_run)

    def status(self, host: str, statuses: Sequence[Any]) -> None:
        with self._state:
            self.board.busy(host, self.clock())
        super().status(host, statuses)

    def progress(self, host: str, what: str, done: int, total: int | None,
                 final: bool) -> None:
        with self._state:
            self.board.progress(host, what, done, total, final, self.clock())

    def finished(self, report: HostReport) -> None:
        with self._state:
            skipped = never_started(report.error)
            self.board.finish(report.host, self.clock(), report.error,
                              interrupted=report.interrupted and not skipped,
                              skipped=skipped)

    def summary(self, reports: Sequence[HostReport], run: RunInfo) -> None:
        self.close()
        super().summary(reports, run)
