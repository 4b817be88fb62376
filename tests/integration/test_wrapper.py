"""DockerClientWrapper utilities (spec 3.6) against real daemons.

Harmless calls run on the local daemon with uniquely named objects. The daemon-wide
destructive helpers (cleanup_containers, cleanup_images, remove_all_containers) run only
against the test bed's host bed3, through its daemon socket; they never touch the shared
local daemon. No registry is reachable: registry calls are checked for their False paths
against 127.0.0.1:9 (nothing listens; the daemon fails at once).
"""
from __future__ import annotations

import json
import logging
import tarfile
import time
import uuid
from collections.abc import Iterator

import pytest
from docker.errors import APIError

from dockerfab.build.busybox import build_busybox_image
from dockerfab.build.dockerfile import DockerFile
from dockerfab.client.wrapper import DockerClientWrapper
from dockerfab.errors import PartialResultsError
from tests.bed import Bed
from tests.conftest import LOCAL_DOCKER_URL

PREFIX = f"dfwrap-{uuid.uuid4().hex[:8]}"
UNREACHABLE = "127.0.0.1:9"
NO_NET = {"network_mode": "none"}


# --- local daemon: non-destructive ---------------------------------------------------------

@pytest.fixture(scope="module")
def local() -> Iterator[DockerClientWrapper]:
    client = DockerClientWrapper(LOCAL_DOCKER_URL)
    yield client
    for container in client.containers(all=True, filters={"name": PREFIX}):
        client.remove_container(container["Id"], force=True)
    for _ in range(3):
        for tag in [t for t in client.get_image_tags() if PREFIX in t]:
            client.remove_image(tag)
    client.close()


@pytest.fixture(scope="module")
def image(local: DockerClientWrapper) -> str:
    tag = f"{PREFIX}/box:1"
    build_busybox_image(local, tag, setup=["mkdir /data && echo 'hello resource' > /data/a.txt"],
                        command=["sh", "-c", "echo first line; echo second line >&2"])
    return tag


def finished_container(client: DockerClientWrapper, image: str, name: str,
                       cmd: list[str] | None = None) -> str:
    """Create, start and wait for a container; return its name."""
    client.create_container(image, cmd, name=name,
                            host_config=client.create_host_config(network_mode="none"))
    client.start(name)
    client.wait(name, timeout=30)
    return name


def test_registry_calls_return_false_for_an_unreachable_registry(local, image, caplog):
    with caplog.at_level(logging.ERROR, logger="dockerfab.client.wrapper"):
        started = time.monotonic()
        assert local.login("user", "secret", registry=UNREACHABLE) is False
        assert local.pull(f"{UNREACHABLE}/nothing") is False
        assert local.pull(f"{UNREACHABLE}/nothing", tag="1.0") is False
        local.tag(image, f"{UNREACHABLE}/{PREFIX}/pushed", "1")
        assert local.push(f"{UNREACHABLE}/{PREFIX}/pushed", tag="1") is False
        assert local.push(f"{UNREACHABLE}/{PREFIX}/never-built") is False
        assert time.monotonic() - started < 20
    messages = [r.getMessage() for r in caplog.records]
    assert sum(UNREACHABLE in m for m in messages) >= 4, messages
    assert any("does not exist locally" in m for m in messages), messages


def test_pull_with_explicit_stream_is_the_sdk_call(local):
    """The engine may need the SDK's own pull: passing stream= gives exactly that."""
    with pytest.raises(APIError, match="connection refused"):
        local.pull(f"{UNREACHABLE}/nothing", tag="1", stream=True, decode=True)


def test_progress_messages_go_to_push_progress(local):
    """The stream handler routes progress to push_progress and plain status to push_log."""
    seen: list[tuple] = []
    logged: list[str] = []

    class Recorder(DockerClientWrapper):
        def push_progress(self, status, object_id, progress):
            seen.append((status, object_id, progress))

        def push_log(self, info, level=logging.INFO, *args, **kwargs):
            logged.append(info)

    recorder = Recorder(LOCAL_DOCKER_URL)
    errors: list[str] = []
    stream = [{"status": "Pulling fs layer", "id": "abc", "progressDetail": {}},
              {"status": "Downloading", "id": "abc", "progressDetail": {"current": 5,
                                                                       "total": 10}},
              {"stream": "Step 1/1\n"}, {"aux": {"ID": "sha256:1"}},
              {"error": "boom", "errorDetail": {"message": "boom"}}]
    assert list(recorder._consume(stream, errors)) == [{"ID": "sha256:1"}]
    assert seen == [("Downloading", "abc", {"current": 5, "total": 10})]
    assert logged == ["abc: Pulling fs layer", "Step 1/1", "boom"]
    assert errors == ["boom"]
    recorder.close()


def test_names_tags_logs_and_downloads(local, image, tmp_path, caplog):
    name = finished_container(local, image, f"{PREFIX}-logs")
    assert name in local.get_container_names()
    tags = local.get_image_tags()
    assert tags[image] == local.inspect_image(image)["Id"]
    assert all(":" in tag and "<none>" not in tag for tag in tags)

    with caplog.at_level(logging.INFO, logger="dockerfab.client.wrapper"):
        local.push_container_logs(name)
    # stdout and stderr lines may interleave either way
    assert sorted(r.getMessage() for r in caplog.records) == [f"{name}: first line",
                                                              f"{name}: second line"]

    target = tmp_path / "resource.tar"
    stat = local.copy_resource(name, "/data/a.txt", str(target))
    assert stat["name"] == "a.txt" and stat["size"] == len("hello resource\n")
    with tarfile.open(target) as tar:
        assert tar.extractfile("a.txt").read() == b"hello resource\n"

    saved = tmp_path / "image.tar"
    local.save_image(image, str(saved))
    with tarfile.open(saved) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest[0]["RepoTags"] == [image]


# --- bed3: daemon-wide destructive helpers -------------------------------------------------

@pytest.fixture(scope="module")
def bed3(bed: Bed) -> Iterator[DockerClientWrapper]:
    """A wrapper on bed3's daemon (direct socket). Destructive tests run only here."""
    client = DockerClientWrapper(bed.host("bed3").docker_url)
    yield client
    for container in client.containers(all=True, filters={"name": PREFIX}):
        client.remove_container(container["Id"], force=True)
    for _ in range(3):
        for tag in [t for t in client.get_image_tags() if PREFIX in t]:
            client.remove_image(tag)
    client.close()


BASE = "dockerfab-test/base:latest"   # bed image: idles, exits at once on SIGTERM


def make_containers(client: DockerClientWrapper, tag: str) -> dict[str, str]:
    """One container per state on bed3: exited, never started, running, exited-but-kept."""
    names = {state: f"{PREFIX}-{tag}-{state}" for state in ("exited", "created", "running",
                                                           "kept")}
    for state, name in names.items():
        cmd = None if state == "running" else ["true"]
        client.create_container(BASE, cmd, name=name)
        if state != "created":
            client.start(name)
    for state in ("exited", "kept"):
        client.wait(names[state], timeout=30)
    return names


def test_cleanup_containers_removes_stopped_only(bed3):
    names = make_containers(bed3, "cc")
    would = bed3.cleanup_containers(exclude=[names["kept"]], list_only=True)
    assert names["exited"] in would
    assert not {names["created"], names["running"], names["kept"]} & set(would)
    assert names["exited"] in bed3.get_container_names()  # list_only removed nothing

    removed = bed3.cleanup_containers(exclude=[names["kept"]])
    assert names["exited"] in removed
    present = bed3.get_container_names()
    assert names["exited"] not in present
    assert {names["created"], names["running"], names["kept"]} <= present

    removed = bed3.cleanup_containers(include_initial=True, exclude=[names["kept"]])
    assert names["created"] in removed and names["kept"] not in removed
    present = bed3.get_container_names()
    assert names["created"] not in present
    assert {names["running"], names["kept"]} <= present


def test_remove_all_containers(bed3):
    names = make_containers(bed3, "ra")
    started = time.monotonic()
    removed = bed3.remove_all_containers(stop_timeout=5)
    assert set(names.values()) <= set(removed)
    assert bed3.containers(all=True) == []
    assert time.monotonic() - started < 15
    assert bed3.remove_all_containers() == []


def build_on_bed3(client: DockerClientWrapper, tag: str, content: str,
                  **kwargs) -> str:
    with DockerFile("busybox:latest") as df:
        df.run(f"echo {content} > /content")
        image = client.build_from_file(df, tag, raise_on_error=True, **NO_NET, **kwargs)
    assert image
    return image


def test_cleanup_images(bed3, bed):
    p = PREFIX
    dangling = build_on_bed3(bed3, f"{p}/dangle:latest", "first")
    current = build_on_bed3(bed3, f"{p}/dangle:latest", "second")   # 'first' now <none>
    old = build_on_bed3(bed3, f"{p}/old:1.0", "old", add_tags=["0.9"])
    stable = build_on_bed3(bed3, f"{p}/keep:stable", "stable")
    used = build_on_bed3(bed3, f"{p}/used:2", "used")
    running = build_on_bed3(bed3, f"{p}/running:3", "running")
    bed3.create_container(used, ["true"], name=f"{p}-uses-image")
    bed3.create_container(running, ["sleep", "60"], name=f"{p}-runs-image")
    bed3.start(f"{p}-runs-image")
    assert dangling != current and dangling not in bed3.get_image_tags().values()

    assert bed3.cleanup_images(list_only=True) == [dangling]
    assert bed3.cleanup_images() == [dangling]
    ids = {i["Id"] for i in bed3.images()}
    assert dangling not in ids and {current, old, stable, used, running} <= ids

    removed = bed3.cleanup_images(remove_old=True, keep_tags=["stable"])
    assert old in removed  # both of its tags went, so the image went
    ids = {i["Id"] for i in bed3.images()}
    assert old not in ids
    assert {current, stable, used, running} <= ids  # latest, kept tag, used by containers
    assert set(bed.images.values()) <= ids           # the bed's own (latest) images

    with pytest.raises(PartialResultsError) as info:
        bed3.cleanup_images(remove_old=True, force=True)
    assert running in str(info.value) and "running container" in str(info.value)
    assert {stable, used} <= set(info.value.results)
    ids = {i["Id"] for i in bed3.images()}
    assert running in ids and not {stable, used} & ids
    assert set(bed.images.values()) <= ids
    assert isinstance(info.value.results, list)


def test_partial_results_for_containers(bed3, bed):
    """A removal the daemon refuses ends in PartialResultsError listing what was removed."""
    gone = finished_container(bed3, BASE, f"{PREFIX}-gone", ["true"])
    other = finished_container(bed3, BASE, f"{PREFIX}-other", ["true"])
    gone_id = bed3.inspect_container(gone)["Id"]

    class Racing(DockerClientWrapper):
        """Someone else removes one container just before the helper does."""
        def remove_container(self, container, *args, **kwargs):
            if container == gone_id:
                bed3.remove_container(gone_id)
            return super().remove_container(container, *args, **kwargs)

    racing = Racing(bed.host("bed3").docker_url)
    with pytest.raises(PartialResultsError) as info:
        racing.cleanup_containers()
    racing.close()
    assert other in info.value.results and gone not in info.value.results
    assert gone in str(info.value) and "bed3" in str(info.value)
    assert other not in bed3.get_container_names()
