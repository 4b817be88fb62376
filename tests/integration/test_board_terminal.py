"""The live board in a real terminal: ``dockerfab`` runs inside a detached ``tmux`` pane of a
fixed size against bed hosts and a host that cannot be reached, and the test reads the
screen (``tmux capture-pane``) while it runs and after it ended, as a user would see it."""
from __future__ import annotations

import re
import shlex
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import yaml

from tests.integration.fabric_helpers import (
    UNREACHABLE,
    program_path,
    remove_map_objects,
    unique,
    write_project,
)

HOSTS = ("bed1", "bed2", "bed3")
IMAGE = "dockerfab-test/base:latest"
IDLE = "trap 'exit 0' TERM; while :; do sleep 1 & wait $!; done"
WIDTH, HEIGHT = 120, 40


@pytest.fixture(scope="module")
def ssh_config_nohost(ssh_config):
    """The module's ssh_config, plus ``nohost``: an address where no host answers."""
    with ssh_config.open("a") as f:
        f.write(f"Host nohost\n    HostName {UNREACHABLE}\n    User root\n")
    return ssh_config


@pytest.fixture
def project(bed, bed_api, tmp_path):
    """A map of three containers in a chain (three steps), each taking two seconds to start."""
    name = unique("t_board")
    configs: dict = {}
    for i in range(3):
        configs[f"c{i}"] = {"image": IMAGE, "start_delay": 2, "stop_timeout": 1,
                            "create_options": {"command": ["sh", "-c", IDLE]}}
        if i:
            configs[f"c{i}"]["links"] = [f"c{i - 1}"]
    (tmp_path / "map.yaml").write_text(yaml.safe_dump({"name": name, **configs}))
    write_project(tmp_path, {"maps": ["map.yaml"], "wait": False})
    settings = yaml.safe_load((tmp_path / "fabric.yaml").read_text())
    # nohost fails after 4 s (its handshake starts before the board shows it): time for the
    # board to show it connecting and bed3 waiting for its turn, while bed1 and bed2 are
    # still at work on their chains (about 6 s) when bed3 gets it
    settings["timeouts"]["connect"] = 4
    (tmp_path / "fabric.yaml").write_text(yaml.safe_dump(settings))
    yield tmp_path, name
    remove_map_objects(name, *(bed_api(bed.host(host)) for host in HOSTS))


class Pane:
    """A detached tmux session of its own server (``-L``), running one command."""

    def __init__(self, directory: Path, argv: list[str]) -> None:
        self.server = f"dockerfab-test-{uuid.uuid4().hex[:8]}"
        command = (f"cd {shlex.quote(str(directory))} && env -u SSH_AUTH_SOCK -u NO_COLOR "
                   f"TERM=xterm-256color {shlex.join(argv)}; echo BOARD-EXIT=$?; sleep 300")
        self.tmux("new-session", "-d", "-s", "board", "-x", str(WIDTH), "-y", str(HEIGHT),
                  command)

    def tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.server, *args], check=True,
                              capture_output=True, text=True, timeout=10).stdout

    def screen(self) -> list[str]:
        """The visible lines, as the terminal shows them (trailing blanks dropped)."""
        text = self.tmux("capture-pane", "-p", "-t", "board")
        lines = [line.rstrip() for line in text.split("\n")]
        while lines and not lines[-1]:
            lines.pop()
        return lines

    def value(self, name: str) -> str:
        return self.tmux("display-message", "-p", "-t", "board", f"#{{{name}}}").strip()

    def watch(self, until: str, timeout: float = 60) -> list[list[str]]:
        """Screens sampled every 0.1 s until a line matches ``until``."""
        samples: list[list[str]] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            samples.append(self.screen())
            if any(re.search(until, line) for line in samples[-1]):
                return samples
            time.sleep(0.1)
        raise AssertionError(f"no {until!r} on the screen:\n" + "\n".join(samples[-1]))

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.server, "kill-server"], check=False,
                       capture_output=True, timeout=10)


@pytest.fixture
def pane_of():
    panes: list[Pane] = []

    def start(directory: Path, argv: list[str]) -> Pane:
        pane = Pane(directory, argv)
        panes.append(pane)
        return pane
    yield start
    for pane in panes:
        pane.close()


def dockerfab_argv(ssh_config: Path, *args: str) -> list[str]:
    return [program_path("dockerfab"), "-S", str(ssh_config), *args]


def test_board_redrawn_in_place_with_failure_and_summary(project, ssh_config_nohost, pane_of,
                                                         bed, bed_api):
    directory, name = project
    # three at once: bed3 waits until nohost has failed
    pane = pane_of(directory, dockerfab_argv(ssh_config_nohost, "--parallel", "3", "-H",
                                             ",".join(("nohost", *HOSTS)), "startup",
                                             "__all__"))
    samples = pane.watch(r"^BOARD-EXIT=")
    final = samples[-1]
    print("\n".join(["--- during the run:", *samples[len(samples) // 3],
                     "--- later:", *samples[2 * len(samples) // 3],
                     "--- at the end:", *final]))
    during = [screen for screen in samples  # before the summary
              if not any(line.startswith("summary: ") for line in screen)]

    # a row per host, redrawn in place: the step moves on, the screen does not fill up
    steps = {m.group(1) for screen in during for line in screen
             for m in [re.match(rf"bed1\s+running\s+(?:create|start) {name}\.c\d.*"
                                r"step (\d)/\d", line)] if m}
    assert len(steps) >= 2, steps  # e.g. start c0 (step 2), then start c1 (step 4)
    assert any(all(any(re.match(rf"{h}\s+running\s", line) for line in screen)
                   for h in HOSTS) for screen in during)  # bed3 too, once it had its turn
    titles = [line for screen in during for line in screen if line.startswith("startup  ")]
    assert any(re.match(r"startup  4 hosts: 2 running, 1 connecting, 1 waiting", line)
               or re.match(r"startup  4 hosts: 3 connecting, 1 waiting", line)
               for line in titles), titles
    assert any(re.match(r"startup  4 hosts: 3 running, 1 failed", line) for line in titles)
    assert max(len(screen) for screen in during) <= 8  # title, 4 rows, the error line
    action_line = re.compile(r"\d\d:\d\d:\d\d\.\d{3} \[bed\d\] (create|start) ")
    assert not any(action_line.search(line) for screen in samples for line in screen)

    # the unreachable host: its reason on the board and its error line above it
    error = next(line for line in final if line.startswith("[nohost] ERROR startup: "))
    reason = error.split(": ", 1)[1]  # cannot connect / SSH connection timed out
    assert any(re.match(rf"nohost\s+FAILED\s+{re.escape(reason)}\s+\d+\.\ds$", line)
               for screen in during for line in screen)

    # the end: the board's last state, the summary, the exit status; nothing scrolled away
    assert "BOARD-EXIT=1" in final
    assert any(re.match(r"startup\s+4 hosts: 3 done, 1 failed\s+\d+\.\ds$", line)
               for line in final)
    summary = final.index(next(line for line in final if line.startswith("summary: ")))
    table = [line.split() for line in final[summary + 1:summary + 6]]
    assert table[0][:3] == ["HOST", "CREATED", "STARTED"]
    assert {row[0]: (row[1], row[2], row[-1]) for row in table[1:]} == {
        "bed1": ("3", "3", "ok"), "bed2": ("3", "3", "ok"), "bed3": ("3", "3", "ok"),
        "nohost": ("0", "0", "FAILED")}
    assert pane.value("history_size") == "0"
    assert pane.value("cursor_flag") == "1"  # the cursor is back
    for host in HOSTS:
        running = [c["State"] for c in bed_api(bed.host(host)).containers(
            all=True, filters={"label": f"dockerfab.map={name}"})]
        assert running == ["running"] * 3


def test_an_all_ok_board_makes_way_for_the_summary(project, ssh_config_nohost, pane_of):
    directory, _ = project
    pane = pane_of(directory, dockerfab_argv(ssh_config_nohost, "-H", "bed1", "startup", "c0"))
    samples = pane.watch(r"^BOARD-EXIT=")
    final = samples[-1]
    print("\n".join(final))
    assert any(line.startswith("startup  1 host: 1 running")
               for screen in samples for line in screen)
    assert "BOARD-EXIT=0" in final
    assert not any(line.startswith("startup  1 host") for line in final)
    summary = final.index(next(line for line in final if line.startswith("summary: ")))
    assert final[summary + 2].split()[:3] == ["bed1", "1", "1"]
    assert final[summary + 2].split()[-1] == "ok"


def test_no_board_flag_prints_lines_on_a_terminal(project, ssh_config_nohost, pane_of):
    """``--no-board`` on the same terminal: a line per action, as in a log."""
    directory, name = project
    pane = pane_of(directory, dockerfab_argv(ssh_config_nohost, "--no-board", "-H", "bed1",
                                             "startup", "c0"))
    final = pane.watch(r"^BOARD-EXIT=")[-1]
    assert "BOARD-EXIT=0" in final
    assert any(re.search(rf"\[bed1\] start {name}\.c0 done", line) for line in final)
    assert not any(line.startswith("startup  1 host") for line in final)


def test_second_ctrl_c_leaves_the_terminal_sane(project, ssh_config_nohost, pane_of):
    """Ctrl-C twice while the board shows a host connecting: the process ends at once
    (130) and the terminal has its cursor back."""
    directory, _ = project
    pane = pane_of(directory, dockerfab_argv(ssh_config_nohost, "-H", "nohost", "startup",
                                             "__all__"))
    pane.watch(r"^nohost\s+connecting")
    pane.tmux("send-keys", "-t", "board", "C-c")
    pane.watch(r"dockerfab: SIGINT: finishing the actions in flight")
    pane.tmux("send-keys", "-t", "board", "C-c")
    final = pane.watch(r"^BOARD-EXIT=", timeout=10)[-1]
    print("\n".join(final))
    assert "BOARD-EXIT=130" in final
    assert any("dockerfab: SIGINT again: stopping now" in line for line in final)
    assert pane.value("cursor_flag") == "1"


def test_ctrl_c_keeps_the_interrupted_host_on_the_board(project, ssh_config_nohost, pane_of):
    """One Ctrl-C while bed1 starts the chain: the actions in flight finish, the board
    ends showing bed1 INTERRUPTED with what was not done, then the summary (exit 130)."""
    directory, name = project
    pane = pane_of(directory, dockerfab_argv(ssh_config_nohost, "-H", "bed1", "startup",
                                             "__all__"))
    pane.watch(rf"^bed1\s+running\s+start {name}\.c0")
    pane.tmux("send-keys", "-t", "board", "C-c")
    final = pane.watch(r"^BOARD-EXIT=")[-1]
    print("\n".join(final))
    assert "BOARD-EXIT=130" in final
    assert any("dockerfab: SIGINT: finishing the actions in flight" in line for line in final)
    assert any(re.match(r"startup  1 host: 1 interrupted", line) for line in final)
    assert any(re.match(r"bed1\s+INTERRUPTED\s+interrupted \(SIGINT\): \d of 6 actions done",
                        line) for line in final)
    summary = final.index(next(line for line in final if line.startswith("summary: ")))
    assert final[summary + 2].split()[0] == "bed1"
    assert final[summary + 2].split()[-1] == "INTERRUPTED"
    assert pane.value("cursor_flag") == "1"
