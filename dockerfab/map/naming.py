"""Names of the things a map creates (pure functions, no I/O).

* containers: ``<map>.<config>`` or ``<map>.<config>.<instance>``
* attached volumes: ``<map>.<alias>``, or ``<map>.<parent>.<alias>`` with
  ``use_attached_parent_name`` (CLARIFICATIONS 10)
* networks: ``<map>.<network>``; Docker's own ``bridge``, ``host`` and ``none`` keep their name
* images: the expansion rules of spec 3.7 "Image" (CLARIFICATIONS 3)
* host names: ``<client>-<container>`` with characters invalid in host names replaced
"""
from __future__ import annotations

import re
from typing import Any

from dockerfab.functional import resolve_value

DEFAULT_TAG = "latest"
DEFAULT_CLIENT_NAME = "__default__"
BUILTIN_NETWORKS = frozenset({"bridge", "host", "none"})


def container_name(map_name: str, config_name: str, instance: str | None = None) -> str:
    """``example_map.app_server.instance1``; without instance ``example_map.web_server``."""
    if instance:
        return f"{map_name}.{config_name}.{instance}"
    return f"{map_name}.{config_name}"


def attached_volume_name(map_name: str, parent_name: str, alias: str,
                         use_parent_name: bool = False) -> str:
    """Docker volume of an attached alias: ``<map>.<alias>``, or ``<map>.<parent>.<alias>``
    when the map sets ``use_attached_parent_name``."""
    if use_parent_name:
        return f"{map_name}.{parent_name}.{alias}"
    return f"{map_name}.{alias}"


def network_name(map_name: str, network: str) -> str:
    """``<map>.<network>``; the built-in networks bridge/host/none are not prefixed."""
    if network in BUILTIN_NETWORKS:
        return network
    return f"{map_name}.{network}"


def split_reference(reference: str) -> tuple[str, str | None]:
    """``'app.instance1'`` -> ``('app', 'instance1')``; ``'app'`` -> ``('app', None)``.
    (Configuration and instance names contain no dots.)"""
    config, _, instance = reference.partition(".")
    return config, instance or None


def split_image(image: str) -> tuple[str, str | None]:
    """``'registry:5000/app:1.2'`` -> ``('registry:5000/app', '1.2')``; no tag -> None.
    A digest (``app@sha256:...``) counts as the tag part."""
    if "@" in image:
        name, _, digest = image.partition("@")
        return name, "@" + digest
    name, sep, tag = image.rpartition(":")
    if not sep or "/" in tag:
        return image, None
    return name, tag


def image_name(image: Any, config_name: str, repository: Any = None,
               default_tag: str | None = None) -> str:
    """Full image name of a configuration (spec 3.7, "Image"):

    * no ``image``: the configuration name;
    * a leading ``/`` marks a local/official image: removed, never prefixed;
    * a name containing ``/`` already has a repository and is not prefixed;
    * otherwise ``repository`` (lazy allowed) is prefixed;
    * without a tag, ``default_tag`` (or ``latest``) is added.
    """
    name = resolve_value(image) if image is not None else None
    if not name:
        name = config_name
    name = str(name)
    if name.startswith("/"):
        name = name.lstrip("/")
    elif "/" not in name:
        prefix = resolve_value(repository) if repository is not None else None
        if prefix:
            name = f"{str(prefix).rstrip('/')}/{name}"
    _, tag = split_image(name)
    if tag is None:
        name = f"{name}:{default_tag or DEFAULT_TAG}"
    return name


_INVALID_HOST_CHARS = re.compile(r"[^A-Za-z0-9-]+")


def host_name(container: str, client_name: str | None = None) -> str:
    """Host name of a new container: ``<client>-<container>`` (the default client's name is
    left out); characters other than letters, digits and ``-`` become ``-``, at most 63."""
    if client_name and client_name != DEFAULT_CLIENT_NAME:
        container = f"{client_name}-{container}"
    name = _INVALID_HOST_CHARS.sub("-", container).strip("-")
    return name[:63].rstrip("-") or "container"
