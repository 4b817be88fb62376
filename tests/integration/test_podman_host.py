"""The example map (docs/examples/webapp) on a Podman host, through dockerfab's program:
startup, a second startup that changes nothing, status in sync, update of a changed map.
A ``sidecar`` with a short image name (Podman lists it as ``localhost/...``) is added."""
from __future__ import annotations

import json
import random
import shutil
import urllib.request
from pathlib import Path

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

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "webapp" / "example_map.yaml"
HOST = "bed-podman"


@pytest.fixture(scope="module")
def ssh_config(tmp_path_factory):
    return write_other_ssh_config(tmp_path_factory.mktemp("ssh"))


@pytest.fixture
def project(podman_host, bed_api, tmp_path):
    """The example map under a unique name, host paths under /tmp, ports out of the way."""
    name = unique("dfpod")
    root = Path("/tmp") / name
    data = yaml.safe_load(EXAMPLE.read_text())
    data["name"] = name
    data["host_root"] = str(root / "site")
    port = random.randrange(20000, 30000, 2)
    data["web_server"]["exposes"] = {80: port, 443: port + 1}
    # an image with a short name: Podman lists it as localhost/dockerfab-test/base
    data["sidecar"] = {"image": "dockerfab-test/base", "stop_timeout": 3}
    (tmp_path / "map.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    write_project(tmp_path, {"maps": ["map.yaml"]})
    yield tmp_path, name, port, data
    remove_map_objects(name, bed_api(podman_host))
    shutil.rmtree(root, ignore_errors=True)


def states(api, name: str) -> dict[str, str]:
    return {c["Names"][0].lstrip("/"): c["State"]
            for c in api.containers(all=True, filters={"name": f"{name}."})}


def test_example_map_on_podman(podman_host, bed_api, project, ssh_config):
    directory, name, port, data = project
    api = bed_api(podman_host)

    def dockerfab(*args: str):
        return run_program("dockerfab", directory, ssh_config, "-H", HOST, *args)

    first = dockerfab("startup", "web_server,sidecar")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "pull_image" not in first.stdout     # the images are there, under Podman's names
    assert states(api, name) == {f"{name}.web_server": "running",
                                 f"{name}.app_server.instance1": "running",
                                 f"{name}.app_server.instance2": "running",
                                 f"{name}.sidecar": "running"}
    assert summary_rows(first.stdout)[HOST]["failed"] == "0"
    with urllib.request.urlopen(f"http://{podman_host.address}:{port}/", timeout=5) as page:
        assert b"dockerfab test web server" in page.read()
    ids = {c["Id"] for c in api.containers(all=True, filters={"name": f"{name}."})}

    second = dockerfab("startup", "web_server,sidecar")
    assert second.returncode == 0, second.stdout + second.stderr
    row = summary_rows(second.stdout)[HOST]
    assert (row["created"], row["started"], row["unchanged"]) == ("0", "0", "4")

    status = dockerfab("status", "--format", "json")
    assert status.returncode == 0, status.stdout + status.stderr
    doc = json.loads(status.stdout)
    rows = [c for h in doc["hosts"] for c in h.get("containers") or ()]
    assert {r["name"]: r["state"] for r in rows if r["name"].startswith(name)} == {
        f"{name}.web_server": "in sync", f"{name}.app_server.instance1": "in sync",
        f"{name}.app_server.instance2": "in sync", f"{name}.sidecar": "in sync"}

    noop = dockerfab("update", "web_server,sidecar")
    assert noop.returncode == 0 and summary_rows(noop.stdout)[HOST]["unchanged"] == "4"
    assert {c["Id"] for c in api.containers(all=True, filters={"name": f"{name}."})} == ids

    data["app_server"]["create_options"] = {"environment": {"APP_MODE": "2"}}
    (directory / "map.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    update = dockerfab("update", "web_server")
    assert update.returncode == 0, update.stdout + update.stderr
    assert "env APP_MODE added" in update.stdout
    for instance in ("instance1", "instance2"):
        env = api.inspect_container(f"{name}.app_server.{instance}")["Config"]["Env"]
        assert "APP_MODE=2" in env
    web = api.inspect_container(f"{name}.web_server")["Id"]
    assert web in ids                       # not affected by the change: kept
    after = dockerfab("status")
    assert after.returncode == 0, after.stdout

    down = dockerfab("shutdown", "web_server,app_server,sidecar", "--remove-attached")
    assert down.returncode == 0, down.stdout + down.stderr
    assert states(api, name) == {}


def test_docker_host_finds_images_by_their_full_names(bed, bed_api, tmp_path):
    """On Docker too: the daemon lists ``busybox:latest``; a map may say
    ``docker.io/library/busybox`` or ``index.docker.io/dockerfab-test/base:latest``. Nothing
    is pulled (a pull would fail: the bed has no way out), nothing changes the second time."""
    from tests.integration.fabric_helpers import write_ssh_config

    name = unique("dfimg")
    data = {"name": name,
            "full": {"image": "docker.io/library/busybox", "stop_timeout": 1,
                     "create_options": {"command": ["sleep", "600"]}},
            "hub": {"image": "index.docker.io/dockerfab-test/base:latest", "stop_timeout": 1}}
    (tmp_path / "map.yaml").write_text(yaml.safe_dump(data))
    write_project(tmp_path, {"maps": ["map.yaml"]})
    ssh_config = write_ssh_config(bed, tmp_path)
    api = bed_api("bed1")
    try:
        first = run_program("dockerfab", tmp_path, ssh_config, "-H", "bed1", "startup",
                            "full,hub")
        assert first.returncode == 0, first.stdout + first.stderr
        assert "pull_image" not in first.stdout
        assert states(api, name) == {f"{name}.full": "running", f"{name}.hub": "running"}
        second = run_program("dockerfab", tmp_path, ssh_config, "-H", "bed1", "startup",
                             "full,hub")
        assert summary_rows(second.stdout)["bed1"]["unchanged"] == "2", second.stdout
        status = run_program("dockerfab", tmp_path, ssh_config, "-H", "bed1", "status")
        assert status.returncode == 0, status.stdout
    finally:
        remove_map_objects(name, api)
