"""Fixtures shared by the engine's integration tests (imported by test_engine_*.py).

Images: the test bed provides busybox-based idle images; where they are missing on the
local daemon, an equivalent is built here from the host's static busybox (no registry).
Every test gets unique map names and removes what it created: containers, volumes and
networks carrying its map name, nothing else.
"""
from __future__ import annotations

import io
import shutil
import tarfile
import time
import uuid
import warnings
from collections.abc import Iterator
from typing import Any

import docker
import docker.errors
import pytest

from dockerfab.engine.client import MappingDockerClient

LOCAL_URL = "unix:///var/run/docker.sock"
IDLE_CMD = ["/bin/sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done"]
TEST_IMAGES = ("busybox:latest", "dockerfab-test/base:latest",
               "registry.example.com/nginx:latest", "registry.example.com/app:latest")

DOCKERFILE = """FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
CMD ["/bin/sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done"]
"""


def _context() -> io.BytesIO:
    busybox = shutil.which("busybox") or "/bin/busybox"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        data = DOCKERFILE.encode()
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        tar.add(busybox, arcname="busybox")
    buf.seek(0)
    return buf


def ensure_images(api: docker.APIClient, images: tuple[str, ...] = TEST_IMAGES) -> None:
    """Build the missing test images from the local busybox (one build, several tags)."""
    present = {t for i in api.images() for t in i.get("RepoTags") or ()}
    missing = [i for i in images if i not in present]
    if not missing:
        return
    image_id = None
    for line in api.build(fileobj=_context(), custom_context=True, decode=True, rm=True):
        if "error" in line:
            raise RuntimeError(line["error"])
        if "aux" in line and "ID" in line["aux"]:
            image_id = line["aux"]["ID"]
    assert image_id
    for name in missing:
        repo, _, tag = name.rpartition(":")
        api.tag(image_id, repo, tag)


@pytest.fixture(scope="session", name="engine_images")
def engine_images_fixture(docker_api: docker.APIClient) -> None:
    ensure_images(docker_api)


class Cleanup:
    """Collects map names; removes their containers, volumes and networks afterwards."""

    def __init__(self, api: docker.APIClient) -> None:
        self.api = api
        self.maps: list[str] = []
        self.containers: list[str] = []

    def name(self, tag: str) -> str:
        name = f"t_eng_{tag}_{uuid.uuid4().hex[:6]}"
        self.maps.append(name)
        return name

    def run(self) -> None:
        api = self.api
        for map_name in self.maps:
            for c in api.containers(all=True, filters={"label": f"dockerfab.map={map_name}"}):
                api.remove_container(c["Id"], v=True, force=True)
            for c in api.containers(all=True, filters={"name": map_name}):
                if any(n.lstrip("/").startswith(map_name + ".") for n in c["Names"]):
                    api.remove_container(c["Id"], v=True, force=True)
        for c in self.containers:
            try:
                api.remove_container(c, v=True, force=True)
            except docker.errors.NotFound:
                pass
        for map_name in self.maps:
            for v in (api.volumes() or {}).get("Volumes") or ():
                if v["Name"].startswith(map_name + "."):
                    api.remove_volume(v["Name"], force=True)
            for n in api.networks():
                if n["Name"].startswith(map_name + "."):
                    self._remove_network(n)

    def _remove_network(self, network: dict[str, Any]) -> None:
        """Endpoints of just-removed containers go away asynchronously: retry a little."""
        for _ in range(30):
            try:
                self.api.remove_network(network["Id"])
                return
            except docker.errors.NotFound:
                return
            except docker.errors.APIError:
                time.sleep(0.1)
        warnings.warn(f"could not remove network {network['Name']}", stacklevel=2)


@pytest.fixture(name="cleanup")
def cleanup_fixture(docker_api: docker.APIClient) -> Iterator[Cleanup]:
    c = Cleanup(docker_api)
    yield c
    c.run()


def container_names(api: docker.APIClient, map_name: str) -> set[str]:
    return {n.lstrip("/") for c in api.containers(all=True, filters={"name": map_name})
            for n in c["Names"] if n.lstrip("/").startswith(map_name + ".")}


def run_in(api: docker.APIClient, cleanup: Cleanup, image: str, command: list[str],
           binds: list[str] | None = None, **host: Any) -> str:
    """Run a short command in a throw-away container; returns its output."""
    container = api.create_container(image, command=command,
                                     host_config=api.create_host_config(binds=binds, **host))
    cleanup.containers.append(container["Id"])
    api.start(container["Id"])
    api.wait(container["Id"], timeout=30)
    return api.logs(container["Id"]).decode()


def mapping_client(container_map: Any, api: docker.APIClient, **kwargs: Any
                   ) -> MappingDockerClient:
    return MappingDockerClient(container_map, api, **kwargs)
