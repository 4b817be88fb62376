"""Rolling deploys over SSH on bed1..bed3, as issue 11 asks for them: a bad image caught on
the first host and rolled back there while the others are never touched, a good image
going out one batch at a time, and a failure in the second batch taking the first batch's
host back too; a halted rollout in the run record, and ``--retry-failed`` rolling out again
on only the hosts that failed or were never reached."""
from __future__ import annotations

import itertools
import json
import time

import pytest

from tests.integration.rollout_helpers import Project

HOSTS = ("bed1", "bed2", "bed3")


@pytest.fixture
def project(bed, bed_api, tmp_path, ssh_config):
    p = Project(bed, bed_api, tmp_path, ssh_config, HOSTS)
    yield p
    p.cleanup()


def _exact(inspect):
    return (inspect["Id"], inspect["Image"], inspect["Config"], inspect["HostConfig"])


def _deployed(project):
    """Map version one (a healthy image) on every host; returns each host's containers."""
    good = project.build("1")
    project.write_map("1", mode="one")
    assert project.run("-H", ",".join(HOSTS), "startup", "__all__").returncode == 0
    return good, {h: {c: _exact(project.container(h, c)) for c in ("app", "web")}
                  for h in HOSTS}


def _record(project):
    doc = json.loads((project.directory / ".dockerfab" / "last-run.json").read_text())
    return doc, {h: e["result"] for h, e in doc["hosts"].items()}


def _by_host(doc):
    return {h["host"]: h for h in doc["hosts"]}


def test_bad_image_is_rolled_back_on_the_first_host_and_never_reaches_the_others(project):
    good, before = _deployed(project)
    project.build("2", healthy=False)
    project.write_map("2", mode="two")
    began = time.time()
    code, doc = project.json("-H", ",".join(HOSTS), "update", "__all__", "--batch", "1")
    ended = time.time()
    assert code == 4
    hosts = _by_host(doc)
    assert "rolled back to" in hosts["bed1"]["error"]
    assert "unhealthy" in hosts["bed1"]["error"]  # why the rollout failed
    for host in ("bed2", "bed3"):
        assert hosts[host]["error"].startswith("not reached")
    lines = [m["message"] for m in doc["output"] if "message" in m]
    assert any(line.startswith("batch 1/3 (bed1): started") for line in lines)
    assert any("rolling back bed1" in line for line in lines)

    # bed1 went to the new image and back: the old image and configuration, re-created
    app = project.container("bed1", "app")
    assert app["Image"] == good["bed1"]
    assert (app["Config"], app["HostConfig"]) == before["bed1"]["app"][2:]
    assert "MODE=one" in app["Config"]["Env"]
    # bed2 and bed3 were never touched: no event of the map's containers, same containers
    for host in ("bed2", "bed3"):
        assert project.events(host, began, ended) == [], host
        assert {c: _exact(project.container(host, c)) for c in ("app", "web")} == before[host]

    project.write_map("1", mode="one")  # the old map: in sync everywhere
    assert project.run("-H", ",".join(HOSTS), "status").returncode == 0
    assert [t for t, _ in project.audit("bed1")] == ["startup", "update", "rollback"]
    assert project.audit("bed1")[1][1].startswith("failed: ")
    assert project.audit("bed2") == [("startup", "ok")]


def test_good_image_reaches_every_host_one_batch_at_a_time(project):
    _deployed(project)
    new = project.build("2")
    project.write_map("2", mode="two")
    code, doc = project.json("-H", ",".join(HOSTS), "update", "__all__", "--batch", "1",
                             "--watch", "2")
    assert code == 0, doc
    windows = []
    for host in HOSTS:
        times = [e["time"] for e in doc["events"] if e["host"] == host]
        windows.append((min(times), max(times)))
        assert project.container(host, "app")["Image"] == new[host]
        assert _by_host(doc)[host]["release"]  # the summary's RELEASE column
    for (_, end), (start, _) in itertools.pairwise(windows):
        assert end + 2 <= start  # no overlap, and the watch time between batches


def test_failure_in_the_second_batch_rolls_back_the_first_batch_too(project):
    good, _ = _deployed(project)
    project.build("2", healthy=True, hosts=("bed1",))
    project.build("2", healthy=False, hosts=("bed2", "bed3"))
    project.write_map("2", mode="two")
    began = time.time()
    code, doc = project.json("-H", ",".join(HOSTS), "update", "__all__", "--batch", "1")
    ended = time.time()
    assert code == 4
    hosts = _by_host(doc)
    assert "rolled back to" in hosts["bed1"]["error"] and "bed2:" in hosts["bed1"]["error"]
    assert "rolled back to" in hosts["bed2"]["error"]
    assert hosts["bed3"]["error"].startswith("not reached")
    # the run record: bed1 was switched and taken back, so it is not at the new release
    # either; --retry-failed takes all three
    record, results = _record(project)
    assert results == {"bed1": "failed", "bed2": "failed", "bed3": "not reached"}
    assert "rolled back to" in record["hosts"]["bed1"]["error"]
    for host in ("bed1", "bed2"):
        app = project.container(host, "app")
        assert app["Image"] == good[host] and "MODE=one" in app["Config"]["Env"]
    assert project.events("bed3", began, ended) == []
    project.write_map("1", mode="one")
    assert project.run("-H", ",".join(HOSTS), "status").returncode == 0


def test_a_halted_rollout_is_retried_on_its_failed_and_unreached_hosts_only(project):
    _deployed(project)
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

