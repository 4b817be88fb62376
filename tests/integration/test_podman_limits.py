"""What Podman does differently, on bed-podman: the kinds of dependency it supports read as
in sync (its own spelling of network modes, binds, volumes_from and ``top``), and what it
does not support ends in one clear line (docs/podman.rst)."""
from __future__ import annotations

import pytest
import yaml

from tests.integration.fabric_helpers import (
    remove_map_objects,
    run_program,
    unique,
    write_project,
)
from tests.integration.other_hosts import write_other_ssh_config
from tests.integration.test_fabric_cli import summary_rows
from tests.integration.test_podman_host import states

HOST = "bed-podman"
IMAGE = "dockerfab-test/base"


@pytest.fixture(scope="module")
def ssh_config(tmp_path_factory):
    return write_other_ssh_config(tmp_path_factory.mktemp("ssh"))


def probe_map(name: str, mem: str = "64m") -> dict:
    return {
        "name": name,
        "networks": {"net": {}},
        "volumes": {"sock": "/var/run/sock"},
        "base": {"image": IMAGE, "attaches": "sock", "networks": "net", "stop_timeout": 1,
                 "create_options": {"mem_limit": mem, "environment": {"A": "1"}},
                 "exec_commands": ["sleep 1001"]},
        "whole": {"image": IMAGE, "uses": "base", "stop_timeout": 1},
        "sharer": {"image": IMAGE, "network_mode": "base", "stop_timeout": 1},
        "multi": {"image": IMAGE, "instances": ["a"], "stop_timeout": 1,
                  "networks": {"net": {"aliases": ["multi-alias"]}}},
        "linker": {"image": IMAGE, "links": [["base", "db"]], "stop_timeout": 1},
    }


@pytest.fixture
def project(podman_host, bed_api, tmp_path):
    name = unique("dfpodx")
    write_project(tmp_path, {"maps": ["map.yaml"]})
    yield tmp_path, name
    api = bed_api(podman_host)
    for _ in range(2):   # Podman removes no container that others still use: dependents first
        for c in api.containers(all=True, filters={"name": name}):
            if c["Names"][0].lstrip("/") != f"{name}.base":
                api.remove_container(c["Id"], force=True)
        remove_map_objects(name, api)
    for net in api.networks(names=[f"{name}.net"]):
        api.remove_network(net["Id"])


def test_supported_dependencies_are_in_sync_on_podman(podman_host, bed_api, project,
                                                      ssh_config):
    directory, name = project
    (directory / "map.yaml").write_text(yaml.safe_dump(probe_map(name)))

    def dockerfab(*args: str):
        return run_program("dockerfab", directory, ssh_config, "-H", HOST, *args)

    up = dockerfab("startup", "whole,sharer,multi")
    assert up.returncode == 0, up.stdout + up.stderr
    assert set(states(bed_api(podman_host), name).values()) == {"running"}
    again = dockerfab("startup", "whole,sharer,multi")
    assert summary_rows(again.stdout)[HOST]["unchanged"] == "4", again.stdout
    status = dockerfab("status")
    assert status.returncode == 3, status.stdout            # linker is missing, nothing else
    rows = summary_rows(status.stdout)[HOST]
    assert (rows["in_sync"], rows["drifted"], rows["missing"]) == ("4", "0", "1"), status.stdout


def test_what_podman_lacks_ends_in_one_clear_line(podman_host, bed_api, project, ssh_config):
    directory, name = project
    (directory / "map.yaml").write_text(yaml.safe_dump(probe_map(name)))

    def dockerfab(*args: str):
        return run_program("dockerfab", directory, ssh_config, "-H", HOST, *args)

    links = dockerfab("startup", "linker")
    assert links.returncode == 1
    errors = [line for line in links.stdout.splitlines() if " ERROR " in line]
    assert errors == [(f"[{HOST}] ERROR startup: create {name}.linker: bad parameter: link is "
                      "not supported (the daemon (Podman) has no container links: connect the "
                      "containers through a network instead (networks: with aliases))")]
    assert f"{name}.linker" not in states(bed_api(podman_host), name)
    assert "Traceback" not in links.stdout + links.stderr

    (directory / "map.yaml").write_text(yaml.safe_dump(probe_map(name, mem="96m")))
    update = dockerfab("update", "base")
    assert update.returncode == 1
    errors = [line for line in update.stdout.splitlines() if " ERROR " in line]
    assert errors == [(f"[{HOST}] ERROR update: update_limits {name}.base: the daemon has no "
                      "container update API (Podman 4.3): limits and restart policy cannot "
                      f"change in place; re-create it: update --force-update {name}.base")]
    memory = bed_api(podman_host).inspect_container(f"{name}.base")["HostConfig"]["Memory"]
    assert memory == 64 << 20                                # unchanged
