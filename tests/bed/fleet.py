"""The fleet hosts of ``up --hosts N``: plain Docker hosts bed4..bedN (``layout.extra_hosts``)
beside bed1..bed3, for the fleet benchmark.

Each is a bed host like bed1 (its own network namespace, dockerd with its own containerd,
sshd), on the fleet subnet 198.18.2.0/24. They are brought up a few at a time (a starting
dockerd keeps a core busy for a moment; all at once would only thrash two cores), each
loading the test images from one tarball saved once. Removing them touches nothing else.
"""
from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tests.bed import hosts, net
from tests.bed.images import SavedImages
from tests.bed.layout import EVERY_EXTRA_HOST, HostLayout, extra_hosts
from tests.bed.state import BedHost

#: hosts started at once (each a dockerd that is busy for a moment while it starts)
START_CONCURRENCY = 4
#: what one more host takes from MemAvailable with the fleet benchmark's 5 containers on it
#: (measured: about 55 MiB idle + 9 MiB a container; docs/testbed.rst), rounded up
HOST_MEMORY_MIB = 100
#: what ``up`` leaves free for everything else on the machine
RESERVE_MIB = 3072


def present() -> tuple[HostLayout, ...]:
    """The fleet hosts that exist (namespace or files), whatever the state says."""
    return tuple(h for h in EVERY_EXTRA_HOST
                 if h.netns_path.exists() or h.run_dir.exists() or h.data_dir.exists())


def there_or_wanted(there: Sequence[HostLayout], count: int | None) -> Sequence[HostLayout]:
    """The fleet hosts ``up`` is to have: bed4..bed<count>, or (None) those there are."""
    return extra_hosts(count) if count is not None else there


def available_mib() -> int:
    """MemAvailable of this machine, MiB."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) // 1024
    raise RuntimeError("no MemAvailable in /proc/meminfo")


def check_memory(new: int) -> None:
    """Refuse, with the figures, to start ``new`` hosts that would leave less than
    RESERVE_MIB of memory."""
    if new <= 0:
        return
    needed, available = new * HOST_MEMORY_MIB, available_mib()
    if available - needed < RESERVE_MIB:
        raise RuntimeError(
            f"{new} more hosts need about {needed} MiB ({HOST_MEMORY_MIB} MiB each) and "
            f"would leave {available - needed} MiB of the {available} MiB available "
            f"(at least {RESERVE_MIB} MiB must stay free): ask for fewer hosts")


def bring_up(extra: Sequence[HostLayout], local_api: Any,
             ids: dict[str, str]) -> tuple[list[BedHost], list[str]]:
    """Make every host of ``extra`` run (cheap for those that do); returns the BedHosts of
    those up and a line per host that failed."""
    saved = SavedImages(list(ids))
    with ThreadPoolExecutor(START_CONCURRENCY) as pool:
        jobs = [(host, pool.submit(_bring_up_one, host, local_api, ids, saved))
                for host in extra]
    up, failed = [], []
    for host, job in jobs:
        try:
            up.append(job.result())
        except Exception as exc:  # noqa: BLE001  reported after the rest is saved
            failed.append(f"{host.name}: {exc}")
    return up, failed


def _bring_up_one(host: HostLayout, local_api: Any, ids: dict[str, str],
                  saved: SavedImages) -> BedHost:
    net.ensure_host_net(host)
    problems = net.route_problems(host)
    if problems:
        raise RuntimeError("routing is wrong: " + "; ".join(problems))
    started = {host.name: hosts.start_dockerd(host)}
    return hosts.finish(host, started, local_api, ids, saved)


def remove(extra: Sequence[HostLayout]) -> None:
    """Stop the daemons of these fleet hosts (their containers with them) and remove their
    namespaces and files."""
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(_remove_one, extra))


def release_bridge_address() -> None:
    """Take the fleet subnet off the bridge once no fleet host is left."""
    if not present():
        net.remove_fleet_address()


def _remove_one(host: HostLayout) -> None:
    hosts.stop_host(host)
    net.remove_host_net(host)
