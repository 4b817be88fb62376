"""DockerClientWrapper's registry methods on real daemons and the bed's real registries:
push, pull and login succeed (True) and fail (False) as a user sees it, and the progress
hook receives the layer bytes."""
from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pytest

from dockerfab import DockerClientWrapper


class Recording(DockerClientWrapper):
    """A wrapper that keeps what its hooks receive."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.logged: list[tuple[int, str]] = []
        self.progress: list[tuple[str, str | None, Any]] = []

    def push_log(self, info: str, level: int = logging.INFO, *args: Any, **kwargs: Any) -> None:
        self.logged.append((level, info))

    def push_progress(self, status: str, object_id: str | None,
                      progress: Mapping[str, Any] | str | None) -> None:
        self.progress.append((status, object_id, progress))

    def errors(self) -> list[str]:
        return [text for level, text in self.logged if level >= logging.ERROR]

    def layer_bytes(self, status: str) -> dict[str, int]:
        """Largest ``total`` per layer among the progress events of ``status``."""
        totals: dict[str, int] = {}
        for seen, layer, detail in self.progress:
            if seen == status and isinstance(detail, Mapping) and detail.get("total"):
                totals[str(layer)] = max(totals.get(str(layer), 0), int(detail["total"]))
        return totals


@pytest.fixture
def wrappers(bed):
    """``wrappers(host)``: a new Recording wrapper on that bed host's daemon; all closed after."""
    made: list[Recording] = []

    def make(name: str) -> Recording:
        made.append(Recording(bed.host(name).docker_url))
        return made[-1]

    yield make
    for client in made:
        client.close()


PAYLOAD = 1 << 19  # bytes of the random layer (even 16 KiB layers report progress)


def test_push_then_pull_round_trip_returns_true_and_keeps_the_image_id(
        registry_images, bed_api, wrappers):
    repo = registry_images.repository()
    built = registry_images.build(bed_api("bed1"), f"{repo}:v1", payload=PAYLOAD)

    pusher = wrappers("bed1")
    assert pusher.push(repo, tag="v1") is True
    assert pusher.errors() == []
    pushed = pusher.layer_bytes("Pushing")
    assert pushed and max(pushed.values()) >= PAYLOAD   # the random layer, in bytes
    assert any(text.startswith("v1: digest: sha256:") for _, text in pusher.logged)

    puller = wrappers("bed2")
    assert puller.pull(repo, tag="v1") is True
    assert puller.errors() == []
    assert bed_api("bed2").inspect_image(f"{repo}:v1")["Id"] == built
    downloaded = puller.layer_bytes("Downloading")
    assert downloaded and max(downloaded.values()) >= PAYLOAD * 0.9   # compressed random bytes
    assert any(f"Downloaded newer image for {repo}:v1" in text for _, text in puller.logged)

    again = wrappers("bed2")   # nothing new: still True, and no bytes move
    assert again.pull(repo, tag="v1") is True
    assert again.layer_bytes("Downloading") == {}
    assert any(f"Image is up to date for {repo}:v1" in text for _, text in again.logged)


def test_pull_and_push_return_false_and_log_why(registry, registry_images, wrappers):
    client = wrappers("bed1")
    missing = registry_images.repository()
    assert client.pull(missing, tag="latest") is False
    assert client.errors() and "not found" in client.errors()[-1].lower()

    unreachable = f"{registry.address.rpartition(':')[0]}:5999/t_reg_nowhere"
    assert client.pull(unreachable, tag="latest") is False
    assert "connection refused" in client.errors()[-1].lower()

    assert client.push(registry_images.repository(), tag="latest") is False   # no such image
    assert "does not exist" in client.errors()[-1].lower()


def test_login_true_for_the_right_password_false_for_a_wrong_one(registry, wrappers):
    good = wrappers("bed1")
    assert good.login(registry.username, registry.password, registry=registry.auth_address)
    assert good.errors() == []

    wrong = wrappers("bed1")   # a fresh client: the SDK would reuse a stored login otherwise
    assert wrong.login(registry.username, "not-" + registry.password,
                       registry=registry.auth_address) is False
    assert "401 Unauthorized" in wrong.errors()[-1]
    assert f"login to {registry.auth_address} failed" in wrong.errors()[-1]

    nowhere = f"{registry.auth_address.rpartition(':')[0]}:5999"
    assert wrong.login(registry.username, registry.password, registry=nowhere) is False
    assert "connection refused" in wrong.errors()[-1].lower()


def test_auth_registry_needs_the_login_for_push_and_pull(registry, registry_images, bed_api,
                                                         wrappers):
    repo = registry_images.repository(auth=True)
    built = registry_images.build(bed_api("bed1"), f"{repo}:latest", payload=1 << 16)

    anonymous = wrappers("bed1")
    assert anonymous.push(repo, tag="latest") is False
    assert "no basic auth credentials" in anonymous.errors()[-1]

    pusher = wrappers("bed1")
    assert pusher.login(registry.username, registry.password, registry=registry.auth_address)
    assert pusher.push(repo, tag="latest") is True

    stranger = wrappers("bed3")
    assert stranger.pull(repo, tag="latest") is False
    assert "no basic auth credentials" in stranger.errors()[-1]

    puller = wrappers("bed3")
    assert puller.login(registry.username, registry.password, registry=registry.auth_address)
    assert puller.pull(repo, tag="latest") is True
    assert bed_api("bed3").inspect_image(f"{repo}:latest")["Id"] == built
