"""Hosts behind a jump host (bed-inner1/2 behind bed-bastion): ProxyJump, ProxyCommand and
Fabric's ``gateway`` for dockerfab's tasks; both host keys checked; one bastion connection
for all hosts behind it."""
from __future__ import annotations

import subprocess
import threading
import time

import pytest
import yaml
from fabric import Config, Connection

from dockerfab.errors import ConnectionFailed
from dockerfab.fabric.gateway import GATEWAYS
from dockerfab.fabric.run import HostTarget, close_session, open_session
from dockerfab.fabric.settings import DockerSettings
from dockerfab.output import Reporter
from dockerfab.tasks import finish, version
from tests.integration.fabric_helpers import (
    fabric_overrides,
    run_program,
    unique,
    write_project,
)
from tests.integration.other_hosts import write_other_ssh_config
from tests.integration.test_fabric_cli import summary_rows

BASTION_NETNS = "dockerfab-bed-bastion"


@pytest.fixture(scope="module")
def ssh_config(tmp_path_factory):
    return write_other_ssh_config(tmp_path_factory.mktemp("ssh"))


@pytest.fixture
def config(ssh_config):
    return Config(runtime_ssh_path=str(ssh_config), overrides=fabric_overrides())


def bastion_connections() -> int:
    """Established SSH connections on the bastion's sshd, counted in its namespace."""
    out = subprocess.run(["ip", "netns", "exec", BASTION_NETNS, "ss", "-Htn", "state",
                          "established", "( sport = :22 )"], check=True, capture_output=True,
                         text=True).stdout
    return len(out.splitlines())


def wait_connections(expected: int, timeout: float = 5) -> int:
    deadline = time.monotonic() + timeout
    while (count := bastion_connections()) != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return count


@pytest.fixture
def project(inner_hosts, bed_api, tmp_path):
    name = unique("dfjump")
    data = {"name": name, "app": {"image": "dockerfab-test/base", "stop_timeout": 1,
                                  "create_options": {"environment": {"A": "1"}}}}
    (tmp_path / "map.yaml").write_text(yaml.safe_dump(data))
    write_project(tmp_path, {"maps": ["map.yaml"]})
    yield tmp_path, name
    for host in inner_hosts:
        api = bed_api(host)
        for c in api.containers(all=True, filters={"name": name}):
            api.remove_container(c["Id"], force=True)


def names(api, name: str) -> dict[str, str]:
    return {c["Names"][0].lstrip("/"): c["State"]
            for c in api.containers(all=True, filters={"name": f"{name}."})}


def test_startup_status_shutdown_through_proxyjump(inner_hosts, bed_api, project, ssh_config):
    directory, name = project
    hosts = ",".join(h.name for h in inner_hosts)

    def dockerfab(*args: str):
        return run_program("dockerfab", directory, ssh_config, "-H", hosts, *args)

    up = dockerfab("startup", "app")
    assert up.returncode == 0, up.stdout + up.stderr
    for host in inner_hosts:
        assert names(bed_api(host), name) == {f"{name}.app": "running"}
        assert summary_rows(up.stdout)[host.name]["started"] == "1"
    status = dockerfab("status")
    assert status.returncode == 0, status.stdout
    assert all(summary_rows(status.stdout)[h.name]["in_sync"] == "1" for h in inner_hosts)
    down = dockerfab("shutdown", "app")
    assert down.returncode == 0, down.stdout + down.stderr
    assert all(names(bed_api(h), name) == {} for h in inner_hosts)


def test_proxycommand_host(inner_hosts, bed_api, project, ssh_config):
    directory, name = project
    host = f"{inner_hosts[0].name}-pc"      # ProxyCommand ssh -W %h:%p bed-bastion
    up = run_program("dockerfab", directory, ssh_config, "-H", host, "startup", "app")
    assert up.returncode == 0, up.stdout + up.stderr
    assert names(bed_api(inner_hosts[0]), name) == {f"{name}.app": "running"}
    down = run_program("dockerfab", directory, ssh_config, "-H", host, "shutdown", "app")
    assert down.returncode == 0, down.stdout + down.stderr


def test_fabric_gateway_connection(inner_hosts, config, capsys):
    """A Connection given a ``gateway`` Connection by the user (no ProxyJump in ssh_config)."""
    inner = inner_hosts[0]
    conn = Connection(f"{inner.name}-direct", config=config,
                      gateway=Connection("bed-bastion", config=config))
    version(conn)
    finish(conn)
    out = capsys.readouterr().out
    assert f"[{inner.name}-direct]" in out and "VERSION" in out
    assert not conn.is_connected and GATEWAYS.open_count() == 0
    # without the gateway there is no way there
    direct = Connection(f"{inner.name}-direct", config=config)
    with pytest.raises(ConnectionFailed, match="No route to host|Unable to connect"):
        open_session(HostTarget(direct.original_host, direct), config, DockerSettings(),
                     Reporter())


def test_wrong_jump_host_key_stops_that_host_with_one_line(inner_hosts, bed_api, project,
                                                           ssh_config):
    directory, name = project
    inner, other = inner_hosts
    bad = f"{inner.name}-badjump"           # behind bastion-changed: another key recorded
    proc = run_program("dockerfab", directory, ssh_config, "-H", f"{bad},{other.name}",
                       "startup", "app")
    assert proc.returncode == 1
    lines = [line for line in proc.stdout.splitlines() + proc.stderr.splitlines()
             if "via jump host" in line]
    assert len(lines) == 1, proc.stdout + proc.stderr
    assert lines[0].startswith(f"[{bad}] ERROR startup: via jump host bastion-changed: "
                               "host key of 198.18.0.201 changed: got ssh-ed25519 SHA256:")
    assert "Traceback" not in proc.stdout + proc.stderr
    rows = summary_rows(proc.stdout)
    assert rows[bad]["result"] == "FAILED" and rows[other.name]["result"] == "ok"
    assert names(bed_api(inner), name) == {}          # nothing done behind the bad key
    assert names(bed_api(other), name) == {f"{name}.app": "running"}


def test_wrong_inner_host_key_is_rejected_behind_a_good_jump_host(inner_hosts, project,
                                                                  ssh_config):
    directory, _ = project
    bad = f"{inner_hosts[0].name}-changed"
    proc = run_program("dockerfab", directory, ssh_config, "-H", bad, "status")
    assert proc.returncode == 1
    assert f"[{bad}] ERROR status: host key of 198.18.1.11 changed" in proc.stdout
    assert "via jump host" not in proc.stdout


def test_hosts_behind_one_bastion_share_one_connection(inner_hosts, config):
    assert wait_connections(0) == 0
    sessions, errors = [], []

    def open_one(host):
        try:
            sessions.append(open_session(HostTarget(host.name), config, DockerSettings(),
                                         Reporter()))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=open_one, args=(h,)) for h in inner_hosts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert not errors
        assert sorted(s.client.info()["Name"] for s in sessions) == [h.name for h in inner_hosts]
        assert bastion_connections() == 1
        assert sessions[0].connection.gateway is sessions[1].connection.gateway
        close_session(sessions.pop())
        assert bastion_connections() == 1        # the other host still uses it
    finally:
        for s in sessions:
            close_session(s)
    assert wait_connections(0) == 0 and GATEWAYS.open_count() == 0
