"""Dead and slow links, produced for real on the bed (issue 10): the sshd process serving
dockerfab's connection is killed during ``run_cmd``; one connection's packets are dropped
inside the host's network namespace (a half-open link, found by the keepalive); a command
outlives ``docker.timeout``; a server with sshd's default ``MaxSessions`` gets more
concurrent commands and streams than it allows sessions. Each test checks the one line the
user gets and that the next attempt works."""
from __future__ import annotations

import threading
import time

import pytest
from fabric import Config

from dockerfab.errors import ConnectionFailed, RemoteError
from dockerfab.fabric.connection import keepalive_settings
from dockerfab.fabric.run import HostTarget, close_session, open_session
from dockerfab.fabric.settings import DockerSettings
from dockerfab.output import Reporter
from dockerfab.ssh.keepalive import keepalive_of
from tests.integration.fabric_helpers import fabric_overrides
from tests.integration.fault_tools import dropped, kill_serving_sshd, local_port


def _config(path):
    return Config(runtime_ssh_path=str(path), overrides=fabric_overrides())


def session(host, path, **settings):
    return open_session(HostTarget(host), _config(path), DockerSettings(**settings), Reporter())


def in_thread(fn):
    """Run ``fn`` in a thread; returns (thread, box) where box gets 'value' or 'error'."""
    box: dict = {}

    def target():
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            box["error"] = exc
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, box


def wait_for_process(s, pattern: str, timeout: float = 10.0) -> None:
    """Wait until ``pattern`` runs on the host (the command under test has started)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        other = session("bed1", s._ssh_config_path)
        try:
            if pattern in other.client.run_cmd("ps -eo args"):
                return
        finally:
            close_session(other)
        time.sleep(0.1)
    raise AssertionError(f"{pattern!r} never started")


def test_connection_lost_during_run_cmd_reads_ssh_connection_lost(bed, ssh_config):
    s = session("bed1", ssh_config)
    s._ssh_config_path = ssh_config
    try:
        thread, box = in_thread(lambda: s.client.run_cmd("sleep 31.5"))
        wait_for_process(s, "sleep 31.5")
        kill_serving_sshd(bed.host("bed1"), s.connection.transport)
        thread.join(15)
        assert not thread.is_alive(), "run_cmd still waits after its connection died"
    finally:
        close_session(s)
    error = box.get("error")
    assert isinstance(error, ConnectionFailed), box
    assert str(error) == "bed1: SSH connection lost during run_cmd sleep 31.5"
    assert "exit status -1" not in str(error)
    again = session("bed1", ssh_config)  # the next run connects and works
    try:
        assert again.client.run_cmd("hostname").strip() == "bed1"
    finally:
        close_session(again)


def test_half_open_link_is_noticed_by_the_keepalive(bed, ssh_config, tmp_path):
    """Packets of the one connection are dropped both ways in bed1's namespace: nothing
    arrives, nothing is refused. With ServerAliveInterval 1 and ServerAliveCountMax 2 in
    ssh_config the run gives up after about 2 s of silence instead of waiting forever."""
    config = tmp_path / "ssh_config"
    config.write_text("Host bed1\n    ServerAliveInterval 1\n    ServerAliveCountMax 2\n"
                      + ssh_config.read_text())
    s = session("bed1", config, timeout=300)
    s._ssh_config_path = ssh_config
    try:
        keepalive = keepalive_of(s.connection.transport)
        assert keepalive is not None and (keepalive.interval, keepalive.count_max) == (1, 2)
        assert s.client.run_cmd("echo alive").strip() == "alive"
        time.sleep(2.5)  # an idle link that answers stays up
        assert s.connection.transport.is_active()
        thread, box = in_thread(lambda: s.client.run_cmd("sleep 32.5"))
        wait_for_process(s, "sleep 32.5")
        with dropped(bed.host("bed1"), local_port(s.connection.transport)):
            thread.join(20)
            assert not thread.is_alive(), "run_cmd still hangs on a half-open connection"
            api_thread, api_box = in_thread(lambda: s.client.containers())
            api_thread.join(5)
        assert not api_thread.is_alive()
    finally:
        close_session(s)
    error = box.get("error")
    assert isinstance(error, ConnectionFailed), box
    assert str(error) == ("bed1: SSH connection lost (no answer to SSH keepalive for 2 s) "
                          "during run_cmd sleep 32.5")
    assert str(api_box.get("error")) == ("bed1: SSH connection lost (no answer to SSH "
                                         "keepalive for 2 s)")
    again = session("bed1", config)
    try:
        assert again.client.run_cmd("hostname").strip() == "bed1"
    finally:
        close_session(again)


def test_keepalive_defaults_when_ssh_config_sets_none(bed, ssh_config):
    s = session("bed1", ssh_config)
    try:
        assert keepalive_settings(s.connection) == (15.0, 3)
        keepalive = keepalive_of(s.connection.transport)
        assert (keepalive.interval, keepalive.count_max) == (15.0, 3)
    finally:
        close_session(s)


def test_run_cmd_times_out_after_docker_timeout(bed, ssh_config):
    s = session("bed1", ssh_config, timeout=1)
    try:
        began = time.monotonic()
        with pytest.raises(RemoteError) as info:
            s.client.run_cmd("sleep 33.5")
        assert time.monotonic() - began < 10
        assert str(info.value) == "bed1 run_cmd sleep 33.5: timed out after 1 s (docker.timeout)"
        # the connection is still good for the next command
        assert s.client.run_cmd("echo next").strip() == "next"
    finally:
        close_session(s)
