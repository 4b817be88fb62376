"""Observe one Docker host: a fixed handful of list calls plus one inspect per container the
plan looks at (and ``top`` for running ones whose exec commands are checked).

The result is a :class:`dockerfab.plan.snapshot.HostSnapshot` of plain data; nothing here
changes the host.
"""
from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from dockerfab.plan.snapshot import (
    ContainerState,
    HostSnapshot,
    NetworkState,
    VolumeState,
)


def list_images(client: Any) -> dict[str, str]:
    """``repo:tag`` -> image id for every tagged image (one API call)."""
    images: dict[str, str] = {}
    for image in client.images():
        for tag in image.get("RepoTags") or ():
            if tag and tag != "<none>:<none>":
                images[tag] = image["Id"]
    return images


def _container_from_list(entry: dict[str, Any]) -> ContainerState:
    names = entry.get("Names") or []
    # the primary name has a single slash; link aliases look like /other/alias
    name = next((n[1:] for n in names if n.count("/") == 1), (names[0] if names else "/")[1:])
    return ContainerState(id=entry["Id"], name=name, image_id=entry.get("ImageID", ""),
                          status=entry.get("State", ""), labels=entry.get("Labels") or {},
                          volumes=[m["Name"] for m in entry.get("Mounts") or ()
                                   if m.get("Type") == "volume" and m.get("Name")])


def _processes(top: dict[str, Any]) -> list[str]:
    titles = top.get("Titles") or []
    index = titles.index("CMD") if "CMD" in titles else (titles.index("COMMAND") if "COMMAND" in titles else -1)
    return [row[index] for row in top.get("Processes") or () if index >= 0 and len(row) > index]


def observe(client: Any, client_name: str, inspect_names: Iterable[str] = (),
            top_names: Iterable[str] = (), concurrency: int = 8) -> HostSnapshot:
    """Take one snapshot: 4 list calls, one inspect per existing container in
    ``inspect_names``, one ``top`` per running container in ``top_names``."""
    snapshot = HostSnapshot(client_name=client_name,
                            api_version=getattr(client, "api_version", None))
    for entry in client.containers(all=True):
        state = _container_from_list(entry)
        snapshot.containers[state.name] = state
    for volume in (client.volumes() or {}).get("Volumes") or ():
        snapshot.volumes[volume["Name"]] = VolumeState(
            name=volume["Name"], driver=volume.get("Driver", "local"),
            mountpoint=volume.get("Mountpoint"), labels=volume.get("Labels") or {},
            options=volume.get("Options") or {})
    for network in client.networks():
        snapshot.networks[network["Name"]] = NetworkState(
            id=network["Id"], name=network["Name"], driver=network.get("Driver", "bridge"),
            internal=bool(network.get("Internal")), labels=network.get("Labels") or {},
            options=network.get("Options") or {})
    snapshot.images = list_images(client)

    to_inspect = [snapshot.containers[n] for n in dict.fromkeys(inspect_names)
                  if n in snapshot.containers]
    top_set = set(top_names)
    to_top = [c for c in to_inspect if c.name in top_set and c.status == "running"]

    def do_inspect(state: ContainerState) -> None:
        state.inspect = client.inspect_container(state.id)
        state.status = state.inspect.get("State", {}).get("Status", state.status)

    def do_top(state: ContainerState) -> None:
        try:
            state.processes = _processes(client.top(state.id))
        except Exception:  # stopped in between: the planner sees no processes
            state.processes = []

    jobs = [(do_inspect, c) for c in to_inspect] + [(do_top, c) for c in to_top]
    if len(jobs) <= 1 or concurrency <= 1:
        for func, arg in jobs:
            func(arg)
    else:
        with ThreadPoolExecutor(max_workers=min(concurrency, len(jobs))) as pool:
            for future in [pool.submit(func, arg) for func, arg in jobs]:
                future.result()
    return snapshot
