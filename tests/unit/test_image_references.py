"""Image references compare the way the daemon reads them (Docker's and Podman's names)."""
from __future__ import annotations

import pytest

from dockerfab.map.naming import image_aliases, image_name, normalize_image
from dockerfab.plan import planner
from dockerfab.plan.options import ActionOptions
from dockerfab.plan.snapshot import HostSnapshot
from tests.unit.test_plan_planner import make_input
from tests.unit.test_plan_support import IMAGE_IDS, example_map


@pytest.mark.parametrize(("reference", "full"), [
    ("busybox", "docker.io/library/busybox:latest"),
    ("busybox:1.36", "docker.io/library/busybox:1.36"),
    ("library/busybox", "docker.io/library/busybox:latest"),
    ("docker.io/busybox", "docker.io/library/busybox:latest"),
    ("index.docker.io/library/busybox:latest", "docker.io/library/busybox:latest"),
    ("user/app:2", "docker.io/user/app:2"),
    ("dockerfab-test/base", "docker.io/dockerfab-test/base:latest"),
    ("registry.example.com/nginx", "registry.example.com/nginx:latest"),
    ("198.18.0.1:5000/team/app:1", "198.18.0.1:5000/team/app:1"),
    ("localhost/app", "localhost/app:latest"),
    ("localhost:5000/app", "localhost:5000/app:latest"),
    # an upper-case first component is a Hub path, not a registry (Docker's rule)
    ("Team.io/app", "docker.io/Team.io/app:latest"),
    # the digest identifies the image; a tag beside it does not matter
    ("app@sha256:" + "a" * 64, "docker.io/library/app@sha256:" + "a" * 64),
    ("r.io/a/b:1@sha256:" + "b" * 64, "r.io/a/b@sha256:" + "b" * 64),
])
def test_normalize_image(reference, full):
    assert normalize_image(reference) == full
    assert normalize_image(full) == full


def test_podman_local_images_also_answer_to_the_short_name():
    assert image_aliases("localhost/app:1") == ["localhost/app:1", "docker.io/library/app:1"]
    assert image_aliases("busybox:latest") == ["docker.io/library/busybox:latest"]


def test_map_names_and_daemon_names_meet():
    """image_name (map side) and the snapshot index (daemon side) use one normalisation."""
    snapshot = HostSnapshot("c", images={"docker.io/library/busybox:latest": "sha256:1",
                                         "localhost/app:2": "sha256:2"})
    assert snapshot.image_id(image_name("busybox", "x")) == "sha256:1"
    assert snapshot.image_id(image_name("/busybox", "x", repository="r.io")) == "sha256:1"
    assert snapshot.image_id("docker.io/busybox") == "sha256:1"
    assert snapshot.image_id(image_name(None, "busybox")) == "sha256:1"
    assert snapshot.image_id("localhost/app:2") == "sha256:2"
    assert snapshot.image_id("busybox:1") is None


def test_images_listed_with_podman_names_are_not_pulled():
    podman_names = {normalize_image(ref): image_id for ref, image_id in IMAGE_IDS.items()}
    assert podman_names != dict(IMAGE_IDS)  # the example's names are short ones
    inp = make_input(example_map(), lambda _: HostSnapshot("__default__", images=podman_names))
    plan = planner.plan_startup(inp, ActionOptions())
    assert [a for a in plan if a.kind == "pull_image"] == []
    assert [a for a in plan if a.kind == "create"]
