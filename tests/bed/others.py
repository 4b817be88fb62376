"""The bed's hosts of other kinds (``layout.OTHER_HOSTS``): ``bed-podman`` (Podman's
Docker-compatible API behind sshd), ``bed-bastion`` (sshd only) and ``bed-inner1/2``
(dockerd + sshd on 198.18.1.0/24, a network only the bastion's namespace is on).

Brought up after bed1..N and independently of them: a failure here is reported by ``up``
(non-zero exit) after the state of everything else is saved.
"""
from __future__ import annotations

from typing import Any

from tests.bed import hosts, net
from tests.bed.layout import (
    BASTION_HOST,
    INNER_HOSTS,
    OTHER_HOSTS,
    HostLayout,
)
from tests.bed.podman import start_podman


def jump_of(host: HostLayout) -> HostLayout | None:
    return next((h for h in OTHER_HOSTS if h.name == host.via), None) if host.via else None


def ensure_nets() -> None:
    """Namespaces: podman and bastion on the bed bridge, the inner bridge in the bastion's,
    the inner hosts on that bridge."""
    for host in OTHER_HOSTS:
        if host.via is None:
            net.ensure_host_net(host)
    net.ensure_inner_bridge(BASTION_HOST)
    for host in INNER_HOSTS:
        net.ensure_host_net(host, jump_of(host))


def start_daemons() -> dict[str, Any]:
    """Start the daemons that do not answer; ``{name: what start returned}``."""
    started: dict[str, Any] = {}
    for host in OTHER_HOSTS:
        if host.kind == "podman":
            started[host.name] = (start_podman(host), False)
        elif host.has_daemon:
            started[host.name] = hosts.start_dockerd(host)
    return started


def stop_all() -> None:
    """Stop the daemons and remove the namespaces (inner hosts first)."""
    for host in reversed(OTHER_HOSTS):
        hosts.stop_host(host)
        net.remove_host_net(host, jump_of(host))
    net.remove_inner_route()
