"""Names of the things a map creates (pure functions, no I/O).

* containers: ``<map>.<config>`` or ``<map>.<config>.<instance>``
* attached volumes: ``<map>.<alias>``, or ``<map>.<parent>.<alias>`` with
  ``use_attached_parent_name`` (CLARIFICATIONS 10)
* networks: ``<map>.<network>``; Docker's own ``bridge``, ``host`` and ``none`` keep their name
* images: the expansion rules of spec 3.7 "Image" (CLARIFICATIONS 3); references compared
  the way the daemon reads them (:func:`normalize_image`)
* host names: ``<client>-<container>`` with characters invalid in host names replaced
"""
from __future__ import annotations

import re
from collections.abc import Iterable
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
    A digest counts as the tag part: ``'app@sha256:ab'`` -> ``('app', 'sha256:ab')`` (what
    the pull API takes as its tag)."""
    if "@" in image:
        name, _, digest = image.partition("@")
        return name, digest
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


DEFAULT_REGISTRY = "docker.io"
_DOCKER_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
LOCAL_REGISTRY = "localhost"   # Podman names images built or committed locally localhost/...


def split_registry(reference: str) -> tuple[str, str]:
    """``'198.18.0.1:5000/app:1'`` -> ``('198.18.0.1:5000', 'app:1')``; the first path
    component is a registry when it has a ``.`` or ``:`` or is ``localhost`` (Docker's rule),
    else the registry is Docker Hub: ``'nginx'`` -> ``('docker.io', 'library/nginx')``."""
    first, sep, rest = reference.partition("/")
    looks_like_registry = first == LOCAL_REGISTRY or "." in first or ":" in first
    if sep and looks_like_registry and first == first.lower():
        registry, path = first, rest
    else:
        registry, path = DEFAULT_REGISTRY, reference
    if registry in _DOCKER_HUB_ALIASES:
        registry = DEFAULT_REGISTRY
        if "/" not in path:
            path = f"library/{path}"
    return registry, path


def normalize_image(reference: str) -> str:
    """The full form of an image reference, as the daemon resolves it, so that names of the
    same image compare equal: ``busybox`` == ``docker.io/library/busybox:latest``,
    ``user/app:2`` == ``docker.io/user/app:2``, ``index.docker.io/library/x`` ==
    ``docker.io/library/x:latest``; other registries keep their name. A missing tag is
    ``latest``; with a digest the digest identifies the image and a tag is dropped."""
    reference = reference.strip()
    name, _, digest = reference.partition("@")
    registry, path = split_registry(name)
    repository, tag = split_image(path)
    if digest:
        return f"{registry}/{repository}@{digest}"
    return f"{registry}/{repository}:{tag or DEFAULT_TAG}"


def image_aliases(reference: str) -> list[str]:
    """The normalized names under which a daemon finds an image it lists as ``reference``:
    the name itself, and for Podman's ``localhost/name`` also the short ``name`` (Podman
    resolves a short name to the local image first)."""
    full = normalize_image(reference)
    registry, path = split_registry(reference.partition("@")[0])
    if registry == LOCAL_REGISTRY and path:
        digest = reference.partition("@")[2]
        return [full, normalize_image(path + (f"@{digest}" if digest else ""))]
    return [full]


_INVALID_HOST_CHARS = re.compile(r"[^A-Za-z0-9-]+")


def host_name(container: str, client_name: str | None = None) -> str:
    """Host name of a new container: ``<client>-<container>`` (the default client's name is
    left out); characters other than letters, digits and ``-`` become ``-``, at most 63."""
    if client_name and client_name != DEFAULT_CLIENT_NAME:
        container = f"{client_name}-{container}"
    name = _INVALID_HOST_CHARS.sub("-", container).strip("-")
    return name[:63].rstrip("-") or "container"


def primary_name(names: Iterable[str] | None) -> str | None:
    """The name of a container from the ``Names`` of a container list entry
    (``['/web', '/app/web']`` -> ``'web'``), or None. The primary name has one slash;
    ``/other/alias`` entries are legacy link names."""
    return next((n[1:] for n in names or () if n.count("/") == 1), None)
