"""The health gate over SSH on a bed host: a start is done when the container is healthy,
running for the readiness delay, or exited 0; otherwise the action fails with the health
check's output or the container's log lines (environment values masked). Dependents start
only after the gate; every wait uses one event stream per host."""
from __future__ import annotations

import io
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import docker
import paramiko
import pytest

from dockerfab.engine.client import MappingDockerClient
from dockerfab.engine.events import ActionEvent
from dockerfab.engine.health import GateOptions, wait_ready, watch_running
from dockerfab.errors import ActionRunnerException, HealthGateFailed
from dockerfab.map.container import ContainerMap
from dockerfab.ssh.client import docker_client
from tests.bed import BedHost
from tests.integration.fabric_helpers import remove_map_objects

IMAGE = "dockerfab-test/base:latest"
HOST = "bed2"
IDLE = "trap 'exit 0' TERM; while :; do sleep 1 & wait $!; done"
FAST_CHECK = {"interval": 0.2, "timeout": 2, "retries": 1}


@pytest.fixture(scope="module")
def host(bed) -> BedHost:
    return bed.host(HOST)


@pytest.fixture(scope="module")
def ssh(host: BedHost) -> Iterator[paramiko.SSHClient]:
    client = host.ssh_client()
    yield client
    client.close()


@pytest.fixture(scope="module")
def api(ssh: paramiko.SSHClient, host: BedHost) -> Iterator[docker.APIClient]:
    """Docker over the host's SSH transport: what the engine talks to."""
    client = docker_client(ssh.get_transport(), host=host.name)
    yield client
    client.close()


@pytest.fixture
def direct(bed_api: Callable[[Any], docker.APIClient], host: BedHost) -> docker.APIClient:
    """The same daemon over its socket, no SSH: to check what happened."""
    return bed_api(host)


@pytest.fixture
def name(direct: docker.APIClient) -> Iterator[str]:
    """A unique map name; its containers are removed afterwards."""
    map_name = f"t_gate_{uuid.uuid4().hex[:8]}"
    yield map_name
    remove_map_objects(map_name, direct)


class Events:
    """The engine's action events, in order, with the time each arrived."""

    def __init__(self) -> None:
        self.seen: list[tuple[float, ActionEvent]] = []

    def __call__(self, event: ActionEvent) -> None:
        self.seen.append((time.monotonic(), event))

    def one(self, action: str, item: str, phase: str) -> tuple[float, ActionEvent]:
        found = [(t, e) for t, e in self.seen
                 if (e.action, e.item, e.phase) == (action, item, phase)]
        assert len(found) == 1, (action, item, phase, self.seen)
        return found[0]


def client(cmap: ContainerMap, api: docker.APIClient, events: Events | None = None,
           **gate: Any) -> MappingDockerClient:
    gate.setdefault("readiness", 0.5)
    gate.setdefault("health_timeout", 20)
    return MappingDockerClient(cmap, api, listener=events, **gate)


def state(direct: docker.APIClient, container: str) -> dict[str, Any]:
    return direct.inspect_container(container)["State"]


def test_healthy_container_passes_before_its_dependent_starts(api, direct, name):
    """A map health check that turns healthy after ~1 s: the start is done then (not after
    the readiness delay, which is longer here), and the dependent starts only after it."""
    cmap = ContainerMap(name, {
        "db": {"image": IMAGE, "create_options": {"command": [
            "sh", "-c", "sleep 1; touch /tmp/ready; " + IDLE]},
            "healthcheck": {"test": ["CMD", "test", "-e", "/tmp/ready"], "start_period": 10,
                            **FAST_CHECK}},
        "app": {"image": IMAGE, "links": "db"},
    })
    events = Events()
    results = client(cmap, api, events, readiness=3).startup("app")
    assert [(r.kind, r.item) for r in results if r.kind == "start"] == [
        ("start", f"{name}.db"), ("start", f"{name}.app")]
    db_done, db_event = events.one("start", f"{name}.db", "done")
    assert db_event.note == "healthy" and db_event.duration > 0.9  # not "running 3s"
    app_begun, _ = events.one("start", f"{name}.app", "start")
    assert app_begun >= db_done
    _, app_event = events.one("start", f"{name}.app", "done")
    assert app_event.note == "running 3s" and app_event.duration >= 3
    assert state(direct, f"{name}.db")["Health"]["Status"] == "healthy"
    assert state(direct, f"{name}.app")["Running"]


def test_health_check_of_the_image_is_waited_for(api, direct, name, host):
    """No health check in the map, one in the image: seen at the readiness check, then
    waited for until healthy."""
    tag = f"t-gate-health:{name}"
    dockerfile = (f"FROM {IMAGE}\nHEALTHCHECK --interval=1s --timeout=2s --start-period=10s "
                  "CMD test -e /tmp/ready\n")
    for _ in direct.build(fileobj=io.BytesIO(dockerfile.encode()), tag=tag, rm=True,
                          decode=True):
        pass
    try:
        cmap = ContainerMap(name, {"web": {"image": tag, "create_options": {"command": [
            "sh", "-c", "sleep 2; touch /tmp/ready; " + IDLE]}}})
        events = Events()
        client(cmap, api, events, readiness=0.3, health_timeout=60).startup("web")
        _, done = events.one("start", f"{name}.web", "done")
        assert done.note == "healthy" and done.duration >= 2
        assert state(direct, f"{name}.web")["Health"]["Status"] == "healthy"
    finally:
        for c in direct.containers(all=True, filters={"ancestor": tag}):
            direct.remove_container(c["Id"], force=True)
        direct.remove_image(tag, force=True)


def test_failing_health_check_fails_with_its_output(api, direct, name):
    cmap = ContainerMap(name, {
        "web": {"image": IMAGE, "healthcheck": {
            "test": ["CMD-SHELL", "echo backend not reachable; exit 1"], **FAST_CHECK}},
        "app": {"image": IMAGE, "links": "web"},
    })
    events = Events()
    with pytest.raises(ActionRunnerException) as info:
        client(cmap, api, events).startup("app")
    error = info.value
    assert isinstance(error.cause, HealthGateFailed) and error.cause.reason == "unhealthy"
    assert (error.action_type, error.item) == ("start", f"{name}.web")
    assert "unhealthy" in str(error) and "backend not reachable" in str(error)
    _, failed = events.one("start", f"{name}.web", "failed")
    assert "backend not reachable" in (failed.error or "")
    # the dependent never started; the container this run created is removed again
    assert not [e for _, e in events.seen if e.item == f"{name}.app"]
    assert direct.containers(all=True, filters={"name": f"{name}.web"}) == []


def test_crash_after_a_second_fails_with_masked_log_lines(api, direct, name):
    secret = "s3cret-" + uuid.uuid4().hex[:6]
    cmap = ContainerMap(name, {"worker": {
        "image": IMAGE, "create_options": {"environment": {"API_TOKEN": secret}, "command": [
            "sh", "-c",
            'echo "connecting with $API_TOKEN"; sleep 1; echo giving up; exit 3']}}})
    with pytest.raises(ActionRunnerException) as info:
        client(cmap, api, readiness=3).startup("worker")
    text = str(info.value)
    assert "exited with code 3" in text
    assert "connecting with ***" in text and "giving up" in text
    assert secret not in text and secret not in info.value.cause.output
    assert direct.containers(all=True, filters={"name": f"{name}.worker"}) == []


def test_restart_loop_fails(api, direct, name):
    """A restart policy hides the crash from a single look: the events show it."""
    cmap = ContainerMap(name, {"loop": {
        "image": IMAGE, "host_config": {"restart_policy": {"Name": "always"}},
        "create_options": {"command": ["sh", "-c", "sleep 0.3; exit 0"]}}})
    with pytest.raises(ActionRunnerException) as info:
        client(cmap, api, readiness=3).startup("loop")
    assert "restart loop" in str(info.value)


def test_one_shot_container_exiting_0_is_done(api, direct, name):
    """A data-only container (CLARIFICATIONS 15): done with "exited 0", kept, and its
    dependent starts after it."""
    cmap = ContainerMap(name, {
        "volumes": {"data": "/data"},
        "seed": {"image": IMAGE, "attaches": "data", "create_options": {
            "command": ["sh", "-c", "echo seeded > /data/seed"]}},
        "app": {"image": IMAGE, "uses": "seed"},
    })
    events = Events()
    results = client(cmap, api, events, readiness=3).startup("app")
    assert ("start", f"{name}.seed") in [(r.kind, r.item) for r in results]
    seed_done, seed = events.one("start", f"{name}.seed", "done")
    assert seed.note == "exited 0"
    app_begun, _ = events.one("start", f"{name}.app", "start")
    assert app_begun >= seed_done
    assert state(direct, f"{name}.seed")["ExitCode"] == 0
    assert state(direct, f"{name}.app")["Running"]


def test_no_wait_skips_the_gate(api, direct, name):
    cmap = ContainerMap(name, {"worker": {"image": IMAGE, "stop_timeout": 1, "create_options": {
        "command": ["sh", "-c", "sleep 30; exit 3"]}}})
    events = Events()
    client(cmap, api, events, readiness=3).startup("worker", wait=False)
    _, done = events.one("start", f"{name}.worker", "done")
    assert done.note is None  # no gate: a gated start says how it passed
    assert state(direct, f"{name}.worker")["Running"]  # not waited for: still running


def test_restart_is_gated(api, direct, name):
    cmap = ContainerMap(name, {"web": {"image": IMAGE, "stop_timeout": 1}})
    mc = client(cmap, api, readiness=0.5)
    mc.startup("web")
    events = Events()
    mc.listener = events
    mc.restart("web")
    _, done = events.one("restart", f"{name}.web", "done")
    assert done.note == "running 0.5s"


def test_wait_ready_and_watch_running_for_rollouts(api, direct, name):
    """The public functions for code that starts containers itself (rollouts)."""
    cmap = ContainerMap(name, {"web": {"image": IMAGE, "stop_timeout": 1},
                               "bad": {"image": IMAGE, "create_options": {
                                   "command": ["sh", "-c", "sleep 1.5; exit 4"]}}})
    client(cmap, api, wait=False).startup("__all__")
    web, bad = f"{name}.web", f"{name}.bad"
    [ready] = wait_ready(api, [web], GateOptions(readiness=0.5), host=HOST)
    assert ready.outcome.startswith("running")
    started = time.monotonic()
    watch_running(api, [web], 0.5, host=HOST)
    assert time.monotonic() - started >= 0.5
    with pytest.raises(HealthGateFailed) as info:
        watch_running(api, [web, bad], 30, host=HOST)
    assert time.monotonic() - started < 10  # at the first failure, not after 30 s
    assert info.value.item == bad and "exited with code 4" in str(info.value)

    stopper = threading.Timer(0.5, lambda: direct.stop(web, timeout=1))
    stopper.start()
    with pytest.raises(HealthGateFailed) as info:
        watch_running(api, [web], 5, host=HOST)
    stopper.join()
    assert info.value.item == web and "exited" in str(info.value)
