"""The rollout's two health questions, asked through one place and answered by the engine's
health gate (:mod:`dockerfab.engine.health`: one event stream per host): are containers
that were just started ready, and do running containers stay up for the watch time."""
from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from dockerfab.engine import health

#: Seconds a container without a health check must run without a restart.
READINESS = health.DEFAULT_READINESS
#: Seconds a container with a health check has to become healthy.
TIMEOUT = health.DEFAULT_HEALTH_TIMEOUT


def wait_ready(client: Any, names: Iterable[str], *, host: str | None = None,
               readiness: float = READINESS, timeout: float = TIMEOUT,
               stop: threading.Event | None = None) -> None:
    """Wait until the started containers ``names`` are ready; raise HealthGateFailed (host,
    container, why) for the first that is not."""
    names = list(names)
    if names:
        health.wait_ready(client, names, health.GateOptions(readiness=readiness,
                                                            timeout=timeout),
                          host=host, stop=stop)


def watch(client: Any, names: Iterable[str], seconds: float, *, host: str | None = None,
          stop: threading.Event | None = None) -> None:
    """Check that the running containers ``names`` stay up, without a restart and not
    unhealthy, for ``seconds``; raise HealthGateFailed for the first that does not."""
    names = list(names)
    if names and seconds > 0:
        health.watch_running(client, names, seconds, host=host, stop=stop)
