"""dial-stdio mode within the server's session budget (issue 10). A second sshd runs in
bed3's namespaces with sshd's default ``MaxSessions 10`` (the bed's own allows 100), or
with only 3; more commands, API calls and log streams run at once than it allows
sessions. None fails: dockerfab keeps at most 10 sessions open, hands back idle pooled
ones when commands need them, and backs off and retries when the server refuses one."""
from __future__ import annotations

import threading
import time

import pytest
import yaml
from fabric import Config

from dockerfab.fabric.run import HostTarget, close_session, open_session
from dockerfab.fabric.settings import DockerSettings
from dockerfab.output import Reporter
from dockerfab.ssh.sessions import SESSION_BUDGET, open_sessions
from tests.integration.fabric_helpers import (
    fabric_overrides,
    program_path,
    remove_map_objects,
    unique,
)
from tests.integration.fault_tools import extra_sshd


@pytest.fixture
def talker(bed, bed_api):
    """A container on bed3 printing a line every 0.1 s for ~3 s, then exiting."""
    api = bed_api("bed3")
    name = unique("dfses")
    container = api.create_container(
        "dockerfab-test/base", name=name,
        command=["sh", "-c", ("i=0; while [ $i -lt 30 ]; do echo line $i; i=$((i+1)); "
                             "sleep 0.1; done")])
    api.start(container)
    yield name
    api.remove_container(container, force=True)


def load(s, talker: str, commands: int, calls: int, streams: int) -> list[BaseException]:
    """Run everything at once; return the errors; sample our open sessions meanwhile."""
    errors: list[BaseException] = []
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], open_sessions(s.connection.transport))
            time.sleep(0.005)

    def guarded(fn):
        def run():
            try:
                fn()
            except BaseException as exc:  # noqa: BLE001 - collected for the test
                errors.append(exc)
        return run

    def command(i):
        assert s.client.run_cmd(f"sleep 0.3; echo {i}").strip() == str(i)

    def stream():
        lines = b"".join(s.client.logs(talker, stream=True, follow=True))
        assert b"line 29" in lines

    work = ([lambda i=i: command(i) for i in range(commands)]
            + [lambda: s.client.containers(all=True) for _ in range(calls)]
            + [stream for _ in range(streams)])
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    threads = [threading.Thread(target=guarded(fn), daemon=True) for fn in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    done.set()
    assert not any(t.is_alive() for t in threads), "work still waiting"
    s.peak = peak[0]
    return errors


@pytest.mark.parametrize(("max_sessions", "streams"), [(10, 6), (3, 1)])
def test_more_work_than_sessions_never_fails(bed, talker, tmp_path, max_sessions, streams):
    with extra_sshd(bed.host("bed3"), tmp_path, max_sessions) as (_port, ssh_config):
        config = Config(runtime_ssh_path=str(ssh_config), overrides=fabric_overrides())
        s = open_session(HostTarget("bed3-extra"), config, DockerSettings(mode="dial-stdio"),
                         Reporter())
        try:
            assert s.client.ssh_endpoint.mode == "dial-stdio"
            errors = load(s, talker, commands=20, calls=20, streams=streams)
            assert errors == []
            assert s.peak <= min(SESSION_BUDGET, 10)
            assert s.client.run_cmd("hostname").strip() == "bed3"
        finally:
            close_session(s)
        log = (tmp_path / "sshd.log").read_text()
        if max_sessions == 3:  # the server did refuse; the work went through regardless
            assert "no more sessions" in log or "session_new" in log or "refused" in log \
                or "open failed" in log, log[-2000:]


def test_many_volume_preparations_in_dial_stdio_mode(bed, bed_api, tmp_path):
    """A real startup: twelve containers each preparing an attached volume with run_cmd
    (chown/chmod on the host), at the engine's full concurrency, against MaxSessions 10."""
    import subprocess

    name = unique("dfvol")
    data = {"name": name, "volumes": {f"v{i}": f"/data/v{i}" for i in range(12)}}
    for i in range(12):
        data[f"c{i}"] = {"image": "dockerfab-test/base", "attaches": f"v{i}", "user": 2000,
                         "permissions": "u=rwX,g=rX,o=", "stop_timeout": 1}
    (tmp_path / "map.yaml").write_text(yaml.safe_dump(data))
    (tmp_path / "fabric.yaml").write_text(yaml.safe_dump(
        {**fabric_overrides(), "docker": {"maps": ["map.yaml"], "mode": "dial-stdio"}}))
    api = bed_api("bed3")
    sshd_dir = tmp_path / "sshd"
    sshd_dir.mkdir()
    try:
        with extra_sshd(bed.host("bed3"), sshd_dir, 10) as (_port, ssh_config):
            for attempt in ("first", "again"):
                proc = subprocess.run([program_path("dockerfab"), "-S", str(ssh_config),
                                       "-H", "bed3-extra", "startup", "__all__"],
                                      check=False, cwd=tmp_path, capture_output=True,
                                      text=True,
                                      timeout=300, stdin=subprocess.DEVNULL)
                print(proc.stdout, proc.stderr)
                assert proc.returncode == 0, proc.stdout + proc.stderr
                if attempt == "first":
                    assert proc.stdout.count("prepare_volume") >= 12
                else:  # converged: nothing left to do
                    assert "prepare_volume" not in proc.stdout
        running = api.containers(filters={"label": f"dockerfab.map={name}"})
        assert len(running) == 12
    finally:
        remove_map_objects(name, api)
