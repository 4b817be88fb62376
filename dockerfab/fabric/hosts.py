"""Which hosts a task works on, and the maps and client configurations it works with.

Hosts come from ``-H`` (one ``Connection`` each) or, without ``-H``,
from the client configurations that name a ``fabric_host``: each distinct host is one
target, carrying the clients that live on it. With neither, the target is the local
Docker daemon.
"""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from fabric import Connection

from dockerfab.errors import MapError
from dockerfab.fabric.clientconfig import FabricClientConfiguration
from dockerfab.fabric.run import HostTarget
from dockerfab.fabric.settings import DockerSettings


def load_maps(settings: DockerSettings, config: Any = None, complete: bool = True
              ) -> list[Any]:
    """The maps named in ``docker.maps`` (paths relative to the working directory).

    ``!env`` in them reads the OS environment, then ``config`` (the task's Fabric
    configuration) when given. ``complete=False`` (tasks that only take containers down)
    checks only the references, not whether every configuration could be created."""
    from dockerfab.yaml import Loader, load_map_file

    loader = Loader if config is None else Loader.with_config(config)

    if not settings.maps:
        raise MapError("no map files configured: set docker.maps (fabric.yaml) or "
                       "DOCKERFAB_MAPS", ("docker", "maps"))
    # a map without a name element is named after its file
    return [load_map_file(os.path.abspath(os.path.expanduser(path)), loader=loader,
                          complete=complete, name_from_file=True)
            for path in settings.maps]


def load_clients(settings: DockerSettings, config: Any = None
                 ) -> dict[str, FabricClientConfiguration]:
    """The client configurations of ``docker.clients`` (a file or a mapping), as
    :class:`FabricClientConfiguration` objects; ``!env`` in a file also reads ``config``
    (the task's Fabric configuration), as in maps."""
    source = settings.clients
    if source is None:
        return {}
    if isinstance(source, str):
        from dockerfab.yaml import Loader, load_clients_file

        loader = Loader if config is None else Loader.with_config(config)
        return load_clients_file(os.path.abspath(os.path.expanduser(source)),
                                 FabricClientConfiguration, loader=loader)
    clients: dict[str, FabricClientConfiguration] = {}
    for name, values in source.items():
        if not isinstance(values, Mapping):
            raise MapError("client settings must be a mapping", ("docker", "clients", name))
        try:
            clients[str(name)] = FabricClientConfiguration(dict(values))
        except MapError as exc:
            raise exc.at("docker", "clients", str(name))
    return clients


def same_host(connection: Connection, fabric_host: str) -> bool:
    """Whether a client's ``fabric_host`` names the host of ``connection``."""
    probe = Connection(fabric_host, config=connection.config)
    return ((probe.original_host == connection.original_host or probe.host == connection.host)
            and probe.port == connection.port and probe.user == connection.user)


def resolve_targets(hosts: Sequence[Connection],
                    clients: Mapping[str, FabricClientConfiguration]) -> list[HostTarget]:
    """The targets of a task call (see module docstring): one per ``-H`` connection in
    ``hosts``, each with the clients that live on it; without any, one per client host."""
    if hosts:
        return [HostTarget(str(connection.original_host), connection,
                           {name: cfg for name, cfg in clients.items()
                            if cfg.fabric_host and same_host(connection, cfg.fabric_host)})
                for connection in hosts]
    by_host: dict[str | None, dict[str, FabricClientConfiguration]] = {}
    for name, cfg in clients.items():
        by_host.setdefault(cfg.fabric_host or None, {})[name] = cfg
    if not by_host:
        return [HostTarget(None)]
    return [HostTarget(host, None, group) for host, group in by_host.items()]
