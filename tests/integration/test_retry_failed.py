"""``.dockerfab/last-run.json`` and ``dockerfab --retry-failed`` over SSH on bed hosts: the
record names every host's result, and a retry works only on the hosts that were not ok."""
from __future__ import annotations

import json
import time

import pytest
import yaml

from tests.integration.fabric_helpers import (
    UNREACHABLE,
    remove_map_objects,
    run_program,
    unique,
    write_project,
    write_ssh_config,
)

IMAGE = "dockerfab-test/base:latest"
IDLE = "trap 'exit 0' TERM; while :; do sleep 1 & wait $!; done"


@pytest.fixture(scope="module")
def ssh_config(bed, tmp_path_factory):
    return write_ssh_config(bed, tmp_path_factory.mktemp("ssh"))


@pytest.fixture
def project(bed, bed_api, tmp_path):
    name = unique("t_retry")
    (tmp_path / "map.yaml").write_text(yaml.safe_dump({
        "name": name, "app": {"image": IMAGE, "create_options": {"command": ["sh", "-c", IDLE]}}}))
    write_project(tmp_path, {"maps": ["map.yaml"], "wait": False})
    yield tmp_path, name
    remove_map_objects(name, *(bed_api(host) for host in bed))


def flaky_alias(ssh_config, target):
    """A copy of the tests' ssh_config with ``flaky`` as an alias of ``target``."""
    text = ssh_config.read_text()
    block = text.split(f"Host {target}\n", 1)[1].split("\nHost ", 1)[0]
    path = ssh_config.parent / f"ssh_config.flaky-{target}"
    path.write_text(text + f"Host flaky\n{block}\n")
    return path


def record(directory):
    return json.loads((directory / ".dockerfab" / "last-run.json").read_text())


def results(doc):
    return {host: entry["result"] for host, entry in doc["hosts"].items()}


def events(api, name, since):
    return list(api.events(since=since, until=int(time.time()) + 1, decode=True,
                           filters={"type": "container", "label": f"dockerfab.map={name}"}))


def test_record_and_retry_only_where_not_ok(bed, bed_api, project, ssh_config):
    directory, name = project
    hosts = f"bed1,flaky,{UNREACHABLE}"
    broken = flaky_alias(ssh_config, "bed2-badkey")  # flaky: bed2, with a key it refuses
    first = run_program("dockerfab", directory, broken, "-H", hosts, "startup", "app")
    assert first.returncode == 1
    doc = record(directory)
    assert doc["tasks"] == ["startup"] and doc["argv"] == ["startup", "app"]
    assert doc["hosts_arg"] == hosts and doc["started"] and doc["seconds"] > 0
    assert results(doc) == {"bed1": "ok", "flaky": "not reached", UNREACHABLE: "not reached"}
    assert "SSH authentication failed" in doc["hosts"]["flaky"]["error"]
    assert doc["hosts"]["bed1"]["error"] is None

    # flaky is fixed (the right key now); the retry reaches it, bed1 is left alone
    fixed = flaky_alias(ssh_config, "bed2")
    time.sleep(1.1)  # events have whole-second times: none of the first run's from here on
    since = int(time.time())
    retry = run_program("dockerfab", directory, fixed, "--retry-failed")
    assert retry.returncode == 1  # UNREACHABLE still is
    assert "[bed1]" not in retry.stdout
    assert "[flaky]" in retry.stdout and f"[{UNREACHABLE}]" in retry.stdout
    assert not events(bed_api(bed.host("bed1")), name, since)
    assert [c["State"] for c in bed_api(bed.host("bed2")).containers(
        all=True, filters={"name": f"{name}.app"})] == ["running"]
    assert results(record(directory)) == {"bed1": "ok", "flaky": "ok",
                                          UNREACHABLE: "not reached"}

    # only UNREACHABLE is left to retry
    again = run_program("dockerfab", directory, fixed, "--retry-failed")
    assert again.returncode == 1
    assert "[bed1]" not in again.stdout and "[flaky]" not in again.stdout
    assert f"[{UNREACHABLE}] ERROR startup" in again.stdout


def test_retry_with_nothing_failed_or_no_record(bed, project, ssh_config):
    directory, _ = project
    none = run_program("dockerfab", directory, ssh_config, "--retry-failed")
    assert none.returncode == 2 and "no record of a run here" in none.stderr
    ok = run_program("dockerfab", directory, ssh_config, "-H", "bed1", "startup", "app")
    assert ok.returncode == 0 and results(record(directory)) == {"bed1": "ok"}
    nothing = run_program("dockerfab", directory, ssh_config, "--retry-failed")
    assert nothing.returncode == 0
    assert "nothing to retry" in nothing.stderr and "[bed1]" not in nothing.stdout
