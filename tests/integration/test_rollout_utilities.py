"""Host utilities that change a daemon meet the deploy lock as map tasks do, over SSH on
the bed: refused (exit 5, naming the holder) or waiting with ``--lock-wait`` while an
``update`` holds a map's lock on the host, and recorded in the host's audit log when they
ran. The daemon-wide clean-up runs on bed3 only."""
from __future__ import annotations

import re

import docker.errors
import pytest

from tests.integration.rollout_helpers import BASE, Project


def _project(bed, bed_api, tmp_path, ssh_config, host):
    """The map started on ``host`` with state of its own there (docker.state_dir: a
    utility locks every map with state on the host, and the bed is shared), changed so
    that an ``update`` takes a while."""
    p = Project(bed, bed_api, tmp_path, ssh_config, (host,))
    p.state_root = f"/tmp/{p.name}-state"
    p.deploy_slow_to_update()
    return p


@pytest.fixture
def on_bed1(bed, bed_api, tmp_path, ssh_config):
    p = _project(bed, bed_api, tmp_path, ssh_config, "bed1")
    yield p
    p.cleanup()


@pytest.fixture
def on_bed3(bed, bed_api, tmp_path, ssh_config):
    p = _project(bed, bed_api, tmp_path, ssh_config, "bed3")
    yield p
    p.cleanup()


def _refused_by(proc, holder):
    text = proc.stdout + proc.stderr
    return re.search(r"locked by \S+@\S+ \(pid " + str(holder.pid) + r"\) since \S+Z, task "
                     r"update __all__", text)


def test_load_image_is_refused_or_waits_while_a_run_holds_the_lock(on_bed1, tmp_path):
    project = on_bed1
    tarball = tmp_path / "app.tar"
    image = f"{project.repository}:1"
    assert project.run("-H", "bed1", "save-image", image, str(tarball)).returncode == 0

    holder = project.popen("-H", "bed1", "update", "__all__")
    project.wait_for_lock("bed1")
    refused = project.run("-H", "bed1", "load-image", str(tarball))
    assert refused.returncode == 5
    assert _refused_by(refused, holder), refused.stdout
    assert f"lock {project.name}:" in refused.stdout

    waited = project.run("-H", "bed1", "load-image", str(tarball), "--lock-wait", "60")
    assert waited.returncode == 0
    assert f"[bed1] Loaded image: {image}" in waited.stdout
    assert holder.poll() is not None, "load-image ran while the update held the lock"
    assert holder.wait() == 0

    # one record: the run that worked (the refused one changed nothing)
    records = [r for r in project.host_audit("bed1", "load-image")
               if r["flags"].get("path") == str(tarball)]
    assert [(r["result"], r["map"], r["maps"]) for r in records] == [
        ("ok", None, [project.name])]
    shown = project.run("-H", "bed1", "audit").stdout
    assert any("(host)" in line and "load-image" in line and str(tarball) in line
               for line in shown.splitlines()), shown
    assert [t for t, _ in project.audit("bed1")] == ["startup", "update"]  # the map's own


def test_cleanup_containers_is_refused_while_a_map_is_locked_then_audited(on_bed3):
    project = on_bed3
    api = project.bed_api("bed3")
    extra = f"{project.name}.exited"  # a stopped container, for the clean-up to remove
    api.start(api.create_container(BASE, command=["true"], name=extra))
    assert api.wait(extra, timeout=30)["StatusCode"] == 0

    holder = project.popen("-H", "bed3", "update", "__all__")
    project.wait_for_lock("bed3")
    refused = project.run("-H", "bed3", "cleanup-containers")
    assert refused.returncode == 5 and _refused_by(refused, holder), refused.stdout
    assert api.inspect_container(extra)["State"]["Status"] == "exited"  # nothing removed
    assert holder.wait(120) == 0

    done = project.run("-H", "bed3", "cleanup-containers", "--lock-wait", "30")
    assert done.returncode == 0
    with pytest.raises(docker.errors.NotFound):
        api.inspect_container(extra)
    records = project.host_audit("bed3", "cleanup-containers")
    assert [(r["host"], r["result"], r["maps"]) for r in records] == [
        ("bed3", "ok", [project.name])]
