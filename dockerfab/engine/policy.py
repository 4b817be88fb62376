"""BasePolicy (spec 3.10.1): naming and dependency guidelines a MappingDockerClient uses.

Override single methods to change names; add ``<name>_action(map_name, config_name,
instances, **kwargs)`` methods for custom actions run with ``MappingDockerClient.call()``.
"""
from __future__ import annotations

from typing import Any

from dockerfab.map import naming
from dockerfab.map.input import ItemType, MapConfigId
from dockerfab.plan.desired import ClientInfo, DesiredStateBuilder
from dockerfab.plan.graph import DependencyGraph, container_of
from dockerfab.plan.model import containers, instances, is_abstract


class BasePolicy:
    """Holds the (merged) maps and client configurations of one MappingDockerClient."""

    def __init__(self, container_maps: dict[str, Any], clients: dict[str, Any]) -> None:
        self.container_maps = container_maps
        self.clients = clients
        self._graph: DependencyGraph | None = None
        self._items: Any = None

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
    def graph(self) -> DependencyGraph:
        """Container-level dependency graph over all maps (built once per policy)."""
        if self._graph is None:
            nodes: dict[str, MapConfigId] = {}
            builders: dict[str, DesiredStateBuilder] = {}
            for map_name, cmap in self.container_maps.items():
                builders[map_name] = DesiredStateBuilder(cmap, ClientInfo("__graph__"))
                for config_name, config in containers(cmap).items():
                    if is_abstract(config):
                        continue
                    for inst in instances(config):
                        cid = MapConfigId(ItemType.CONTAINER, map_name, config_name, inst)
                        nodes[container_of(cid)] = cid
            self._graph = DependencyGraph(
                nodes, lambda cid: builders[cid.map_name].dependencies(cid.config_name,
                                                                        cid.instance_name))
        return self._graph

    def _item_graph(self) -> Any:
        """The model's item graph (``dockerfab.map.deps``) of all maps, built once."""
        if self._items is None:
            from dockerfab.map.deps import map_graph

            self._items = map_graph(list(self.container_maps.values()))
        return self._items

    def get_dependencies(self, config_id: MapConfigId) -> list[MapConfigId]:
        """All container instances ``config_id`` needs, dependencies first
        (from ``dockerfab.map.deps``)."""
        levels = self._item_graph().dependencies([config_id])
        return [i for level in levels for i in level
                if i.config_type == ItemType.CONTAINER and i != config_id]

    def get_dependents(self, config_id: MapConfigId) -> list[MapConfigId]:
        """All container instances that need ``config_id``, outermost dependents first
        (from ``dockerfab.map.deps``)."""
        levels = self._item_graph().dependents([config_id])
        return [i for level in reversed(levels) for i in level
                if i.config_type == ItemType.CONTAINER and i != config_id]
