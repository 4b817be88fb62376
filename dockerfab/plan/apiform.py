"""The Engine API form of a desired container: the ``Config`` and ``HostConfig`` JSON that the
Docker SDK sends for its keyword arguments.

Built with the SDK's own pure converters (``docker.types.ContainerConfig`` and
``HostConfig``), the same code that turns the keyword arguments into the request when the
container is created, so what is compared is exactly what was (or will be) sent, in every
spelling the SDK accepts. Those classes only build dicts (no I/O); see
docs/architecture.rst for why ``dockerfab.plan`` imports them.
"""
from __future__ import annotations

import inspect
from typing import Any

import docker.errors
from docker.types import ContainerConfig, HostConfig

from dockerfab.errors import MapError

#: API version assumed when the snapshot does not say (the oldest daemon the bed runs)
DEFAULT_API_VERSION = "1.41"

#: ``create_container`` keyword arguments that are not part of the ``Config`` JSON
NOT_IN_CONFIG = frozenset({"name", "platform", "use_config_proxy", "host_config",
                           "networking_config"})

#: every keyword argument of ``create_container`` (``ContainerConfig``'s and the above)
CREATE_KEYS = frozenset(inspect.signature(ContainerConfig).parameters) - {"version"} | \
    NOT_IN_CONFIG


def host_config_form(host_kwargs: dict[str, Any], version: str | None = None,
                     item: str = "") -> dict[str, Any]:
    """``HostConfig`` JSON for ``create_host_config(**host_kwargs)``."""
    try:
        return dict(HostConfig(version or DEFAULT_API_VERSION, **host_kwargs))
    except (TypeError, ValueError, docker.errors.DockerException) as exc:
        raise MapError(f"{item}: host config: {exc}" if item else f"host config: {exc}"
                       ) from None


def config_form(create_kwargs: dict[str, Any], version: str | None = None,
                item: str = "") -> dict[str, Any]:
    """``Config`` JSON for ``create_container(**create_kwargs)`` (without the host config)."""
    kwargs = {k: v for k, v in create_kwargs.items() if k not in NOT_IN_CONFIG}
    image = kwargs.pop("image", None)
    command = kwargs.pop("command", None)
    try:
        return dict(ContainerConfig(version or DEFAULT_API_VERSION, image, command, **kwargs))
    except (TypeError, ValueError, docker.errors.DockerException) as exc:
        raise MapError(f"{item}: create options: {exc}" if item else f"create options: {exc}"
                       ) from None
