"""On the real daemon: keyword arguments of an action reach EXISTING containers where the API
can change them live (spec 3.8.2's ``start('web_server', restart_policy=...)``), and one
container linked under several aliases is reachable under each of them."""
from __future__ import annotations

import re
import time
import warnings

import pytest

from dockerfab.map.container import ContainerMap
from tests.integration.test_engine_support import (  # noqa: F401 (fixtures)
    Cleanup,
    cleanup_fixture,
    engine_images_fixture,
    mapping_client,
)

IMAGE = "dockerfab-test/base"
ALWAYS = {"MaximumRetryCount": 0, "Name": "always"}


def web_map(name: str) -> ContainerMap:
    return ContainerMap(name, {"web_server": {"image": IMAGE, "stop_timeout": 2}})


def state(api, container: str) -> tuple[str, str, dict, int]:
    info = api.inspect_container(container)
    return (info["Id"], info["State"]["StartedAt"], info["HostConfig"]["RestartPolicy"],
            info["HostConfig"]["Memory"])


def changing_events(api, since: float, container_id: str) -> list[str]:
    return [e["Action"] for e in api.events(since=since, until=time.time(), decode=True,
                                            filters={"container": container_id})
            if not e["Action"].startswith(("exec_", "top"))]


def test_spec_example_start_changes_restart_policy_of_running_container(
        docker_api, engine_images, cleanup: Cleanup):
    name = cleanup.name("kwstart")
    map_client = mapping_client(web_map(name), docker_api)
    map_client.startup("web_server")
    web = f"{name}.web_server"
    cid, started, policy, _ = state(docker_api, web)
    assert policy["Name"] in ("", "no")

    since = time.time()
    # spec 3.8.2, as written
    results = map_client.start('web_server',
                               restart_policy={'MaximumRetryCount': 0, 'Name': 'always'})
    assert [(r.kind, r.item, r.reasons) for r in results] == [
        ("update_limits", web, ["restart policy updated in place"])]
    cid_after, started_after, policy, _ = state(docker_api, web)
    assert (cid_after, started_after) == (cid, started)  # same container, not restarted
    assert (policy["Name"], policy["MaximumRetryCount"]) == ("always", 0)
    assert changing_events(docker_api, since, cid) == ["update"]
    # converged: the same call changes nothing; the map alone does not reset it
    assert map_client.start("web_server", restart_policy=ALWAYS) == []
    assert map_client.update("web_server") == []


def test_kwargs_reach_a_created_container_before_it_starts(docker_api, engine_images,
                                                           cleanup: Cleanup):
    name = cleanup.name("kwcreated")
    map_client = mapping_client(web_map(name), docker_api)
    map_client.create("web_server")
    web = f"{name}.web_server"
    cid = state(docker_api, web)[0]
    results = map_client.start("web_server", restart_policy=ALWAYS, mem_limit="48m")
    assert [(r.kind, r.reasons) for r in results] == [
        ("update_limits", ["limit mem_limit updated in place",
                           "restart policy updated in place"]),
        ("start", ["not running"])]
    cid_after, _, policy, memory = state(docker_api, web)
    assert cid_after == cid and policy["Name"] == "always" and memory == 48 * 1024 ** 2
    assert docker_api.inspect_container(web)["State"]["Running"] is True


def test_kwargs_that_cannot_change_live_warn_and_leave_the_container(
        docker_api, engine_images, cleanup: Cleanup):
    name = cleanup.name("kwwarn")
    map_client = mapping_client(web_map(name), docker_api)
    map_client.startup("web_server")
    web = f"{name}.web_server"
    before = docker_api.inspect_container(web)
    extra_hosts = {"dfk-extra": "198.18.0.77"}
    with pytest.warns(UserWarning, match=rf"extra_hosts not applied to existing "
                                         rf"container\(s\) {re.escape(web)}"):
        assert map_client.startup("web_server", extra_hosts=extra_hosts) == []
    after = docker_api.inspect_container(web)
    assert after["Id"] == before["Id"] and not after["HostConfig"]["ExtraHosts"]
    # the documented way: update re-creates it when forced, with the keyword argument
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        map_client.update("web_server", extra_hosts=extra_hosts, force_update="web_server")
    assert docker_api.inspect_container(web)["HostConfig"]["ExtraHosts"] == [
        "dfk-extra:198.18.0.77"]


def link_map(name: str) -> ContainerMap:
    """``app`` links ``db`` under two aliases on the default bridge (legacy links),
    ``netapp`` the same on a user-defined network (endpoint links)."""
    aliases = [("db", "alias1"), ("db", "alias2")]
    return ContainerMap(name, {
        "networks": {"net": {}},
        "db": {"image": IMAGE, "networks": ["bridge", "net"], "stop_timeout": 2},
        "app": {"image": IMAGE, "links": aliases, "stop_timeout": 2},
        "netapp": {"image": IMAGE, "links": aliases, "networks": "net", "stop_timeout": 2},
    })


def resolve(api, container: str, host: str) -> str:
    """The address ``host`` resolves to inside ``container`` (busybox ping prints it)."""
    run = api.exec_create(container, ["ping", "-c", "1", "-W", "2", host])
    output = api.exec_start(run).decode()
    match = re.search(r"PING \S+ \(([0-9.]+)\)", output)
    assert match, f"{host} does not resolve in {container}: {output}"
    return match.group(1)


def test_one_container_linked_under_two_aliases(docker_api, engine_images, cleanup: Cleanup):
    name = cleanup.name("aliases")
    map_client = mapping_client(link_map(name), docker_api)
    map_client.startup(["app", "netapp"])
    db = docker_api.inspect_container(f"{name}.db")["NetworkSettings"]["Networks"]
    app = docker_api.inspect_container(f"{name}.app")
    assert sorted(app["HostConfig"]["Links"]) == [f"/{name}.db:/{name}.app/alias1",
                                                  f"/{name}.db:/{name}.app/alias2"]
    for alias in ("alias1", "alias2"):
        assert resolve(docker_api, f"{name}.app", alias) == db["bridge"]["IPAddress"]
        assert resolve(docker_api, f"{name}.netapp", alias) == db[f"{name}.net"]["IPAddress"]
    hosts = docker_api.exec_start(docker_api.exec_create(f"{name}.app", ["cat", "/etc/hosts"]))
    assert {"alias1", "alias2"} <= set(hosts.decode().split())
    # unchanged map: nothing planned, nothing done
    assert map_client.plan("update", "__all__") == []
    assert map_client.plan("startup", "__all__") == []
    assert map_client.update("__all__") == []
