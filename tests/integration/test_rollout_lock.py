"""The per-host deploy lock, as two operators would meet it: two real ``dockerfab update``
runs started at once against bed1, and a lock left behind by a run killed with SIGKILL."""
from __future__ import annotations

import os
import re
import signal
import time

import pytest

from tests.integration.rollout_helpers import Project


@pytest.fixture
def project(bed, bed_api, tmp_path, ssh_config):
    p = Project(bed, bed_api, tmp_path, ssh_config, ("bed1",))
    yield p
    p.cleanup()


def test_two_updates_at_once_one_works_the_other_exits_5_naming_the_holder(project):
    project.deploy_slow_to_update()
    first = project.popen("-H", "bed1", "update", "__all__")
    second = project.popen("-H", "bed1", "update", "__all__")
    outs = [(p.wait(120), *p.communicate()) for p in (first, second)]
    for code, out, err in outs:
        print(code, out, err)
    codes = sorted(code for code, _, _ in outs)
    assert codes == [0, 5]
    _, out, err = next(o for o in outs if o[0] == 5)
    text = out + err
    assert re.search(r"locked by \S+@\S+ \(pid \d+\) since \d{4}-\d\d-\d\dT[\d:]+Z, "
                     r"task update __all__", text), text
    # nothing half-done: every container is there, running, with the new configuration
    app = project.container("bed1", "app")
    assert app["State"]["Running"] and "MODE=two" in app["Config"]["Env"]
    assert project.container("bed1", "web")["State"]["Running"]
    assert project.run("-H", "bed1", "status").returncode == 0
    assert project.name not in project.run("-H", "bed1", "lock").stdout  # given back
    # the audit log has the run that worked (the refused one changed nothing)
    assert project.audit("bed1") == [("startup", "ok"), ("update", "ok")]


def test_a_second_run_waits_with_lock_wait(project):
    project.deploy_slow_to_update()
    first = project.popen("-H", "bed1", "update", "__all__")
    project.wait_for_lock("bed1")
    waited = project.run("-H", "bed1", "update", "__all__", "--lock-wait", "60")
    assert first.wait(120) == 0
    assert waited.returncode == 0  # it waited, then found nothing to do
    assert "UNCHANGED" in waited.stdout


def test_a_lock_left_by_a_killed_run_is_shown_and_removed_by_unlock(project):
    project.deploy_slow_to_update()
    victim = project.popen("-H", "bed1", "update", "__all__")
    project.wait_for_lock("bed1")
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(30)

    shown = project.run("-H", "bed1", "lock")
    assert shown.returncode == 0
    assert project.name in shown.stdout and f" {victim.pid} " in shown.stdout
    assert "update __all__" in shown.stdout

    refused = project.run("-H", "bed1", "update", "__all__")
    assert refused.returncode == 5
    assert f"(pid {victim.pid})" in refused.stdout + refused.stderr

    removed = project.run("-H", "bed1", "unlock")
    assert removed.returncode == 0 and f"removed the lock of map {project.name}" in removed.stdout
    assert project.name not in project.run("-H", "bed1", "lock").stdout
    # a re-run converges: whatever the killed run left, the map is in line afterwards
    assert project.run("-H", "bed1", "update", "__all__").returncode == 0
    assert project.run("-H", "bed1", "status").returncode == 0


def test_ctrl_c_gives_the_lock_back(project):
    project.deploy_slow_to_update()
    run = project.popen("-H", "bed1", "update", "__all__")
    project.wait_for_lock("bed1")
    run.send_signal(signal.SIGINT)
    assert run.wait(120) == 130
    assert project.name not in project.run("-H", "bed1", "lock").stdout
    # the next run takes the lock and converges
    assert project.run("-H", "bed1", "update", "__all__").returncode == 0
    assert project.run("-H", "bed1", "status").returncode == 0
    task, result = project.audit("bed1")[1]
    assert task == "update" and result.startswith("interrupted")


def test_a_failing_pre_deploy_hook_stops_the_run_before_any_host(project, tmp_path):
    project.build("1", healthy=None)
    seen = tmp_path / "post.env"
    project.write_map("1", hooks={"pre_deploy": "echo not today >&2; exit 3",
                                  "post_deploy": f"env | grep ^DOCKERFAB_ > {seen}"})
    began = time.time()
    refused = project.run("-H", "bed1", "startup", "__all__")
    assert refused.returncode == 1
    assert "not started: pre_deploy hook failed (exit status 3): not today" in refused.stdout
    assert project.events("bed1", began, time.time()) == []
    assert project.bed_api("bed1").containers(all=True, filters={"name": project.name}) == []

    project.write_map("1", hooks={"pre_deploy": "true",
                                  "post_deploy": f"env | grep ^DOCKERFAB_ > {seen}"})
    assert project.run("-H", "bed1", "startup", "__all__").returncode == 0
    env = dict(line.split("=", 1) for line in seen.read_text().splitlines())
    expected = {"DOCKERFAB_TASK": "startup", "DOCKERFAB_NAMES": "__all__",
                "DOCKERFAB_HOSTS": "bed1", "DOCKERFAB_RESULT": "ok",
                "DOCKERFAB_FAILED_HOSTS": ""}
    assert {k: env.get(k) for k in expected} == expected
