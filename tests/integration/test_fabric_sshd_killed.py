"""Issue 4: the sshd process serving dockerfab's connection to one host dies mid-run. That host
gets one error line naming it and the cause, the other host finishes, the exit status says
so, and running again converges. The process is really killed (SIGKILL) on the bed host; the
bed's sshd listener keeps running, so the re-run can connect."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import yaml

from tests.integration.fabric_helpers import (
    program_path,
    remove_map_objects,
    run_program,
    unique,
    write_project,
    write_ssh_config,
)
from tests.integration.fault_tools import hex_address, socket_inodes, sshd_serving

CONFIGS = ("first", "second", "third")


@pytest.fixture
def project(bed, bed_api, tmp_path):
    """A map of three containers in a chain (links), each waiting 3 s after its start
    (``start_delay``), so a run takes long enough to lose its connection in the middle."""
    name = unique("dfkill")
    data = {"name": name}
    previous = None
    for config in CONFIGS:
        data[config] = {"image": "dockerfab-test/base", "start_delay": 3, "stop_timeout": 1,
                        **({"links": previous} if previous else {})}
        previous = config
    (tmp_path / "map.yaml").write_text(yaml.safe_dump(data))
    write_project(tmp_path, {"maps": ["map.yaml"]})
    yield tmp_path, name
    remove_map_objects(name, bed_api("bed1"), bed_api("bed2"))


def states(api, name: str) -> dict[str, str]:
    return {c["Names"][0].lstrip("/"): c["State"]
            for c in api.containers(all=True, filters={"label": f"dockerfab.map={name}"})}


def sshd_serving_process(client_pid: int, host) -> list[int]:
    """The sshd processes (below the host's sshd listener) holding the server end of the
    one TCP connection that process ``client_pid`` has open to ``host``."""
    server = hex_address(host.address, host.ssh_port)
    ours = socket_inodes(client_pid)
    with open(f"/proc/{client_pid}/net/tcp") as table:
        rows = [line.split() for line in list(table)[1:]]
    client_ends = [r[1] for r in rows if r[2] == server and int(r[9]) in ours]
    if len(client_ends) != 1:
        return []
    client_port = int(client_ends[0].split(":")[1], 16)
    return sshd_serving(host.sshd_pid, host.address, host.ssh_port, client_port)


def test_sshd_killed_mid_run_fails_that_host_only(bed, bed_api, project, tmp_path_factory):
    directory, name = project
    ssh_config = write_ssh_config(bed, tmp_path_factory.mktemp("ssh"))
    bed2 = bed.host("bed2")
    argv = [program_path("dockerfab"), "-S", str(ssh_config), "-H", "bed1,bed2",
            "startup", "third"]
    env = {k: v for k, v in os.environ.items() if k != "SSH_AUTH_SOCK"}
    run = subprocess.Popen(argv, cwd=directory, env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # mid-run: bed2 has started its first container and is in its start delay
        deadline = time.monotonic() + 60
        while "running" not in states(bed_api("bed2"), name).values() and run.poll() is None:
            assert time.monotonic() < deadline, "bed2 never got its first container"
            time.sleep(0.1)
        assert run.poll() is None, "the run ended before the kill"
        killed = sshd_serving_process(run.pid, bed2)
        assert killed, "no sshd process serves dockerfab's connection to bed2"
        for pid in killed:
            os.kill(pid, signal.SIGKILL)
        stdout, stderr = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()
    sys.stdout.write(f"$ {' '.join(argv)}\n{stdout}{stderr}\n")

    assert run.returncode == 1
    assert states(bed_api("bed1"), name) == {f"{name}.{c}": "running" for c in CONFIGS}
    assert len(states(bed_api("bed2"), name)) < len(CONFIGS)  # it really stopped midway
    errors = [line for line in stdout.splitlines() if " ERROR " in line]
    assert len(errors) == 1, errors
    assert errors[0].startswith("[bed2] ERROR startup: ")  # the host, then the cause
    assert errors[0].endswith("SSH connection lost")
    assert "Traceback" not in stdout + stderr and stderr.strip() == ""
    summary = {line.split()[0]: line.split()[-1] for line in stdout.splitlines()
               if line.startswith(("bed1 ", "bed2 "))}
    assert summary == {"bed1": "ok", "bed2": "FAILED"}

    # the bed's sshd listener survived; the next run converges
    os.kill(bed2.sshd_pid, 0)
    again = run_program("dockerfab", directory, ssh_config, "-H", "bed1,bed2",
                        "startup", "third")
    assert again.returncode == 0, again.stdout + again.stderr
    for host in ("bed1", "bed2"):
        assert states(bed_api(host), name) == {f"{name}.{c}": "running" for c in CONFIGS}
    assert f"[bed1] create {name}." not in again.stdout
