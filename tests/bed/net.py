"""The bed's network: one bridge in the root namespace, one network namespace per host.

Each host namespace has loopback and ``eth0`` (198.18.0.1x/24, the peer of a veth on the
bridge) and no default route, so nothing in it can reach beyond 198.18.0.0/24; IPv6 is off.
A fleet host (bed4..bedN) is on 198.18.2.0/24 instead, with one more route: 198.18.0.1/32
(the registries) via the bridge's 198.18.2.1.
"""
from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any

from tests.bed.layout import (
    ALLOWED_NET,
    BED_NET,
    BRIDGE,
    BRIDGE_ADDRESS,
    DOCKER_NET,
    FLEET_BRIDGE_ADDRESS,
    FLEET_NET,
    INNER_BRIDGE,
    INNER_BRIDGE_ADDRESS,
    INNER_NET,
    IPTABLES_COMMENT,
    HostLayout,
)
from tests.bed.system import run, say

# bridge-to-bridge traffic passes br_netfilter; the local dockerd sets FORWARD's policy to DROP
_FORWARD_RULE = ("FORWARD", "-i", BRIDGE, "-o", BRIDGE, "-m", "comment",
                 "--comment", IPTABLES_COMMENT, "-j", "ACCEPT")


def _disable_ipv6(device: str) -> None:
    Path(f"/proc/sys/net/ipv6/conf/{device}/disable_ipv6").write_text("1")


def ensure_bridge() -> None:
    """Create the bridge with 198.18.0.1/24 and let its ports talk to each other."""
    if not _exists(BRIDGE):
        say(f"creating bridge {BRIDGE} {BRIDGE_ADDRESS}/{BED_NET.prefixlen}")
        run("ip", "link", "add", BRIDGE, "type", "bridge")
        _disable_ipv6(BRIDGE)
        run("ip", "addr", "add", f"{BRIDGE_ADDRESS}/{BED_NET.prefixlen}", "dev", BRIDGE)
        run("ip", "link", "set", BRIDGE, "up")
    if run("iptables", "-C", *_FORWARD_RULE, check=False).returncode != 0:
        run("iptables", "-I", *_FORWARD_RULE)
    # the hosts' docker ranges (198.18.128.0/17) exist only inside their namespaces; here the
    # default route would carry such packets off the machine
    if str(DOCKER_NET) not in run("ip", "route", "show", "type", "unreachable").stdout:
        run("ip", "route", "replace", "unreachable", str(DOCKER_NET))


def ensure_fleet_address() -> None:
    """The bridge's address on the fleet hosts' subnet (198.18.2.1/24), unless it has it."""
    if f" {FLEET_BRIDGE_ADDRESS}/" not in run("ip", "-4", "-o", "addr", "show", "dev",
                                              BRIDGE).stdout:
        say(f"adding {FLEET_BRIDGE_ADDRESS}/{FLEET_NET.prefixlen} to bridge {BRIDGE}")
        run("ip", "addr", "add", f"{FLEET_BRIDGE_ADDRESS}/{FLEET_NET.prefixlen}", "dev", BRIDGE)


def remove_fleet_address() -> None:
    """Take the fleet subnet's address off the bridge (when no fleet host is left)."""
    if _exists(BRIDGE):
        run("ip", "addr", "del", f"{FLEET_BRIDGE_ADDRESS}/{FLEET_NET.prefixlen}", "dev", BRIDGE,
            check=False)


def remove_bridge() -> None:
    """Delete the bridge and its forward rule."""
    while run("iptables", "-D", *_FORWARD_RULE, check=False).returncode == 0:
        pass
    if _exists(BRIDGE):
        run("ip", "link", "del", BRIDGE)
    run("ip", "route", "del", "unreachable", str(DOCKER_NET), check=False)


def ensure_host_net(host: HostLayout, jump: HostLayout | None = None) -> None:
    """Create the host's namespace and veth pair, unless they are already in place. An inner
    host's veth end sits on the bridge in its jump host's namespace (``jump``), not on ours."""
    outer = ("ip", "-n", jump.netns) if jump is not None else ("ip",)
    if host.netns_path.exists() and _exists(host.veth, jump):
        return
    say(f"{host.name}: creating netns {host.netns} with eth0 {host.address}")
    remove_host_net(host, jump)
    run("ip", "netns", "add", host.netns)
    ns = ("ip", "-n", host.netns)
    run("nsenter", f"--net={host.netns_path}", "sh", "-c",
        "echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6;"
        "echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6")
    run(*outer, "link", "add", host.veth, "type", "veth", "peer", "name", "eth0",
        "netns", host.netns)
    if jump is None:
        _disable_ipv6(host.veth)
    run(*outer, "link", "set", host.veth, "master", BRIDGE if jump is None else INNER_BRIDGE,
        "up")
    run(*ns, "link", "set", "lo", "up")
    run(*ns, "addr", "add", f"{host.address}/{host.subnet.prefixlen}", "dev", "eth0")
    run(*ns, "link", "set", "eth0", "up")
    for destination, gateway in host.gateway_routes:
        run(*ns, "route", "add", str(destination), "via", gateway, "dev", "eth0")


def ensure_inner_bridge(bastion: HostLayout) -> None:
    """The bridge of the inner network in the bastion's namespace (198.18.1.1/24). The
    bastion forwards nothing (ip_forward 0), so only its own processes (sshd) reach the
    inner hosts: the root namespace has no route there, and the inner hosts none back."""
    if not _exists(INNER_BRIDGE, bastion):
        say(f"{bastion.name}: creating bridge {INNER_BRIDGE} {INNER_BRIDGE_ADDRESS}/"
            f"{INNER_NET.prefixlen}")
        ns = ("ip", "-n", bastion.netns)
        run(*ns, "link", "add", INNER_BRIDGE, "type", "bridge")
        run(*ns, "addr", "add", f"{INNER_BRIDGE_ADDRESS}/{INNER_NET.prefixlen}", "dev",
            INNER_BRIDGE)
        run(*ns, "link", "set", INNER_BRIDGE, "up")
    run("nsenter", f"--net={bastion.netns_path}", "sh", "-c",
        "echo 0 > /proc/sys/net/ipv4/ip_forward")
    # here the inner net would follow the default route off the machine: make it unreachable
    route = ("route", "replace", "unreachable", str(INNER_NET))
    if str(INNER_NET) not in run("ip", "route", "show", "type", "unreachable").stdout:
        run("ip", *route)


def remove_inner_route() -> None:
    """Take the root namespace's unreachable route for the inner net out again."""
    run("ip", "route", "del", "unreachable", str(INNER_NET), check=False)


def _exists(device: str, netns: HostLayout | None = None) -> bool:
    if netns is None:
        return Path("/sys/class/net", device).exists()
    if not netns.netns_path.exists():
        return False
    return run("ip", "-n", netns.netns, "link", "show", device, check=False).returncode == 0


def remove_host_net(host: HostLayout, jump: HostLayout | None = None) -> None:
    """Delete the host's namespace (its eth0 and our veth end go with it), and what the
    bridge's side remembers of its address: a neighbour entry left REACHABLE with the old
    eth0's MAC would swallow the packets of a host made anew at the same address for up to
    a minute."""
    outer = ("ip", "-n", jump.netns) if jump is not None else ("ip",)
    if host.netns_path.exists():
        run("ip", "netns", "del", host.netns, check=False)
    if _exists(host.veth, jump):
        run(*outer, "link", "del", host.veth, check=False)
    if jump is None or jump.netns_path.exists():
        run(*outer, "neigh", "flush", "to", host.address, check=False)


def route_problems(host: HostLayout) -> list[str]:
    """Routes in the host's namespace that could lead outside the bed (empty when all is
    well): :func:`routes_problems` of what ``ip route`` shows there."""
    shown = {}
    for family in ("-4", "-6"):
        out = run("ip", family, "-j", "-n", host.netns, "route", "show", "table", "main").stdout
        shown[family] = json.loads(out or "[]")
    return routes_problems(host, shown["-4"], shown["-6"])


def routes_problems(host: HostLayout, ipv4: list[dict[str, Any]],
                    ipv6: list[dict[str, Any]]) -> list[str]:
    """Which of these routes (``ip -j route`` entries) could lead outside the bed.

    The only routes through eth0 must be the host's subnet (198.18.0.0/24; an inner host's
    198.18.1.0/24; a fleet host's 198.18.2.0/24) and its ``gateway_routes`` (a fleet host's
    198.18.0.1/32 via 198.18.2.1); its own docker bridges (the bastion's inner bridge) may
    add routes inside 198.18.0.0/16; there must be no default route and no IPv6 route.
    """
    problems = [f"{host.name}: IPv6 route {r.get('dst', '?')} dev {r.get('dev', '?')}"
                for r in ipv6]
    for route in ipv4:
        dst, dev = route.get("dst", "?"), route.get("dev", "?")
        try:
            net = ipaddress.ip_network(dst)
        except ValueError:   # "default" and friends
            problems.append(f"{host.name}: route {dst} dev {dev}")
            continue
        allowed_here = (net == host.subnet
                        or (net, route.get("gateway")) in host.gateway_routes)
        if dev == "eth0" and not allowed_here or not net.subnet_of(ALLOWED_NET):  # type: ignore[arg-type]
            problems.append(f"{host.name}: route {dst} dev {dev} leaves the bed")
    return problems
