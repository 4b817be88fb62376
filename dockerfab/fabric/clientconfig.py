"""A ClientConfiguration whose client reaches its Docker host over a Fabric connection."""
from __future__ import annotations

import dataclasses
from typing import Any

from fabric import Config, Connection

from dockerfab.fabric.client import DockerFabricClient, fabric_docker_client
from dockerfab.fabric.connection import close_connection, connect
from dockerfab.fabric.settings import DockerSettings
from dockerfab.map.config.client import ClientConfiguration


class FabricClientConfiguration(ClientConfiguration):
    """Client configuration for the host named in ``fabric_host`` (``user@host:port`` or an
    ssh_config alias). :meth:`get_client` returns a :class:`DockerFabricClient` that talks
    to ``base_url`` on that host through SSH; without ``fabric_host``, to a local daemon.

    The tasks :meth:`bind` each configuration to the connection their run has open, so all
    clients of one host share it. Used alone, :meth:`get_client` opens a connection with
    Fabric's default configuration (``~/.ssh/config``, keys, agent); :meth:`close` ends it.
    """

    def __init__(self, values: Any = None, **kwargs: Any) -> None:
        object.__setattr__(self, "_connection", None)
        object.__setattr__(self, "_owns_connection", False)
        super().__init__(values, **kwargs)

    def copy(self) -> FabricClientConfiguration:
        new = super().copy()
        object.__setattr__(new, "_connection", None)
        object.__setattr__(new, "_owns_connection", False)
        return new  # type: ignore[return-value]

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

    def bind(self, connection: Connection | None, settings: DockerSettings, *,
             host: str | None = None, client: DockerFabricClient | None = None) -> None:
        """Use ``connection`` (open, owned by the caller) for this configuration's client.
        ``client`` is reused when it already talks to the same daemon URL."""
        mine = self.docker_settings(settings)
        if client is None or mine != settings:
            client = fabric_docker_client(connection, mine, host=host)
        object.__setattr__(self, "_client", client)
        object.__setattr__(self, "_connection", connection)

    def get_client(self) -> Any:
        if self.client is not None:  # a ready client given by the user
            return self.client
        if self._client is None:
            if self.fabric_host:
                settings = self.docker_settings()
                connection = connect(self.fabric_host, Config(), settings)
                object.__setattr__(self, "_connection", connection)
                object.__setattr__(self, "_owns_connection", True)
                client = fabric_docker_client(connection, settings, host=self.fabric_host)
            else:
                client = fabric_docker_client(None, self.docker_settings())
            object.__setattr__(self, "_client", client)
        return self._client

    def close(self) -> None:
        """Close the client and the connection this object opened (not a bound one)."""
        if self._client is not None:
            self._client.close()
            object.__setattr__(self, "_client", None)
        if self._owns_connection and self._connection is not None:
            close_connection(self._connection)
        object.__setattr__(self, "_connection", None)
        object.__setattr__(self, "_owns_connection", False)
