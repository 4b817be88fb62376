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
    CLIENT_KEY,
    INNER_HOSTS,
    KNOWN_HOSTS,
    OTHER_HOSTS,
    REMOTE_DOCKER_SOCKET,
    SSH_CONFIG,
    SSH_PORT,
    SSH_USER,
    HostLayout,
)
from tests.bed.podman import podman_pid, start_podman
from tests.bed.state import BedHost, docker_ping
from tests.bed.system import wait_for


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


def daemon_pid(host: HostLayout) -> int | None:
    if host.kind == "podman":
        return podman_pid(host)
    return hosts.dockerd_pid(host) if host.has_daemon else None


def finish(host: HostLayout, started: dict[str, Any], local_api: Any,
           ids: dict[str, str]) -> BedHost:
    """Wait for the host's daemon, start its sshd, load the test images; its BedHost."""
    import docker

    from tests.bed.images import ensure_host_images

    problems = net.route_problems(host)
    if problems:   # fails this host only; bed1..N come up all the same
        raise RuntimeError("routing is wrong: " + "; ".join(problems))
    pid, reloaded = started.get(host.name, (None, False))
    if pid is not None:
        wait_for(lambda: docker_ping(host.docker_socket), 60, f"{host.name}'s daemon",
                 host.dockerd_log, pid)
    hosts.ensure_sshd(host)
    if host.has_daemon:
        api = docker.APIClient(base_url=f"unix://{host.docker_socket}", version="auto")
        try:
            if reloaded:
                hosts.wait_trusts_registries(host, api)
            ensure_host_images(host.name, api, local_api, ids)
        finally:
            api.close()
    return bed_host(host)


def bed_host(host: HostLayout) -> BedHost:
    """The BedHost of ``host``: everything follows from its layout, the pids are read now.
    (Also what tests fall back to when the state was written by an ``up`` of a checkout that
    did not know these hosts yet.)"""
    return BedHost(name=host.name, address=host.address, ssh_port=SSH_PORT, user=SSH_USER,
                   key_file=str(CLIENT_KEY), known_hosts_file=str(KNOWN_HOSTS),
                   ssh_config_file=str(SSH_CONFIG), docker_socket=str(host.docker_socket),
                   remote_docker_socket=REMOTE_DOCKER_SOCKET, netns=host.netns,
                   dockerd_pid=daemon_pid(host) or 0, sshd_pid=hosts.sshd_pid(host) or 0,
                   kind=host.kind, via=host.via or "")


def stop_all() -> None:
    """Stop the daemons and remove the namespaces (inner hosts first)."""
    for host in reversed(OTHER_HOSTS):
        hosts.stop_host(host)
        net.remove_host_net(host, jump_of(host))
    net.remove_inner_route()
