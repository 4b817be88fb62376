"""Tools that produce link faults for real on a bed host: find and kill the sshd process
serving one connection, drop one connection's packets inside the host's network namespace,
and run a second, short-lived sshd in a host's namespaces with its own ``MaxSessions``.

Everything acts on one connection (by its local port) or on a process the test started, so
the other tests sharing the bed host are not disturbed.
"""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from tests.bed import BedHost

BRIDGE_ADDRESS = "198.18.0.1"


def hex_address(address: str, port: int) -> str:
    """'198.18.0.12', 22 -> '0C0012C6:0016' as /proc/net/tcp shows it (little endian)."""
    return "".join(f"{int(part):02X}" for part in reversed(address.split("."))) + f":{port:04X}"


def socket_inodes(pid: int) -> set[int]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():  # OSError if pid is gone: callers skip it
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(int(target[8:-1]))
    return inodes


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid``; one that exits while we walk has no descendants (sshd
    forks and reaps short-lived children all the time, so this race is routine)."""
    children: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return []
    for task in tasks:
        with contextlib.suppress(OSError):
            children += [int(c) for c in (task / "children").read_text().split()]
    return children + [d for c in children for d in _descendants(c)]


def sshd_serving(listener_pid: int, address: str, port: int, local_port: int) -> list[int]:
    """The sshd processes below ``listener_pid`` holding the server end of the TCP
    connection from ``BRIDGE_ADDRESS:local_port`` to ``address:port``."""
    server = hex_address(address, port)
    client = hex_address(BRIDGE_ADDRESS, local_port)
    found = []
    for pid in _descendants(listener_pid):
        try:
            inodes = socket_inodes(pid)
            with open(f"/proc/{pid}/net/tcp") as table:
                rows = [line.split() for line in list(table)[1:]]
        except OSError:
            continue
        if any(r[1] == server and r[2] == client and int(r[9]) in inodes for r in rows):
            found.append(pid)
    return found


def local_port(transport) -> int:
    """The local TCP port of a paramiko transport's connection."""
    return transport.sock.getsockname()[1]


def kill_serving_sshd(host: BedHost, transport, port: int | None = None,
                      listener_pid: int | None = None) -> list[int]:
    """SIGKILL the sshd processes serving ``transport``'s connection; returns their pids."""
    pids = sshd_serving(listener_pid or host.sshd_pid, host.address, port or host.ssh_port,
                        local_port(transport))
    assert pids, "no sshd process found serving the connection"
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    return pids


def _iptables(host: BedHost, *args: str) -> None:
    subprocess.run(["nsenter", f"--net=/run/netns/{host.netns}", "iptables", "-w", *args],
                   check=True)


@contextlib.contextmanager
def dropped(host: BedHost, client_port: int) -> Iterator[None]:
    """Inside the host's network namespace, silently drop every packet of the one TCP
    connection whose client end is ``BRIDGE_ADDRESS:client_port``, both ways: a half-open
    link (no RST, no FIN: the peer just stops answering)."""
    rules = [("INPUT", "-s", BRIDGE_ADDRESS, "--sport"), ("OUTPUT", "-d", BRIDGE_ADDRESS, "--dport")]
    added = []
    try:
        for chain, direction, address, port_flag in rules:
            rule = [chain, "-p", "tcp", direction, address, port_flag, str(client_port),
                    "-j", "DROP"]
            _iptables(host, "-I", *rule)
            added.append(rule)
        yield
    finally:
        for rule in added:
            _iptables(host, "-D", *rule)


def _free_port(address: str) -> int:
    """A port nobody listens on at ``address`` (checked from here; the bed hosts' ports)."""
    for port in range(2201, 2300):
        with socket.socket() as probe:
            probe.settimeout(0.5)
            if probe.connect_ex((address, port)) != 0:
                return port
    raise RuntimeError(f"no free port on {address}")


@contextlib.contextmanager
def extra_sshd(host: BedHost, directory: Path, max_sessions: int) -> Iterator[tuple[int, Path]]:
    """A second sshd for ``host`` (its namespaces, its host key, its Docker socket) on
    another port, with ``MaxSessions max_sessions`` (the bed's own allows 100). Yields the
    port and an ssh_config naming it ``<host>-extra`` (known_hosts entry included); the
    sshd is stopped afterwards."""
    port = _free_port(host.address)
    source = Path(f"/var/lib/dockerfab-bed/{host.name}/sshd_config").read_text().splitlines()
    lines = [line for line in source if not line.startswith(("ListenAddress", "PidFile",
                                                             "MaxSessions"))]
    lines += [f"ListenAddress {host.address}:{port}", f"PidFile {directory}/sshd.pid",
              f"MaxSessions {max_sessions}"]
    config = directory / "sshd_config"
    config.write_text("\n".join(lines) + "\n")
    log = directory / "sshd.log"
    key_line = next(line for line in Path(host.known_hosts_file).read_text().splitlines()
                    if host.address in line.split()[0].split(","))
    known = directory / "known_hosts"
    known.write_text(f"[{host.address}]:{port} " + " ".join(key_line.split()[1:3]) + "\n")
    ssh_config = directory / "ssh_config"
    ssh_config.write_text(
        f"Host {host.name}-extra\n    HostName {host.address}\n    Port {port}\n"
        f"    User {host.user}\n    IdentityFile {host.key_file}\n"
        f"    UserKnownHostsFile {known}\n")
    proc = subprocess.Popen(["nsenter", "-t", str(host.sshd_pid), "-n", "-m", "-u",
                             "/usr/sbin/sshd", "-D", "-f", str(config), "-E", str(log)])
    try:
        deadline = time.monotonic() + 30  # a loaded machine starts sshd slowly
        while True:
            with socket.socket() as probe:
                probe.settimeout(0.5)
                if probe.connect_ex((host.address, port)) == 0:
                    break
            assert proc.poll() is None, f"extra sshd exited: {log.read_text()}"
            assert time.monotonic() < deadline, "extra sshd does not listen"
            time.sleep(0.05)
        yield port, ssh_config
    finally:
        proc.terminate()
        proc.wait(10)
