"""Reaching a Docker daemon through SSH: channel openers and the HTTP adapter the Docker SDK uses.

Entry point: :func:`docker_client`. Lower-level pieces: :class:`SSHEndpoint` (opener choice
and errors), :class:`SSHChannelAdapter` (requests adapter), the openers in
:mod:`dockerfab.ssh.channels`, and :func:`local_socket` (a private UNIX socket relaying to
the remote daemon, for external tools). See docs/ssh.rst.
"""
from dockerfab.ssh.adapter import SSHChannelAdapter
from dockerfab.ssh.channels import open_dial_stdio, open_streamlocal, open_tcpip
from dockerfab.ssh.chansock import ChannelSocket
from dockerfab.ssh.client import client_for_endpoint, docker_client
from dockerfab.ssh.endpoint import DEFAULT_URL, SSHEndpoint
from dockerfab.ssh.local import local_socket

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
