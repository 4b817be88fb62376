"""The SSH connection opened ahead (issue 13: "the program starts at once";
dockerfab/fabric/early.py), seen from a TCP forwarder in front of bed1's sshd: a run still
opens one SSH connection per host (the early one is the one used), and the checks that end a
run before any host is contacted still come first."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.bench.bench_ssh import _write_ssh_files
from tests.bench.first_packet import FirstPacketProxy
from tests.integration.fabric_helpers import (
    remove_map_objects,
    run_program,
    unique,
    write_project,
)


@pytest.fixture
def forwarded(bed, tmp_path):
    """(ssh_config in which bed1 is reached through the forwarder, the forwarder)."""
    host = bed.host("bed1")
    with FirstPacketProxy((host.address, host.ssh_port)) as proxy:
        endpoints = {h.name: (h.address, h.ssh_port) for h in bed}
        directory = tmp_path / "ssh"
        directory.mkdir()
        config = _write_ssh_files(bed, directory, {**endpoints,
                                                   "bed1": ("127.0.0.1", proxy.port)})
        yield config, proxy


@pytest.fixture
def project(bed_api, tmp_path):
    """(map name, project directory) with a two-container map; containers removed after."""
    name = unique("dfstart")
    directory = tmp_path / "project"
    directory.mkdir()
    (directory / "map.yaml").write_text(yaml.safe_dump(
        {"name": name, **{c: {"image": "dockerfab-test/base", "stop_timeout": 1}
                          for c in ("web", "worker")}}))
    write_project(directory, {"maps": ["map.yaml"], "wait": False})
    yield name, directory
    remove_map_objects(name, bed_api("bed1"))


def connections_of(proxy: FirstPacketProxy, directory: Path, config: Path, *args: str
                   ) -> tuple[int, object]:
    before = len(proxy.arrivals)
    proc = run_program("dockerfab", directory, config, "-H", "bed1", *args, timeout=120)
    return len(proxy.arrivals) - before, proc


def test_each_task_uses_its_one_early_connection(forwarded, project, bed_api):
    config, proxy = forwarded
    name, directory = project
    for args in (["startup", "__all__"], ["update", "__all__"], ["status"],
                 ["update", "__all__", "--dry-run"]):
        count, proc = connections_of(proxy, directory, config, *args)
        assert proc.returncode == 0, (args, proc.stdout + proc.stderr)
        assert count == 1, args
    assert bed_api("bed1").inspect_container(f"{name}.web")["State"]["Running"] is True
    # every connection spoke SSH (none opened and dropped unused)
    assert all(a.first_byte is not None for a in proxy.arrivals)


def test_bad_rollout_flag_ends_the_run_before_any_host(forwarded, project):
    config, proxy = forwarded
    _, directory = project
    count, proc = connections_of(proxy, directory, config, "update", "web", "--batch", "x%")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith("dockerfab: --batch: ")
    assert count == 0


def test_failing_pre_deploy_hook_contacts_no_host(forwarded, project):
    config, proxy = forwarded
    _, directory = project
    write_project(directory, {"maps": ["map.yaml"], "wait": False,
                              "hooks": {"pre_deploy": "exit 3"}})
    count, proc = connections_of(proxy, directory, config, "startup", "web")
    assert proc.returncode != 0
    assert "not started" in proc.stdout + proc.stderr
    assert count == 0


def test_unknown_name_contacts_no_host(forwarded, project):
    config, proxy = forwarded
    _, directory = project
    count, proc = connections_of(proxy, directory, config, "startup", "no_such_config")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert count == 0
