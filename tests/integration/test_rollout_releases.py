"""Releases, rollback and the audit log as a user checks them: a good deploy, ``rollback``,
and ``docker inspect`` of the containers before and after; ``releases`` and ``audit``."""
from __future__ import annotations

import pytest

from tests.integration.rollout_helpers import Project


@pytest.fixture
def project(bed, bed_api, tmp_path, ssh_config):
    p = Project(bed, bed_api, tmp_path, ssh_config, ("bed1",))
    yield p
    p.cleanup()


def _exact(inspect):
    """What 'exactly as before' means to a user: image, configuration, host configuration,
    networks (endpoint aliases and links), and that it runs."""
    networks = {n: (e.get("Aliases"), e.get("Links"))
                for n, e in inspect["NetworkSettings"]["Networks"].items()}
    return (inspect["Image"], inspect["Config"], inspect["HostConfig"], networks,
            inspect["State"]["Running"])


def test_rollback_after_a_good_deploy_restores_image_and_configuration_exactly(project):
    old_ids = project.build("1")
    project.write_map("1", mode="one")
    assert project.run("-H", "bed1", "startup", "__all__").returncode == 0
    before = {c: _exact(project.container("bed1", c)) for c in ("app", "web")}

    new_ids = project.build("2")
    project.write_map("2", mode="two")
    assert project.run("-H", "bed1", "update", "__all__").returncode == 0
    assert project.container("bed1", "app")["Image"] == new_ids["bed1"] != old_ids["bed1"]

    listed = project.run("-H", "bed1", "releases")
    assert listed.returncode == 0
    rows = [line for line in listed.stdout.splitlines() if line[:2] == "20"]
    assert [r.split()[3] for r in rows] == ["update", "startup"]  # newest first
    assert f"~ {project.name}.app: image, Config.Env(MODE, SECRET)" in rows[0]
    assert "s3cr3t" not in listed.stdout  # names of what changed, never values

    dry = project.run("-H", "bed1", "rollback", "--dry-run")
    assert dry.returncode == 0
    assert "recreate" in dry.stdout and f"{project.name}.app" in dry.stdout
    assert f"image {project.repository}:2" in dry.stdout  # the reason says what goes back
    assert project.container("bed1", "app")["Image"] == new_ids["bed1"]  # dry: unchanged

    assert project.run("-H", "bed1", "rollback").returncode == 0
    after = {c: _exact(project.container("bed1", c)) for c in ("app", "web")}
    assert after == before

    # the old map is in sync again; the rollback is a release of its own
    project.write_map("1", mode="one")
    assert project.run("-H", "bed1", "status").returncode == 0
    rows = [line for line in project.run("-H", "bed1", "releases").stdout.splitlines()
            if line[:2] == "20"]
    assert [r.split()[3] for r in rows] == ["rollback", "update", "startup"]
    assert "back to " + rows[2].split()[0] in rows[0]

    assert project.audit("bed1") == [("startup", "ok"), ("update", "ok"), ("rollback", "ok")]
    last = project.run("-H", "bed1", "audit", "--map", project.name, "--last", "1").stdout
    assert [line.split()[3] for line in last.splitlines()[2:]] == ["rollback"]


def test_rollback_to_a_named_release_and_only_named_containers(project):
    project.build("1")
    project.write_map("1", mode="one")
    assert project.run("-H", "bed1", "startup", "__all__").returncode == 0
    first = project.run("-H", "bed1", "releases").stdout.split(project.name)[1]
    first_id = next(w for w in first.split() if w.startswith("20"))
    project.write_map("1", mode="two")
    assert project.run("-H", "bed1", "update", "__all__").returncode == 0
    web_id = project.container("bed1", "web")["Id"]

    code, doc = project.json("-H", "bed1", "rollback", "--names", "app", "--to", first_id[:17],
                             "--dry-run")
    assert code == 0
    planned = [(a["action"], a["item"]) for h in doc["hosts"] for a in h["actions"]]
    # web links to app: re-created with it, in dependency order
    assert planned == [("recreate", f"{project.name}.app"), ("recreate", f"{project.name}.web")]
    assert project.container("bed1", "web")["Id"] == web_id

    bad = project.run("-H", "bed1", "rollback", "--to", "19990101")
    assert bad.returncode == 1 and "no release '19990101'" in bad.stdout + bad.stderr


def test_cleanup_images_keeps_what_a_kept_release_needs(project, bed_api):
    project.hosts = ("bed3",)  # a daemon-wide clean-up: bed3 only
    project.state_root = f"/tmp/{project.name}-state"  # it locks every map with state there
    old = project.build("1", hosts=("bed3",))["bed3"]
    project.write_map("1", mode="one")
    assert project.run("-H", "bed3", "startup", "__all__").returncode == 0
    new = project.build("1", hosts=("bed3",), variant="b")["bed3"]  # same tag: the old one
    assert new != old                                  # is untagged now
    assert project.run("-H", "bed3", "update", "__all__").returncode == 0
    assert project.run("-H", "bed3", "cleanup-images").returncode == 0
    assert bed_api("bed3").inspect_image(old)["Id"] == old
    assert project.run("-H", "bed3", "rollback").returncode == 0
    assert project.container("bed3", "app")["Image"] == old


def test_rollback_takes_the_health_gate_flags(project):
    """A rollback to a release whose image never becomes healthy fails its health gate,
    as a deploy would; --no-wait takes it back all the same; a bad value changes nothing."""
    project.build("1", healthy=False)
    project.write_map("1")
    assert project.run("-H", "bed1", "startup", "__all__", "--no-wait").returncode == 0
    project.build("2")
    project.write_map("2")
    assert project.run("-H", "bed1", "update", "__all__").returncode == 0
    rows = [line for line in project.run("-H", "bed1", "releases").stdout.splitlines()
            if line[:2] == "20"]
    first = rows[-1].split()[0]
    app_2 = project.container("bed1", "app")["Id"]

    bad = project.run("-H", "bed1", "rollback", "--to", first, "--readiness", "soon")
    assert bad.returncode == 2 and "--readiness" in bad.stderr
    assert project.container("bed1", "app")["Id"] == app_2

    gated = project.run("-H", "bed1", "rollback", "--to", first, "--health-timeout", "30")
    assert gated.returncode != 0
    assert "unhealthy" in gated.stdout + gated.stderr

    ungated = project.run("-H", "bed1", "rollback", "--to", first, "--no-wait")
    assert ungated.returncode == 0, ungated.stdout + ungated.stderr
    assert project.container("bed1", "app")["Config"]["Image"] == f"{project.repository}:1"
