"""What desired state is: the labels dockerfab writes, what planning knows of a client
(:class:`ClientInfo`), and the desired container, attached volume and network. Built by
:mod:`dockerfab.plan.desired`, which re-exports these names."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dockerfab.functional import resolve_value
from dockerfab.map.input import ExecCommand, MapConfigId
from dockerfab.plan import convert
from dockerfab.plan.model import mget

LABEL_MAP = "dockerfab.map"
LABEL_CONFIG = "dockerfab.config"
LABEL_INSTANCE = "dockerfab.instance"
LABEL_HASH = "dockerfab.hash"
LABEL_EXPLICIT = "dockerfab.explicit"  # what dockerfab set (container_options.LABEL_VERSION)


@dataclass
class ClientInfo:
    """What planning needs to know about a client (from its ClientConfiguration)."""
    name: str
    interfaces: dict[str, Any] = field(default_factory=dict)
    interfaces_ipv6: dict[str, Any] = field(default_factory=dict)
    domainname: str | None = None
    stop_timeout: int | None = None
    timeout: int | None = None

    @classmethod
    def from_config(cls, name: str, config: Any) -> ClientInfo:
        return cls(name=name,
                   interfaces=dict(mget(config, "interfaces", {}) or {}),
                   interfaces_ipv6=dict(mget(config, "interfaces_ipv6", {}) or {}),
                   domainname=resolve_value(mget(config, "domainname")),
                   stop_timeout=mget(config, "stop_timeout"),
                   timeout=mget(config, "timeout"))


@dataclass
class DesiredVolume:
    """An attached volume: a named Docker volume owned by one container configuration."""
    name: str
    alias: str
    owner: str  # container name of the first instance of the owner (for messages)
    path: str  # container-side path in the owner (where chown/chmod apply)
    driver: str = "local"
    driver_opts: dict[str, Any] = field(default_factory=dict)
    create_options: dict[str, Any] = field(default_factory=dict)
    user: Any = None
    permissions: str | None = None
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class DesiredNetwork:
    name: str
    driver: str = "bridge"
    options: dict[str, Any] = field(default_factory=dict)
    internal: bool = False
    create_options: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class DesiredContainer:
    """One container instance: how to create it, what it needs, and what to compare."""
    name: str
    config_id: MapConfigId
    image: str
    create_kwargs: dict[str, Any]
    host_config: dict[str, Any]
    networks: dict[str, dict[str, Any]]  # network name -> endpoint kwargs (first at create)
    attached: list[str] = field(default_factory=list)  # volume names it owns
    volumes_used: list[str] = field(default_factory=list)  # named volumes it mounts
    depends_on: dict[str, str] = field(default_factory=dict)  # container -> how
    exec_commands: list[ExecCommand] = field(default_factory=list)
    persistent: bool = False
    stop_signal: Any = None
    stop_timeout: int | None = None
    start_delay: float | None = None
    explicit_env: list[str] = field(default_factory=list)
    #: the compared options that are set, normalised (container_options.set_options)
    options: dict[tuple[str, str], Any] = field(default_factory=dict)
    #: network_mode only names the first configured network (not set by the user): any
    #: user-defined network mode is fine then, the endpoints are compared instead
    mode_from_networks: bool = False

    @property
    def environment(self) -> dict[str, str]:
        return convert.env_dict(self.create_kwargs.get("environment"))
