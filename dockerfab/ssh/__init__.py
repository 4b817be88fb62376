"""Reaching a Docker daemon through SSH: channel openers and the HTTP adapter the Docker SDK uses.

Entry point: :func:`docker_client`. Lower-level pieces: :class:`SSHEndpoint` (opener choice
and errors), :class:`SSHChannelAdapter` (requests adapter), the openers in
:mod:`dockerfab.ssh.channels`, and :func:`local_socket` (a private UNIX socket relaying to
the remote daemon, for external tools). See docs/ssh.rst.

The names below are loaded on first use (as in :mod:`dockerfab`), so that
:mod:`dockerfab.ssh.keepalive`, which an SSH connection needs before any Docker call, does
not import the Docker SDK.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from dockerfab.lazyexports import lazy_exports

if TYPE_CHECKING:
    from dockerfab.ssh.adapter import SSHChannelAdapter
    from dockerfab.ssh.channels import open_dial_stdio, open_streamlocal, open_tcpip
    from dockerfab.ssh.chansock import ChannelSocket
    from dockerfab.ssh.client import client_for_endpoint, docker_client
    from dockerfab.ssh.endpoint import DEFAULT_URL, SSHEndpoint
    from dockerfab.ssh.local import local_socket

# public name -> module that defines it
_EXPORTS = {
    "SSHChannelAdapter": "dockerfab.ssh.adapter",
    "open_dial_stdio": "dockerfab.ssh.channels",
    "open_streamlocal": "dockerfab.ssh.channels",
    "open_tcpip": "dockerfab.ssh.channels",
    "ChannelSocket": "dockerfab.ssh.chansock",
    "client_for_endpoint": "dockerfab.ssh.client",
    "docker_client": "dockerfab.ssh.client",
    "DEFAULT_URL": "dockerfab.ssh.endpoint",
    "SSHEndpoint": "dockerfab.ssh.endpoint",
    "local_socket": "dockerfab.ssh.local",
}

__all__ = [
    "DEFAULT_URL",
    "ChannelSocket",
    "SSHChannelAdapter",
    "SSHEndpoint",
    "client_for_endpoint",
    "docker_client",
    "local_socket",
    "open_dial_stdio",
    "open_streamlocal",
    "open_tcpip",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
