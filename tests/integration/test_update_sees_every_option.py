"""``update`` sees every container option, as a user runs it: ``dockerfab -H bed1`` over SSH.

One map of many small containers, each setting one option kind to a value A (in the spellings
users write: SDK names in ``create_options`` as in spec 3.7, ``host_config``, configuration
properties, Compose/CLI forms). After ``startup`` the daemon has filled everything in:
``update --dry-run`` and ``status`` find nothing, and a real ``update`` makes no changing
daemon event. Then every container's option goes to B (or is removed): ``update --dry-run``
names each change with its reason, ``update`` applies it (checked with inspect on bed1's own
socket), and the next ``update --dry-run`` plans nothing.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.integration.fabric_helpers import (
    remove_map_objects,
    run_program,
    unique,
    write_project,
    write_ssh_config,
)
from tests.integration.test_see_before_change import changing_events

HOST = "bed1"
IMAGE = "dockerfab-test/base:latest"
SEC = 10 ** 9

#: container -> (configuration keys A, configuration keys B, reason of the change, action
#: that applies it, check of the inspect data after B)
CASES: dict[str, tuple[dict[str, Any], dict[str, Any], str, str, Any]] = {
    "workdir": ({"create_options": {"working_dir": "/tmp"}},
                {"create_options": {"working_dir": "/var"}},
                "working_dir /tmp -> /var", "create",
                lambda i: i["Config"]["WorkingDir"] == "/var"),
    "label": ({"create_options": {"labels": {"tier": "web", "keep": "1"}}},
              {"create_options": {"labels": {"tier": "api", "keep": "1"}}},
              "label tier web -> api", "create",
              lambda i: i["Config"]["Labels"]["tier"] == "api"),
    "label-gone": ({"create_options": {"labels": ["tier=web", "keep=1"]}},
                   {"create_options": {"labels": {"keep": "1"}}},
                   "label tier web -> (unset)", "create",
                   lambda i: "tier" not in i["Config"]["Labels"]),
    "hostname": ({"create_options": {"hostname": "alpha"}},
                 {"create_options": {"hostname": "beta"}},
                 "hostname alpha -> beta", "create",
                 lambda i: i["Config"]["Hostname"] == "beta"),
    "user": ({"user": 1000}, {"user": "1001"}, "user 1000 -> 1001", "create",
             lambda i: i["Config"]["User"] == "1001"),
    "stopsignal": ({"stop_signal": "INT"}, {"stop_signal": "SIGHUP"},
                   "stop_signal SIGINT -> SIGHUP", "create",
                   lambda i: i["Config"]["StopSignal"] == "SIGHUP"),
    "stoptimeout": ({"stop_timeout": 1}, {"stop_timeout": 2}, "stop_timeout 1 -> 2",
                    "create", lambda i: i["Config"]["StopTimeout"] == 2),
    "health": ({"healthcheck": {"test": ["true"], "interval": "1s", "retries": 2}},
               {"healthcheck": {"test": "exit 0", "interval": 2, "timeout": "1m30s"}},
               ("healthcheck [Test:[CMD, true], Interval:1s, Retries:2] -> "
                "[Test:[CMD-SHELL, exit 0], Interval:2s, Timeout:1m30s]"), "create",
               lambda i: i["Config"]["Healthcheck"] == {
                   "Test": ["CMD-SHELL", "exit 0"], "Interval": 2 * SEC, "Timeout": 90 * SEC}),
    "health-gone": ({"healthcheck": {"test": ["CMD", "true"], "interval": "1s"}}, {},
                    "healthcheck [Test:[CMD, true], Interval:1s] -> (unset)", "create",
                    lambda i: not i["Config"].get("Healthcheck")),
    "capadd": ({"host_config": {"cap_add": ["NET_ADMIN"]}},
               {"host_config": {"cap_add": ["net_admin", "SYS_TIME"]}},
               "cap_add [CAP_NET_ADMIN] -> [CAP_NET_ADMIN, CAP_SYS_TIME]", "create",
               lambda i: {c.upper().removeprefix("CAP_") for c in i["HostConfig"]["CapAdd"]}
               == {"NET_ADMIN", "SYS_TIME"}),
    "capadd-gone": ({"host_config": {"cap_add": "NET_ADMIN"}}, {},
                    "cap_add [CAP_NET_ADMIN] -> (unset)", "create",
                    lambda i: not i["HostConfig"]["CapAdd"]),
    "hosts": ({"create_options": {"extra_hosts": {"db": "10.1.1.1"}}},
              {"host_config": {"extra_hosts": ["db=10.1.1.2"]}},
              "extra_hosts [db:10.1.1.1] -> [db:10.1.1.2]", "create",
              lambda i: i["HostConfig"]["ExtraHosts"] == ["db:10.1.1.2"]),
    "readonly": ({"host_config": {"read_only": True}}, {"host_config": {"read_only": False}},
                 "read_only true -> (unset)", "create",
                 lambda i: i["HostConfig"]["ReadonlyRootfs"] is False),
    "shm": ({"create_options": {"shm_size": "32m"}}, {"host_config": {"shm_size": 134217728}},
            "shm_size 33554432 -> 134217728", "create",
            lambda i: i["HostConfig"]["ShmSize"] == 128 * 1024 ** 2),
    "tmpfs": ({"host_config": {"tmpfs": {"/run": "size=1m"}}},
              {"host_config": {"tmpfs": ["/run:size=2m"]}},
              "tmpfs [/run:[size=1048576]] -> [/run:[size=2097152]]", "create",
              lambda i: i["HostConfig"]["Tmpfs"] == {"/run": "size=2m"}),
    "dns": ({"host_config": {"dns": ["10.9.9.9"]}}, {"host_config": {"dns": "10.9.9.8"}},
            "dns [10.9.9.9] -> [10.9.9.8]", "create",
            lambda i: i["HostConfig"]["Dns"] == ["10.9.9.8"]),
    "init": ({"host_config": {"init": True}}, {}, "init true -> (unset)", "create",
             lambda i: not i["HostConfig"].get("Init")),
    "ulimits": ({"host_config": {"ulimits": [{"name": "nofile", "soft": 1024, "hard": 2048}]}},
                {"host_config": {"ulimits": {"nofile": {"soft": 512, "hard": 2048}}}},
                "ulimits [nofile:1024:2048] -> [nofile:512:2048]", "create",
                lambda i: i["HostConfig"]["Ulimits"] == [
                    {"Name": "nofile", "Soft": 512, "Hard": 2048}]),
    "sysctls": ({"host_config": {"sysctls": {"net.core.somaxconn": 1024}}},
                {"host_config": {"sysctls": ["net.core.somaxconn=512"]}},
                "sysctls [net.core.somaxconn:1024] -> [net.core.somaxconn:512]", "create",
                lambda i: i["HostConfig"]["Sysctls"] == {"net.core.somaxconn": "512"}),
    "logging": ({"host_config": {"log_config": {"type": "json-file",
                                                "config": {"max-size": "1m"}}}},
                {"host_config": {"log_config": {"driver": "json-file",
                                                "options": {"max-size": "2m"}}}},
                "log_config [json-file, [max-size:1m]] -> [json-file, [max-size:2m]]",
                "create", lambda i: i["HostConfig"]["LogConfig"] == {
                    "Type": "json-file", "Config": {"max-size": "2m"}}),
    "secopt": ({"host_config": {"security_opt": ["no-new-privileges"]}}, {},
               "security_opt [no-new-privileges] -> (unset)", "create",
               lambda i: not i["HostConfig"]["SecurityOpt"]),
    "pids": ({"host_config": {"pids_limit": 100}}, {"host_config": {"pids_limit": 200}},
             "pids_limit 100 -> 200", "create",
             lambda i: i["HostConfig"]["PidsLimit"] == 200),
    "env": ({"create_options": {"environment": {"A": "1", "B": "2"}}},
            {"create_options": {"environment": {"A": "1"}}}, "env B removed", "create",
            lambda i: not any(e.startswith("B=") for e in i["Config"]["Env"])),
    "command": ({"create_options": {"command": "sleep 1000"}},
                {"create_options": {"command": ["sleep", "2000"]}},
                "command sleep 1000 -> sleep 2000", "create",
                lambda i: i["Config"]["Cmd"] == ["sleep", "2000"]),
    "domain": ({"create_options": {"domainname": "a.example"}},
               {"create_options": {"domainname": "b.example"}},
               "domainname a.example -> b.example", "create",
               lambda i: i["Config"]["Domainname"] == "b.example"),
    "mac": ({"create_options": {"mac_address": "02:42:AC:11:00:77"}},
            {"create_options": {"mac_address": "02:42:ac:11:00:78"}},
            "mac_address 02:42:ac:11:00:77 -> 02:42:ac:11:00:78", "create",
            lambda i: i["Config"]["MacAddress"] == "02:42:ac:11:00:78"),
    "tty": ({"create_options": {"tty": True, "stdin_open": True}},
            {"create_options": {"tty": True}}, "stdin_open true -> (unset)", "create",
            lambda i: i["Config"]["Tty"] and not i["Config"]["OpenStdin"]),
    "capdrop": ({"host_config": {"cap_drop": ["mknod"]}},
                {"host_config": {"cap_drop": ["MKNOD", "NET_RAW"]}},
                "cap_drop [CAP_MKNOD] -> [CAP_MKNOD, CAP_NET_RAW]", "create",
                lambda i: {c.upper().removeprefix("CAP_") for c in i["HostConfig"]["CapDrop"]}
                == {"MKNOD", "NET_RAW"}),
    "dnsmore": ({"host_config": {"dns_search": ["a.example"], "dns_opt": ["ndots:2"]}},
                {"host_config": {"dns_search": ["a.example"], "dns_opt": ["ndots:3"]}},
                "dns_opt [ndots:2] -> [ndots:3]", "create",
                lambda i: i["HostConfig"]["DnsOptions"] == ["ndots:3"]),
    "groupadd": ({"host_config": {"group_add": [100]}}, {"host_config": {"group_add": [100, 200]}},
               "group_add [100] -> [100, 200]", "create",
               lambda i: i["HostConfig"]["GroupAdd"] == ["100", "200"]),
    "oomscore": ({"host_config": {"oom_score_adj": 100}},
                 {"host_config": {"oom_score_adj": 200}}, "oom_score_adj 100 -> 200", "create",
                 lambda i: i["HostConfig"]["OomScoreAdj"] == 200),
    "devices": ({"host_config": {"devices": ["/dev/null:/dev/xnull"]}},
                {"host_config": {"devices": ["/dev/zero:/dev/xnull:r"]}},
                "devices [/dev/null:/dev/xnull:rwm] -> [/dev/zero:/dev/xnull:r]", "create",
                lambda i: i["HostConfig"]["Devices"][0]["PathOnHost"] == "/dev/zero"),
    "mounts": ({"host_config": {"mounts": [{"Type": "tmpfs", "Target": "/scratch"}]}},
               {"host_config": {"mounts": [{"Type": "tmpfs", "Target": "/scratch2"}]}},
               ('mounts [{"Target": "/scratch", "Type": "tmpfs"}] -> '
                '[{"Target": "/scratch2", "Type": "tmpfs"}]'), "create",
               lambda i: i["HostConfig"]["Mounts"][0]["Target"] == "/scratch2"),
    "ipc": ({"host_config": {"ipc_mode": "shareable"}}, {"host_config": {"ipc_mode": "private"}},
            "ipc_mode shareable -> private", "create",
            lambda i: i["HostConfig"]["IpcMode"] == "private"),
    "cpus": ({"host_config": {"nano_cpus": 500000000}},
             {"host_config": {"nano_cpus": 1000000000}},
             "nano_cpus 500000000 -> 1000000000", "create",
             lambda i: i["HostConfig"]["NanoCpus"] == 10 ** 9),
    "swappiness": ({"host_config": {"mem_swappiness": 10, "oom_kill_disable": True}},
                   {"host_config": {"mem_swappiness": 0, "oom_kill_disable": True}},
                   "mem_swappiness 10 -> 0", "create",
                   lambda i: i["HostConfig"]["MemorySwappiness"] == 0),
    "cgroups": ({"host_config": {"cgroupns": "private",
                                 "device_cgroup_rules": ["c 1:3 mr"]}},
                {"host_config": {"cgroupns": "host", "device_cgroup_rules": ["c 1:3 mr"]}},
                "cgroupns private -> host", "create",
                lambda i: i["HostConfig"]["CgroupnsMode"] == "host"),
    "runtime": ({"host_config": {"runtime": "runc", "volume_driver": "local"}},
                {"host_config": {"runtime": "runc"}}, "volume_driver local -> (unset)",
                "create", lambda i: not i["HostConfig"]["VolumeDriver"]),
    "hashed": ({"host_config": {"lxc_conf": {"lxc.dockerfab": "1"}}},
               {"host_config": {"lxc_conf": {"lxc.dockerfab": "2"}}},
               "configuration changed", "create", None),  # inspect has no LxcConf
    "restart": ({"host_config": {"restart_policy": "on-failure:3"}},
                {"host_config": {"restart_policy": {"Name": "always"}}},
                "restart policy updated in place", "update_limits",
                lambda i: i["HostConfig"]["RestartPolicy"]["Name"] == "always"),
    "memory": ({"create_options": {"mem_limit": "64m"}}, {"host_config": {"mem_limit": "96m"}},
               "limit mem_limit updated in place", "update_limits",
               lambda i: i["HostConfig"]["Memory"] == 96 * 1024 ** 2),
}


def map_data(name: str, phase: int) -> dict[str, Any]:
    data: dict[str, Any] = {"name": name}
    for config, case in CASES.items():
        data[config] = {"image": IMAGE, "stop_timeout": 1, **case[phase]}
    return data


@pytest.fixture
def project(bed, bed_api, tmp_path):
    name = unique("dfopt")
    write_project(tmp_path, {"maps": ["map.yaml"]})
    ssh_config = write_ssh_config(bed, tmp_path)
    yield tmp_path, name, ssh_config
    remove_map_objects(name, bed_api(HOST))


def write_map(directory: Path, data: dict[str, Any]) -> None:
    (directory / "map.yaml").write_text(yaml.safe_dump(data, sort_keys=False))


def plan_of(proc) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    """{configuration: [(action, reasons)]} of a ``--format json`` dry run."""
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (host,) = json.loads(proc.stdout)["hosts"]
    found: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for action in host.get("actions", ()):
        config = action["item"].split(".", 1)[1]
        found.setdefault(config, []).append((action["action"], tuple(action["reasons"])))
    return found


def test_every_option_kind_is_seen_applied_and_then_in_sync(bed, bed_api, project):
    directory, name, ssh_config = project
    api = bed_api(HOST)

    def dockerfab(*args: str):
        return run_program("dockerfab", directory, ssh_config, "-H", HOST, *args)

    write_map(directory, map_data(name, 0))
    started = dockerfab("startup", "__all__", "-q")
    assert started.returncode == 0, started.stdout + started.stderr
    inspect = {c: api.inspect_container(f"{name}.{c}") for c in CASES}
    # the forms that reached the daemon: the plain health check test got its CMD prefix
    assert inspect["health"]["Config"]["Healthcheck"]["Test"] == ["CMD", "true"]
    assert inspect["health"]["Config"]["Healthcheck"]["Interval"] == SEC
    deadline = time.time() + 20  # and the daemon runs it (it ignores a test without CMD)
    while (api.inspect_container(f"{name}.health")["State"].get("Health") or {}).get(
            "Status") != "healthy":
        assert time.time() < deadline, "the health check never ran"
        time.sleep(0.5)
    assert inspect["ulimits"]["HostConfig"]["Ulimits"] == [
        {"Name": "nofile", "Soft": 1024, "Hard": 2048}]
    assert inspect["restart"]["HostConfig"]["RestartPolicy"] == {
        "Name": "on-failure", "MaximumRetryCount": 3}

    # A, as the daemon filled it in: nothing to do, in sync, and a real update changes nothing
    since = time.time()
    dry = dockerfab("update", "__all__", "--dry-run")
    status = dockerfab("status", "-o", "json")
    real = dockerfab("update", "__all__")
    until = time.time()
    assert f"[{HOST}] update: nothing to do, {len(CASES)} unchanged" in dry.stdout, dry.stdout
    assert status.returncode == 0, status.stdout
    assert {c["state"] for c in json.loads(status.stdout)["hosts"][0]["containers"]} == {
        "in sync"}
    assert real.returncode == 0, real.stdout + real.stderr
    # (the map has no exec commands: the daemon's health checks are its only execs)
    assert [e for e in changing_events(api, name, since, until)
            if e[1] not in ("exec_create", "exec_start")] == []

    # B: each change named with its reason, in the dry run and in status
    write_map(directory, map_data(name, 1))
    plan = plan_of(dockerfab("update", "__all__", "--dry-run", "-o", "json"))
    expected = {}
    for config, (_, _, reason, action, _) in CASES.items():
        if action == "create":
            expected[config] = [("stop", (reason,)), ("remove", (reason,)),
                                ("create", (reason,)), ("start", (reason,))]
        else:
            expected[config] = [(action, (reason,))]
    assert plan == expected
    status = dockerfab("status", "-o", "json")
    found = {c["name"].split(".", 1)[1]: c for c in json.loads(status.stdout)["hosts"][0][
        "containers"]}
    assert found["workdir"]["state"] == "drifted"
    assert found["workdir"]["reasons"] == ["working_dir /tmp -> /var"]

    applied = dockerfab("update", "__all__")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    for config, (_, _, _, _, check) in CASES.items():
        now = api.inspect_container(f"{name}.{config}")
        if check is None:
            assert now["Config"]["Labels"]["dockerfab.hash"] != inspect[config]["Config"][
                "Labels"]["dockerfab.hash"]
        else:
            assert check(now), (config, now["Config"], now["HostConfig"])
    again = dockerfab("update", "__all__", "--dry-run")
    assert f"[{HOST}] update: nothing to do, {len(CASES)} unchanged" in again.stdout, \
        again.stdout

    # privileged containers cannot start on this bed (its daemons may not grant every
    # capability): the change is only planned here
    data = map_data(name, 1)
    data["workdir"]["host_config"] = {"privileged": True}
    write_map(directory, data)
    plan = plan_of(dockerfab("update", "__all__", "--dry-run", "-o", "json"))
    assert plan == {"workdir": [(kind, ("privileged (unset) -> true",))
                                for kind in ("stop", "remove", "create", "start")]}
