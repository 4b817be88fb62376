"""BasePolicy (spec 3.10.1): naming and dependency guidelines a MappingDockerClient uses.

Override single methods to change names; add ``<name>_action(map_name, config_name,
instances, **kwargs)`` methods for custom actions run with ``MappingDockerClient.call()``.
"""
from __future__ import annotations

from typing import Any

from dockerfab.map import naming
from dockerfab.map.deps import ContainerGraph, DependencyGraph, map_graph
from dockerfab.map.input import ItemType, MapConfigId


class BasePolicy:
    """Holds the (merged) maps and client configurations of one MappingDockerClient."""

    def __init__(self, container_maps: dict[str, Any], clients: dict[str, Any]) -> None:
        self.container_maps = container_maps
        self.clients = clients
        self._graph: ContainerGraph | None = None
        self._items: DependencyGraph[MapConfigId] | None = None

    # ----- names -------------------------------------------------------------------------
    @classmethod
    def cname(cls, map_name: str, container: str, instance: str | None = None) -> str:
        """Container name ``<map>.<config>[.<instance>]``."""
        return naming.container_name(map_name, container, instance)

    @classmethod
    def aname(cls, map_name: str, attached_name: str, parent_name: str | None = None) -> str:
        """Attached volume name ``<map>[.<parent>].<alias>``."""
        return naming.attached_volume_name(map_name, parent_name or "", attached_name,
                                           bool(parent_name))

    @classmethod
    def nname(cls, map_name: str, network_name: str) -> str:
        """Network name ``<map>.<network>``."""
        return naming.network_name(map_name, network_name)

    @classmethod
    def image_name(cls, image: str | None, container_map: Any = None,
                   config_name: str = "") -> str:
        """Expanded image name (repository prefix, default tag)."""
        return naming.image_name(image, config_name, getattr(container_map, "repository", None),
                                getattr(container_map, "default_tag", None))

    @classmethod
    def get_hostname(cls, container_name: str, client_name: str | None = None) -> str:
        return naming.host_name(container_name, client_name)

    # ----- dependencies ------------------------------------------------------------------
    def item_graph(self) -> DependencyGraph[MapConfigId]:
        """The dependency graph of all maps (``dockerfab.map.deps``), built once per policy."""
        if self._items is None:
            self._items = map_graph(list(self.container_maps.values()))
        return self._items

    def graph(self) -> ContainerGraph:
        """The planner's container view of :meth:`item_graph` (built once per policy)."""
        if self._graph is None:
            self._graph = ContainerGraph(self.item_graph())
        return self._graph

    def get_dependencies(self, config_id: MapConfigId) -> list[MapConfigId]:
        """All container instances ``config_id`` needs, dependencies first."""
        levels = self.item_graph().dependencies([config_id])
        return [i for level in levels for i in level
                if i.config_type == ItemType.CONTAINER and i != config_id]

    def get_dependents(self, config_id: MapConfigId) -> list[MapConfigId]:
        """All container instances that need ``config_id``, outermost dependents first."""
        levels = self.item_graph().dependents([config_id])
        return [i for level in reversed(levels) for i in level
                if i.config_type == ItemType.CONTAINER and i != config_id]
