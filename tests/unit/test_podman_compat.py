"""Podman's spellings of what Docker reports, and the hints for what it refuses (pure)."""
from __future__ import annotations

from dockerfab.engine import compat
from dockerfab.engine.observe import _processes
from dockerfab.plan.convert import bind_key


def test_binds_compare_without_default_options():
    assert bind_key("/srv/a:/etc/a:ro") == bind_key("/srv/a:/etc/a:ro,rprivate,rbind")
    assert bind_key("vol:/data") == bind_key("vol:/data:rw,rprivate,nosuid,nodev,rbind")
    assert bind_key("/srv/a:/etc/a:ro") != bind_key("/srv/a:/etc/a")
    assert bind_key("/srv/a:/etc/a:rshared") != bind_key("/srv/a:/etc/a")
    assert bind_key("/anon") == ("", "/anon", frozenset())


def test_top_rows_of_docker_and_podman():
    docker = {"Titles": ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"],
              "Processes": [["root", "7", "1", "0", "09:00", "?", "00:00:00", "sleep 1001"]]}
    podman = {"Titles": ["PID   USER     COMMAND"],
              "Processes": [["1 root     sh -c trap 'exit 0' TERM"], ["7 root     sleep 1001"]]}
    assert _processes(docker) == ["sleep 1001"]
    assert _processes(podman) == ["sh -c trap 'exit 0' TERM", "sleep 1001"]
    assert _processes({"Titles": ["PID"], "Processes": [["1"]]}) == []


def test_known_refusals_get_a_hint_others_stay_as_they_are():
    assert "networks: with aliases" in compat.explain("bad parameter: link is not supported")
    assert compat.explain("no such image") == "no such image"
    assert compat.hint("something else") is None
    assert "--force-update app" in compat.no_update_api("app")
