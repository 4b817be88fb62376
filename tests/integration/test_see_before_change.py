"""``--dry-run``, ``--format json`` and ``status`` as a user runs them: ``dockerfab`` over real
SSH to bed1, what happened checked on bed1's own Docker socket (its event stream)."""
from __future__ import annotations

import json
import random
import shutil
import time
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from tests.integration.fabric_helpers import (
    remove_map_objects,
    run_program,
    unique,
    write_project,
)

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "webapp" / "example_map.yaml"
HOST = "bed1"
SECRET = "tok-" + "9f31c0d2e7"  # an environment value that must never be printed
# daemon event actions that change something
CHANGING = {"create", "start", "stop", "die", "kill", "destroy", "restart", "pause",
            "exec_create", "exec_start", "rename", "update", "connect", "disconnect",
            "mount", "unmount"}



@pytest.fixture
def webapp(bed, bed_api, tmp_path):
    """The bundled example map under a unique name, with a secret environment value on the
    app server; removed from bed1 afterwards."""
    name = unique("dfsee")
    root = Path("/tmp") / name
    data = yaml.safe_load(EXAMPLE.read_text())
    data["name"] = name
    data["host_root"] = str(root / "site")
    # below the ephemeral range (32768-60999) of bed1, where outgoing connections take ports
    port = random.randrange(30000, 32700, 2)
    data["web_server"]["exposes"] = {80: port, 443: port + 1}
    data["app_server"]["create_options"] = {"environment": {"API_TOKEN": SECRET}}
    (tmp_path / "map.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    write_project(tmp_path, {"maps": ["map.yaml"]})
    yield tmp_path, name, data
    remove_map_objects(name, bed_api(HOST))
    shutil.rmtree(root, ignore_errors=True)


def dockerfab(directory, ssh_config, *args):
    return run_program("dockerfab", directory, ssh_config, "-H", HOST, *args)


def changing_events(api, name, since, until):
    """Events of bed1's daemon in [since, until] that change something of map ``name``
    (other helpers share the daemon: only our map's items count)."""
    found = []
    for event in api.events(since=int(since) - 1, until=int(until) + 1, decode=True):
        if not since <= event["timeNano"] / 1e9 <= until:
            continue
        action = str(event.get("Action") or event.get("status") or "").split(":")[0]
        if action in CHANGING and name in json.dumps(event):
            found.append((event.get("Type"), action))
    return found


def by_step(actions):
    """{step: {item: [action kinds in order]}}: what must agree between plan and run (items
    of one step run concurrently, so only the order per item is fixed)."""
    out: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for a in actions:
        out[a["step"]][a["item"]].append(a["action"])
    return {step: dict(items) for step, items in out.items()}


def check_document(doc, task, dry_run):
    """The documented shape of the JSON document (docs/output.rst)."""
    assert doc["version"] == 1 and doc["task"] == task and doc["dry_run"] is dry_run
    assert isinstance(doc["ok"], bool) and isinstance(doc["seconds"], float)
    assert isinstance(doc["events"], list) and isinstance(doc["output"], list)
    (host,) = doc["hosts"]
    assert host["host"] == HOST and host["task"] == task
    for key in ("created", "started", "stopped", "removed", "updated", "failed"):
        assert isinstance(host[key], int), key
    assert {"unchanged", "seconds", "ok", "error"} <= set(host)
    for action in host.get("actions", ()):
        keys = {"client", "action", "item", "reasons", "step"}
        assert set(action) == (keys if dry_run else keys | {"duration"}), action
    return host


def test_dry_run_changes_nothing_and_the_real_run_does_the_plan(bed, bed_api, webapp,
                                                                  ssh_config):
    directory, name, _ = webapp
    api = bed_api(HOST)
    since = time.time()
    text = dockerfab(directory, ssh_config, "startup", "web_server", "--dry-run")
    dry = dockerfab(directory, ssh_config, "startup", "web_server", "--dry-run",
                    "--format", "json")
    until = time.time()
    assert text.returncode == 0 and dry.returncode == 0, text.stdout + dry.stdout
    assert changing_events(api, name, since, until) == []
    assert api.containers(all=True, filters={"name": name}) == []
    assert f"[{HOST}] startup would do 11 actions" in text.stdout
    assert f"create          {name}.app_server.instance1  missing" in text.stdout
    assert "dry run: nothing was changed" in text.stdout

    doc = json.loads(dry.stdout)
    host = check_document(doc, "startup", True)
    plan = host["actions"]
    assert [a["step"] for a in plan] == sorted(a["step"] for a in plan)
    assert host["created"] == 6 and host["started"] == 3 and doc["events"] == []

    real = dockerfab(directory, ssh_config, "startup", "web_server", "--format", "json")
    assert real.returncode == 0, real.stdout + real.stderr
    done = check_document(json.loads(real.stdout), "startup", False)
    assert by_step(done["actions"]) == by_step(plan)
    # done in plan order: a step's actions all finished before the next step's
    assert [a["step"] for a in done["actions"]] == sorted(a["step"] for a in plan)
    assert done["created"] == 6 and done["started"] == 3
    for output in (text.stdout, dry.stdout, real.stdout, text.stderr, real.stderr):
        assert SECRET not in output
    # now in place: the dry run has nothing to do
    again = dockerfab(directory, ssh_config, "startup", "web_server", "--dry-run")
    assert f"[{HOST}] startup: nothing to do, 3 unchanged" in again.stdout


def test_update_dry_run_names_the_changed_variable_not_its_value(bed, bed_api, webapp,
                                                                   ssh_config):
    directory, name, data = webapp
    api = bed_api(HOST)
    assert dockerfab(directory, ssh_config, "startup", "web_server", "-q").returncode == 0
    data["app_server"]["create_options"]["environment"]["API_TOKEN"] = SECRET + "-new"
    (directory / "map.yaml").write_text(yaml.safe_dump(data, sort_keys=False))

    since = time.time()
    text = dockerfab(directory, ssh_config, "update", "web_server", "--dry-run")
    dry = dockerfab(directory, ssh_config, "update", "web_server", "--dry-run", "-o", "json")
    until = time.time()
    assert changing_events(api, name, since, until) == []
    assert f"stop    {name}.app_server.instance1  env API_TOKEN changed" in text.stdout
    plan = check_document(json.loads(dry.stdout), "update", True)["actions"]
    assert {tuple(a["reasons"]) for a in plan} == {("env API_TOKEN changed",)}
    real = dockerfab(directory, ssh_config, "update", "web_server", "-o", "json", "-v")
    done = check_document(json.loads(real.stdout), "update", False)["actions"]
    assert by_step(done) == by_step(plan)
    assert [a["step"] for a in done] == sorted(a["step"] for a in plan)
    for output in (text.stdout, dry.stdout, real.stdout):
        assert SECRET not in output
    env = api.inspect_container(f"{name}.app_server.instance1")["Config"]["Env"]
    assert f"API_TOKEN={SECRET}-new" in env


@pytest.fixture
def fleet(bed, bed_api, tmp_path):
    """A map of independent containers on the test base image, one per status to see."""
    name = unique("dfstat")
    configs = {c: {"image": "dockerfab-test/base:latest",
                   "create_options": {"environment": {"TOKEN": SECRET}}}
               for c in ("same", "changed", "halted", "gone", "dropped", "sick")}
    configs["sick"]["healthcheck"] = {"test": ["CMD", "false"], "interval": "1s",
                                      "timeout": "1s", "retries": 1}
    data = {"name": name, **configs, "volumes": {"cache": "/var/cache/x"}}
    data["dropped"]["attaches"] = ["cache"]
    (tmp_path / "map.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    write_project(tmp_path, {"maps": ["map.yaml"]})
    yield tmp_path, name, data
    remove_map_objects(name, bed_api(HOST))


def statuses(doc):
    (host,) = doc["hosts"]
    return {c["name"].split(".", 1)[1]: c for c in host["containers"]}, host


def test_status_sees_in_sync_drifted_stopped_missing_unhealthy_and_orphans(
        bed, bed_api, fleet, ssh_config):
    directory, name, data = fleet
    api = bed_api(HOST)
    # --no-wait: the health gate would fail "sick" (and remove it); status is to see it
    assert dockerfab(directory, ssh_config, "startup", "__all__", "-q",
                     "--no-wait").returncode == 0
    # the health check of "sick" fails after ~1 s; wait until Docker says so
    deadline = time.time() + 30
    while api.inspect_container(f"{name}.sick")["State"]["Health"]["Status"] != "unhealthy":
        assert time.time() < deadline, "health check never failed"
        time.sleep(0.5)
    first = dockerfab(directory, ssh_config, "status", "-o", "json")
    found, host = statuses(json.loads(first.stdout))
    assert first.returncode == 3  # sick is unhealthy
    assert found["sick"]["state"] == "unhealthy" and found["sick"]["health"] == "unhealthy"
    assert {k: v["state"] for k, v in found.items() if k != "sick"} == dict.fromkeys(
        ("same", "changed", "halted", "gone", "dropped"), "in sync")
    assert host["orphans"] == [] and host["in_sync"] is False

    # now make every kind of difference
    data["changed"]["create_options"]["environment"]["TOKEN"] = SECRET + "-2"
    data.pop("sick")
    data.pop("dropped")
    (directory / "map.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    api.remove_container(f"{name}.sick", force=True)
    api.stop(f"{name}.halted", timeout=1)
    api.remove_container(f"{name}.gone", force=True)

    since = time.time()
    text = dockerfab(directory, ssh_config, "status")
    proc = dockerfab(directory, ssh_config, "status", "--format", "json")
    until = time.time()
    assert text.returncode == 3 and proc.returncode == 3, text.stdout
    assert changing_events(api, name, since, until) == []
    doc = json.loads(proc.stdout)
    assert doc["version"] == 1 and doc["task"] == "status" and doc["in_sync"] is False
    found, host = statuses(doc)
    assert {k: v["state"] for k, v in found.items()} == {
        "same": "in sync", "changed": "drifted", "halted": "stopped", "gone": "missing"}
    assert found["changed"]["reasons"] == ["env TOKEN changed"]
    assert found["halted"]["status"] == "exited"
    assert host["status_counts"] == {"in_sync": 1, "drifted": 1, "stopped": 1, "missing": 1,
                                     "unhealthy": 0, "orphaned": 2}
    assert sorted((o["kind"], o["name"]) for o in host["orphans"]) == [
        ("container", f"{name}.dropped"), ("volume", f"{name}.cache")]
    for output in (text.stdout, proc.stdout):
        assert SECRET not in output
    lines = {line.split()[0]: line for line in text.stdout.splitlines() if name in line}
    assert "drifted" in lines[f"{name}.changed"] and "env TOKEN changed" in lines[
        f"{name}.changed"]
    assert "missing" in lines[f"{name}.gone"] and "stopped" in lines[f"{name}.halted"]
    assert "container" in lines[f"{name}.dropped"]

    # the same reasons as the update plan
    plan = json.loads(dockerfab(directory, ssh_config, "update", "__all__", "--dry-run",
                                "-o", "json").stdout)["hosts"][0]["actions"]
    assert {a["item"]: a["reasons"] for a in plan if a["action"] == "remove"} == {
        f"{name}.changed": ["env TOKEN changed"]}

    # orphans: kept without confirmation, removed with --yes
    kept = dockerfab(directory, ssh_config, "status", "--remove-orphans")
    assert kept.returncode == 3 and "orphans kept (not confirmed)" in kept.stdout
    assert api.containers(all=True, filters={"name": f"{name}.dropped"})
    removed = dockerfab(directory, ssh_config, "status", "--remove-orphans", "--yes")
    assert f"remove {name}.dropped done" in removed.stdout
    assert f"remove_volume {name}.cache done" in removed.stdout
    assert not api.containers(all=True, filters={"name": f"{name}.dropped"})
    assert removed.returncode == 3  # still drifted, stopped, missing

    assert dockerfab(directory, ssh_config, "update", "__all__", "-q").returncode == 0
    final = dockerfab(directory, ssh_config, "status", "-o", "json")
    assert final.returncode == 0, final.stdout
    found, host = statuses(json.loads(final.stdout))
    assert {v["state"] for v in found.values()} == {"in sync"} and host["orphans"] == []


DRY_RUNS = [  # (task arguments, what the plan must say)
    (["shutdown", "__all__"], "shutdown would do 6 actions"),
    (["create", "__all__"], "create: nothing to do, 3 unchanged"),
    (["start", "web_server"], "start: nothing to do, 3 unchanged"),
    (["stop", "app_server"], "stop would do 3 actions"),
    (["remove", "app_server", "--remove-attached"], "remove_volume"),
    (["restart", "web_server"], "restart would do 1 action"),
    (["update", "web_server", "--force-update", "web_server"], "forced"),
    (["kill", "app_server"], "signal SIGKILL"),
    (["pull-images", "web_server"], "pull_image  registry.example.com/app:latest    update"),
    (["script", "app_server", "SCRIPT", "--instance", "instance1",
      "--remove-existing-before"], "run_script"),
    (["single-cmd", "web_server", "id", "--remove-existing-before"], "run_script"),
]


def test_every_map_action_dry_run_changes_nothing(bed, bed_api, webapp, ssh_config):
    directory, name, _ = webapp
    api = bed_api(HOST)
    script = directory / "job.sh"
    script.write_text("echo done > result.txt\n")
    assert dockerfab(directory, ssh_config, "startup", "web_server", "-q").returncode == 0
    before = {c["Id"]: c["State"] for c in api.containers(all=True, filters={"name": name})}
    since = time.time()
    for args, expect in DRY_RUNS:
        args = [str(script) if a == "SCRIPT" else a for a in args]
        proc = dockerfab(directory, ssh_config, *args, "--dry-run")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert expect in proc.stdout, args
        assert "dry run: nothing was changed" in proc.stdout
        assert SECRET not in proc.stdout
    until = time.time()
    assert changing_events(api, name, since, until) == []
    after = {c["Id"]: c["State"] for c in api.containers(all=True, filters={"name": name})}
    assert after == before


def test_script_dry_run_matches_the_real_run(bed, bed_api, webapp, ssh_config):
    directory, name, _ = webapp
    args = ["single-cmd", "web_server", "echo hello"]
    dry = dockerfab(directory, ssh_config, *args, "--dry-run", "-o", "json")
    plan = check_document(json.loads(dry.stdout), "single-cmd", True)["actions"]
    kinds = [(a["action"], a["item"]) for a in plan]
    assert kinds[-3:] == [("create", f"{name}.web_server"), ("run_script", f"{name}.web_server"),
                          ("remove", f"{name}.web_server")]
    real = dockerfab(directory, ssh_config, *args, "-o", "json")
    assert real.returncode == 0, real.stdout
    doc = json.loads(real.stdout)
    done = [(e["action"], e["item"]) for e in doc["events"] if e["phase"] == "done"]
    # the dependencies' startup and the container's creation, as planned
    assert sorted(done) == sorted(k for k in kinds if k[0] not in ("run_script", "remove"))
    assert "hello" in json.dumps(doc["hosts"][0]["result"])
