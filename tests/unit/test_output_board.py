"""The live board: its state model (pure, times handed in), the choice of printer, and the
board printer writing to a terminal-like stream (what stays after the board is gone)."""
from __future__ import annotations

import io
import re
import threading

import pytest

from dockerfab.fabric.settings import DockerSettings
from dockerfab.output import Reporter, TextPrinter
from dockerfab.output.board import Board
from dockerfab.output.jsondoc import JsonPrinter
from dockerfab.output.live import BoardPrinter
from dockerfab.output.reporter import board_wanted, make_printer
from tests.unit.test_tasks_output import Event

PLAN = [{"action": "create", "item": "m.db", "step": 4},
        {"action": "start", "item": "m.db", "step": 7},
        {"action": "create", "item": "m.web", "step": 9},
        {"action": "start", "item": "m.web", "step": 12}]


def test_a_host_goes_from_waiting_to_running_to_done():
    board = Board("startup", began=100.0)
    board.expect(["web1", "web2"])
    assert board.view(100.0).count_line() == "2 hosts: 2 waiting"
    board.started("web1", 100.5)
    view = board.view(101.0)
    assert [(r.host, r.state, r.elapsed) for r in view.active] == [("web1", "connecting", 0.5)]
    board.plan("web1", PLAN, 101.0)
    board.event("web1", "start", "create", "m.db", 101.1)
    board.event("web1", "done", "create", "m.db", 101.2)
    board.event("web1", "start", "start", "m.db", 101.3)
    row = board.view(102.0).active[0]
    assert (row.state, row.step, row.action, row.count) == \
        ("running", "step 2/4", "start m.db", "1/4 done")
    board.finish("web1", 103.0)
    view = board.view(104.0)
    assert view.active == [] and view.trouble == []  # collapsed into the counts
    assert view.count_line() == "2 hosts: 1 waiting, 1 done"
    assert view.elapsed == 4.0


def test_a_failed_host_stays_with_its_reason_and_skipped_ones_collapse():
    board = Board("startup")
    for host in ("a", "b", "c"):
        board.started(host, 0.0)
    board.finish("b", 2.0, error="cannot connect: timed out")
    board.finish("c", 2.5, error="skipped: an earlier host failed (--fail-fast)", skipped=True)
    view = board.view(3.0)
    assert [(r.host, r.state, r.action, r.elapsed) for r in view.trouble] == \
        [("b", "failed", "cannot connect: timed out", 2.0)]
    assert [r.host for r in view.active] == ["a"]
    assert view.count_line() == "3 hosts: 1 connecting, 1 failed, 1 skipped"


def test_a_failed_action_fails_the_host_even_without_an_error_line():
    board = Board()
    board.event("a", "start", "start", "m.web", 1.0)
    board.event("a", "failed", "start", "m.web", 2.0)
    board.finish("a", 2.0)
    assert [r.state for r in board.view(3.0).trouble] == ["failed"]


def test_actions_in_flight_and_pulls_show_on_the_row():
    board = Board()
    board.event("a", "start", "create", "m.one", 1.0)
    board.event("a", "start", "create", "m.two", 1.1)
    board.progress("a", "pull nginx:1", 2 * 2**20, 8 * 2**20, False, 1.2)
    row = board.view(2.0).active[0]
    assert row.action == "create m.two +1" and row.count == ""
    assert row.transfer is not None and row.transfer.fraction == 0.25
    board.progress("a", "pull nginx:1", 8 * 2**20, 8 * 2**20, True, 1.3)
    board.event("a", "done", "create", "m.one", 1.4)
    row = board.view(2.0).active[0]
    assert row.transfer is None and row.action == "create m.two" and row.count == "1 done"


def test_fifty_hosts_fit_the_terminal_failures_first():
    board = Board("update")
    for i in range(50):
        board.started(f"h{i:02d}", float(i))
    for host in ("h07", "h30", "h41"):
        board.finish(host, 60.0, error="boom")
    view = board.view(61.0, max_lines=10)
    lines = 1 + len(view.trouble) + len(view.active) + (1 if view.hidden else 0)
    assert lines == 10
    assert [r.host for r in view.trouble] == ["h07", "h30", "h41"]
    assert [r.host for r in view.active] == ["h00", "h01", "h02", "h03", "h04"]
    assert view.hidden == 42
    tiny = board.view(61.0, max_lines=3)  # the failures win over the running hosts
    assert [r.host for r in tiny.trouble] == ["h41"] and tiny.active == []
    assert tiny.hidden == 47


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_printer_choice(monkeypatch):
    monkeypatch.setenv("TERM", "xterm")
    tty, pipe = FakeTerminal(), io.StringIO()
    assert isinstance(make_printer("text", tty, board=True), BoardPrinter)
    assert type(make_printer("text", tty, board=False)) is TextPrinter
    assert type(make_printer("text", pipe, board=True)) is TextPrinter
    assert type(make_printer("json", tty, board=True)) is JsonPrinter
    assert not board_wanted(tty, True, {"TERM": "dumb"})
    assert board_wanted(tty, True, {"TERM": "xterm", "NO_COLOR": "1"})  # colours only
    reporter = Reporter(TextPrinter(tty))
    reporter.begin("startup", mode="text", board=True)
    assert isinstance(reporter.printer, BoardPrinter)
    reporter.begin("startup", mode="text", board=False)
    assert type(reporter.printer) is TextPrinter
    reporter.begin("status", mode="json", board=True)
    assert type(reporter.printer) is JsonPrinter


def test_board_setting_and_its_variable():
    assert DockerSettings().board is True
    assert DockerSettings.from_config({}, {"DOCKERFAB_BOARD": "false"}).board is False
    assert DockerSettings.from_config({"docker": {"board": False}}, {}).board is False


def plain(text: str) -> str:
    """What a terminal shows of the written text, roughly: escape sequences dropped."""
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\r", "", text)


def test_board_printer_leaves_errors_and_the_summary_as_plain_lines(monkeypatch):
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.delenv("NO_COLOR", raising=False)
    out = FakeTerminal()
    reporter = Reporter(TextPrinter(out))
    reporter.begin("startup", mode="text", board=True)
    reporter.expect(["bed1", "bed2"])
    reporter.host("bed1", "startup")
    reporter.plan("bed1", PLAN[:2], 0, dry_run=False)
    listen = reporter.listener("bed1")
    listen(Event("create", "m.db", "start", reasons=["missing"]))
    listen(Event("create", "m.db", "done", 0.25))
    listen(Event("start", "m.db", "failed", 1.0, error="port is already allocated"))
    reporter.finish("bed1")
    reporter.host("bed2", "startup")
    reporter.finish("bed2", error=ConnectionError("cannot connect: timed out"))
    assert reporter.end(full=True) is False
    text = out.getvalue()
    assert "\x1b[?25l" in text and text.rstrip().endswith("FAILED")  # cursor hidden ...
    assert text.count("\x1b[?25h") >= 1  # ... and shown again
    shown = plain(text)
    assert "[bed1] create m.db ..." not in shown  # action lines went to the board
    assert "[bed1] start m.db FAILED 1.00s: port is already allocated" in shown
    assert "[bed2] ERROR startup: cannot connect: timed out" in shown
    # the last board: the counts and both failed hosts with their reasons
    last_board = shown.split("summary: ")[0].rsplit("startup  ", 1)[1]
    assert last_board.splitlines()[0].startswith("2 hosts: 2 failed")
    assert re.search(r"bed2\s+FAILED\s+cannot connect: timed out", last_board)
    # the summary exactly as the plain printer writes it
    table = shown.split("summary: ", 1)[1].splitlines()[1:]
    assert table[0].split()[0] == "HOST" and table[1].split()[:3] == ["bed1", "1", "0"]
    assert table[2].split()[0] == "bed2" and table[2].split()[-1] == "FAILED"


def test_a_question_pauses_the_board(monkeypatch):
    from dockerfab.output.prompt import confirm

    monkeypatch.setenv("TERM", "xterm")
    out = FakeTerminal()
    printer = BoardPrinter(out)
    reporter = Reporter(printer)
    reporter.host("bed1", "status")
    assert printer._live is not None
    seen = []

    class Keyboard:
        def readline(self) -> str:
            seen.append(printer._live)
            reporter.host("bed2", "status")  # another host starting meanwhile: still paused
            seen.append(printer._live)
            return "y\n"

    monkeypatch.setattr("sys.stdin", Keyboard())
    monkeypatch.setattr("sys.stdout", out)
    assert confirm("Remove 1 orphan(s) on bed1?", reporter, threading.Lock()) is True
    assert seen == [None, None]
    assert printer._live is not None  # back after the answer
    reporter.end(full=False)
    assert printer._live is None
    assert "Remove 1 orphan(s) on bed1? [y/N] " in out.getvalue()


@pytest.mark.parametrize("width", [40, 120])
def test_rows_fit_the_width(width, monkeypatch):
    from rich.console import Console

    from dockerfab.output.live import render

    board = Board("startup")
    board.started("a-rather-long-host-name.example.com", 0.0)
    board.event("a-rather-long-host-name.example.com", "start", "create",
                "example_map.app_server.instance1", 0.1)
    board.started("b", 0.0)
    board.finish("b", 1.0, error="cannot connect: [Errno 113] No route to host " * 3)
    console = Console(file=io.StringIO(), width=width, color_system=None)
    with console.capture() as captured:
        console.print(render(board.view(2.0), width))
    lines = captured.get().splitlines()
    assert all(len(line) <= width for line in lines)
    assert lines[0].startswith("startup  2 hosts: 1 running, 1 failed")
    assert lines[1].startswith("b ") and "FAILED" in lines[1]


def test_stderr_redirected_to_a_file_keeps_its_lines(monkeypatch):
    """``2>file`` with the board on the terminal: stderr's lines still go to the file;
    stray writes to stdout go above the board."""
    import sys

    monkeypatch.setenv("TERM", "xterm")
    out, err = FakeTerminal(), io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    monkeypatch.setattr("sys.stderr", err)
    reporter = Reporter(BoardPrinter())
    reporter.host("bed1", "startup")
    sys.stderr.write("dockerfab: a warning\n")
    print("a stray line")
    reporter.finish("bed1")
    reporter.end(full=False)
    assert err.getvalue() == "dockerfab: a warning\n"
    assert "a stray line" in out.getvalue() and "a warning" not in out.getvalue()
