"""Observe one Docker host: a fixed handful of list calls plus one inspect per container the
plan looks at, sent together (and ``top`` for running ones whose exec commands are checked).

The result is a :class:`dockerfab.plan.snapshot.HostSnapshot` of plain data; nothing here
changes the host.
"""
from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

import docker.errors

from dockerfab.map.naming import image_aliases, primary_name
from dockerfab.plan.snapshot import (
    ContainerState,
    HostSnapshot,
    NetworkState,
    VolumeState,
)

#: calls in flight at once while observing: reads only, so more than the action
#: concurrency; on a distant host a no-op update then waits for one wave of round trips
#: (the lists and all inspects together), not one wave per 8 containers
#: (docs/benchmarks.rst)
OBSERVE_CONCURRENCY = 32


def list_images(client: Any) -> dict[str, str]:
    """Image reference -> image id for every named image (one API call): tags and
    ``repo@sha256:...`` digests, so that images pinned by digest are found as well as tagged
    ones. Keys are normalized (:func:`dockerfab.map.naming.normalize_image`): Docker lists
    ``busybox:latest``, Podman ``docker.io/library/busybox:latest`` for the same image, and
    Podman's local ``localhost/app`` is also found as ``app``; a name of its own wins over
    such an alias."""
    images: dict[str, str] = {}
    aliases: dict[str, str] = {}
    for image in client.images():
        for ref in (*(image.get("RepoTags") or ()), *(image.get("RepoDigests") or ())):
            if ref and not ref.startswith("<none>"):
                own, *more = image_aliases(ref)
                images[own] = image["Id"]
                for alias in more:
                    aliases.setdefault(alias, image["Id"])
    return {**aliases, **images}


def _container_from_list(entry: dict[str, Any]) -> ContainerState:
    names = entry.get("Names") or []
    name = primary_name(names) or (names[0] if names else "/")[1:]
    return ContainerState(id=entry["Id"], name=name, image_id=entry.get("ImageID", ""),
                          status=entry.get("State", ""), labels=entry.get("Labels") or {},
                          volumes=[m["Name"] for m in entry.get("Mounts") or ()
                                   if m.get("Type") == "volume" and m.get("Name")],
                          networks=dict((entry.get("NetworkSettings") or {}).get("Networks")
                                        or {}))


def _processes(top: dict[str, Any]) -> list[str]:
    """The command lines of ``top``'s rows. Docker gives one column per ``ps`` field; Podman
    (running ``ps`` in the container) may give one title ``'PID USER COMMAND'`` and one
    string per row, whose fields before the command are single words."""
    titles = top.get("Titles") or []
    rows = top.get("Processes") or ()
    for name in ("CMD", "COMMAND"):
        if name in titles:
            index = titles.index(name)
            return [row[index] for row in rows if len(row) > index]
    if len(titles) == 1 and "COMMAND" in titles[0].split():
        before = titles[0].split().index("COMMAND")
        fields = [row[0].split(None, before) for row in rows if row]
        return [f[before] for f in fields if len(f) > before]
    return []


def _inspect_named(client: Any, name: str, by_id: bool = False) -> dict[str, Any] | None:
    """``inspect_container`` of the container called ``name`` (or with that id), ``None`` if
    there is none. Docker also resolves a name to a container whose *id* starts with it, so
    an answer by name counts only if the name is really the container's."""
    try:
        inspect: dict[str, Any] = client.inspect_container(name)
    except docker.errors.NotFound:
        return None
    if not by_id and inspect.get("Name", "").lstrip("/") != name:
        return None
    return inspect


def observe(client: Any, client_name: str, inspect_names: Iterable[str] = (),
            top_names: Iterable[str] = (), concurrency: int = OBSERVE_CONCURRENCY,
            pool: Executor | None = None) -> HostSnapshot:
    """Take one snapshot: 4 list calls and one inspect per name in ``inspect_names``, all at
    once (a name that does not exist costs a 404), then one ``top`` per running container
    in ``top_names``. ``pool`` (with ``concurrency`` workers) may be shared
    to save thread start-up; without it a pool is made for this call."""
    if pool is None:
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as own:
            return observe(client, client_name, inspect_names, top_names, concurrency, own)
    snapshot = HostSnapshot(client_name=client_name,
                            api_version=getattr(client, "api_version", None))
    containers = pool.submit(client.containers, all=True)
    volumes = pool.submit(client.volumes)
    networks = pool.submit(client.networks)
    images = pool.submit(list_images, client)
    # the inspects go out with the lists, by name: one wave of round trips, not two
    inspects = {name: pool.submit(_inspect_named, client, name)
                for name in dict.fromkeys(inspect_names)}

    for entry in containers.result():
        state = _container_from_list(entry)
        snapshot.containers[state.name] = state
    top_set = set(top_names)

    def with_inspect(name: str, inspect: dict[str, Any] | None) -> None:
        state = snapshot.containers.get(name)
        if state is None or inspect is None or inspect.get("Id") != state.id:
            # created, removed or replaced between the two calls: ask again by id
            if state is not None:
                inspect = _inspect_named(client, state.id, by_id=True)
            if state is None or inspect is None:
                snapshot.containers.pop(name, None)
                return
        state.inspect = inspect
        state.status = inspect.get("State", {}).get("Status", state.status)
        if name in top_set and state.status == "running":
            try:
                state.processes = _processes(client.top(state.id))
            except docker.errors.APIError:  # stopped in between: no processes
                state.processes = []

    jobs = [pool.submit(with_inspect, name, future.result())
            for name, future in inspects.items() if name in snapshot.containers]
    for volume in (volumes.result() or {}).get("Volumes") or ():
        snapshot.volumes[volume["Name"]] = VolumeState(
            name=volume["Name"], driver=volume.get("Driver", "local"),
            mountpoint=volume.get("Mountpoint"), labels=volume.get("Labels") or {},
            options=volume.get("Options") or {})
    for network in networks.result():
        snapshot.networks[network["Name"]] = NetworkState(
            id=network["Id"], name=network["Name"], driver=network.get("Driver", "bridge"),
            internal=bool(network.get("Internal")), labels=network.get("Labels") or {},
            options=network.get("Options") or {},
            enable_ipv6=bool(network.get("EnableIPv6")), ipam=network.get("IPAM") or {})
    snapshot.images = images.result()
    for job in jobs:
        job.result()
    return snapshot
