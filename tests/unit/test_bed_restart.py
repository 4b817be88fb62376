"""The bed starts a daemon again when it exits while starting (dockerd giving up on its
containerd on a loaded machine made a whole CI run fail before any test ran)."""
from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests.bed.system import ProcessExited, start_detached, wait_started


def test_a_daemon_that_exits_while_starting_is_started_again(tmp_path: Path) -> None:
    log, ready_file = tmp_path / "daemon.log", tmp_path / "ready"
    starts: list[int] = []

    def start() -> int:
        starts.append(1)
        script = ("echo 'failed to start containerd: timeout'; exit 1" if len(starts) == 1
                  else f"touch {ready_file}; sleep 30")
        return start_detached(["sh", "-c", script], log)

    pid = wait_started(start(), ready_file.exists, "the daemon", log, start)
    assert len(starts) == 2 and ready_file.exists()
    assert "failed to start containerd" in log.read_text()
    os.kill(pid, signal.SIGTERM)


def test_it_gives_up_after_the_last_attempt_quoting_the_log(tmp_path: Path) -> None:
    log = tmp_path / "daemon.log"

    def start() -> int:
        return start_detached(["sh", "-c", "echo no containerd here; exit 1"], log)

    with pytest.raises(ProcessExited, match="no containerd here"):
        wait_started(start(), lambda: False, "the daemon", log, start, attempts=2)
