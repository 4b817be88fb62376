"""Observing a host (dockerfab.engine.observe) on the local test daemon: the inspects of the
map's containers go out together with the list calls (one wave of round trips), and a name
that Docker would resolve to some other container's id prefix is not taken for it."""
from __future__ import annotations

import threading
import uuid

import pytest

from dockerfab.engine.observe import observe


class Recorder:
    """The Docker client, whose container list answers only once ``expected`` inspects have
    been sent (or after 5 s): observe that waited for the list before inspecting would take
    the 5 s and find ``inspects_before_list`` short."""

    def __init__(self, client, expected: int):
        self._client = client
        self.lock = threading.Lock()
        self.all_sent = threading.Event()
        self.expected = expected
        self.inspects: list[str] = []
        self.inspects_before_list: list[str] = []

    def containers(self, **kwargs):
        self.all_sent.wait(5)
        with self.lock:
            self.inspects_before_list = list(self.inspects)
        return self._client.containers(**kwargs)

    def inspect_container(self, name):
        with self.lock:
            self.inspects.append(name)
            if len(self.inspects) >= self.expected:
                self.all_sent.set()
        return self._client.inspect_container(name)

    def __getattr__(self, name):
        return getattr(self._client, name)


@pytest.fixture
def containers(docker_api):
    prefix = f"dfobs{uuid.uuid4().hex[:6]}"
    made = []
    for index in range(3):
        made.append(docker_api.create_container("busybox:latest", "true",
                                                name=f"{prefix}.c{index}")["Id"])
    yield prefix, made
    for ident in made:
        docker_api.remove_container(ident, force=True)


def test_inspects_go_out_with_the_lists_and_missing_names_are_missing(docker_api, containers):
    prefix, made = containers
    names = [f"{prefix}.c{index}" for index in range(3)] + [f"{prefix}.absent"]
    recorder = Recorder(docker_api, expected=len(names))
    snapshot = observe(recorder, "local", inspect_names=names)

    assert {n: snapshot.containers[n].id for n in names[:3]} == dict(zip(names[:3], made))
    assert all(snapshot.containers[n].inspect["Id"] == snapshot.containers[n].id
               for n in names[:3])
    assert f"{prefix}.absent" not in snapshot.containers
    assert sorted(recorder.inspects) == sorted(names)  # one inspect a name, no second asking
    # the inspects did not wait for the container list: one wave of round trips
    assert sorted(recorder.inspects_before_list) == sorted(names)


def test_a_name_resolving_to_an_id_prefix_is_not_that_container(docker_api, containers):
    _, made = containers
    id_prefix = made[0][:12]  # Docker's inspect resolves this to the container
    assert docker_api.inspect_container(id_prefix)["Id"] == made[0]
    snapshot = observe(docker_api, "local", inspect_names=[id_prefix])
    assert id_prefix not in snapshot.containers
    assert all(state.inspect is None for state in snapshot.containers.values())
