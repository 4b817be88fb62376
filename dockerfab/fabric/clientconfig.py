"""A ClientConfiguration whose client reaches its Docker host over a Fabric connection."""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from fabric import Config, Connection

from dockerfab.client.made import forget, made_client
from dockerfab.fabric.connection import connect
from dockerfab.fabric.settings import DockerSettings
from dockerfab.map.config.client import ClientConfiguration

if TYPE_CHECKING:
    from dockerfab.fabric.client import DockerFabricClient

#: client id -> the connection a standalone get_client() opened for it
_connections: dict[int, Connection] = {}


class FabricClientConfiguration(ClientConfiguration):
    """Client configuration for the host named in ``fabric_host`` (``user@host:port`` or an
    ssh_config alias): configuration only.

    The tasks never ask it for a client: each host session makes the clients of the
    configurations on its host on its one connection (:func:`session_clients`) and hands
    them to the engine. Used alone, :meth:`get_client` returns a
    :class:`DockerFabricClient` that talks to ``base_url`` on that host over a connection
    opened with Fabric's default configuration (``~/.ssh/config``, keys, agent); without
    ``fabric_host``, to a local daemon. :meth:`close` ends both.
    """

    def docker_settings(self, base: DockerSettings | None = None) -> DockerSettings:
        """``base`` (or the defaults) with this configuration's URL, version and timeout."""
        base = base or DockerSettings()
        changes: dict[str, Any] = {}
        if self.base_url:
            changes["base_url"] = self.base_url
        if self.version:
            changes["version"] = self.version
        if self.timeout is not None:
            changes["timeout"] = self.timeout
        return dataclasses.replace(base, **changes)

    def make_client(self) -> DockerFabricClient:
        # the Docker SDK is imported when a client is made, not with the configuration
        from dockerfab.fabric.client import fabric_docker_client

        settings = self.docker_settings()
        if not self.fabric_host:
            return fabric_docker_client(None, settings)
        connection = connect(self.fabric_host, Config(), settings)
        try:
            client = fabric_docker_client(connection, settings, host=self.fabric_host)
        except BaseException:
            connection.close()
            raise
        _connections[id(client)] = connection
        return client

    def close(self) -> None:
        """Close the client :meth:`get_client` made, and the connection it opened."""
        client = forget(self)
        if client is not None:
            client.close()
            connection = _connections.pop(id(client), None)
            if connection is not None:
                connection.close()

    @property
    def connected(self) -> bool:
        """Whether :meth:`get_client` has made a client that is not closed yet."""
        return made_client(self) is not None


def session_clients(connection: Connection | None, settings: DockerSettings,
                    default: DockerFabricClient, configs: dict[str, FabricClientConfiguration],
                    host: str) -> dict[str, DockerFabricClient]:
    """The Docker clients of the client configurations that live on one host, by name, all
    on its one ``connection``: ``default`` (the session's client) for each that talks to the
    same daemon URL, version and time-out, a new client on the connection for the others.
    The caller closes the clients that are not ``default``."""
    # the Docker SDK is imported when a client is made, not with the configuration
    from dockerfab.fabric.client import fabric_docker_client

    clients: dict[str, DockerFabricClient] = {}
    made: list[tuple[DockerSettings, DockerFabricClient]] = [(settings, default)]
    for name, config in configs.items():
        mine = config.docker_settings(settings)
        client = next((c for s, c in made if s == mine), None)
        if client is None:
            client = fabric_docker_client(connection, mine, host=host)
            made.append((mine, client))
        clients[name] = client
    return clients
