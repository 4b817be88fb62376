"""DockerFabricClient: the Docker client of one host that can also run shell commands there.

The Docker API calls and ``run_cmd`` share the host's one SSH connection: API requests go
over channels opened by :mod:`dockerfab.ssh` on the connection's transport, commands over
session channels on the same transport.
"""
from __future__ import annotations

from typing import Any

from fabric import Connection

from dockerfab.client.wrapper import DockerClientWrapper
from dockerfab.errors import ConnectionFailed, DockerFabError
from dockerfab.fabric.settings import DockerSettings
from dockerfab.fabric.shell import LocalShell, RemoteShell, Shell

# with this module, not on first use: open_session imports it while the host's SSH handshake
# still runs (dockerfab.fabric.early), so the SSH adapter is ready when the connection is
from dockerfab.ssh.client import docker_client


class DockerFabricClient(DockerClientWrapper):
    """``DockerClientWrapper`` for one host plus :meth:`run_cmd` on that host.

    The engine sees ``run_cmd`` and prepares attached volumes with ``chown``/``chmod`` on the
    host instead of in a helper container. Build it with :func:`fabric_docker_client`.
    """

    shell: Shell | None = None

    @property
    def host(self) -> str:
        """The host's name as the user gave it (``-H`` value or fabric_host)."""
        return self.shell.host if self.shell is not None else "localhost"

    @property
    def host_label(self) -> str:
        """Errors name the host as the user gave it, not the SDK's ``http+docker://`` URL."""
        return self.host

    def run_cmd(self, command: str) -> str:
        """Run ``command`` (arguments already quoted) on the Docker host; return stdout.

        Raises :class:`~dockerfab.errors.RemoteError` naming host and command on failure.
        """
        if self.shell is None:
            self.shell = LocalShell()
        return self.shell.run(command)


def fabric_docker_client(connection: Connection | None, settings: DockerSettings, *,
                         host: str | None = None,
                         client_class: type[DockerFabricClient] = DockerFabricClient,
                         **client_kwargs: Any) -> DockerFabricClient:
    """The Docker client of ``connection``'s host (opened already), or of the local daemon
    when ``connection`` is None. A daemon that cannot be reached raises ConnectionFailed."""
    url = settings.docker_url
    label = host or (str(connection.original_host) if connection is not None else "localhost")
    kwargs: dict[str, Any] = dict(client_kwargs, version=settings.version)
    if settings.host_threads:  # as many channels kept as the host has threads calling
        kwargs.setdefault("max_pool_size", settings.host_threads)
    if settings.timeout is not None:
        kwargs["timeout"] = settings.timeout
    try:
        if connection is None:
            client = client_class(base_url=url, **kwargs)
            client.shell = LocalShell(label, settings.sudo, settings.command_timeout)
        else:
            client = docker_client(connection.transport, url, client_class=client_class,
                                   mode=settings.mode,  # type: ignore[arg-type]  # validated
                                   sudo=settings.sudo, host=label,
                                   **kwargs)
            client.shell = RemoteShell(connection, label, settings.sudo,
                                       settings.command_timeout)
    except ConnectionFailed as exc:
        exc.host = exc.host or label
        raise
    except DockerFabError:
        raise
    except Exception as exc:  # docker.errors.DockerException, paramiko errors, OSError
        text = " ".join(str(exc).split()) or type(exc).__name__
        raise ConnectionFailed(f"Docker daemon at {url} not reachable: {text}",
                               host=label) from exc
    return client
