"""A fleet host of ``up --hosts N`` (tests/bed/fleet.py) comes up as a plain bed host and goes
away again, leaving bed1..bed3 and any other fleet host alone.

The test brings up one host itself, the highest-numbered one that is not there (bed100
unless a large fleet is up), under the bed's lock (so no ``up``/``down`` runs meanwhile),
checks it with a known_hosts of its own, and removes it: the bed's state and ssh files stay
as they were. (One host, once: about 3 s.)
"""
from __future__ import annotations

import fcntl
import subprocess
from pathlib import Path

import docker
import paramiko

from tests.bed import Bed, fleet, net, ssh
from tests.bed.layout import (
    EVERY_EXTRA_HOST,
    KNOWN_HOSTS,
    LOCAL_DOCKER_SOCKET,
    LOCK_FILE,
    STATE_FILE,
    HostLayout,
)


def ssh_lines(bed: Bed, host: HostLayout, known_hosts: Path, command: str) -> list[str]:
    """Run ``command`` on ``host`` over SSH, its host key checked; its output lines."""
    key_type, key = ssh.ensure_key(host.host_key, "").split()[:2]
    known_hosts.write_text(f"{host.address} {key_type} {key}\n")
    client = paramiko.SSHClient()
    client.load_host_keys(str(known_hosts))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect(host.address, username="root", key_filename=bed.key_file,
                   look_for_keys=False, allow_agent=False, timeout=10)
    try:
        _, out, err = client.exec_command(command, timeout=30)
        lines = out.read().decode().splitlines()
        assert out.channel.recv_exit_status() == 0, err.read().decode()
        return lines
    finally:
        client.close()


def test_a_fleet_host_comes_up_as_a_docker_host_of_its_own_and_goes_away(
        bed: Bed, tmp_path: Path) -> None:
    there = {h.name for h in fleet.present()}
    free = [h for h in reversed(EVERY_EXTRA_HOST) if h.name not in there]
    assert free, "every fleet host is up: run `python -m tests.testbed down --extra` first"
    host = free[0]
    daemons = {h.name: (h.dockerd_pid, h.sshd_pid) for h in bed.hosts}
    state_before, known_before = STATE_FILE.read_text(), KNOWN_HOSTS.read_text()
    with open(LOCK_FILE, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        local = docker.APIClient(base_url=f"unix://{LOCAL_DOCKER_SOCKET}", version="auto")
        try:
            ssh.ensure_ssh_files([host])
            net.ensure_fleet_address()
            up, failed = fleet.bring_up([host], local, bed.images)
            assert failed == [] and [h.name for h in up] == [host.name]
            lines = ssh_lines(bed, host, tmp_path / "known_hosts",
                              "hostname; docker info --format '{{.ID}}'; "
                              "docker images --format '{{.Repository}}:{{.Tag}} {{.ID}}'")
            routes = net.route_problems(host)
            probes = {where: subprocess.run(["ip", "-n", host.netns, "route", "get", where],
                                            check=False, capture_output=True).returncode
                      for where in ("198.18.0.1", "198.18.0.11", "203.0.113.1")}
        finally:
            local.close()
            fleet.remove([host])
            fleet.release_bridge_address()
    assert lines[0] == host.name
    bed1 = bed.host("bed1").docker_api()
    try:
        assert lines[1] and lines[1] != bed1.info()["ID"]
    finally:
        bed1.close()
    images = dict(line.split() for line in lines[2:])
    base = "dockerfab-test/base:latest"
    assert bed.images[base].startswith("sha256:" + images[base])
    # confined: the registries' address, not bed1, not outside
    assert routes == []
    assert probes == {"198.18.0.1": 0, "198.18.0.11": 2, "203.0.113.1": 2}
    # gone without a trace, and nothing else touched
    assert not host.netns_path.exists() and not host.run_dir.exists()
    assert not host.data_dir.exists()
    assert subprocess.run(["pgrep", "-f", str(host.data_root)], check=False,
                          capture_output=True).returncode == 1
    assert (STATE_FILE.read_text(), KNOWN_HOSTS.read_text()) == (state_before, known_before)
    assert {h.name: (h.dockerd_pid, h.sshd_pid) for h in bed.hosts} == daemons
    assert [p for h in bed.hosts for p in h.problems()] == []
