"""Host keys on every path (issue 10): ``dockerfab.ssh.docker_client`` given a Fabric
Connection that is not open yet checks the host key against known_hosts (Fabric alone
would accept any key), and ``docker.accept_unknown_hosts`` says which key it let through."""
from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from fabric import Config, Connection

from dockerfab.errors import HostKeyError
from dockerfab.ssh import docker_client
from tests.integration.fabric_helpers import (
    fabric_overrides,
    run_program,
    write_project,
)


def fingerprint(bed, name: str) -> str:
    """SHA256 fingerprint of the host's key, as ``ssh-keygen -l`` prints it."""
    host = bed.host(name)
    for line in Path(host.known_hosts_file).read_text().splitlines():
        names, kind, key = line.split()[:3]
        if host.address in names.split(","):
            digest = hashlib.sha256(base64.b64decode(key)).digest()
            return kind, "SHA256:" + base64.b64encode(digest).decode().rstrip("=")
    raise AssertionError(f"{name} not in known_hosts")


def test_docker_client_on_unopened_connection_checks_the_host_key(bed, ssh_config):
    config = Config(runtime_ssh_path=str(ssh_config), overrides=fabric_overrides())
    unknown = Connection("bed1-nokey", config=config)
    with pytest.raises(HostKeyError) as info:
        docker_client(unknown)
    kind, print_ = fingerprint(bed, "bed1")
    assert str(info.value).startswith(f"bed1-nokey: host key {kind} {print_} of 198.18.0.11 "
                                      "is not in known_hosts")
    assert not unknown.is_connected
    known = Connection("bed1", config=config)  # the same call where the key is known works
    try:
        client = docker_client(known)
        assert client.info()["Name"] == "bed1"
        client.close()
    finally:
        known.close()


def test_accept_unknown_hosts_prints_the_fingerprint_it_accepted(bed, ssh_config, tmp_path):
    write_project(tmp_path, {"accept_unknown_hosts": True})
    kind, print_ = fingerprint(bed, "bed1")
    for _ in range(2):  # accepted for this run only: said again on the next
        proc = run_program("dockerfab", tmp_path, ssh_config, "-H", "bed1-nokey", "get-ip")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert (f"[bed1-nokey] accepted unknown host key {kind} {print_} of 198.18.0.11 "
                "(not recorded in known_hosts)") in proc.stdout.splitlines()
