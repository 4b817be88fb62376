"""Ctrl-C and SIGTERM, sent for real to the real ``dockerfab`` program working on bed hosts
over SSH: no new action starts, the actions in flight finish, a container a stop or
removal left broken is made whole again, the summary says what was and was not done, the
exit status is 130, a second Ctrl-C ends at once, and a re-run converges."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
import yaml

from tests.integration.fabric_helpers import (
    program_path,
    remove_map_objects,
    unique,
    write_project,
)

HOSTS = ("bed1", "bed2")
IMAGE = "dockerfab-test/base:latest"
STUBBORN = ["sh", "-c", "trap '' TERM; while :; do sleep 1; done"]  # a stop waits its time-out



@pytest.fixture
def project(bed, bed_api, tmp_path):
    name = unique("t_intr")
    yield tmp_path, name
    remove_map_objects(name, *(bed_api(bed.host(host)) for host in HOSTS))


class Run:
    """``dockerfab`` running in the background; its stdout lines with arrival times."""

    def __init__(self, directory: Path, ssh_config: Path, *args: str) -> None:
        env = dict(os.environ)
        env.pop("SSH_AUTH_SOCK", None)
        self.argv = [program_path("dockerfab"), "-S", str(ssh_config), *args]
        self.proc = subprocess.Popen(self.argv, cwd=directory, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                     text=True, env=env)
        self.lines: list[tuple[float, str]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append((time.time(), line.rstrip("\n")))

    def wait_for(self, pattern: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not any(re.search(pattern, line) for _, line in self.lines):
            assert self.proc.poll() is None, f"ended before {pattern!r}:\n{self.stdout}"
            assert time.monotonic() < deadline, f"no {pattern!r}:\n{self.stdout}"
            time.sleep(0.05)

    def signal(self, signum: int = signal.SIGINT) -> float:
        sent = time.time()
        os.kill(self.proc.pid, signum)
        return sent

    def finish(self, timeout: float = 60) -> tuple[int, str, str]:
        code = self.proc.wait(timeout)
        self._reader.join(5)
        assert self.proc.stderr is not None
        stderr = self.proc.stderr.read()
        print(f"$ {' '.join(self.argv)}\n{self.stdout}\n{stderr}")
        return code, self.stdout, stderr

    @property
    def stdout(self) -> str:
        return "\n".join(line for _, line in self.lines)

    def started_before(self, when: float) -> set[str]:
        """``action item`` of every action whose start line came before ``when``."""
        return {f"{m.group(1)} {m.group(2)}" for t, line in self.lines if t <= when
                for m in [re.search(r"\] (\w+) (\S+) \.\.\.", line)] if m}


def write_map(directory: Path, name: str, configs: dict) -> None:
    (directory / "map.yaml").write_text(yaml.safe_dump({"name": name, **configs}))
    write_project(directory, {"maps": ["map.yaml"]})


def dockerfab(directory: Path, ssh_config: Path, *args: str) -> tuple[int, str]:
    run = Run(directory, ssh_config, *args)
    code, out, _ = run.finish(120)
    return code, out


def created_on(api, name: str, since: float) -> set[str]:
    """Containers of the map the daemon created since ``since`` (its event stream)."""
    events = api.events(since=int(since) - 1, until=int(time.time()) + 1, decode=True,
                        filters={"type": "container", "event": "create",
                                 "label": f"dockerfab.map={name}"})
    return {e["Actor"]["Attributes"]["name"] for e in events}


def states(api, name: str) -> dict[str, str]:
    return {c["Names"][0].lstrip("/"): c["State"]
            for c in api.containers(all=True, filters={"label": f"dockerfab.map={name}"})}


def two_levels(delay: float) -> dict:
    """Three containers that take ``delay`` seconds to start each, three that link them."""
    configs: dict = {f"a{i}": {"image": IMAGE, "start_delay": delay, "stop_timeout": 1}
                     for i in range(3)}
    configs.update({f"b{i}": {"image": IMAGE, "links": [f"a{i}"], "stop_timeout": 1}
                    for i in range(3)})
    return configs


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_startup_on_two_hosts(project, ssh_config, bed, bed_api, signum):
    directory, name = project
    write_map(directory, name, two_levels(delay=2))
    t0 = time.time()
    run = Run(directory, ssh_config, "-H", ",".join(HOSTS), "startup", "__all__")
    for host in HOSTS:
        run.wait_for(rf"\[{host}\] start {name}\.a\d \.\.\.")
    sent = run.signal(signum)
    code, out, err = run.finish()
    sig = signal.Signals(signum).name
    assert code == 130
    assert f"dockerfab: {sig}: finishing the actions in flight" in err
    assert "Traceback" not in out + err
    started = run.started_before(sent)
    for host in HOSTS:
        api = bed_api(bed.host(host))
        # what the daemon did: only what had started before the signal ...
        assert {f"create {c}" for c in created_on(api, name, t0)} <= started
        # ... and it was finished: the first level is up, the second never began
        assert states(api, name) == {f"{name}.a{i}": "running" for i in range(3)}
        line = next(li for li in out.splitlines() if li.startswith(f"[{host}] INTERRUPTED"))
        assert f"interrupted ({sig}): 6 of 12 actions done" in line
        assert f"not started: create {name}.b" in line
        assert re.search(rf"^{host}\s+3\s+3\s+.*INTERRUPTED$", out, re.MULTILINE)
    assert not re.search(rf"\] (create|start) {name}\.b\d", out)  # no new action started

    code, out = dockerfab(directory, ssh_config, "-H", ",".join(HOSTS), "startup", "__all__")
    assert code == 0
    code, out = dockerfab(directory, ssh_config, "-H", ",".join(HOSTS), "update", "__all__",
                          "--dry-run")
    assert code == 0 and out.count("update: nothing to do") == len(HOSTS)


def test_interrupted_update_makes_containers_whole_again(project, ssh_config, bed, bed_api):
    """SIGINT while update stops the container it re-creates (a slow stop): the stop
    finishes, the removal does not start, the old container is started again; its
    dependent, already removed, is created at once. Nothing is missing afterwards."""
    directory, name = project
    host = HOSTS[0]
    api = bed_api(bed.host(host))
    configs = {"db": {"image": IMAGE, "stop_timeout": 3,
                      "create_options": {"command": STUBBORN, "environment": {"V": "1"}}},
               "app": {"image": IMAGE, "links": ["db"], "stop_timeout": 1,
                       "create_options": {"environment": {"V": "1"}}}}
    write_map(directory, name, configs)
    assert dockerfab(directory, ssh_config, "-H", host, "startup", "__all__")[0] == 0
    db_before = api.inspect_container(f"{name}.db")["Id"]
    for config in configs.values():
        config["create_options"]["environment"]["V"] = "2"
    write_map(directory, name, configs)

    run = Run(directory, ssh_config, "-H", host, "update", "__all__")
    run.wait_for(rf"stop {name}\.db \.\.\.")
    run.signal(signal.SIGINT)
    code, out, _ = run.finish()
    assert code == 130
    (line,) = [li for li in out.splitlines() if li.startswith(f"[{host}] INTERRUPTED")]
    assert "made whole again:" in line and f"{name}.db" in line
    assert f"not started: remove {name}.db" in line
    assert "missing" not in line
    db = api.inspect_container(f"{name}.db")
    assert db["Id"] == db_before and db["State"]["Running"]  # the old one, running again
    app = api.inspect_container(f"{name}.app")
    assert app["State"]["Running"] and "V=2" in app["Config"]["Env"]

    assert dockerfab(directory, ssh_config, "-H", host, "update", "__all__")[0] == 0
    assert "V=2" in api.inspect_container(f"{name}.db")["Config"]["Env"]
    code, out = dockerfab(directory, ssh_config, "-H", host, "update", "__all__", "--dry-run")
    assert code == 0 and "update: nothing to do" in out


def test_second_interrupt_ends_at_once(project, ssh_config, bed, bed_api):
    directory, name = project
    host = HOSTS[0]
    write_map(directory, name, {f"a{i}": {"image": IMAGE, "start_delay": 60,
                                          "stop_timeout": 1} for i in range(2)})
    run = Run(directory, ssh_config, "-H", host, "startup", "__all__")
    run.wait_for(rf"start {name}\.a\d \.\.\.")
    time.sleep(0.3)  # both starts in flight: each would take 60 s
    run.signal(signal.SIGINT)
    time.sleep(0.3)
    run.signal(signal.SIGINT)
    code, _, err = run.finish(timeout=15)  # far less than the starts in flight would take
    assert code == 130
    assert "SIGINT again: stopping now" in err
    # ended at once, like a killed run: its deploy lock stays until removed (exit 5)
    assert dockerfab(directory, ssh_config, "-H", host, "startup", "__all__")[0] == 5
    assert dockerfab(directory, ssh_config, "-H", host, "unlock")[0] == 0
    code, _ = dockerfab(directory, ssh_config, "-H", host, "startup", "__all__")
    assert code == 0
    assert set(states(bed_api(bed.host(host)), name).values()) == {"running"}
