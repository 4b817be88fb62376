"""Names the planner gives things: thin wrappers over ``dockerfab.map.naming`` (the one
reference), so the engine and the model always agree."""
from __future__ import annotations

from typing import Any

from dockerfab.map import naming


def container_name(map_name: str, config_name: str, instance: str | None = None) -> str:
    """``<map>.<config>[.<instance>]``."""
    return naming.container_name(map_name, config_name, instance)


def volume_name(map_name: str, alias: str, parent: str | None = None) -> str:
    """``<map>.<alias>``, or ``<map>.<parent>.<alias>`` when ``parent`` is given
    (``use_attached_parent_name``)."""
    return naming.attached_volume_name(map_name, parent or "", alias, bool(parent))


def network_name(map_name: str, network: str) -> str:
    """``<map>.<network>``; Docker's own networks keep their names."""
    return naming.network_name(map_name, network)


def image_name(image: Any, config_name: str, repository: Any = None,
               default_tag: str | None = None) -> str:
    """Expanded image name per spec 3.7.1 "Image"."""
    return naming.image_name(image, config_name, repository, default_tag)


def hostname(client_name: str | None, container: str) -> str:
    """``<client name>-<container name>`` made a valid host name."""
    return naming.host_name(container, client_name)
