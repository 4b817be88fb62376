"""The test bed behaves like three real Docker hosts reached over SSH.

Checks what the other integration tests rely on: real SSH with host-key checking, one daemon
per host, the test images everywhere, test containers that stop at once, and a network that
stays inside 198.18.0.0/24.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker
import fabric
import paramiko
import pytest

from tests.bed import Bed, BedHost, load_bed
from tests.bed.images import LABEL
from tests.bed.layout import HOSTS
from tests.bed.net import route_problems
from tests.bed.ssh import HOST_BASHRC_TEXT, user_bashrc

PREFIX = f"dfbed-{uuid.uuid4().hex[:8]}"
ApiFor = Callable[[BedHost | str], docker.APIClient]


def ssh_run(host: BedHost, command: str) -> str:
    """Run ``command`` on ``host`` over SSH (known_hosts checked); its stdout, asserting exit 0."""
    client = host.ssh_client()
    try:
        _, stdout, stderr = client.exec_command(command, timeout=30)
        out, err = stdout.read().decode(), stderr.read().decode()
        assert stdout.channel.recv_exit_status() == 0, f"{host.name}: {command}: {err}"
        return out
    finally:
        client.close()


@pytest.fixture
def run_container(bed_api: ApiFor) -> Iterator[Callable[..., str]]:
    """Create and start a container on a bed host; removed afterwards."""
    made: list[tuple[docker.APIClient, str]] = []

    def run(host: str, image: str, ports: tuple[int, ...] = ()) -> str:
        """Start ``image`` on ``host``, publishing ``ports`` on free host ports."""
        api = bed_api(host)
        name = f"{PREFIX}-{len(made)}"
        host_config = api.create_host_config(port_bindings={port: None for port in ports})
        container = api.create_container(image, name=name, ports=list(ports),
                                         host_config=host_config)
        made.append((api, container["Id"]))
        api.start(container["Id"])
        return str(container["Id"])

    yield run
    for api, container_id in made:
        api.remove_container(container_id, force=True)


def stop_seconds(api: docker.APIClient, container_id: str) -> float:
    started = time.monotonic()
    api.stop(container_id, timeout=10)
    return time.monotonic() - started


def test_docker_over_ssh_reaches_each_hosts_own_daemon(bed: Bed, bed_api: ApiFor,
                                                      docker_api: docker.APIClient) -> None:
    ids = {}
    for host in bed:
        out = ssh_run(host, "hostname && docker version --format '{{.Server.Version}}'"
                            " && docker info --format '{{.ID}}'")
        hostname, version, daemon_id = out.split()
        assert hostname == host.name
        assert version == bed_api(host).version()["Version"]
        assert daemon_id == bed_api(host).info()["ID"]
        ids[host.name] = daemon_id
    assert len(set(ids.values())) == len(bed.hosts), ids
    assert docker_api.info()["ID"] not in ids.values()


def test_default_known_hosts_and_ssh_config_admit_the_bed(bed: Bed) -> None:
    host = bed.host("bed2")
    client = paramiko.SSHClient()
    client.load_system_host_keys()     # ~/.ssh/known_hosts
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect(host.address, username=host.user, key_filename=host.key_file,
                   look_for_keys=False, allow_agent=False, timeout=10)
    client.close()
    with fabric.Connection("bed2") as conn:   # user, address and key from ~/.ssh/config
        conn.client.load_system_host_keys()   # Fabric itself would auto-add unknown keys
        conn.client.set_missing_host_key_policy(paramiko.RejectPolicy())
        assert conn.run("hostname", hide=True, in_stream=False).stdout.strip() == "bed2"


def test_unknown_or_wrong_host_keys_are_rejected(bed: Bed) -> None:
    first, second = bed.hosts[0], bed.hosts[1]
    connect: dict[str, Any] = {"username": first.user, "key_filename": first.key_file,
                               "look_for_keys": False, "allow_agent": False, "timeout": 10}
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    with pytest.raises(paramiko.SSHException, match="not found in known_hosts"):
        client.connect(first.address, **connect)
    # bed2's key filed under bed1's address: a changed host key
    keys = paramiko.HostKeys(second.known_hosts_file)
    key = keys.lookup(second.address)
    assert key is not None
    client = paramiko.SSHClient()
    for key_type, value in key.items():
        client.get_host_keys().add(first.address, key_type, value)
    with pytest.raises(paramiko.BadHostKeyException):
        client.connect(first.address, **connect)


def test_openssh_forwards_a_local_socket_to_the_hosts_docker_socket(
        bed: Bed, bed_api: ApiFor, tmp_path: Path) -> None:
    host = bed.host("bed3")
    local = tmp_path / "docker.sock"
    tunnel = subprocess.Popen(
        ["ssh", "-F", host.ssh_config_file, "-N", "-o", "BatchMode=yes",
         "-o", "ExitOnForwardFailure=yes", "-L", f"{local}:{host.remote_docker_socket}",
         host.name], stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while not local.exists():
            assert tunnel.poll() is None, tunnel.stderr.read() if tunnel.stderr else ""
            assert time.monotonic() < deadline, "ssh -L did not create the local socket"
            time.sleep(0.05)
        api = docker.APIClient(base_url=f"unix://{local}", version="auto")
        assert api.info()["ID"] == bed_api(host).info()["ID"]
        api.close()
    finally:
        tunnel.terminate()
        tunnel.wait(5)


def test_test_images_are_on_every_host(bed: Bed, bed_api: ApiFor,
                                       docker_api: docker.APIClient) -> None:
    expected = {"busybox:latest", "dockerfab-test/base:latest",
                "registry.example.com/nginx:latest", "registry.example.com/app:latest"}
    assert set(bed.images) == expected
    for tag, image_id in bed.images.items():
        assert docker_api.inspect_image(tag)["Id"] == image_id
    for host in bed:
        have = {tag: info["Id"] for info in bed_api(host).images(filters={"label": LABEL})
                for tag in info["RepoTags"] or ()}
        assert {tag: have.get(tag) for tag in expected} == bed.images, host.name


def test_base_container_stops_at_once(bed_api: ApiFor,
                                      run_container: Callable[..., str]) -> None:
    container_id = run_container("bed1", "dockerfab-test/base:latest")
    api = bed_api("bed1")
    assert api.inspect_container(container_id)["State"]["Running"]
    assert stop_seconds(api, container_id) < 2
    assert api.inspect_container(container_id)["State"]["ExitCode"] == 0


def test_web_server_stand_in_serves_80_and_443(bed: Bed, bed_api: ApiFor,
                                               run_container: Callable[..., str]) -> None:
    host = bed.host("bed2")
    api = bed_api(host)
    container_id = run_container(host.name, "registry.example.com/nginx:latest",
                                 ports=(80, 443))
    for port in (80, 443):
        published = int(api.port(container_id, port)[0]["HostPort"])
        body = b""
        deadline = time.monotonic() + 5
        while not body:
            try:
                with urllib.request.urlopen(f"http://{host.address}:{published}/",
                                            timeout=2) as response:
                    body = response.read()
            except OSError:
                assert time.monotonic() < deadline, f"nothing serves on {port}"
                time.sleep(0.1)
        assert b"dockerfab test web server" in body
    assert stop_seconds(api, container_id) < 2


def test_hosts_reach_each_other_but_nothing_outside_the_bed(bed: Bed) -> None:
    out = ssh_run(bed.host("bed1"), "timeout 5 bash -c "
                  "'exec 3<>/dev/tcp/198.18.0.12/22 && head -c 4 <&3'")
    assert out == "SSH-"
    for layout in HOSTS:
        assert route_problems(layout) == []
        outside = subprocess.run(["ip", "-n", layout.netns, "route", "get", "203.0.113.1"],
                                 check=False, capture_output=True, text=True)
        assert outside.returncode != 0 and "unreachable" in outside.stderr


def test_ssh_commands_on_a_host_read_the_beds_bashrc_not_the_machines(bed: Bed) -> None:
    """bash reads ~/.bashrc for every command sshd starts: on a bed host that is the bed's
    stock one, not this machine's (a developer's may start pyenv for each command)."""
    expected = HOST_BASHRC_TEXT if user_bashrc().is_file() else ""
    for host in (*bed.hosts, *bed.others):
        if host.kind == "inner":   # reached through the bastion only; same sshd_argv
            continue
        assert ssh_run(host, "cat ~/.bashrc 2>/dev/null; true") == expected, host.name


def test_a_bed_test_fails_not_skips_without_the_bed(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfEs",
         f"{__file__}::test_test_images_are_on_every_host"],
        check=False, capture_output=True, text=True, cwd=Path(__file__).parents[2],
        env={**os.environ, "DOCKERFAB_BED_STATE": str(tmp_path / "missing.json")})
    assert result.returncode == 1, result.stdout
    assert "1 error" in result.stdout and "skipped" not in result.stdout, result.stdout
    assert "the test bed is not up" in result.stdout and "tests.testbed up" in result.stdout


def test_second_up_keeps_the_daemons(bed: Bed) -> None:
    """A second ``up`` on a running bed starts, builds and restarts nothing: every host's
    daemons (bed-podman, the bastion and the inner hosts too) and both registries keep their
    process ids, the images their ids. (How quick that is belongs in a benchmark.)"""
    up = subprocess.run([sys.executable, "-m", "tests.testbed", "up"], check=False,
                        capture_output=True, text=True, cwd=Path(__file__).parents[2])
    assert up.returncode == 0, up.stdout + up.stderr
    assert "starting" not in up.stdout and "building" not in up.stdout, up.stdout
    after = load_bed()

    def daemons(b: Bed) -> dict[str, tuple[int, int]]:
        return {h.name: (h.dockerd_pid, h.sshd_pid) for h in (*b.hosts, *b.others)}

    assert daemons(after) == daemons(bed)
    assert after.images == bed.images
    if bed.registry is not None:
        assert after.registry is not None
        assert (after.registry.pid, after.registry.auth_pid) == \
               (bed.registry.pid, bed.registry.auth_pid)
