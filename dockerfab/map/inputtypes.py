"""The named tuples and enums of normalised container-configuration input (spec 3.7
"Input formats"); field order is part of the public API (positional tuples are valid
input). Re-exported by :mod:`dockerfab.map.input`."""
from __future__ import annotations

from enum import Enum
from typing import Any, NamedTuple


class ExecPolicy(str, Enum):
    """When an ``exec_commands`` entry runs: on every start, or only once after creation."""
    RESTART = "restart"
    INITIAL = "initial"


class CmdCheck(str, Enum):
    """How ``update`` checks that an exec command is running: whole command line, part, not."""
    FULL = "full"
    PARTIAL = "partial"
    NONE = "none"


class ItemType(str, Enum):
    """Kinds of item a map manages; used in MapConfigId and the dependency graph."""
    CONTAINER = "container"
    VOLUME = "volume"
    NETWORK = "network"
    IMAGE = "image"


class SharedVolume(NamedTuple):
    """A volume alias (binds: alias of ``volumes``/``host``; uses: container or attached alias)."""
    name: str
    readonly: bool = False


class HostVolume(NamedTuple):
    """A direct bind without alias: container ``path`` <- ``host_path`` (relative to host root)."""
    path: str
    host_path: Any  # str or lazy value; may be a dict instance-name -> path
    readonly: bool = False


class UsedVolume(NamedTuple):
    """An attached volume (``attaches``), or a ``uses`` item with an explicit container path."""
    name: str
    path: Any = None  # None: the path of the alias in ``volumes``
    readonly: bool = False


class ContainerLink(NamedTuple):
    """A legacy link to another container configuration; alias defaults to its name."""
    container: str
    alias: str | None = None


class PortBinding(NamedTuple):
    """``exposed_port`` published to ``host_port`` on the client interface alias ``interface``
    (all addresses if None); ``ipv6`` picks the interface's IPv6 address."""
    exposed_port: Any
    host_port: Any = None
    interface: str | None = None
    ipv6: bool = False


class NetworkEndpoint(NamedTuple):
    """A container's connection to a configured network, with optional endpoint settings."""
    network_name: str
    aliases: list[str] | None = None
    links: list[ContainerLink] | None = None
    ipv4_address: Any = None
    ipv6_address: Any = None
    link_local_ips: list[str] | None = None


class ExecCommand(NamedTuple):
    """A command run in the container after it starts; ``user`` None means the config's user."""
    cmd: Any  # str or list of str
    user: Any = None
    policy: ExecPolicy = ExecPolicy.RESTART


class HealthCheck(NamedTuple):
    """Docker health check; durations in seconds (int/float) or Docker strings like '30s'."""
    test: Any
    interval: Any = None
    timeout: Any = None
    retries: int | None = None
    start_period: Any = None


class MapConfigId(NamedTuple):
    """One item of one map: a container instance, an attached volume, a network or an image."""
    config_type: ItemType
    map_name: str
    config_name: str
    instance_name: str | None = None


class InputConfigId(NamedTuple):
    """What a user asked an action for: a configuration and optionally some instances."""
    map_name: str | None
    config_name: str
    instance_names: tuple[str, ...] = ()
