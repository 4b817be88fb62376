"""Shared fixtures. Tests that need Docker talk to a real dockerd; none of them skip when it
is missing: a missing daemon is a failure (set it up with ``python -m tests.testbed up``)."""
from __future__ import annotations

import os

import pytest

LOCAL_DOCKER_URL = os.environ.get("DOCKERFAB_TEST_DOCKER", "unix:///var/run/docker.sock")


@pytest.fixture(scope="session")
def docker_api():
    """Low-level Docker SDK client for the local test daemon."""
    import docker

    client = docker.APIClient(base_url=LOCAL_DOCKER_URL, version="auto")
    try:
        client.ping()
    except Exception as exc:  # pragma: no cover - reported as a failure, not a skip
        pytest.fail(f"no Docker daemon at {LOCAL_DOCKER_URL}: {exc} "
                    "(run: python -m tests.testbed up)")
    yield client
    client.close()
