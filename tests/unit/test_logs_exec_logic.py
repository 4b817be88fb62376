"""The pure parts of ``logs`` and ``exec``: Docker's multiplexed stream cut into lines, the
flags (--tail, --since, --env), the line prefix, the JSON lines, the exec summary, and the
command line as Invoke parses it (``-f`` is --follow)."""
from __future__ import annotations

import datetime
import io
import json

import pytest
from invoke.parser import Parser

from dockerfab.engine.containerio import (
    LineSplitter,
    LogOptions,
    read_frames,
    read_raw,
    stream_lines,
)
from dockerfab.errors import UsageError
from dockerfab.fabric.containerwork import ExecOutcome, exec_summary
from dockerfab.fabric.flags import env_pairs, since_time, tail_lines
from dockerfab.output import JsonPrinter, TextPrinter
from dockerfab.output.text import prefixed
from dockerfab.tasks import ns


def frame(stream: int, payload: bytes) -> bytes:
    return bytes([stream, 0, 0, 0]) + len(payload).to_bytes(4, "big") + payload


class Trickle:
    """A reader that hands out at most ``step`` bytes per call (as a socket may)."""

    def __init__(self, data: bytes, step: int) -> None:
        self.data, self.step = data, step

    def read(self, size: int) -> bytes:
        chunk, self.data = self.data[:min(size, self.step)], self.data[min(size, self.step):]
        return chunk


@pytest.mark.parametrize("step", [1, 3, 4096])
def test_frames_are_cut_by_their_headers_however_the_bytes_arrive(step):
    data = frame(1, b"out one\nout ") + frame(2, b"err one\n") + frame(1, b"two\n")
    frames = list(read_frames(Trickle(data, step).read))
    assert frames == [("stdout", b"out one\nout "), ("stderr", b"err one\n"),
                      ("stdout", b"two\n")]


def test_a_stream_cut_inside_a_frame_ends_with_what_came():
    data = frame(1, b"whole\n") + frame(2, b"partial line")[:-4]
    assert list(read_frames(io.BytesIO(data).read)) == [("stdout", b"whole\n"),
                                                        ("stderr", b"partial ")]
    assert list(read_frames(io.BytesIO(b"\x01\x00\x00").read)) == []


def test_lines_span_frames_and_keep_their_stream():
    frames = [("stdout", b"a1\na"), ("stderr", b"e1\r\ne2"), ("stdout", b"2\n"),
              ("stderr", b"\n"), ("stdout", b"last, no line end")]
    assert list(stream_lines(iter(frames))) == [
        ("stdout", "a1"), ("stderr", "e1"), ("stdout", "a2"), ("stderr", "e2"),
        ("stdout", "last, no line end")]


def test_line_splitter_replaces_invalid_utf8_and_keeps_empty_lines():
    splitter = LineSplitter()
    assert splitter.feed(b"caf\xc3") == []
    assert splitter.feed(b"\xa9\n\n\xff\n") == ["café", "", "\ufffd"]
    assert splitter.flush() == []


def test_a_tty_stream_is_all_stdout():
    assert list(read_raw(io.BytesIO(b"x\ny").read, 1)) == [
        ("stdout", b"x"), ("stdout", b"\n"), ("stdout", b"y")]


def test_log_options_become_the_api_parameters():
    assert LogOptions().params() == {"stdout": 1, "stderr": 1, "follow": 0,
                                     "timestamps": 0, "tail": 100}
    params = LogOptions(tail=None, since=1700000000.25, follow=True,
                        timestamps=True).params()
    assert params["tail"] == "all" and params["follow"] == 1 and params["timestamps"] == 1
    assert params["since"] == "1700000000.250000000"


@pytest.mark.parametrize(("value", "back"), [("90s", 90), ("10m", 600), ("1h30m", 5400),
                                             ("2d", 172800), ("1.5h", 5400),
                                             ("250ms", 0.25)])
def test_since_as_a_duration_goes_back_from_now(value, back):
    assert since_time(value, 1_000_000.0) == pytest.approx(1_000_000.0 - back)


def test_since_as_a_time_or_timestamp():
    assert since_time("2026-12-01T10:00:00Z", 0) == datetime.datetime(
        2026, 12, 1, 10, tzinfo=datetime.UTC).timestamp()
    assert since_time("2026-12-01T12:00:00.5+02:00", 0) == datetime.datetime(
        2026, 12, 1, 10, 0, 0, 500000, tzinfo=datetime.UTC).timestamp()
    local = datetime.datetime(2026, 12, 1, 10, 0, 0)  # no offset: local time
    assert since_time("2026-12-01T10:00:00", 0) == local.timestamp()
    assert since_time("1700000000", 0) == 1700000000.0
    assert since_time(None, 5) is None and since_time("", 5) is None


@pytest.mark.parametrize("value", ["10x", "m10", "yesterday", "10 m", "-5m", "2026-13-01"])
def test_a_bad_since_is_a_usage_error(value):
    with pytest.raises(UsageError, match="--since must be a duration"):
        since_time(value, 0)


def test_tail_is_a_count_or_all():
    assert tail_lines("2") == 2 and tail_lines("0") == 0 and tail_lines(7) == 7
    assert tail_lines("all") is None and tail_lines("ALL") is None and tail_lines(None) is None
    for bad in ("-1", "ten", "1.5"):
        with pytest.raises(UsageError, match="--tail must be"):
            tail_lines(bad)


def test_env_takes_name_value_pairs():
    assert env_pairs(["A=1", "B=x=y", "C="]) == ("A=1", "B=x=y", "C=")
    assert env_pairs(None) == ()
    for bad in ("A", "=1", "A B=1"):
        with pytest.raises(UsageError, match="--env takes NAME=VALUE"):
            env_pairs([bad])


def test_text_lines_name_host_and_container():
    assert prefixed("web1", "app.web_server", "GET / 200") == "[web1] app.web_server | GET / 200"
    out = io.StringIO()
    printer = TextPrinter(stream=out)
    printer.line("web1", "app.web_server", "stdout", "hello")
    printer.line("web2", "app.web_server.2", "stderr", "oops")  # own stream: both there
    assert out.getvalue() == ("[web1] app.web_server | hello\n"
                              "[web2] app.web_server.2 | oops\n")


def test_text_stderr_lines_go_to_stderr(capsys):
    printer = TextPrinter()
    printer.line("web1", "app.db", "stdout", "to stdout")
    printer.line("web1", "app.db", "stderr", "to stderr")
    captured = capsys.readouterr()
    assert captured.out == "[web1] app.db | to stdout\n"
    assert captured.err == "[web1] app.db | to stderr\n"


def test_json_lines_then_the_document_on_one_line():
    from dockerfab.output.records import HostReport, RunInfo

    out = io.StringIO()
    printer = JsonPrinter(stream=out)
    printer.line("web1", "app.web", "stderr", "oops")
    printer.summary([HostReport("web1", "logs")], RunInfo("logs"))
    first, second = out.getvalue().splitlines()
    assert json.loads(first) == {"host": "web1", "container": "app.web", "stream": "stderr",
                                 "line": "oops"}
    assert json.loads(second)["task"] == "logs"
    printer.summary([HostReport("web1", "status")], RunInfo("status"))  # no lines: indented
    assert out.getvalue().splitlines()[2] == "{"


def test_exec_summary_names_each_container_that_did_not_exit_0():
    assert exec_summary([ExecOutcome("app.web", 0)]) == "exec: 1 container, 1 exited 0"
    assert exec_summary([ExecOutcome("app.web.1", 0), ExecOutcome("app.web.2", 3),
                         ExecOutcome("app.web.3", error="not running")]) == (
        "exec: 3 containers, 1 exited 0; app.web.2 exit status 3, app.web.3 not running")


def parse(*argv: str):
    return Parser(contexts=ns.to_contexts()).parse_argv(list(argv))


def test_logs_flags_and_follow_as_f():
    (call,) = parse("logs", "web_server", "-f", "--tail", "all", "--since", "10m",
                    "--timestamps", "--format", "json")
    assert call.as_kwargs == {"names": "web_server", "instances": None, "tail": "all",
                              "since": "10m", "follow": True, "timestamps": True,
                              "format": "json"}


def test_exec_flags_with_repeated_env():
    (call,) = parse("exec", "web_server", "--instance", "2", "--user", "nobody",
                    "--workdir", "/tmp", "--env", "A=1", "--env", "B=2")
    assert call.as_kwargs == {"name": "web_server", "instance": "2", "user": "nobody",
                              "workdir": "/tmp", "env": ["A=1", "B=2"], "format": None}
