"""Shared fixtures. Tests that need Docker talk to a real dockerd; none of them skip when it
is missing: a missing daemon or test bed is a failure (set it up with
``python -m tests.testbed up``).

Bed fixtures: ``bed`` (the whole bed, checked once per session), ``bed_host`` (bed1),
``bed_api`` (a function giving a cached ``docker.APIClient`` on a bed host's socket, no SSH),
``registry`` (the bed's image registries) and ``registry_images`` (unique repositories on
them, cleaned up after the test). Every test that uses one of them is marked ``bed``, so
``pytest -m "not bed"`` runs the rest.
"""
from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from tests.bed import Bed, BedHost, BedMissing, BedRegistry, load_bed

LOCAL_DOCKER_URL = os.environ.get("DOCKERFAB_TEST_DOCKER", "unix:///var/run/docker.sock")
#: The health gate's readiness delay in the tests (default 5 s): every start is still gated
#: (a container that dies within it fails), but a test does not wait 5 s per dependency
#: level. Set in the environment, so the library (MappingDockerClient) and the dockerfab
#: programs the tests run (docker.readiness) both take it; tests of the gate set their own.
TEST_READINESS = "0.3"
os.environ.setdefault("DOCKERFAB_READINESS", TEST_READINESS)
if TYPE_CHECKING:
    import docker

BED_FIXTURES = {"bed", "bed_host", "bed_api", "registry", "registry_images", "podman_host",
                "bastion_host", "inner_hosts"}


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


def _other_host(bed: Bed, name: str) -> BedHost:
    """One of the bed's hosts of other kinds; fails the test when it is not up. A state
    written by the ``up`` of an older checkout lacks them: then they come from the layout."""
    try:
        host = bed.host(name)
    except KeyError:
        from tests.bed.hosts import bed_host
        from tests.bed.layout import OTHER_HOSTS

        host = bed_host(next(h for h in OTHER_HOSTS if h.name == name))
    problems = host.problems()
    if problems:
        pytest.fail("; ".join(problems) + " (run: python -m tests.testbed up)", pytrace=False)
    return host


@pytest.fixture(scope="session")
def podman_host(bed: Bed) -> BedHost:
    """bed-podman: Podman's Docker-compatible API behind sshd."""
    return _other_host(bed, "bed-podman")


@pytest.fixture(scope="session")
def bastion_host(bed: Bed) -> BedHost:
    """bed-bastion: sshd only, the jump host of the inner hosts."""
    return _other_host(bed, "bed-bastion")


@pytest.fixture(scope="session")
def inner_hosts(bed: Bed, bastion_host: BedHost) -> tuple[BedHost, ...]:
    """bed-inner1 and bed-inner2: dockerd + sshd reachable only through bed-bastion."""
    return tuple(_other_host(bed, f"bed-inner{n}") for n in (1, 2))


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


@pytest.fixture(scope="session")
def registry(bed: Bed) -> BedRegistry:
    """The bed's image registries (open on ``address``, basic auth on ``auth_address``)."""
    if bed.registry is None:
        pytest.fail("the test bed has no registry: its state was written by an older "
                    "checkout's `up` (run: python -m tests.testbed up)", pytrace=False)
    return bed.registry


class RegistryImages:
    """Unique repositories (``t_reg_<hex>``) on the bed's registries, and images with unique
    content to push there. :meth:`cleanup` removes, on every bed daemon and the local one,
    the images that carry one of these repositories (by tag or digest: also the ones a
    newer pull left untagged) and the repositories from the registries' storage."""

    def __init__(self, registry: BedRegistry, apis: list[Any]) -> None:
        self.registry = registry
        self.apis = apis
        self.repositories: list[tuple[str, bool]] = []

    def repository(self, auth: bool = False) -> str:
        """A new unique repository's full name (``198.18.0.1:5000/t_reg_...``)."""
        name = f"t_reg_{uuid.uuid4().hex[:10]}"
        self.repositories.append((name, auth))
        return self.registry.repository(name, auth)

    def build(self, api: Any, tag: str, payload: int = 1 << 18) -> str:
        """Build on ``api``'s daemon an image ``tag``: the bed's busybox plus a layer of
        ``payload`` random bytes (content no other image has); returns its id."""
        from tests.bed.images import IDLE, build_image

        nonce = uuid.uuid4().hex   # a new RUN line each time: never from the build cache
        dockerfile = ("FROM busybox:latest\n"
                      f"RUN head -c {payload} /dev/urandom > /payload # {nonce}\n"
                      f'CMD ["sh", "-c", "{IDLE}"]\n')
        return build_image(api, tag, dockerfile, {})

    def cleanup(self) -> None:
        import docker

        full = [self.registry.repository(name, auth) for name, auth in self.repositories]
        prefixes = tuple(f"{repo}{sep}" for repo in full for sep in (":", "@"))
        for api in self.apis:
            for image in api.images():
                tags = [t for t in image.get("RepoTags") or [] if t != "<none>:<none>"]
                names = tags + (image.get("RepoDigests") or [])
                if not any(n.startswith(prefixes) for n in names):
                    continue
                others = [t for t in tags if not t.startswith(prefixes)]
                # an image that also has other names (busybox:latest tagged into a test
                # repository) only loses our tags
                targets = [t for t in tags if t.startswith(prefixes)] if others else [image["Id"]]
                for target in targets:
                    try:
                        api.remove_image(target, force=not others)
                    except docker.errors.NotFound:
                        pass
        for name, auth in self.repositories:
            shutil.rmtree(self.registry.repository_dir(name, auth), ignore_errors=True)


@pytest.fixture
def registry_images(bed: Bed, registry: BedRegistry, bed_api: Callable[[BedHost | str], Any],
                    docker_api: Any) -> Iterator[RegistryImages]:
    """:class:`RegistryImages` for this test; cleaned up after it."""
    images = RegistryImages(registry, [bed_api(h) for h in bed] + [docker_api])
    yield images
    images.cleanup()
