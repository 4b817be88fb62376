"""The engine's pulls from a real registry (the bed's) onto a real daemon (bed1): pull_images
pulls what the map needs (all, or only the missing with ``pull_all_images=False``, counted
in the daemon's event stream), reports byte progress, and ``update`` with
``pull_before_update`` re-creates exactly the container whose image changed in the
registry."""
from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from dockerfab import (
    ClientConfiguration,
    ContainerMap,
    DockerClientWrapper,
    MappingDockerClient,
)

PAYLOAD = 1 << 19


@pytest.fixture
def deployment(bed, bed_api, registry, registry_images):
    """Two images (``a``, ``b``) built on bed2 and pushed; a map running them, to be
    deployed on bed1 (containers removed after the test, images by registry_images)."""
    builder = DockerClientWrapper(bed.host("bed2").docker_url)
    repo_a, repo_b = registry_images.repository(), registry_images.repository()
    ids = {}
    for key, repo in (("a", repo_a), ("b", repo_b)):
        ids[key] = registry_images.build(bed_api("bed2"), f"{repo}:latest", payload=PAYLOAD)
        assert builder.push(repo, tag="latest")
    name = f"t_reg_{uuid.uuid4().hex[:8]}"
    container_map = ContainerMap(name, {
        "repository": registry.address,           # prefixes b's image: host:port/name
        "a": {"image": repo_a, "stop_timeout": 1},
        "b": {"image": repo_b.rpartition("/")[2], "stop_timeout": 1},
    })
    target = DockerClientWrapper(bed.host("bed1").docker_url)
    progress: list[tuple[str, int, int | None, bool]] = []
    client = MappingDockerClient(container_map, target)
    client.progress = lambda what, done, total, final: progress.append(
        (what, done, total, final))
    yield {"client": client, "map": name, "builder": builder, "ids": ids, "progress": progress,
           "images": {"a": f"{repo_a}:latest", "b": f"{repo_b}:latest"}}
    api = bed_api("bed1")
    for c in api.containers(all=True, filters={"label": f"dockerfab.map={name}"}):
        api.remove_container(c["Id"], force=True)
    for c in (client, target, builder):
        close = getattr(c, "close", None)
        if callable(close):
            close()


def pulls_since(api: Any, since: float, images: set[str]) -> list[str]:
    """Images of ``images`` the daemon pulled since ``since`` (its ``pull`` events)."""
    until = time.time() + 0.5    # events are stamped by the daemon; let the last one in
    found = []
    for event in api.events(since=since, until=until, decode=True,
                            filters={"type": "image", "event": "pull"}):
        if event.get("id") in images:
            found.append(event["id"])
    return sorted(found)


def pull_results(results) -> dict[str, list[str]]:
    return {r.item: r.reasons for r in results if r.kind == "pull_image"}


def test_pull_images_puts_the_maps_images_on_the_host_with_progress(deployment, bed_api):
    client, images, ids = deployment["client"], deployment["images"], deployment["ids"]
    api = bed_api("bed1")

    results = client.pull_images(["a", "b"])

    assert pull_results(results) == {images["a"]: ["missing"], images["b"]: ["missing"]}
    assert {k: api.inspect_image(image)["Id"] for k, image in images.items()} == ids
    finals = {what: (done, total) for what, done, total, final in deployment["progress"]
              if final}
    assert set(finals) == {f"pull {images['a']}", f"pull {images['b']}"}
    for done, total in finals.values():
        assert done == total and total >= PAYLOAD * 0.9   # the random layer's bytes
    partial = [p for p in deployment["progress"] if not p[3]]
    assert partial and all(done <= (total or 0) for _, done, total, _ in partial)


def test_pull_all_images_false_pulls_only_what_is_missing(deployment, bed_api):
    client, images = deployment["client"], deployment["images"]
    api = bed_api("bed1")
    ours = set(images.values())
    client.pull_images(["a", "b"])

    since = time.time()
    assert pull_results(client.pull_images(["a", "b"], pull_all_images=False)) == {}
    api.remove_image(images["b"])
    assert pull_results(client.pull_images(["a", "b"], pull_all_images=False)) == {
        images["b"]: ["missing"]}
    assert pulls_since(api, since, ours) == [images["b"]]

    since = time.time()
    assert pull_results(client.pull_images(["a", "b"])) == {
        images["a"]: ["update"], images["b"]: ["update"]}
    assert pulls_since(api, since, ours) == sorted(ours)


def test_update_pulls_first_and_recreates_only_the_container_whose_image_changed(
        deployment, bed_api, registry_images):
    client, images, name = deployment["client"], deployment["images"], deployment["map"]
    api = bed_api("bed1")
    client.startup(["a", "b"])
    before = {c["Names"][0].lstrip("/"): c for c in
              api.containers(filters={"label": f"dockerfab.map={name}"})}
    assert set(before) == {f"{name}.a", f"{name}.b"}
    old_a = api.inspect_image(images["a"])["Id"]

    # new content under the same tag, pushed from another host
    new_a = registry_images.build(bed_api("bed2"), images["a"], payload=PAYLOAD)
    assert new_a != old_a
    assert deployment["builder"].push(images["a"].rpartition(":")[0], tag="latest")

    assert [a.kind for a in client.plan("update", ["a", "b"])] == []   # not pulled yet
    results = client.update(["a", "b"], pull_before_update=True)

    assert set(pull_results(results)) == set(images.values())
    changed = [(r.kind, r.item) for r in results if r.kind != "pull_image"]
    assert changed == [("stop", f"{name}.a"), ("remove", f"{name}.a"),
                       ("create", f"{name}.a"), ("start", f"{name}.a")]
    create = next(r for r in results if r.kind == "create")
    assert f"image {old_a[7:19]} -> {new_a[7:19]}" in create.reasons
    assert results.unchanged == {f"{name}.b"}

    after = {c["Names"][0].lstrip("/"): c for c in
             api.containers(filters={"label": f"dockerfab.map={name}"})}
    assert after[f"{name}.a"]["ImageID"] == new_a
    assert after[f"{name}.a"]["Id"] != before[f"{name}.a"]["Id"]
    assert after[f"{name}.b"]["Id"] == before[f"{name}.b"]["Id"]   # left alone
    assert after[f"{name}.b"]["State"] == "running"

    again = client.update(["a", "b"], pull_before_update=True)      # nothing new: only pulls
    assert [r.kind for r in again] == ["pull_image", "pull_image"]


def test_auth_configs_of_the_client_configuration_are_used_for_pulls(
        bed, bed_api, registry, registry_images):
    repo = registry_images.repository(auth=True)
    built = registry_images.build(bed_api("bed2"), f"{repo}:latest", payload=1 << 16)
    pusher = DockerClientWrapper(bed.host("bed2").docker_url)
    assert pusher.login(registry.username, registry.password, registry=registry.auth_address)
    assert pusher.push(repo, tag="latest")
    pusher.close()
    container_map = ContainerMap(f"t_reg_{uuid.uuid4().hex[:8]}", {"app": {"image": repo}})
    login = {"username": registry.username, "password": registry.password}
    config = ClientConfiguration(base_url=bed.host("bed1").docker_url,
                                 auth_configs={registry.auth_address: login})
    client = MappingDockerClient(container_map, config)
    try:
        results = client.pull_images("app")
    finally:
        client.close()
        config.get_client().close()
    assert pull_results(results) == {f"{repo}:latest": ["missing"]}
    assert bed_api("bed1").inspect_image(f"{repo}:latest")["Id"] == built


def test_an_image_pinned_by_digest_is_pulled(bed, bed_api, registry_images):
    repo = registry_images.repository()
    built = registry_images.build(bed_api("bed2"), f"{repo}:latest", payload=1 << 16)
    pusher = DockerClientWrapper(bed.host("bed2").docker_url)
    assert pusher.push(repo, tag="latest")
    pusher.close()
    pinned = bed_api("bed2").inspect_image(built)["RepoDigests"][0]   # repo@sha256:...
    container_map = ContainerMap(f"t_reg_{uuid.uuid4().hex[:8]}", {"app": {"image": pinned}})
    target = DockerClientWrapper(bed.host("bed1").docker_url)
    client = MappingDockerClient(container_map, target)
    try:
        results = client.pull_images("app")
    finally:
        client.close()
        target.close()
    assert pull_results(results) == {pinned: ["missing"]}
    assert bed_api("bed1").inspect_image(pinned)["Id"] == built
    # once there, the digest is found on the host like a tag: nothing to pull again
    target = DockerClientWrapper(bed.host("bed1").docker_url)
    client = MappingDockerClient(container_map, target)
    try:
        assert list(client.plan("pull_images", "app", pull_all_images=False)) == []
    finally:
        client.close()
        target.close()
