"""update/startup against the real daemon: no-ops proven with the daemon's event stream,
exactly-the-affected re-creation, exec command policies, limits changed in place."""
from __future__ import annotations

import socket
import time
from typing import Any

from dockerfab.map.container import ContainerMap
from dockerfab.map.input import ExecPolicy
from tests.integration.test_engine_support import (  # noqa: F401 (fixtures)
    Cleanup,
    cleanup_fixture,
    engine_images_fixture,
    mapping_client,
    run_in,
)

IMAGE = "dockerfab-test/base"
CHANGING_EVENTS = {"create", "start", "stop", "kill", "die", "destroy", "restart", "update",
                   "connect", "disconnect", "mount", "unmount", "remove"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


def full_map(name: str, port: int, env: str = "1", mem: str = "64m") -> ContainerMap:
    """Every kind of dependency: whole-container uses (volumes_from), uses of an attached
    volume, links, network_mode of another configuration, networks (with aliases)."""
    return ContainerMap(name, {
        "networks": {"net": {}},
        "volumes": {"sock": "/var/run/sock"},
        "base": {
            "image": IMAGE, "attaches": "sock", "shares": ["/anon"], "networks": "net",
            "exposes": [(8080, port)],
            "create_options": {"environment": {"A": env, "SECRET": "hunter2"},
                               "mem_limit": mem, "command": ["sh", "-c", "exec sleep 3601"]},
            "exec_commands": [("sleep 1001", None)],
            "stop_timeout": 3,
        },
        "whole": {"image": IMAGE, "uses": "base", "networks": "net", "stop_timeout": 3},
        "att": {"image": IMAGE, "uses": "sock", "networks": "net", "stop_timeout": 3},
        "linker": {"image": IMAGE, "links": [("base", "db")], "networks": "net",
                   "stop_timeout": 3},
        "sharer": {"image": IMAGE, "network_mode": "base", "stop_timeout": 3},
        "multi": {"image": IMAGE, "instances": ["a", "b"], "uses": "sock",
                  "networks": {"net": {"aliases": ["multi-alias"]}}, "stop_timeout": 3},
    })


def wait_for_process(api, container: str, command: str, timeout: float = 10) -> None:
    """Exec commands start detached: wait until ``command`` shows in ``top``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        top = api.top(container)
        if any(command == row[-1] for row in top["Processes"] or ()):
            return
        time.sleep(0.1)
    raise AssertionError(f"{command!r} not running in {container}")


def ids(api, name: str) -> dict[str, str]:
    return {n.lstrip("/"): c["Id"] for c in api.containers(all=True, filters={"name": name})
            for n in c["Names"] if n.lstrip("/").startswith(name + ".")}


def events_between(api, since: float, until: float, map_name: str) -> list[dict[str, Any]]:
    """Daemon events of this map's containers, volumes and networks in [since, until]."""
    found = []
    for event in api.events(since=since, until=until, decode=True):
        attrs = (event.get("Actor") or {}).get("Attributes") or {}
        if any(str(v).startswith(map_name + ".") or v == map_name for v in attrs.values()):
            found.append(event)
    return found


def test_unchanged_map_changes_nothing(docker_api, engine_images, cleanup: Cleanup):
    name = cleanup.name("noop")
    mc = mapping_client(full_map(name, free_port()), docker_api)
    began = time.time()
    first = mc.startup("__all__")
    # the event filter does see this map's events (7 containers created and started)
    seen = [e.get("Action") for e in events_between(docker_api, began, time.time(), name)
            if e.get("Type") == "container"]
    assert seen.count("create") == 7 and seen.count("start") == 7
    assert {r.item for r in first if r.kind == "create"} == {
        f"{name}.{c}" for c in ("base", "whole", "att", "linker", "sharer", "multi.a",
                                "multi.b")}
    # the exec command runs after start; wait until it shows in the process list
    wait_for_process(docker_api, f"{name}.base", "sleep 1001")
    assert mc.plan("startup", "__all__") == []
    assert mc.plan("update", "__all__") == []

    since = time.time()
    time.sleep(0.05)
    assert mc.startup("__all__") == []
    assert mc.update("__all__") == []
    assert mc.update("__all__", check_exec_commands="partial") == []
    time.sleep(0.05)
    until = time.time()
    events = events_between(docker_api, since, until, name)
    assert [(e.get("Type"), e.get("Action")) for e in events
            if e.get("Action", "").split(":")[0] in CHANGING_EVENTS
            or e.get("Action", "").startswith("exec")] == []


def test_changed_environment_recreates_only_what_must(docker_api, engine_images,
                                                      cleanup: Cleanup):
    name = cleanup.name("env")
    port = free_port()
    mc = mapping_client(full_map(name, port), docker_api)
    mc.startup("__all__")
    before = ids(docker_api, name)

    mc.maps = full_map(name, port, env="2")
    plan = mc.plan("update", "__all__")
    recreated = {a.item: a.reasons for a in plan if a.kind == "create"}
    assert recreated[f"{name}.base"] == ["env A changed"]
    # environment values never appear in reasons (they may be secrets)
    assert not any("hunter2" in r or "=" in r for a in plan for r in a.reasons)
    # volumes_from a container with an anonymous volume, and its network stack: these
    # dependents must follow (CLARIFICATIONS 11); users of the named volume, the network
    # link and the other instances are untouched
    assert set(recreated) == {f"{name}.base", f"{name}.whole", f"{name}.sharer"}
    assert recreated[f"{name}.whole"] == [f"volumes from {name}.base re-created"]
    assert recreated[f"{name}.sharer"] == [f"network mode {name}.base re-created"]

    mc.update("__all__")
    after = ids(docker_api, name)
    for cname in ("att", "linker", "multi.a", "multi.b"):
        assert after[f"{name}.{cname}"] == before[f"{name}.{cname}"], cname
    for cname in ("base", "whole", "sharer"):
        assert after[f"{name}.{cname}"] != before[f"{name}.{cname}"], cname
    env = docker_api.inspect_container(f"{name}.base")["Config"]["Env"]
    assert "A=2" in env
    for cid in after.values():
        assert docker_api.inspect_container(cid)["State"]["Running"]
    wait_for_process(docker_api, f"{name}.base", "sleep 1001")
    assert mc.plan("update", "__all__") == []


def test_leaf_environment_change_recreates_exactly_that_container(docker_api, engine_images,
                                                                  cleanup: Cleanup):
    name = cleanup.name("leaf")
    port = free_port()
    cmap = full_map(name, port)
    mc = mapping_client(cmap, docker_api)
    mc.startup("__all__")
    before = ids(docker_api, name)
    cmap.containers["att"].create_options = {"environment": {"NEW": "x"}}
    mc.refresh_names()
    results = mc.update("__all__")
    assert {(r.kind, r.item) for r in results} == {
        (k, f"{name}.att") for k in ("stop", "remove", "create", "start")}
    assert all(r.reasons == ["env NEW added"] for r in results)
    after = ids(docker_api, name)
    assert {k for k in after if after[k] != before[k]} == {f"{name}.att"}


def test_a_long_lived_client_sees_map_edits_without_refresh(docker_api, engine_images,
                                                              cleanup: Cleanup):
    """Issue 8 item 7: the client was used before the map changed; its next action plans
    from the map as it is now (no refresh_names(), no new client)."""
    name = cleanup.name("edit")
    cmap = ContainerMap(name, {"app": {"image": IMAGE, "stop_timeout": 1, "create_options": {
        "command": ["sh", "-c", "exec sleep 3602"]}}})
    mc = mapping_client(cmap, docker_api)
    mc.startup("app")
    assert mc.plan("update", "app") == []
    cmap.containers["app"].create_options = {"command": ["sh", "-c", "exec sleep 3602"],
                                             "environment": {"EDITED": "1"}}
    cmap.containers["helper"] = {"image": IMAGE, "stop_timeout": 1}
    assert [(a.kind, a.reasons) for a in mc.plan("update", "app")
            if a.kind == "create"] == [("create", ["env EDITED added"])]
    mc.update("app")
    config = docker_api.inspect_container(f"{name}.app")["Config"]
    assert "EDITED=1" in config["Env"]
    assert mc.plan("update", "app") == []
    assert [a.item for a in mc.plan("create", "helper")] == [f"{name}.helper"]


def test_exec_commands_initial_once_restart_each_start(docker_api, engine_images,
                                                       cleanup: Cleanup):
    name = cleanup.name("exec")
    cmap = ContainerMap(name, {
        "networks": {"net": {}},
        "app": {"image": IMAGE, "networks": "net", "stop_timeout": 2, "exec_commands": [
            (["sh", "-c", "echo x >> /tmp/initial.log"], None, ExecPolicy.INITIAL),
            (["sh", "-c", "echo x >> /tmp/restart.log"], "root"),
        ]},
    })
    mc = mapping_client(cmap, docker_api)
    mc.startup("app")
    container = f"{name}.app"

    def count(log: str, expected: int) -> int:
        """Lines in the log once it has ``expected`` of them (exec runs detached)."""
        deadline = time.monotonic() + 10
        while True:
            exec_id = docker_api.exec_create(container, ["sh", "-c", f"cat /tmp/{log} | wc -l"])
            value = int(docker_api.exec_start(exec_id).decode().strip() or 0)
            if value >= expected or time.monotonic() > deadline:
                return value
            time.sleep(0.1)

    assert (count("initial.log", 1), count("restart.log", 1)) == (1, 1)
    mc.stop("app")
    assert [a.kind for a in mc.plan("startup", "app")] == ["start", "exec"]
    mc.startup("app")
    assert (count("initial.log", 1), count("restart.log", 2)) == (1, 2)
    mc.restart("app")  # restart_exec_commands defaults to False
    time.sleep(0.5)
    assert (count("initial.log", 1), count("restart.log", 2)) == (1, 2)
    mc.restart("app", restart_exec_commands=True)
    assert count("initial.log", 2) == 2  # all commands, as the option says


def test_limits_updated_in_place(docker_api, engine_images, cleanup: Cleanup):
    name = cleanup.name("limits")
    cmap = ContainerMap(name, {
        "networks": {"net": {}},
        "app": {"image": IMAGE, "networks": "net", "stop_timeout": 2,
                "host_config": {"mem_limit": "64m", "cpu_shares": 512}},
    })
    mc = mapping_client(cmap, docker_api)
    mc.startup("app")
    before = docker_api.inspect_container(f"{name}.app")
    cmap.containers["app"].host_config = {"mem_limit": "128m", "cpu_shares": 1024}
    mc.refresh_names()
    plan = mc.plan("update", "app")
    assert [(a.kind, sorted(a.reasons)) for a in plan] == [
        ("update_limits", ["limit cpu_shares updated in place",
                           "limit mem_limit updated in place"])]
    mc.update("app")
    after = docker_api.inspect_container(f"{name}.app")
    assert after["Id"] == before["Id"] and after["State"]["StartedAt"] == \
        before["State"]["StartedAt"]
    assert after["HostConfig"]["Memory"] == 128 * 1024 ** 2
    assert after["HostConfig"]["CpuShares"] == 1024
    assert mc.plan("update", "app") == []
    # a limit that is no longer set cannot be removed live: re-created, unless skipped
    cmap.containers["app"].host_config = {"mem_limit": "128m"}
    mc.refresh_names()
    assert mc.plan("update", "app", skip_limit_reset=True) == []
    plan = mc.plan("update", "app")
    assert {a.kind for a in plan} == {"stop", "remove", "create", "start"}
    assert plan[0].reasons == ["limit cpu_shares reset"]
    mc.update("app")
    assert docker_api.inspect_container(f"{name}.app")["HostConfig"]["CpuShares"] == 0


def test_networks_reconnected_without_restart(docker_api, engine_images, cleanup: Cleanup):
    name = cleanup.name("nets")
    cmap = ContainerMap(name, {
        "networks": {"front": {}, "back": {}},
        "app": {"image": IMAGE, "networks": "front", "stop_timeout": 2,
                "healthcheck": {"test": ["CMD", "true"], "interval": "5s", "retries": 2},
                "stop_signal": "SIGINT"},
    })
    mc = mapping_client(cmap, docker_api)
    mc.startup("app")
    before = docker_api.inspect_container(f"{name}.app")
    # creation-time settings: health check, stop signal and timeout
    assert before["Config"]["Healthcheck"] == {"Test": ["CMD", "true"],
                                               "Interval": 5 * 10 ** 9, "Retries": 2}
    assert before["Config"]["StopSignal"] == "SIGINT"
    assert before["Config"]["StopTimeout"] == 2
    cmap.containers["app"].networks = {"front": None, "back": {"aliases": ["api"]}}
    mc.refresh_names()
    plan = mc.plan("update", "app")
    assert [(a.kind, a.item, a.reasons) for a in plan] == [
        ("create_network", f"{name}.back", ["missing"]),
        ("connect_network", f"{name}.app", [f"network {name}.back endpoint missing"])]
    mc.update("app")
    after = docker_api.inspect_container(f"{name}.app")
    assert after["State"]["StartedAt"] == before["State"]["StartedAt"]
    assert "api" in after["NetworkSettings"]["Networks"][f"{name}.back"]["Aliases"]
    assert mc.plan("update", "app") == []
    cmap.containers["app"].networks = "back"
    mc.refresh_names()
    assert [(a.kind, a.args.get("network")) for a in mc.plan("update", "app")] == [
        ("disconnect_network", f"{name}.front")]
    mc.update("app")
    after = docker_api.inspect_container(f"{name}.app")
    assert set(after["NetworkSettings"]["Networks"]) == {f"{name}.back"}
    assert after["State"]["StartedAt"] == before["State"]["StartedAt"]
    assert mc.plan("update", "app") == []
