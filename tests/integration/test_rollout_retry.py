"""A halted rollout in the run record and ``--retry-failed``, over SSH on bed1..bed3: the
record says which hosts are at the new release (ok), which failed and which the rollout
never reached, and a retry rolls out again, in batches, on only those."""
from __future__ import annotations

import json
import time

import pytest

from tests.integration.fabric_helpers import write_ssh_config
from tests.integration.rollout_helpers import Project

HOSTS = ("bed1", "bed2", "bed3")


@pytest.fixture(scope="module")
def ssh_config(bed, tmp_path_factory):
    return write_ssh_config(bed, tmp_path_factory.mktemp("ssh"))


@pytest.fixture
def project(bed, bed_api, tmp_path, ssh_config):
    p = Project(bed, bed_api, tmp_path, ssh_config, HOSTS)
    yield p
    p.cleanup()


def _record(project):
    doc = json.loads((project.directory / ".dockerfab" / "last-run.json").read_text())
    return doc, {h: e["result"] for h, e in doc["hosts"].items()}


def test_a_halted_rollout_is_retried_on_its_failed_and_unreached_hosts_only(project):
    project.build("1")
    project.write_map("1", mode="one")
    assert project.run("-H", ",".join(HOSTS), "startup", "__all__").returncode == 0
    project.build("2", hosts=("bed1", "bed3"))
    project.build("2", healthy=False, hosts=("bed2",))  # the second batch fails its gate
    project.write_map("2", mode="two")

    halted = project.run("-H", ",".join(HOSTS), "update", "__all__", "--batch", "1",
                         "--on-failure", "stop")
    assert halted.returncode == 1
    doc, results = _record(project)
    assert results == {"bed1": "ok", "bed2": "failed", "bed3": "not reached"}
    assert doc["tasks"] == ["update"] and "--batch" in doc["argv"]
    assert "unhealthy" in doc["hosts"]["bed2"]["error"]
    assert doc["hosts"]["bed3"]["error"].startswith("not reached")

    fixed = project.build("2", hosts=("bed2",), variant="b")  # a healthy image, same tag
    time.sleep(1.1)  # events have whole-second times: none of the first run's from here on
    began = time.time()
    retry = project.run("--retry-failed")
    ended = time.time()
    assert retry.returncode == 0
    assert "[bed1]" not in retry.stdout
    assert "batch 1/2 (bed2): started" in retry.stdout  # in batches again, -H order
    assert "batch 2/2 (bed3): started" in retry.stdout
    assert project.events("bed1", began, ended) == []  # bed1 was left alone
    assert project.container("bed2", "app")["Image"] == fixed["bed2"]
    assert "MODE=two" in project.container("bed3", "app")["Config"]["Env"]
    assert _record(project)[1] == {"bed1": "ok", "bed2": "ok", "bed3": "ok"}

    again = project.run("--retry-failed")
    assert again.returncode == 0 and "nothing to retry" in again.stderr

