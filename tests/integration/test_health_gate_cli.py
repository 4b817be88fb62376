"""The health gate as a user of ``dockerfab`` sees it, over SSH on a bed host: the live
line of a one-shot container says "exited 0", a crash fails the run with the container's
log lines (environment values masked), ``--no-wait`` does not wait."""
from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
import yaml

from tests.integration.fabric_helpers import (
    remove_map_objects,
    run_program,
    unique,
    write_project,
)

HOST = "bed3"
IMAGE = "dockerfab-test/base:latest"
IDLE = "trap 'exit 0' TERM; while :; do sleep 1 & wait $!; done"



@pytest.fixture
def project(bed, bed_api, tmp_path):
    """A project whose map (unique name) is written by the test; cleaned up after."""
    name = unique("t_gatecli")
    yield tmp_path, name
    remove_map_objects(name, bed_api(bed.host(HOST)))


def write_map(directory: Path, name: str, configs: dict) -> None:
    (directory / "map.yaml").write_text(yaml.safe_dump({"name": name, **configs}))
    write_project(directory, {"maps": ["map.yaml"]})


def test_one_shot_and_healthy_containers_pass(project, ssh_config, bed_api, bed):
    directory, name = project
    write_map(directory, name, {
        "volumes": {"data": "/data"},
        "seed": {"image": IMAGE, "attaches": "data", "persistent": True,  # runs once
                 "create_options": {"command": ["sh", "-c", "echo v1 > /data/version"]}},
        "db": {"image": IMAGE, "healthcheck": {"test": ["CMD", "true"], "interval": 0.2}},
        "app": {"image": IMAGE, "uses": "seed", "links": "db"},
    })
    proc = run_program("dockerfab", directory, ssh_config, "-H", HOST, "startup", "app",
                       "--readiness", "0.5")
    assert proc.returncode == 0
    out = proc.stdout
    assert re.search(rf"\[{HOST}\] start {name}\.seed done [\d.]+s, exited 0", out)
    assert re.search(rf"\[{HOST}\] start {name}\.db done [\d.]+s, healthy", out)
    assert re.search(rf"\[{HOST}\] start {name}\.app done [\d.]+s, running 0.5s", out)
    # the dependent's start line comes after both of its dependencies are done
    assert out.index(f"start {name}.app ...") > out.index(f"start {name}.seed done")
    assert out.index(f"start {name}.app ...") > out.index(f"start {name}.db done")
    api = bed_api(bed.host(HOST))
    assert api.inspect_container(f"{name}.seed")["State"]["ExitCode"] == 0
    again = run_program("dockerfab", directory, ssh_config, "-H", HOST, "update", "app")
    assert again.returncode == 0 and "start " not in again.stdout  # nothing to do


def test_crash_fails_the_run_with_masked_log_lines(project, ssh_config):
    directory, name = project
    secret = "tok-" + uuid.uuid4().hex[:10]
    write_map(directory, name, {"worker": {"image": IMAGE, "create_options": {
        "environment": {"API_TOKEN": secret},
        "command": ["sh", "-c", 'echo "using $API_TOKEN"; sleep 1; echo fatal: no db; exit 3']}}})
    proc = run_program("dockerfab", directory, ssh_config, "-H", HOST, "startup", "worker",
                       "--readiness", "3")
    assert proc.returncode == 1
    assert f"start {name}.worker FAILED" in proc.stdout
    assert "exited with code 3" in proc.stdout and "fatal: no db" in proc.stdout
    assert "using ***" in proc.stdout
    assert secret not in proc.stdout + proc.stderr


def test_no_wait_does_not_wait(project, ssh_config, bed_api, bed):
    directory, name = project
    write_map(directory, name, {"worker": {"image": IMAGE, "create_options": {
        "command": ["sh", "-c", "sleep 2; exit 3"]}}})
    proc = run_program("dockerfab", directory, ssh_config, "-H", HOST, "startup", "worker",
                       "--no-wait", "--readiness", "5")
    assert proc.returncode == 0
    assert re.search(rf"start {name}\.worker done [\d.]+s$", proc.stdout, re.MULTILINE)
    assert bed_api(bed.host(HOST)).inspect_container(f"{name}.worker")["State"]["Running"]


def test_settings_and_bad_flag(project, ssh_config, monkeypatch):
    monkeypatch.delenv("DOCKERFAB_READINESS")  # the suite's short default; fabric.yaml here
    directory, name = project
    write_map(directory, name, {"web": {"image": IMAGE}})
    (directory / "fabric.yaml").write_text(yaml.safe_dump({
        **yaml.safe_load((directory / "fabric.yaml").read_text()),
        "docker": {"maps": ["map.yaml"], "readiness": 0.7}}))
    proc = run_program("dockerfab", directory, ssh_config, "-H", HOST, "startup", "web")
    assert proc.returncode == 0 and "running 0.7s" in proc.stdout
    bad = run_program("dockerfab", directory, ssh_config, "-H", HOST, "startup", "web",
                      "--readiness", "-1")
    assert bad.returncode == 2 and "--readiness" in bad.stderr
