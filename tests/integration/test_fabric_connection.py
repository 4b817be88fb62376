"""Connections, host keys, DockerFabricClient and run_cmd against the bed's real sshd/dockerd."""
from __future__ import annotations

import dataclasses
import socket

import pytest
from fabric import Config

from dockerfab.errors import ConnectionFailed, HostKeyError, RemoteError
from dockerfab.fabric.connection import close_connection, connect
from dockerfab.fabric.run import HostTarget, close_session, open_session
from dockerfab.fabric.settings import DockerSettings
from dockerfab.output import Reporter
from dockerfab.ssh.tcp import QuickAckSocket
from tests.integration.fabric_helpers import (
    UNREACHABLE,
    fabric_overrides,
)


@pytest.fixture
def config(ssh_config):
    return Config(runtime_ssh_path=str(ssh_config), overrides=fabric_overrides())


def session(host, config, **settings):
    return open_session(HostTarget(host), config, DockerSettings(**settings), Reporter())


def test_docker_api_and_run_cmd_share_one_ssh_connection(bed, config):
    s = session("bed1", config)
    try:
        assert s.client.run_cmd("hostname").strip() == "bed1"
        assert s.client.version()["ApiVersion"]
        # the Docker requests travel over the very transport run_cmd uses
        assert s.client.ssh_endpoint.transport is s.connection.transport
        addresses = s.client.run_cmd("ip -o -4 addr show dev eth0")
        assert bed.host("bed1").address in addresses
    finally:
        close_session(s)
    assert not s.connection.is_connected


def test_run_cmd_failure_names_host_and_command(bed, config):
    s = session("bed1", config)
    try:
        with pytest.raises(RemoteError) as info:
            s.client.run_cmd("ls /nonexistent-dockerfab-dir")
    finally:
        close_session(s)
    message = str(info.value)
    assert message.startswith("bed1 run_cmd ls /nonexistent-dockerfab-dir: exit status ")
    assert "No such file" in message and "\n" not in message


def test_the_ssh_socket_sends_and_acknowledges_at_once(bed, config):
    """From the handshake on (before any Docker client is made), the SSH socket sends small
    packets at once (Nagle's algorithm held the authentication request ~40 ms) and, on
    Linux, acknowledges every read at once (the first channel to the daemon waited 40 ms
    for a delayed ACK): docs/benchmarks.rst, "Start-up"."""
    connection = connect("bed1", config, DockerSettings())
    try:
        sock = connection.transport.sock
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        if hasattr(socket, "TCP_QUICKACK"):
            assert isinstance(sock, QuickAckSocket)
        assert connection.run("hostname", hide=True, in_stream=False).stdout.strip() == "bed1"
    finally:
        close_connection(connection)


def test_unknown_host_key_is_refused(bed, config):
    with pytest.raises(HostKeyError) as info:
        connect("bed1-nokey", config, DockerSettings())
    message = str(info.value)
    assert message.startswith("bed1-nokey: host key ssh-ed25519 SHA256:")
    assert "is not in known_hosts" in message and "accept_unknown_hosts" in message


def test_unknown_host_key_accepted_only_on_request(bed, config):
    connection = connect("bed1-nokey", config, DockerSettings(accept_unknown_hosts=True))
    try:
        assert connection.run("hostname", hide=True, in_stream=False).stdout.strip() == "bed1"
    finally:
        connection.close()


def test_changed_host_key_is_refused_even_when_accepting_unknown(bed, config):
    for accept in (False, True):
        with pytest.raises(HostKeyError) as info:
            connect("bed1-changed", config, DockerSettings(accept_unknown_hosts=accept))
        assert "host key of 198.18.0.11 changed" in str(info.value)


def test_known_hosts_setting_replaces_ssh_config(bed, config, tmp_path):
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    with pytest.raises(HostKeyError):
        connect("bed1", config, DockerSettings(known_hosts=(str(empty),)))


def test_wrong_key_is_an_authentication_failure(bed, config):
    with pytest.raises(ConnectionFailed) as info:
        connect("bed1-badkey", config, DockerSettings())
    assert not isinstance(info.value, HostKeyError)
    assert str(info.value).startswith("bed1-badkey: SSH authentication failed")


def test_unreachable_host(bed, config):
    with pytest.raises(ConnectionFailed) as info:
        connect(UNREACHABLE, config, DockerSettings(connect_timeout=3))
    assert str(info.value).startswith(f"{UNREACHABLE}: ")
    assert "\n" not in str(info.value)


def test_dead_docker_socket_behind_good_sshd(bed, config):
    with pytest.raises(ConnectionFailed) as info:
        session("bed1", config, base_url="unix:///nonexistent/docker.sock")
    message = str(info.value)
    assert message.startswith("bed1") and "/nonexistent/docker.sock" in message


def test_local_daemon_without_ssh(docker_api):
    s = open_session(HostTarget(None), None, DockerSettings(), Reporter())
    try:
        assert s.connection is None
        assert s.client.version()["ApiVersion"] == docker_api.version()["ApiVersion"]
        assert s.client.run_cmd("echo local") == "local\n"
    finally:
        close_session(s)


def test_settings_replace_keeps_types():
    s = dataclasses.replace(DockerSettings(), parallel=2)
    assert s.parallel == 2


def test_connection_lost_mid_run_is_one_line_for_that_host(bed, config):
    """The SSH connection drops while a host is being worked on: the host fails with one
    line, the run goes on (nothing raised to the caller)."""
    import io

    from dockerfab.fabric.pipeline import Run
    from dockerfab.output import TextPrinter

    out = io.StringIO()
    state = Run(config, Reporter(TextPrinter(out)), DockerSettings())

    def work(s):
        s.client.version()
        s.connection.transport.close()  # as when sshd dies
        s.client.containers(all=True)
        return None, None

    ok = state.on_host(HostTarget("bed1"), "startup", work)
    assert ok is False
    (line,) = out.getvalue().splitlines()
    assert line.startswith("[bed1] ERROR startup: ")
    assert not state.reporter.ok


def test_run_cmd_failure_locally_names_command():
    from dockerfab.fabric.shell import LocalShell

    with pytest.raises(RemoteError) as info:
        LocalShell("localhost").run("echo out; echo bad >&2; exit 4")
    assert str(info.value) == "localhost run_cmd echo out; echo bad >&2; exit 4: exit status 4: bad"


def test_partial_cleanup_error_names_the_host_not_the_sdk_url(bed, config):
    """A clean-up the daemon partly refuses raises PartialResultsError naming the host as
    given (``bed1``), not the ``http+docker://`` URL the SDK uses for SSH channels."""
    import uuid

    from dockerfab.errors import PartialResultsError
    from dockerfab.fabric.client import DockerFabricClient, fabric_docker_client

    prefix = f"dfhostlabel-{uuid.uuid4().hex[:8]}"
    refused = f"{prefix}-refused"

    class OnlyMine(DockerFabricClient):
        """Sees only this test's containers; the daemon refuses one removal (no such id)."""
        def containers(self, *args, **kwargs):
            return [c for c in super().containers(*args, **kwargs)
                    if any(n.startswith(f"/{prefix}") for n in c.get("Names") or ())]

        def remove_container(self, container, *args, **kwargs):
            if container == refused_id:
                container += "-gone"
            return super().remove_container(container, *args, **kwargs)

    settings = DockerSettings()
    connection = connect("bed1", config, settings)
    client = fabric_docker_client(connection, settings, host="bed1", client_class=OnlyMine)
    try:
        for name in (refused, f"{prefix}-ok"):
            client.create_container("dockerfab-test/base:latest", ["true"], name=name,
                                    host_config=client.create_host_config(network_mode="none"))
        refused_id = client.inspect_container(refused)["Id"]
        assert client.base_url.startswith("http+docker://")
        with pytest.raises(PartialResultsError) as info:
            client.cleanup_containers(include_initial=True)
        assert info.value.host == "bed1"
        assert str(info.value).startswith("bed1 ")
        assert info.value.results == [f"{prefix}-ok"]
    finally:
        DockerFabricClient.remove_container(client, refused, force=True)
        client.close()
        connection.close()
