"""``fab`` and ``dockerfab`` as a user runs them: a two-line fabfile, a fabric.yaml naming the
spec's example map (3.9.1), real SSH to the bed hosts, results checked on the hosts' own
Docker sockets."""
from __future__ import annotations

import json
import random
import re
import shutil
import time
from pathlib import Path

import pytest
import yaml

from tests.integration.fabric_helpers import (
    PARALLEL_FAB,
    UNREACHABLE,
    remove_map_objects,
    run_program,
    unique,
    write_project,
)

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "webapp" / "example_map.yaml"
HOSTS = ("bed1", "bed2")



@pytest.fixture
def project(bed, bed_api, tmp_path):
    """A project directory with the example map under a unique name, its host paths under
    a temporary root and its ports moved out of the way; cleaned up on the hosts after."""
    name = unique()
    root = Path("/tmp") / name
    data = yaml.safe_load(EXAMPLE.read_text())
    data["name"] = name
    data["host_root"] = str(root / "site")
    port = random.randrange(20000, 30000, 2)
    data["web_server"]["exposes"] = {80: port, 443: port + 1}
    (tmp_path / "map.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    write_project(tmp_path, {"maps": ["map.yaml"]})
    yield tmp_path, name, port
    remove_map_objects(name, *(bed_api(host) for host in bed))
    shutil.rmtree(root, ignore_errors=True)


def containers(api, name):
    """``{container name: state}`` of the map's containers on a host."""
    return {c["Names"][0].lstrip("/"): c["State"]
            for c in api.containers(all=True, filters={"name": f"{name}."})}


def expected(name):
    return {f"{name}.web_server": "running", f"{name}.app_server.instance1": "running",
            f"{name}.app_server.instance2": "running"}


def summary_rows(output):
    """Summary table rows by host: {host: {column: value}}."""
    lines = output.splitlines()
    start = max(i for i, line in enumerate(lines) if line.startswith("HOST "))
    headers = lines[start].lower().split()
    return {row.split()[0]: dict(zip(headers, row.split())) for row in lines[start + 1:]
            if row.strip()}


def event_times(doc, host):
    times = [e["time"] for e in doc["events"] if e["host"] == host]
    return min(times), max(times)


def test_fab_startup_twice_then_shutdown(bed, bed_api, project, ssh_config):
    directory, name, port = project
    since = int(time.time()) - 1
    first = run_program("fab", directory, ssh_config, "-H", ",".join(HOSTS),
                        "startup", "web_server")
    assert first.returncode == 0, first.stderr
    rows = summary_rows(first.stdout)
    for host in HOSTS:
        api = bed_api(host)
        assert containers(api, name) == expected(name)
        web = api.inspect_container(f"{name}.web_server")
        assert web["HostConfig"]["PortBindings"]["80/tcp"][0]["HostPort"] == str(port)
        assert rows[host]["created"] == "6" and rows[host]["failed"] == "0"
        # attached volumes were prepared (chown/chmod) with run_cmd on the host, not in a
        # helper container
        assert f"[{host}] prepare_volume {name}.app_server_socket done" in first.stdout
        helpers = list(api.events(since=since, until=int(time.time()) + 1, decode=True,
                                  filters={"type": "container", "label": "dockerfab.helper"}))
        assert not [e for e in helpers if name in json.dumps(e)]
    # fab works on the hosts one after the other
    lines = [line for line in first.stdout.splitlines() if re.match(r"\d\d:\d\d", line)]
    hosts_in_order = [re.search(r"\[(\w+)\]", line).group(1) for line in lines]
    assert hosts_in_order == sorted(hosts_in_order, key=HOSTS.index)

    second = run_program("fab", directory, ssh_config, "-H", ",".join(HOSTS),
                         "startup", "web_server")
    assert second.returncode == 0, second.stderr
    assert " create " not in second.stdout and " start " not in second.stdout
    for host, row in summary_rows(second.stdout).items():
        assert (row["created"], row["started"], row["unchanged"]) == ("0", "0", "3"), host

    down = run_program("fab", directory, ssh_config, "-H", ",".join(HOSTS),
                       "shutdown", "__all__")
    assert down.returncode == 0, down.stderr
    for host in HOSTS:
        assert containers(bed_api(host), name) == {}


@pytest.mark.parametrize("program", ["dockerfab", "fab"])
def test_works_on_hosts_concurrently(bed, bed_api, project, ssh_config, program):
    """``dockerfab`` always; ``fab`` with dockerfab's executor in fabric.yaml."""
    directory, name, _ = project
    if program == "fab":
        write_project(directory, {"maps": ["map.yaml"]}, PARALLEL_FAB)
    env = {"DOCKERFAB_OUTPUT": "json"}
    proc = run_program(program, directory, ssh_config, "-H", ",".join(HOSTS),
                       "startup", "web_server", env=env)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["ok"] and sorted(h["host"] for h in doc["hosts"]) == list(HOSTS)
    (start1, end1), (start2, end2) = (event_times(doc, h) for h in HOSTS)
    assert start1 < end2 and start2 < end1  # the hosts' action windows overlap
    for host in HOSTS:
        assert containers(bed_api(host), name) == expected(name)
    down = run_program(program, directory, ssh_config, "-H", ",".join(HOSTS),
                       "shutdown", "__all__")
    assert down.returncode == 0
    assert all(containers(bed_api(h), name) == {} for h in HOSTS)
    assert len(re.findall(r"^HOST ", down.stdout, re.MULTILINE)) == 1   # one summary


def test_fab_with_dockerfab_executor_reports_a_bad_setting_in_one_line(project, ssh_config):
    directory, _, _ = project
    write_project(directory, {"maps": ["map.yaml"]}, PARALLEL_FAB)
    proc = run_program("fab", directory, ssh_config, "-H", UNREACHABLE, "status",
                       env={"DOCKERFAB_OUTPUT": "xml"})
    assert proc.returncode == 2
    assert proc.stderr.strip() == "dockerfab: docker.output: expected one of text, json, got 'xml'"


def test_failing_hosts_get_one_line_each_while_others_finish(bed, bed_api, project,
                                                             ssh_config):
    directory, name, _ = project
    bad = {"bed2-badkey": "SSH authentication failed",
           "bed2-nokey": "is not in known_hosts",
           UNREACHABLE: "cannot connect"}
    for program in ("fab", "dockerfab"):
        proc = run_program(program, directory, ssh_config, "-H",
                           ",".join(["bed1", *bad]), "startup", "web_server")
        assert proc.returncode == 1
        assert containers(bed_api("bed1"), name) == expected(name)
        errors = [line for line in proc.stdout.splitlines() if " ERROR " in line]
        assert len(errors) == len(bad), errors
        for host, cause in bad.items():
            (line,) = [e for e in errors if e.startswith(f"[{host}] ERROR startup: ")]
            assert cause in line
        rows = summary_rows(proc.stdout)
        assert rows["bed1"]["result"] == "ok"
        assert all(rows[h]["result"] == "FAILED" for h in bad)
        assert "Traceback" not in proc.stdout + proc.stderr
    again = run_program("dockerfab", directory, ssh_config, "-H", "bed1,bed2",
                        "startup", "web_server")
    assert again.returncode == 0
    rows = summary_rows(again.stdout)
    assert rows["bed1"]["created"] == "0" and rows["bed2"]["created"] == "6"


def test_dead_docker_daemon_behind_good_sshd(bed, bed_api, project, ssh_config):
    """Hosts from a clients file (no -H): bed2's client points at a socket that is not
    there; bed1 is deployed, bed2 fails with one line, and fixing the clients converges."""
    directory, name, _ = project
    data = yaml.safe_load((directory / "map.yaml").read_text())
    data["clients"] = ["good", "dead"]
    (directory / "map.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    clients = {"good": {"fabric_host": "bed1"},
               "dead": {"fabric_host": "bed2", "base_url": "unix:///nonexistent/docker.sock"}}
    (directory / "clients.yaml").write_text(yaml.safe_dump(clients))
    write_project(directory, {"maps": ["map.yaml"], "clients": "clients.yaml"})
    proc = run_program("fab", directory, ssh_config, "startup", "web_server")
    assert proc.returncode == 1
    assert containers(bed_api("bed1"), name) == expected(name)
    assert containers(bed_api("bed2"), name) == {}
    (line,) = [line for line in proc.stdout.splitlines() if " ERROR " in line]
    assert line.startswith("[bed2] ERROR startup: ") and "/nonexistent/docker.sock" in line

    clients["dead"]["base_url"] = "unix:///var/run/docker.sock"
    (directory / "clients.yaml").write_text(yaml.safe_dump(clients))
    fixed = run_program("fab", directory, ssh_config, "startup", "web_server")
    assert fixed.returncode == 0
    rows = summary_rows(fixed.stdout)
    assert rows["bed1"]["created"] == "0" and rows["bed2"]["created"] == "6"
    assert containers(bed_api("bed2"), name) == expected(name)


def test_unknown_names_stop_the_run_before_any_host_is_contacted(project, ssh_config):
    """A name no loaded map knows is a usage error (exit 2) found before connecting: the
    unreachable host in the list is never tried."""
    directory, name, _ = project
    for program in ("fab", "dockerfab"):
        proc = run_program(program, directory, ssh_config, "-H", "bed1,198.18.0.99",
                           "startup", "web_srver")
        assert proc.returncode == 2
        assert f"'web_srver' is not a container configuration, instance or group on map " \
               f"'{name}'" in proc.stderr
        assert "198.18.0.99" not in proc.stdout + proc.stderr


def test_map_qualified_names(project, ssh_config, bed_api):
    """'map.config.instance' selects one instance, also with a single (default) map."""
    directory, name, _ = project
    proc = run_program("dockerfab", directory, ssh_config, "-H", "bed1", "startup",
                       f"{name}.app_server.instance2")
    assert proc.returncode == 0
    assert containers(bed_api("bed1"), name) == {f"{name}.app_server.instance2": "running"}
