"""Anonymous volumes across re-creations (pure).

An image's ``VOLUME`` (and a configuration's ``shares``) gives every new container a fresh
*anonymous* volume, named by 64 hex digits. When ``update`` or ``startup`` re-creates a
container, the new one mounts the old one's anonymous volumes at the same destinations
(as ``docker compose up`` does), so what was written there is still there. They are
mounted by name (``HostConfig.Mounts``), which Docker's ``remove -v`` no longer deletes
on its own; :func:`carried_volumes` finds them again so that ``remove``/``shutdown`` delete
them with the container as before.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from dockerfab.plan.desired import DesiredContainer
from dockerfab.plan.snapshot import ContainerState, HostSnapshot

ANONYMOUS_NAME = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class KeptVolume:
    """An anonymous volume of a replaced container, mounted at the same place in its
    successor."""
    name: str
    destination: str
    readonly: bool = False


def _bind_destination(bind: str) -> str:
    parts = bind.split(":")
    return parts[1] if len(parts) > 1 else parts[0]


def _from_others(desired: DesiredContainer, snapshot: HostSnapshot) -> set[str]:
    """Volumes the container sees through ``volumes_from``: they belong to their source."""
    names: set[str] = set()
    for ref in desired.host_config.get("volumes_from") or ():
        source = snapshot.container(str(ref).split(":")[0])
        if source is not None:
            names.update(source.volumes)
    return names


def anonymous_mounts(state: ContainerState) -> list[KeptVolume]:
    """The container's volume mounts whose volume is anonymous (from its inspect data)."""
    return [KeptVolume(str(m["Name"]), str(m.get("Destination") or ""), not m.get("RW", True))
            for m in (state.inspect or {}).get("Mounts") or ()
            if m.get("Type") == "volume" and ANONYMOUS_NAME.match(m.get("Name") or "")]


def carried_volumes(state: ContainerState) -> list[str]:
    """Anonymous volumes this container mounts by name (kept from a predecessor): Docker's
    ``remove -v`` leaves them, so they are removed explicitly with the container."""
    mounts = (state.host_config.get("Mounts") or ()) if state.inspect else ()
    return [str(m["Source"]) for m in mounts
            if (m.get("Type") or "volume") == "volume"
            and ANONYMOUS_NAME.match(str(m.get("Source") or ""))]


def without_carried(host_config: dict[str, Any]) -> dict[str, Any]:
    """The host config without the mounts of carried anonymous volumes: they are not the
    map's ``mounts`` (so a map that sets ``mounts`` still compares equal)."""
    mounts = host_config.get("Mounts")
    if not mounts:
        return host_config
    own = [m for m in mounts if not ((m.get("Type") or "volume") == "volume"
                                     and ANONYMOUS_NAME.match(str(m.get("Source") or "")))]
    return {**host_config, "Mounts": own or None}


def kept_volumes(desired: DesiredContainer, state: ContainerState, snapshot: HostSnapshot
                 ) -> tuple[list[KeptVolume], list[str]]:
    """(volumes the re-created container keeps, anonymous volumes removed with the old one).

    Kept: every anonymous volume of the old container, except at a destination the map
    now mounts something else at (binds win) and except those seen through
    ``volumes_from`` (they belong to another container). The rest are removed."""
    taken = {_bind_destination(str(b)) for b in desired.host_config.get("binds") or ()}
    others = _from_others(desired, snapshot)
    kept: list[KeptVolume] = []
    dropped: list[str] = []
    for mount in anonymous_mounts(state):
        if mount.name in others:
            continue
        if mount.destination in taken:
            dropped.append(mount.name)
        else:
            kept.append(mount)
    return kept, dropped
