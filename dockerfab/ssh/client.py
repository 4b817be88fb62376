"""``docker_client()``: a Docker SDK client whose requests travel over an SSH transport."""
from __future__ import annotations

from typing import Any, TypeVar

import docker
import requests
from docker import constants
from paramiko import Transport

from dockerfab.errors import ConnectionFailed
from dockerfab.ssh.adapter import DEFAULT_POOL_SIZE, SSHChannelAdapter
from dockerfab.ssh.endpoint import DEFAULT_URL, Mode, SSHEndpoint

ClientT = TypeVar("ClientT", bound=docker.APIClient)

#: The client is built with this base URL, then re-pointed at the SSH adapter. It names no
#: real socket, so a request made before that (e.g. in a subclass's ``__init__``) fails
#: loudly instead of reaching the local daemon.
_PLACEHOLDER_URL = "unix:///nonexistent/dockerfab-ssh-placeholder.sock"


def transport_of(connection: Any) -> tuple[Transport, str | None]:
    """The paramiko Transport of a Transport or of a Fabric ``Connection``, with the host
    name to use in messages (None if unknown).

    A Connection that is not open yet is opened the way the tasks open theirs
    (:func:`dockerfab.fabric.connection.open_connection`): host key checked against
    known_hosts (never Fabric's accept-any policy), keepalive on.
    """
    if isinstance(connection, Transport):
        return connection, None
    if hasattr(connection, "open") and hasattr(connection, "transport"):
        if connection.transport is None or not connection.transport.is_active():
            from dockerfab.fabric.connection import open_connection
            from dockerfab.fabric.settings import DockerSettings

            open_connection(connection, DockerSettings())
        return connection.transport, getattr(connection, "host", None)
    raise TypeError(f"expected a paramiko Transport or a Fabric Connection, not {connection!r}")


def docker_client(transport: Any, url: str = DEFAULT_URL, *, client_class: type[ClientT] | None = None,
                  mode: Mode = "auto", sudo: bool = False,
                  timeout: float | None = constants.DEFAULT_TIMEOUT_SECONDS,
                  version: str | None = "auto",
                  max_pool_size: int = DEFAULT_POOL_SIZE,
                  host: str | None = None, **client_kwargs: Any) -> ClientT:
    """Return ``client_class`` (default ``docker.APIClient``) talking to ``url`` on the far side
    of ``transport`` (a paramiko Transport, or a Fabric Connection).

    ``url`` is ``unix://PATH`` or ``tcp://HOST:PORT`` as seen from the SSH server. ``mode``:
    ``auto`` (streamlocal, falling back to dial-stdio when sshd refuses forwarding),
    ``streamlocal``, ``dial-stdio`` or ``tcpip``; ``sudo`` runs dial-stdio through ``sudo -n``.
    ``timeout`` is the HTTP read timeout (and the channel-open timeout). ``version='auto'``
    asks the daemon (one request). ``host`` names the host in error messages. Other keyword
    arguments go to ``client_class``. Raises ConnectionFailed when the daemon is unreachable.
    """
    ssh_transport, known_host = transport_of(transport)
    endpoint = SSHEndpoint(ssh_transport, url, mode=mode, sudo=sudo, host=host or known_host,
                           open_timeout=timeout)
    return client_for_endpoint(endpoint, client_class=client_class, timeout=timeout,
                               version=version, max_pool_size=max_pool_size, **client_kwargs)


def client_for_endpoint(endpoint: SSHEndpoint, *, client_class: type[ClientT] | None = None,
                        timeout: float | None = constants.DEFAULT_TIMEOUT_SECONDS,
                        version: str | None = "auto",
                        max_pool_size: int = DEFAULT_POOL_SIZE,
                        **client_kwargs: Any) -> ClientT:
    """Like :func:`docker_client`, for an already built :class:`SSHEndpoint`."""
    cls: Any = client_class or docker.APIClient
    detect = version is None or (isinstance(version, str) and version.lower() == "auto")
    client = cls(base_url=_PLACEHOLDER_URL, timeout=timeout, max_pool_size=max_pool_size,
                 version=constants.MINIMUM_DOCKER_API_VERSION if detect else version,
                 **client_kwargs)
    placeholder = getattr(client, "_custom_adapter", None)
    if placeholder is not None:
        placeholder.close()
    adapter = SSHChannelAdapter(endpoint, timeout=timeout, max_pool_size=max_pool_size)
    client.mount("http+docker://", adapter)
    client._custom_adapter = adapter
    client.base_url = "http+docker://localhost"
    client.ssh_endpoint = endpoint
    if getattr(client, "url", None) == _PLACEHOLDER_URL:  # DockerClientWrapper keeps the URL given
        client.url = endpoint.url
    if detect:
        try:
            client._version = client.version(api_version=False)["ApiVersion"]
        except ConnectionFailed:
            client.close()
            raise
        except (requests.exceptions.RequestException, docker.errors.APIError, KeyError) as error:
            client.close()
            detail = " ".join(str(error).split())[:200] or type(error).__name__
            raise endpoint.fail(f"no Docker daemon answering at {endpoint.url}: {detail}") \
                from error
    return client
