"""Shared fixtures. Tests that need Docker talk to a real dockerd; none of them skip when it
is missing: a missing daemon or test bed is a failure (set it up with
``python -m tests.testbed up``).

Bed fixtures: ``bed`` (the whole bed, checked once per session), ``bed_host`` (bed1),
``bed_api`` (a function giving a cached ``docker.APIClient`` on a bed host's socket, no SSH).
Every test that uses one of them is marked ``bed``, so ``pytest -m "not bed"`` runs the rest.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

from tests.bed import Bed, BedHost, BedMissing, load_bed

LOCAL_DOCKER_URL = os.environ.get("DOCKERFAB_TEST_DOCKER", "unix:///var/run/docker.sock")
if TYPE_CHECKING:
    import docker

BED_FIXTURES = {"bed", "bed_host", "bed_api"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses the bed with ``bed``."""
    for item in items:
        if BED_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.bed)


@pytest.fixture(scope="session")
def docker_api() -> Iterator[docker.APIClient]:
    """Low-level Docker SDK client for the local test daemon."""
    import docker

    try:
        client = docker.APIClient(base_url=LOCAL_DOCKER_URL, version="auto")
        client.ping()
    except (docker.errors.DockerException, OSError) as exc:  # a failure, not a skip
        pytest.fail(f"no Docker daemon at {LOCAL_DOCKER_URL}: {exc} "
                    "(run: python -m tests.testbed up)", pytrace=False)
    yield client
    client.close()


@pytest.fixture(scope="session")
def bed() -> Bed:
    """The test bed; fails (never skips) when it is not up or a host's sshd/dockerd is silent."""
    try:
        loaded = load_bed()
    except BedMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    problems = loaded.problems()
    if problems:
        pytest.fail("the test bed does not answer: " + "; ".join(problems)
                    + " (run: python -m tests.testbed up)", pytrace=False)
    return loaded


@pytest.fixture(scope="session")
def bed_host(bed: Bed) -> BedHost:
    """The first bed host (bed1), for tests that need just one remote host."""
    return bed.hosts[0]


@pytest.fixture(scope="session")
def bed_api(bed: Bed) -> Iterator[Callable[[BedHost | str], docker.APIClient]]:
    """``bed_api(host_or_name)``: a Docker client on that host's daemon socket (direct, no SSH),
    one per host for the whole session."""
    clients: dict[str, docker.APIClient] = {}

    def get(host: BedHost | str) -> docker.APIClient:
        name = host if isinstance(host, str) else host.name
        if name not in clients:
            clients[name] = bed.host(name).docker_api()
        return clients[name]

    yield get
    for client in clients.values():
        client.close()
