"""Snapshot types: the observed state of one Docker host as plain data (no docker import).

``dockerfab.engine.observe`` fills them from a handful of list calls plus one inspect per
container the plan looks at; the planners only ever read them.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from dockerfab.map.naming import normalize_image


@dataclass
class ContainerState:
    """One container as listed (and, for map-managed ones, inspected)."""
    id: str
    name: str
    image_id: str
    status: str  # created, running, paused, restarting, removing, exited, dead
    labels: dict[str, str] = field(default_factory=dict)
    inspect: dict[str, Any] | None = None  # full inspect data, None if not inspected
    processes: list[str] | None = None  # command lines from ``top``, None if not looked at
    volumes: list[str] = field(default_factory=list)  # named volumes mounted (from the list)
    #: network name -> endpoint as listed (NetworkID, Aliases, IPAMConfig ...), from the list
    networks: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def running(self) -> bool:
        return self.status in ("running", "restarting", "paused")

    @property
    def exit_code(self) -> int | None:
        if self.inspect is None or self.running:
            return None
        return int(self.inspect.get("State", {}).get("ExitCode", 0))

    @property
    def has_started(self) -> bool:
        """Whether the container ever ran (Docker's zero time means it never did)."""
        started = (self.inspect or {}).get("State", {}).get("StartedAt") or ""
        return bool(started) and not started.startswith("0001-")

    @property
    def host_config(self) -> dict[str, Any]:
        return (self.inspect or {}).get("HostConfig") or {}

    @property
    def config(self) -> dict[str, Any]:
        return (self.inspect or {}).get("Config") or {}


@dataclass
class VolumeState:
    """A named volume."""
    name: str
    driver: str = "local"
    mountpoint: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)


@dataclass
class NetworkState:
    """A network; ``containers`` are container ids attached at listing time."""
    id: str
    name: str
    driver: str = "bridge"
    internal: bool = False
    labels: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    enable_ipv6: bool = False
    ipam: dict[str, Any] = field(default_factory=dict)  # the API's IPAM: Driver, Config ...


@dataclass
class HostSnapshot:
    """Everything the planner knows about one client at one moment."""
    client_name: str
    containers: dict[str, ContainerState] = field(default_factory=dict)  # by name, no '/'
    volumes: dict[str, VolumeState] = field(default_factory=dict)
    networks: dict[str, NetworkState] = field(default_factory=dict)
    # normalized 'registry/repo:tag' / 'registry/repo@digest' -> id (see image_id)
    images: dict[str, str] = field(default_factory=dict)
    api_version: str | None = None

    def __post_init__(self) -> None:
        self.images = {normalize_image(ref): image_id for ref, image_id in self.images.items()}

    def container(self, name: str) -> ContainerState | None:
        return self.containers.get(name)

    def without_container(self, name: str) -> HostSnapshot:
        """This snapshot as it is after container ``name`` was removed (a copy)."""
        after = copy.copy(self)
        after.containers = {n: c for n, c in self.containers.items() if n != name}
        return after

    def image_id(self, image: str) -> str | None:
        """The id of the image ``image`` names (any spelling the daemon accepts)."""
        return self.images.get(normalize_image(image))
