"""Failures give one clear error naming the client and the item, carry the partial results,
leave nothing a re-run cannot repair, and a re-run after the fix converges."""
from __future__ import annotations

import socket

import pytest

from dockerfab.errors import ActionRunnerException, MapIntegrityError
from dockerfab.map.container import ContainerMap
from tests.integration.test_engine_support import (  # noqa: F401 (fixtures)
    Cleanup,
    cleanup_fixture,
    container_names,
    engine_images_fixture,
    mapping_client,
)

IMAGE = "dockerfab-test/base"


def two_level_map(name: str, **bad: object) -> ContainerMap:
    """``dep`` is fine; ``bad`` uses it and carries the broken setting."""
    return ContainerMap(name, {
        "networks": {"net": {}},
        "volumes": {"shared": "/shared"},
        "dep": {"image": IMAGE, "attaches": "shared", "networks": "net", "stop_timeout": 2},
        "bad": {"image": IMAGE, "uses": "shared", "networks": "net", "stop_timeout": 2,
                **bad},
    })


def check_error(exc: ActionRunnerException, name: str, action: str) -> None:
    assert exc.client_name == "__default__"
    assert exc.item == f"{name}.bad"
    assert exc.action_type == action
    assert str(exc).startswith(f"__default__ {action} {name}.bad: ")
    done = {(r.kind, r.item) for r in exc.results}
    assert ("start", f"{name}.dep") in done  # the partial results: the dependency is up


def test_unknown_container_name(docker_api, engine_images, cleanup: Cleanup):
    name = cleanup.name("unknown")
    mc = mapping_client(two_level_map(name), docker_api)
    with pytest.raises(MapIntegrityError) as info:
        mc.startup("nope")
    assert "'nope'" in str(info.value) and name in str(info.value)
    with pytest.raises(MapIntegrityError):
        mc.startup("dep", instances="x")
    assert container_names(docker_api, name) == set()  # nothing happened


def test_missing_image(docker_api, engine_images, cleanup: Cleanup):
    name = cleanup.name("noimage")
    cmap = two_level_map(name, image="registry.example.com/t-eng-does-not-exist")
    mc = mapping_client(cmap, docker_api)
    with pytest.raises(ActionRunnerException) as info:
        mc.startup("bad")
    exc = info.value
    assert exc.client_name == "__default__" and exc.action_type == "pull_image"
    assert exc.item == "registry.example.com/t-eng-does-not-exist:latest"
    assert "registry.example.com" in str(exc)
    # images are pulled before anything else changes
    assert exc.results == [] and container_names(docker_api, name) == set()
    cmap.containers["bad"].image = IMAGE
    mc.refresh_names()
    mc.startup("bad")
    assert mc.plan("startup", "bad") == [] and mc.plan("update", "bad") == []


def test_container_that_exits_immediately(docker_api, engine_images, cleanup: Cleanup):
    name = cleanup.name("exits")
    cmap = two_level_map(name, create_options={"command": ["sh", "-c", "echo boom; exit 3"]})
    mc = mapping_client(cmap, docker_api, readiness=1.0)  # the health gate sees the exit
    with pytest.raises(ActionRunnerException) as info:
        mc.startup("bad")
    check_error(info.value, name, "start")
    assert "exited with code 3" in str(info.value) and "boom" in str(info.value)
    # not left half-done: the broken container is gone, the next run creates it afresh
    assert container_names(docker_api, name) == {f"{name}.dep"}
    cmap.containers["bad"].create_options = {}
    mc.refresh_names()
    results = mc.startup("bad")
    assert [(r.kind, r.item) for r in results] == [("create", f"{name}.bad"),
                                                   ("start", f"{name}.bad")]
    assert mc.plan("update", "bad") == []


def test_host_port_already_taken(docker_api, engine_images, cleanup: Cleanup):
    name = cleanup.name("port")
    blocker = socket.socket()
    blocker.bind(("0.0.0.0", 0))
    blocker.listen()
    port = blocker.getsockname()[1]
    mc = mapping_client(two_level_map(name, exposes=[(80, port)]), docker_api)
    try:
        with pytest.raises(ActionRunnerException) as info:
            mc.startup("bad")
        check_error(info.value, name, "start")
        assert str(port) in str(info.value)
        assert container_names(docker_api, name) == {f"{name}.dep"}
    finally:
        blocker.close()
    results = mc.startup("bad")
    assert [(r.kind, r.item) for r in results] == [("create", f"{name}.bad"),
                                                   ("start", f"{name}.bad")]
    assert docker_api.inspect_container(f"{name}.bad")["State"]["Running"]
    assert mc.plan("update", "bad") == []


def test_failure_reraise_gives_the_original_exception(docker_api, engine_images,
                                                      cleanup: Cleanup):
    import docker.errors

    name = cleanup.name("reraise")
    blocker = socket.socket()
    blocker.bind(("0.0.0.0", 0))
    blocker.listen()
    try:
        mc = mapping_client(two_level_map(name, exposes=[(80, blocker.getsockname()[1])]),
                            docker_api)
        with pytest.raises(ActionRunnerException) as info:
            mc.startup("bad")
        with pytest.raises(docker.errors.APIError):
            info.value.reraise()
    finally:
        blocker.close()


def test_failed_volume_preparation_is_undone(docker_api, engine_images, cleanup: Cleanup):
    """chown to a user the helper image does not know fails; the volume and the container
    created on it are removed again, so the fixed map prepares a fresh volume."""
    name = cleanup.name("prepare")

    def volume_map(user: object) -> ContainerMap:
        return ContainerMap(name, {"volumes": {"data": "/data"}, "app": {
            "image": IMAGE, "attaches": "data", "user": user, "permissions": "0750",
            "stop_timeout": 2}})

    mc = mapping_client(volume_map("no-such-user-here"), docker_api)
    with pytest.raises(ActionRunnerException) as caught:
        mc.startup("app")
    assert caught.value.action_type == "prepare_volume" and "no-such-user-here" in str(
        caught.value)
    assert container_names(docker_api, name) == set()
    assert not docker_api.volumes(filters={"name": f"{name}.data"}).get("Volumes")
    mc.maps = volume_map(2000)
    assert {(r.kind, r.item) for r in mc.startup("app")} >= {
        ("create_volume", f"{name}.data"), ("prepare_volume", f"{name}.data")}
    stat = docker_api.exec_start(docker_api.exec_create(f"{name}.app", ["stat", "-c", "%u %a",
                                                                        "/data"], user="0"))
    assert stat.decode().split() == ["2000", "750"]
