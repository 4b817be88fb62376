"""Pure parts of the SSH transport: the dial-stdio command line and URL/mode validation.

The endpoint is built on a paramiko Transport that is never started (a socketpair end), so
nothing here touches the network.
"""
from __future__ import annotations

import shlex
import socket
from collections.abc import Iterator

import paramiko
import pytest

from dockerfab.errors import ConnectionFailed, DockerFabError, MapError
from dockerfab.ssh.channels import dial_stdio_command
from dockerfab.ssh.endpoint import SSHEndpoint


@pytest.fixture
def transport() -> Iterator[paramiko.Transport]:
    ours, theirs = socket.socketpair()
    unstarted = paramiko.Transport(ours)
    yield unstarted
    unstarted.close()
    theirs.close()


def test_dial_stdio_command_quotes_the_daemon_url() -> None:
    assert dial_stdio_command() == "docker system dial-stdio"
    assert (dial_stdio_command("unix:///var/run/docker.sock", sudo=True)
            == "sudo -n docker -H unix:///var/run/docker.sock system dial-stdio")
    odd = "unix:///srv/my docker;rm -rf ~/d.sock"
    assert shlex.split(dial_stdio_command(odd)) == ["docker", "-H", odd, "system", "dial-stdio"]


@pytest.mark.parametrize(("url", "mode", "target", "effective"), [
    ("unix:///var/run/docker.sock", "auto", "/var/run/docker.sock", None),
    ("unix:///run/user/1000/docker.sock", "dial-stdio", "/run/user/1000/docker.sock",
     "dial-stdio"),
    ("tcp://127.0.0.1:2375", "auto", "127.0.0.1:2375", "tcpip"),
    ("tcp://10.1.2.3:2375", "dial-stdio", "10.1.2.3:2375", "dial-stdio"),
])
def test_endpoint_accepts_unix_and_tcp_urls(transport: paramiko.Transport, url: str, mode: str,
                                            target: str, effective: str | None) -> None:
    endpoint = SSHEndpoint(transport, url, mode=mode, host="web1")  # type: ignore[arg-type]
    assert endpoint.target == target
    # automatic mode decides only when it first talks to the host; TCP needs no probe
    assert endpoint.mode == effective


@pytest.mark.parametrize(("url", "mode", "message"), [
    ("http://example:2375", "auto", "neither unix:///PATH nor tcp://HOST:PORT"),
    ("tcp://somewhere", "auto", "neither unix:///PATH nor tcp://HOST:PORT"),
    ("unix://", "auto", "neither unix:///PATH nor tcp://HOST:PORT"),
    ("unix:///var/run/docker.sock", "tcpip", "needs a tcp:// URL"),
    ("tcp://127.0.0.1:2375", "streamlocal", "needs a unix:// URL"),
    ("unix:///var/run/docker.sock", "magic", "unknown SSH transport mode 'magic'"),
])
def test_endpoint_rejects_bad_settings(transport: paramiko.Transport, url: str, mode: str,
                                       message: str) -> None:
    with pytest.raises(MapError, match=message):
        SSHEndpoint(transport, url, mode=mode)  # type: ignore[arg-type]


def test_failures_name_the_host_on_one_line(transport: paramiko.Transport) -> None:
    endpoint = SSHEndpoint(transport, host="web1")
    error = endpoint.fail("sshd refused forwarding to /var/run/docker.sock")
    assert isinstance(error, ConnectionFailed) and isinstance(error, DockerFabError)
    assert str(error) == "web1: sshd refused forwarding to /var/run/docker.sock"
    assert error.host == "web1"


def test_a_dead_transport_is_reported_as_lost(transport: paramiko.Transport) -> None:
    endpoint = SSHEndpoint(transport, host="web1")  # never started: not active
    with pytest.raises(ConnectionFailed, match="^web1: SSH connection lost$"):
        endpoint.open_channel()
