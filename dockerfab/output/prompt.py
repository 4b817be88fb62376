"""Yes/no questions on the terminal, one at a time."""
from __future__ import annotations

import contextlib
import sys
import threading
from typing import Any


def confirm(question: str, reporter: Any, lock: threading.Lock) -> bool:
    """Ask ``question [y/N]`` and read the answer from stdin; with JSON output the question
    goes to stderr, so stdout stays one JSON document; a live board stops redrawing while
    the question waits. ``lock``: one question at a time."""
    out = sys.stderr if getattr(reporter.printer, "mode", "text") == "json" else sys.stdout
    paused = getattr(reporter.printer, "paused", contextlib.nullcontext)
    with lock, paused():
        out.write(f"{question} [y/N] ")
        out.flush()
        answer = sys.stdin.readline().strip().lower()
    return answer in ("y", "yes")
