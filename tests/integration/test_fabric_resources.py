"""Volumes, networks and data as a user sees them: ``dockerfab`` over real SSH to a bed host,
results checked on the host's own Docker socket.

Anonymous volumes survive a re-creation; items named like the map's that dockerfab did not
create are left alone until an explicit option says otherwise; volume and network drift is
named by ``update --dry-run`` and ``status``; a half-done volume preparation is finished.
"""
from __future__ import annotations

import io
import os
import random
from pathlib import Path
from typing import Any

import docker.errors
import pytest
import yaml

from dockerfab.engine.client import MappingDockerClient
from dockerfab.map.container import ContainerMap
from tests.integration.fabric_helpers import (
    remove_map_objects,
    run_program,
    unique,
    write_project,
)

HOST = "bed2"
BASE = "dockerfab-test/base:latest"



class Project:
    """A project directory with one map (``name``), run with ``dockerfab -H bed2``."""

    def __init__(self, directory: Path, ssh_config: Path, api: Any) -> None:
        self.directory = directory
        self.ssh_config = ssh_config
        self.api = api
        self.name = unique("dfres")
        write_project(directory, {"maps": ["map.yaml"]})

    def write(self, data: dict[str, Any]) -> None:
        (self.directory / "map.yaml").write_text(yaml.safe_dump({"name": self.name, **data}))

    def run(self, *args: str) -> Any:
        return run_program("dockerfab", self.directory, self.ssh_config, "-H", HOST, *args)

    def item(self, suffix: str) -> str:
        return f"{self.name}.{suffix}"

    def exec(self, container: str, command: str) -> str:
        run = self.api.exec_create(container, ["sh", "-c", command])
        return self.api.exec_start(run["Id"]).decode().strip()


@pytest.fixture
def project(bed, bed_api, ssh_config, tmp_path):
    api = bed_api(HOST)
    proj = Project(tmp_path, ssh_config, api)
    yield proj
    remove_map_objects(proj.name, api)


def error_line(proc: Any) -> str:
    (line,) = [x for x in proc.stdout.splitlines() if " ERROR " in x]
    return line


# --- anonymous volumes ---------------------------------------------------------------------

@pytest.fixture
def volume_image(bed_api, project):
    """An image with ``VOLUME /data``, built on the host from the bed's base image."""
    api = project.api
    tag = f"{project.name}/keeper:latest"
    dockerfile = f"FROM {BASE}\nVOLUME /data\n".encode()
    for _ in api.build(fileobj=io.BytesIO(dockerfile), tag=tag, rm=True, decode=True):
        pass
    yield tag
    api.remove_image(tag, force=True)


def test_anonymous_volume_survives_update_that_recreates(project, volume_image):
    api = project.api
    keeper = project.item("keeper")
    config = {"image": volume_image, "stop_timeout": 1}
    project.write({"keeper": {**config, "create_options": {"environment": {"ROUND": "1"}}}})
    assert project.run("startup", "keeper").returncode == 0
    old = api.inspect_container(keeper)
    (mount,) = [m for m in old["Mounts"] if m["Destination"] == "/data"]
    project.exec(keeper, "echo written-before > /data/file")

    project.write({"keeper": {**config, "create_options": {"environment": {"ROUND": "2"}}}})
    dry = project.run("update", "keeper", "--dry-run")
    assert dry.returncode == 0 and "env ROUND changed" in dry.stdout
    run = project.run("update", "keeper")
    assert run.returncode == 0, run.stdout
    new = api.inspect_container(keeper)
    assert new["Id"] != old["Id"]  # re-created ...
    assert [m["Name"] for m in new["Mounts"] if m["Destination"] == "/data"] == [mount["Name"]]
    assert project.exec(keeper, "cat /data/file") == "written-before"  # ... with its data
    again = project.run("update", "keeper", "--dry-run")
    assert again.returncode == 0 and "nothing to do" in again.stdout, again.stdout

    # a second re-creation keeps it too; shutdown removes it with the container, as before
    project.write({"keeper": {**config, "create_options": {"environment": {"ROUND": "3"}}}})
    assert project.run("update", "keeper").returncode == 0
    assert project.exec(keeper, "cat /data/file") == "written-before"
    assert project.run("shutdown", "keeper").returncode == 0
    with pytest.raises(docker.errors.NotFound):
        api.inspect_volume(mount["Name"])


# --- things dockerfab did not create -------------------------------------------------------

def test_foreign_container_is_left_alone_until_replaced_or_adopted(project):
    api = project.api
    web, other = project.item("web"), project.item("other")
    project.write({"web": {"image": BASE, "stop_timeout": 1},
                   "other": {"image": BASE, "stop_timeout": 1}})
    theirs = api.create_container(BASE, name=web)["Id"]
    api.start(theirs)

    for args in (("startup", "web"), ("update", "web", "--dry-run"), ("update", "web"),
                 ("shutdown", "web")):
        proc = project.run(*args)
        assert proc.returncode == 1, proc.stdout
        line = error_line(proc)
        assert f"container {web} exists but was not created by dockerfab" in line, line
        assert "--adopt-foreign" in line and "--replace-foreign" in line
        assert "Nothing was changed" in line
    state = api.inspect_container(web)
    assert state["Id"] == theirs and state["State"]["Running"]
    status = project.run("status")
    assert status.returncode == 3
    assert any(web in x and "drifted" in x and "not created by dockerfab" in x
               for x in status.stdout.splitlines()), status.stdout

    replaced = project.run("update", "web", "--replace-foreign")
    assert replaced.returncode == 0, replaced.stdout
    ours = api.inspect_container(web)
    assert ours["Id"] != theirs and ours["Config"]["Labels"]["dockerfab.map"] == project.name
    assert "nothing to do" in project.run("update", "web", "--dry-run").stdout

    # adopting: the container found is kept as it is and started
    found = api.create_container(BASE, name=other)["Id"]
    adopted = project.run("startup", "other", "--adopt-foreign")
    assert adopted.returncode == 0, adopted.stdout
    state = api.inspect_container(other)
    assert state["Id"] == found and state["State"]["Running"]


def test_foreign_volume_and_network_are_left_alone_until_adopted_or_replaced(project):
    api = project.api
    data, net = project.item("data"), project.item("front")
    project.write({"db": {"image": BASE, "attaches": "data", "stop_timeout": 1},
                   "svc": {"image": BASE, "networks": ["front"], "stop_timeout": 1},
                   "volumes": {"data": "/data"}, "networks": {"front": {}}})
    volume = api.create_volume(data)
    Path(volume["Mountpoint"], "theirs").write_text("their data\n")  # bed shares our fs
    theirs = api.create_network(net)["Id"]

    db = project.run("startup", "db")
    assert db.returncode == 1
    assert f"volume {data} exists but was not created by dockerfab" in error_line(db)
    svc = project.run("startup", "svc")
    assert svc.returncode == 1
    assert f"network {net} exists but was not created by dockerfab" in error_line(svc)
    assert api.containers(all=True, filters={"name": project.name}) == []
    status = project.run("status")
    assert status.returncode == 3
    for item in (data, net):
        assert any(item in x and "not created by dockerfab" in x
                   for x in status.stdout.splitlines()), status.stdout

    adopted = project.run("startup", "db", "--adopt-foreign")
    assert adopted.returncode == 0, adopted.stdout
    assert project.exec(project.item("db"), "cat /data/theirs") == "their data"
    # adopted for good: one of the map's containers uses it now
    assert "nothing to do" in project.run("startup", "db", "--dry-run").stdout

    replaced = project.run("startup", "svc", "--replace-foreign")
    assert replaced.returncode == 0, replaced.stdout
    ours = api.inspect_network(net)
    assert ours["Id"] != theirs and ours["Labels"]["dockerfab.map"] == project.name
    assert net in api.inspect_container(project.item("svc"))["NetworkSettings"]["Networks"]
    assert project.run("status").returncode == 0


# --- drift of volumes and networks ---------------------------------------------------------

def test_changed_volume_stops_update_until_recreate_volumes(project):
    api = project.api
    vault = project.item("vault")

    def write(size: str, tier: str) -> None:
        project.write({"store": {"image": BASE, "attaches": "vault", "stop_timeout": 1},
                       "volumes": {"vault": {
                           "default_path": "/vault",
                           "driver_options": {"type": "tmpfs", "device": "tmpfs",
                                              "o": f"size={size}"},
                           "create_options": {"labels": {"tier": tier}}}}})

    write("1m", "a")
    assert project.run("startup", "store").returncode == 0
    before = api.inspect_volume(vault)
    container = api.inspect_container(project.item("store"))["Id"]

    write("2m", "b")
    for args in (("update", "store", "--dry-run"), ("update", "store")):
        proc = project.run(*args)
        assert proc.returncode == 1, proc.stdout
        line = error_line(proc)
        assert f"volume {vault}: driver option o changed, label tier a -> b" in line, line
        assert "--recreate-volumes" in line and "nothing was changed" in line
    assert api.inspect_volume(vault)["CreatedAt"] == before["CreatedAt"]
    assert api.inspect_container(project.item("store"))["Id"] == container
    status = project.run("status")
    assert status.returncode == 3
    assert any(vault in x and "drifted" in x and "driver option o changed" in x
               for x in status.stdout.splitlines()), status.stdout

    run = project.run("update", "store", "--recreate-volumes")
    assert run.returncode == 0, run.stdout
    after = api.inspect_volume(vault)
    assert after["Options"]["o"] == "size=2m" and after["Labels"]["tier"] == "b"
    assert api.inspect_container(project.item("store"))["Id"] != container
    assert "nothing to do" in project.run("update", "store", "--dry-run").stdout
    assert project.run("status").returncode == 0


def test_changed_network_is_recreated_by_update(project):
    api = project.api
    back = project.item("back")
    subnet = f"198.18.{random.randrange(200, 250)}.{random.randrange(0, 15) * 16}/28"
    project.write({"svc": {"image": BASE, "networks": ["back"], "stop_timeout": 1},
                   "networks": {"back": {"internal": False}}})
    assert project.run("startup", "svc").returncode == 0
    old_net = api.inspect_network(back)["Id"]
    container = api.inspect_container(project.item("svc"))["Id"]

    project.write({"svc": {"image": BASE, "networks": ["back"], "stop_timeout": 1},
                   "networks": {"back": {"internal": True, "create_options": {
                       "ipam": {"config": [{"subnet": subnet}]}}}}})
    dry = project.run("update", "svc", "--dry-run")
    assert dry.returncode == 0, dry.stdout
    assert "remove_network" in dry.stdout and "internal false -> true" in dry.stdout
    assert f"-> {subnet}" in dry.stdout
    status = project.run("status")
    assert status.returncode == 3
    assert any(back in x and "drifted" in x and "internal false -> true" in x
               for x in status.stdout.splitlines()), status.stdout

    run = project.run("update", "svc")
    assert run.returncode == 0, run.stdout
    net = api.inspect_network(back)
    assert net["Id"] != old_net and net["Internal"] is True
    assert net["IPAM"]["Config"][0]["Subnet"] == subnet
    state = api.inspect_container(project.item("svc"))
    assert state["Id"] == container  # reconnected, not re-created
    assert state["NetworkSettings"]["Networks"][back]["NetworkID"] == net["Id"]
    again = project.run("update", "svc", "--dry-run")
    assert again.returncode == 0 and "nothing to do" in again.stdout, again.stdout
    assert project.run("status").returncode == 0


# --- half-done preparation -----------------------------------------------------------------

def test_interrupted_preparation_is_shown_and_completed(project):
    api = project.api
    work = project.item("work")
    prepared = {"image": BASE, "attaches": "work", "user": 2000,
                "permissions": "u=rwX,g=rX,o=", "stop_timeout": 1}
    project.write({"prep": prepared, "volumes": {"work": "/work"}})
    # a run interrupted after creating the volume, before preparing it: the engine's own
    # create_volume actions of the startup plan, and nothing after them
    cmap = ContainerMap(project.name, yaml.safe_load((project.directory / "map.yaml")
                                                     .read_text()))
    engine = MappingDockerClient(cmap, api)
    engine.execute([a for a in engine.plan("startup", "prep") if a.kind == "create_volume"])
    engine.close()
    mountpoint = api.inspect_volume(work)["Mountpoint"]
    assert os.stat(mountpoint).st_uid == 0

    status = project.run("status")
    assert status.returncode == 3
    assert any(work in x and "not prepared" in x for x in status.stdout.splitlines()), \
        status.stdout
    # a preparation that fails on it now leaves the volume (this run did not create it)
    project.write({"prep": prepared, "volumes": {"work": {"default_path": "/work",
                                                          "user": "no-such-user-here"}}})
    failed = project.run("startup", "prep")
    assert failed.returncode == 1 and "prepare_volume" in error_line(failed)
    assert api.inspect_volume(work)["Mountpoint"] == mountpoint
    assert "not prepared" in project.run("status").stdout

    project.write({"prep": prepared, "volumes": {"work": "/work"}})
    run = project.run("startup", "prep", "--verbose")
    assert run.returncode == 0, run.stdout
    assert "preparation not completed" in run.stdout
    info = os.stat(mountpoint)  # the bed shares this machine's filesystem
    assert (info.st_uid, oct(info.st_mode & 0o777)) == (2000, oct(0o750))
    assert project.run("status").returncode == 0
    assert "nothing to do" in project.run("startup", "prep", "--dry-run").stdout
