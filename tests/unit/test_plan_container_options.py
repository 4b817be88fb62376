"""The option table (pure): a container as dockerd 20.10 reported it after creation from
known options (recorded once from the bed into data/daemon_filled_container.json) compares
equal to those options; each change, and each removal, is one reason naming the option with
its old and new value; what inspect cannot report falls back to the hash label."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from dockerfab.errors import MapError
from dockerfab.plan import container_options as C

RECORDED = json.loads((Path(__file__).parent / "data" / "daemon_filled_container.json")
                      .read_text())


def observed(create, host, *, config=None, host_config=None, version=C.LABEL_VERSION):
    """The recorded container, labelled as dockerfab would have labelled it for
    ``create``/``host`` (what was set, and the hash)."""
    _, recorded, fallback_hash = C.labels_for(create, host)
    explicit = {**recorded, "labels": sorted(create.get("labels") or ())}
    if version is not None:
        explicit["v"] = version
    return C.Observed(config or copy.deepcopy(RECORDED["Config"]),
                      host_config or copy.deepcopy(RECORDED["HostConfig"]),
                      {"dockerfab.hash": fallback_hash}, explicit)


def base():
    return copy.deepcopy(RECORDED["create"]), copy.deepcopy(RECORDED["host"])


def test_daemon_filled_container_matches_its_options():
    create, host = base()
    assert C.option_reasons(create, host, observed(create, host)) == []


def test_other_spellings_of_the_same_options_match():
    create, host = base()
    seen = observed(create, host)
    create.update(user="1000", working_dir="/tmp", stop_signal="USR1",
                  mac_address="02:42:ac:11:00:99",
                  healthcheck={"Test": ["CMD", "true"], "Interval": 30 * 10 ** 9,
                               "StartPeriod": 10 ** 9, "Retries": 3})
    host.update(cap_add=["SYS_TIME", "CAP_NET_ADMIN"], cap_drop=["CAP_MKNOD"],
                extra_hosts=["foo:10.0.0.1"], shm_size=134217728,
                tmpfs=["/run:mode=1777,size=64m"], sysctls={"net.core.somaxconn": "1024"},
                log_config={"Type": "json-file", "Config": {"max-size": "10m"}},
                ulimits=[{"Name": "nofile", "Soft": 1024, "Hard": 2048},
                         {"Name": "nproc", "Soft": 100}],
                group_add=["100"], kernel_memory=64 * 1024 ** 2)
    assert C.option_reasons(create, host, seen) == []


@pytest.mark.parametrize("section, key, value, reason", [
    ("create", "working_dir", "/var", "working_dir /tmp -> /var"),
    ("create", "user", "nobody", "user 1000 -> nobody"),
    ("create", "hostname", "h2", "hostname h1 -> h2"),
    ("create", "domainname", "example.com", "domainname example.org -> example.com"),
    ("create", "stop_signal", "SIGINT", "stop_signal SIGUSR1 -> SIGINT"),
    ("create", "stop_timeout", 5, "stop_timeout 3 -> 5"),
    ("create", "tty", False, None),  # back to the default: nothing to compare with
    ("create", "labels", {"a": "2"}, "label a 1 -> 2"),
    ("create", "healthcheck", {"test": ["CMD", "false"], "interval": 30 * 10 ** 9,
                               "start_period": 10 ** 9, "retries": 3},
     ("healthcheck [Test:[CMD, true], Interval:30s, StartPeriod:1s, Retries:3] -> "
      "[Test:[CMD, false], Interval:30s, StartPeriod:1s, Retries:3]")),
    ("create", "mac_address", "02:42:ac:11:00:98",
     "mac_address 02:42:ac:11:00:99 -> 02:42:ac:11:00:98"),
    ("host", "cap_add", ["NET_ADMIN"],
     "cap_add [CAP_NET_ADMIN, CAP_SYS_TIME] -> [CAP_NET_ADMIN]"),
    ("host", "cap_drop", ["mknod", "net_raw"],
     "cap_drop [CAP_MKNOD] -> [CAP_MKNOD, CAP_NET_RAW]"),
    ("host", "extra_hosts", {"foo": "10.0.0.2"},
     "extra_hosts [foo:10.0.0.1] -> [foo:10.0.0.2]"),
    ("host", "read_only", False, None),
    ("host", "privileged", True, "privileged (unset) -> true"),
    ("host", "shm_size", "64m", "shm_size 134217728 -> 67108864"),
    ("host", "tmpfs", {"/run": "size=32m"},
     "tmpfs [/run:[mode=1777, size=67108864]] -> [/run:[size=33554432]]"),
    ("host", "dns", ["8.8.8.8"], "dns [1.1.1.1] -> [8.8.8.8]"),
    ("host", "dns_search", ["example.net"], "dns_search [example.com] -> [example.net]"),
    ("host", "dns_opt", ["ndots:3"], "dns_opt [ndots:2] -> [ndots:3]"),
    ("host", "init", None, None),
    ("host", "ulimits", [{"name": "nofile", "soft": 10, "hard": 20}],
     "ulimits [nofile:1024:2048, nproc:100:0] -> [nofile:10:20]"),
    ("host", "sysctls", {"net.core.somaxconn": 512},
     "sysctls [net.core.somaxconn:1024] -> [net.core.somaxconn:512]"),
    ("host", "log_config", {"type": "json-file", "config": {"max-size": "20m"}},
     "log_config [json-file, [max-size:10m]] -> [json-file, [max-size:20m]]"),
    ("host", "security_opt", ["no-new-privileges", "apparmor=unconfined"],
     "security_opt [no-new-privileges] -> [apparmor=unconfined, no-new-privileges]"),
    ("host", "group_add", [100, 200], "group_add [100] -> [100, 200]"),
    ("host", "oom_score_adj", 200, "oom_score_adj 100 -> 200"),
    ("host", "pids_limit", 200, "pids_limit 100 -> 200"),
    ("host", "mem_swappiness", 0, "mem_swappiness 10 -> 0"),
    ("host", "oom_kill_disable", False, None),
    ("host", "devices", ["/dev/zero:/dev/xnull"],
     "devices [/dev/null:/dev/xnull:rwm] -> [/dev/zero:/dev/xnull:rwm]"),
    ("host", "ipc_mode", "private", "ipc_mode shareable -> private"),
    ("host", "pid_mode", "", None),
    ("host", "publish_all_ports", False, None),
    ("host", "nano_cpus", 10 ** 9, "nano_cpus 500000000 -> 1000000000"),
    ("host", "kernel_memory", "32m", "kernel_memory 67108864 -> 33554432"),
    ("host", "volume_driver", "other", "volume_driver local -> other"),
    ("host", "runtime", "crun", "runtime runc -> crun"),
    ("host", "device_cgroup_rules", ["c 1:5 mr"], "device_cgroup_rules [c 1:3 mr] -> [c 1:5 mr]"),
    ("host", "cgroupns", "host", "cgroupns private -> host"),
    ("host", "mounts", [{"Target": "/m", "Type": "tmpfs"}],
     ('mounts [{"Target": "/m", "TmpfsOptions": {"SizeBytes": 1048576}, "Type": "tmpfs"}] '
      '-> [{"Target": "/m", "Type": "tmpfs"}]')),
    ("host", "cpu_percent", 20, "configuration changed"),  # Linux reports 0: the hash
    ("host", "blkio_weight_device", [{"Path": "/dev/null", "Weight": 200}],
     "configuration changed"),  # this kernel drops it: the hash
])
def test_each_changed_option_is_one_reason_with_old_and_new(section, key, value, reason):
    create, host = base()
    seen = observed(create, host)
    (create if section == "create" else host)[key] = value
    reasons = C.option_reasons(create, host, seen)
    if reason is None:
        # a value set back to the default: the container still holds the old one, and the
        # label says dockerfab set it: one reason, that it is now unset
        assert len(reasons) <= 1 and all(r.startswith(key) for r in reasons), reasons
    else:
        assert reasons == [reason]


@pytest.mark.parametrize("section, key", [
    ("create", "working_dir"), ("create", "healthcheck"), ("create", "stop_signal"),
    ("host", "cap_add"), ("host", "extra_hosts"), ("host", "ulimits"), ("host", "tmpfs"),
    ("host", "log_config"), ("host", "security_opt"), ("host", "read_only"),
    ("host", "init"), ("host", "dns"), ("host", "sysctls")])
def test_an_option_no_longer_set_is_a_change(section, key):
    create, host = base()
    seen = observed(create, host)
    del (create if section == "create" else host)[key]
    reasons = C.option_reasons(create, host, seen)
    assert len(reasons) == 1 and reasons[0].startswith(f"{key} ") and \
        reasons[0].endswith(" -> (unset)"), reasons


def test_a_health_check_field_no_longer_set_is_a_change_one_from_the_image_is_not():
    create, host = base()
    seen = observed(create, host)
    del create["healthcheck"]["retries"]
    assert C.option_reasons(create, host, seen) == [
        ("healthcheck [Test:[CMD, true], Interval:30s, StartPeriod:1s, Retries:3] -> "
         "[Test:[CMD, true], Interval:30s, StartPeriod:1s]")]
    seen = observed(create, host)
    seen.config["Healthcheck"]["Timeout"] = 5 * 10 ** 9  # the image's
    assert C.option_reasons(create, host, seen) == []


def test_anonymous_volumes_kept_from_a_predecessor_are_not_the_maps_mounts():
    create, host = base()
    seen = observed(create, host)
    seen.host["Mounts"].append({"Type": "volume", "Source": "ab" * 32, "Target": "/data"})
    assert C.option_reasons(create, host, seen) == []
    seen.host["Mounts"].append({"Type": "volume", "Source": "named", "Target": "/other"})
    (reason,) = C.option_reasons(create, host, seen)
    assert reason.startswith("mounts ")


def test_a_removed_label_is_a_change_image_labels_are_not():
    create, host = base()
    create["labels"] = {"a": "1", "b": "2"}
    config = copy.deepcopy(RECORDED["Config"])
    config["Labels"]["b"] = "2"
    seen = observed(create, host, config=config)
    create["labels"] = {"a": "1"}
    assert C.option_reasons(create, host, seen) == ["label b 2 -> (unset)"]


def test_containers_of_older_dockerfab_removals_unknown_hash_not_compared():
    create, host = base()
    seen = observed(create, host, version=None)
    seen.labels["dockerfab.hash"] = "0123456789abcdef"  # hashed something else
    assert C.option_reasons(create, host, seen) == []
    del create["working_dir"]
    assert C.option_reasons(create, host, seen) == []  # cannot know it was set
    create["user"] = "nobody"
    assert C.option_reasons(create, host, seen) == ["user 1000 -> nobody"]


def test_options_inspect_cannot_report_use_the_hash():
    create, host = base()
    seen = observed(create, host)
    host["lxc_conf"] = {"lxc.x": "y"}
    assert C.option_reasons(create, host, seen) == ["configuration changed"]
    seen = observed(create, host)
    assert C.option_reasons(create, host, seen) == []
    del host["lxc_conf"]
    assert C.option_reasons(create, host, seen) == ["configuration changed"]


def test_secrets_are_not_shown():
    create, host = base()
    seen = observed(create, host)
    host["log_config"] = {"type": "splunk", "config": {"splunk-token": "abc123"}}
    (reason,) = C.option_reasons(create, host, seen)
    assert reason == "log_config [json-file, [max-size:10m]] -> (hidden)"
    assert "abc123" not in reason


def test_options_the_sdk_refuses_are_map_errors():
    create, host = base()
    seen = observed(create, host)
    with pytest.raises(MapError, match="m.app: host config: .*cpu_quota"):
        C.option_reasons(create, {**host, "cpu_quota": "lots"}, seen, item="m.app")
    with pytest.raises(MapError, match="m.app: create options: .*no_such_option"):
        C.labels_for({**create, "no_such_option": 1}, host, item="m.app")


def test_every_option_in_the_table_is_in_the_docs():
    docs = (Path(__file__).parents[2] / "docs" / "reconcile.rst").read_text()
    missing = [o.name for o in C.OPTIONS if f"``{o.name}``" not in docs]
    missing += [n for names in C.ELSEWHERE.values() for n in names if f"``{n}``" not in docs]
    assert missing == []
