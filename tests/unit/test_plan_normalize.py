"""Normalisers (pure): the SDK's form of an option and the daemon's report of it compare
equal when they mean the same thing, and unequal when they do not."""
from __future__ import annotations

import pytest

from dockerfab.plan import normalize as N
from dockerfab.plan import sdk_forms


def same(normaliser, *values):
    forms = {normaliser(v) for v in values}
    assert len(forms) == 1, forms
    return forms.pop()


def test_capabilities_spelling_and_order():
    assert same(N.capabilities, ["net_admin", "CAP_SYS_TIME"], ["CAP_NET_ADMIN", "sys_time"],
                ["SYS_TIME", "Net_Admin"]) == ("CAP_NET_ADMIN", "CAP_SYS_TIME")
    assert N.capabilities(["ALL"]) == ("ALL",)
    assert N.capabilities(["NET_ADMIN"]) != N.capabilities(["NET_RAW"])
    assert N.capabilities(None) is None and N.capabilities([]) is None


def test_sizes_bytes_and_default():
    assert same(N.size, "64m", 67108864, "65536k", "64M") == 67108864
    assert N.size(0) is None and N.size(None) is None
    assert N.size("64m") != N.size("128m")


def test_signals_by_name_number_and_prefix():
    assert same(N.signal_name, "SIGTERM", "TERM", "sigterm", "15", 15) == "SIGTERM"
    assert N.signal_name("SIGUSR1") != N.signal_name("SIGTERM")


def test_paths_users_flags_numbers():
    assert same(N.path, "/tmp/", "/tmp", "/tmp/.") == "/tmp"
    assert same(N.text, 1000, "1000") == "1000"
    assert same(N.flag, False, None) is None and N.flag(True) is True
    assert same(N.number, 0, None) is None
    assert N.integer(0) == 0  # mem_swappiness 0 is a setting
    assert same(N.positive, -1, 0, None) is None and N.positive(100) == 100
    assert same(N.lower_text, "02:42:AC:11:00:99", "02:42:ac:11:00:99")


def test_extra_hosts_dict_and_list_forms():
    assert same(N.extra_hosts, {"db": "10.0.0.2", "v6": "::1"}, ["db:10.0.0.2", "v6:::1"],
                ["v6=::1", "db=10.0.0.2"]) == (("db", "10.0.0.2"), ("v6", "::1"))
    assert N.extra_hosts(["db:10.0.0.2"]) != N.extra_hosts(["db:10.0.0.3"])


def test_ulimits_sdk_and_inspect_forms():
    sdk = [{"name": "nofile", "soft": 1024, "hard": 2048}, {"name": "nproc", "soft": 100}]
    inspect = [{"Name": "nproc", "Hard": 0, "Soft": 100},
               {"Name": "nofile", "Hard": 2048, "Soft": 1024}]
    assert same(N.ulimits, sdk, inspect) == (("nofile", 1024, 2048), ("nproc", 100, 0))
    assert N.ulimits(sdk) != N.ulimits(sdk[:1])


def test_tmpfs_list_dict_option_order_and_sizes():
    assert same(N.tmpfs, {"/run": "size=64m,mode=1777"}, ["/run:mode=1777,size=67108864"],
                {"/run/": "mode=1777,size=65536k"})
    assert N.tmpfs(["/run"]) == (("/run", ()),)
    assert N.tmpfs({"/run": "size=64m"}) != N.tmpfs({"/run": "size=32m"})


def test_sysctls_log_config_security_devices():
    assert same(N.str_dict, {"net.core.somaxconn": 1024}, {"net.core.somaxconn": "1024"},
                ["net.core.somaxconn=1024"])
    assert same(N.log_config, {"type": "json-file", "config": {"max-size": "10m"}},
                {"Type": "json-file", "Config": {"max-size": "10m"}})
    assert N.log_config({"Type": "json-file", "Config": {}}) != N.log_config({"Type": "none"})
    assert same(N.security_options, ["label:disable", "no-new-privileges"],
                ["no-new-privileges", "label=disable"])
    assert same(N.devices, ["/dev/null:/dev/xnull"],
                [{"PathOnHost": "/dev/null", "PathInContainer": "/dev/xnull",
                  "CgroupPermissions": "rwm"}])
    assert N.devices(["/dev/fuse"]) == (("/dev/fuse", "/dev/fuse", "rwm"),)


def test_plain_structures_without_empty_entries():
    sent = [{"Target": "/m", "Source": None, "Type": "tmpfs", "ReadOnly": False,
             "TmpfsOptions": {"SizeBytes": 1048576}}]
    reported = [{"Type": "tmpfs", "Target": "/m", "TmpfsOptions": {"SizeBytes": 1048576}}]
    assert same(N.plain, sent, reported)
    assert N.plain([]) is None and N.plain(None) is None


def test_healthcheck_fields_and_durations():
    assert same(N.healthcheck, {"test": ["CMD", "true"], "interval": 90 * 10 ** 9},
                {"Test": ["CMD", "true"], "Interval": 90000000000, "Timeout": 0}) == (
        ("Test", ("CMD", "true")), ("Interval", "1m30s"))
    assert N.healthcheck({"Test": "true"}) == (("Test", ("CMD-SHELL", "true")),)
    assert N.duration_text(500 * 10 ** 6) == "500ms" and N.duration_text(3600 * 10 ** 9) == "1h"


@pytest.mark.parametrize("test, sent", [
    (["curl", "http://localhost/"], ["CMD", "curl", "http://localhost/"]),
    ("curl http://localhost/", ["CMD-SHELL", "curl http://localhost/"]),
    (["CMD", "true"], ["CMD", "true"]),
    (["cmd-shell", "true"], ["CMD-SHELL", "true"]),
    (["NONE"], ["NONE"]),
    ("none", ["NONE"]),
    ([], []),
])
def test_health_test_forms_the_daemon_runs(test, sent):
    assert N.health_test(test) == sent


def test_sdk_forms_of_cli_and_compose_spellings():
    create = {"healthcheck": {"Test": ["true"], "Interval": "1m30s", "retries": 2}}
    host = {"ulimits": {"nofile": {"soft": 1, "hard": 2}, "nproc": 5}, "dns": "1.1.1.1",
            "sysctls": ["a.b=1"], "extra_hosts": ["db=10.0.0.2", "v6:::1"],
            "restart_policy": "on-failure:3",
            "log_config": {"driver": "json-file", "options": {"max-size": "1m"}}}
    sdk_forms.accepted_forms(create, host)
    assert create["healthcheck"] == {"test": ["CMD", "true"], "interval": 90 * 10 ** 9,
                                     "retries": 2}
    assert host["ulimits"] == [{"name": "nofile", "soft": 1, "hard": 2},
                               {"name": "nproc", "soft": 5, "hard": 5}]
    assert host["dns"] == ["1.1.1.1"] and host["sysctls"] == {"a.b": "1"}
    assert host["extra_hosts"] == ["db:10.0.0.2", "v6:::1"]
    assert host["restart_policy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
    assert host["log_config"] == {"type": "json-file", "config": {"max-size": "1m"}}
    assert sdk_forms.label_dict(["a=1", "b"]) == {"a": "1", "b": ""}
    assert sdk_forms.ulimit_list(["nofile=10:20"]) == [{"name": "nofile", "soft": 10,
                                                         "hard": 20}]
