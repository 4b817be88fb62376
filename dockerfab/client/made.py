"""The Docker clients made for client configurations, kept beside them (not in them).

A :class:`~dockerfab.map.config.client.ClientConfiguration` holds configuration only;
``get_client()`` asks :func:`client_for` here, which makes the client once per
configuration object and keeps it until :func:`forget` (or until the configuration object
is gone). The Fabric layer never goes through this: each host session hands the engine its
clients explicitly (``MappingDockerClient(docker_clients=...)``).
"""
from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

_made: dict[int, Any] = {}
_lock = threading.Lock()


def client_for(config: object, make: Callable[[], Any]) -> Any:
    """The client made for ``config`` (``make()`` on first use)."""
    key = id(config)
    with _lock:
        client = _made.get(key)
        if client is None:
            client = _made[key] = make()
            weakref.finalize(config, _made.pop, key, None)
        return client


def made_client(config: object) -> Any:
    """The client made for ``config`` so far, or None."""
    return _made.get(id(config))


def forget(config: object) -> Any:
    """Drop (and return) the client made for ``config``; the caller closes it."""
    with _lock:
        return _made.pop(id(config), None)
