"""Other actions and behaviours on the local daemon: planning changes nothing, preparing
volumes through the client's run_cmd, signals, custom actions, events, pull warnings."""
from __future__ import annotations

import re
import subprocess
import threading
import time
from typing import Any

import docker
import pytest

from dockerfab.engine.policy import BasePolicy
from dockerfab.map.container import ContainerMap
from tests.integration.test_engine_support import (  # noqa: F401 (fixtures)
    LOCAL_URL,
    Cleanup,
    cleanup_fixture,
    container_names,
    engine_images_fixture,
    mapping_client,
    run_in,
)
from tests.integration.test_engine_update import wait_for_process

IMAGE = "dockerfab-test/base"


class RecordingClient(docker.APIClient):
    """Records every request's method and path; runs host commands locally (``run_cmd``),
    like DockerFabricClient does over SSH."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.calls: list[tuple[str, str]] = []
        self.commands: list[str] = []
        self._rec_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        with self._rec_lock:
            path = re.sub(r"^.*/v1\.\d+/", "", url)
            self.calls.append((method.upper(), path))
        return super().request(method, url, *args, **kwargs)

    def run_cmd(self, command: str) -> str:
        self.commands.append(command)
        return subprocess.run(command, shell=True, check=True, capture_output=True,
                              text=True).stdout


def simple_map(name: str) -> ContainerMap:
    return ContainerMap(name, {
        "networks": {"net": {}},
        "volumes": {"data": "/data"},
        "owner": {"image": IMAGE, "attaches": "data", "user": "1234",
                  "permissions": "u=rwx,g=,o=", "networks": "net", "stop_timeout": 2,
                  "exec_commands": ["sleep 1002"]},
        "user": {"image": IMAGE, "uses": "data", "networks": "net", "stop_timeout": 2},
    })


def test_plan_makes_only_read_calls(engine_images, cleanup: Cleanup):
    client = RecordingClient(base_url=LOCAL_URL, version="auto")
    name = cleanup.name("planonly")
    mc = mapping_client(simple_map(name), client)
    plan = mc.plan("startup", "user")
    assert [a.kind for a in plan].count("create") == 2
    mc.plan("update", "user")
    mc.plan("shutdown", "owner", remove_attached=True)
    assert client.calls and {m for m, _ in client.calls} == {"GET"}
    client.calls.clear()
    mc.startup("user")
    lists = ("containers/json", "volumes", "networks", "images/json")
    # startup: 4 lists, the creates and starts, and per dependency level one list checking
    # that the started containers stay up
    assert len([p for m, p in client.calls if p in lists]) == 4 + 2
    wait_for_process(client, f"{name}.owner", "sleep 1002")
    client.calls.clear()
    assert mc.update("user") == []
    # update of an unchanged map: 4 lists, one inspect per existing container, one ``top``
    # (only 'owner' has an exec command to check), nothing else
    assert {m for m, _ in client.calls} == {"GET"}
    assert len([p for m, p in client.calls if p in lists]) == 4
    inspects = [p for m, p in client.calls if re.fullmatch(r"containers/[^/]+/json", p)
                and p != "containers/json"]
    assert len(inspects) == 2
    assert len([p for m, p in client.calls if p.endswith("/top")]) == 1
    assert len(client.calls) == 4 + 2 + 1
    assert mc.plan("update", "__all__") == []


def test_prepare_volume_through_run_cmd(engine_images, cleanup: Cleanup, docker_api):
    client = RecordingClient(base_url=LOCAL_URL, version="auto")
    name = cleanup.name("runcmd")
    mc = mapping_client(simple_map(name), client)
    mc.startup("owner")
    mountpoint = docker_api.inspect_volume(f"{name}.data")["Mountpoint"]
    expected = f"chown -- 1234:1234 {mountpoint} && chmod -- u=rwx,g=,o= {mountpoint}"
    assert client.commands == [expected]
    out = run_in(docker_api, cleanup, "busybox:latest", ["stat", "-c", "%u %a", "/v"],
                 binds=[f"{name}.data:/v:ro"], network_mode="none")
    assert out.strip() == "1234 700"
    # prepare_local=False: a helper container instead, even though run_cmd exists
    name2 = cleanup.name("helper")
    mc2 = mapping_client(simple_map(name2), client)
    client.commands.clear()
    mc2.startup("owner", prepare_local=False)
    assert client.commands == []
    out = run_in(docker_api, cleanup, "busybox:latest", ["stat", "-c", "%u %a", "/v"],
                 binds=[f"{name2}.data:/v:ro"], network_mode="none")
    assert out.strip() == "1234 700"


def test_signal_restart_and_events(docker_api, engine_images, cleanup: Cleanup):
    name = cleanup.name("signal")
    events: list[Any] = []
    mc = mapping_client(simple_map(name), docker_api, listener=events.append)
    mc.startup("user")
    assert [(e.action, e.phase) for e in events if e.item == f"{name}.user"] == [
        ("create", "start"), ("create", "done"), ("start", "start"), ("start", "done")]
    assert all(e.duration >= 0 and e.client == "__default__" for e in events)
    started = docker_api.inspect_container(f"{name}.user")["State"]["StartedAt"]
    results = mc.restart("user")
    assert [(r.kind, r.item) for r in results] == [("restart", f"{name}.user")]
    assert docker_api.inspect_container(f"{name}.user")["State"]["StartedAt"] != started
    results = mc.signal("user", signal="SIGTERM")
    assert [(r.kind, r.reasons) for r in results] == [("kill", ["signal SIGTERM"])]
    for _ in range(50):
        if not docker_api.inspect_container(f"{name}.user")["State"]["Running"]:
            break
        time.sleep(0.1)
    assert docker_api.inspect_container(f"{name}.user")["State"]["ExitCode"] == 0
    # exited with 0: startup starts it again, nothing re-created
    assert [a.kind for a in mc.plan("startup", "user")] == ["start"]
    # stop follows dependents: stopping the owner stops the user of its volume first
    mc.startup("user")
    results = mc.stop("owner")
    assert [r.item for r in results] == [f"{name}.user", f"{name}.owner"]


def test_custom_action_and_pull_warning(docker_api, engine_images, cleanup: Cleanup):
    calls: list[tuple[str, str, list[Any], dict[str, Any]]] = []

    class MyPolicy(BasePolicy):
        def custom_action(self, map_name, config_name, instances, **kwargs):
            calls.append((map_name, config_name, instances, kwargs))
            return config_name

    name = cleanup.name("custom")
    mc = mapping_client(simple_map(name), docker_api)
    mc.policy_class = MyPolicy
    assert mc.call("custom", "__all__", flag=1) == ["owner", "user"]
    assert calls == [(name, "owner", [None], {"flag": 1}), (name, "user", [None], {"flag": 1})]
    with pytest.raises(Exception, match="unknown action 'nothing'"):
        mc.call("nothing", "user")
    with pytest.warns(UserWarning, match="insecure-registries"):
        results = mc.pull_images("owner", pull_insecure_registry=True, pull_all_images=False)
    assert results == []  # present already, and only missing images were asked for
