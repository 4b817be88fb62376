"""Things dockerfab did not create (pure): a container, attached volume or network that has
a map item's name but not dockerfab's ``dockerfab.map`` label of that map.

Such an item is never used, removed or re-created silently: planning stops with
:class:`~dockerfab.errors.ForeignObjectError` unless the action's options say what to do
(``adopt_foreign``: use it as it is; ``replace_foreign``: remove it and create the map's).
A volume or network stays adopted once one of the map's own containers uses it (the
container's labels say it is the map's, and the container list shows what it mounts and is
connected to), so adopting is needed once, not on every run.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from dockerfab.errors import ForeignObjectError, MapError
from dockerfab.plan.desired import LABEL_MAP
from dockerfab.plan.options import ActionOptions
from dockerfab.plan.snapshot import HostSnapshot

if TYPE_CHECKING:
    from dockerfab.plan.planner import PlanInput

CONTAINER, VOLUME, NETWORK = "container", "volume", "network"
ALL_KINDS = frozenset({CONTAINER, VOLUME, NETWORK})


def _used_by_map(snapshot: HostSnapshot, map_name: str | None, kind: str, name: str) -> bool:
    """Whether one of the map's own containers mounts (is connected to) this item."""
    for state in snapshot.containers.values():
        if state.labels.get(LABEL_MAP) != map_name:
            continue
        if (kind == VOLUME and name in state.volumes) or (kind == NETWORK and
                                                          name in state.networks):
            return True
    return False


def foreign_items(inp: PlanInput, containers: Iterable[str] | None = None,
                  kinds: frozenset[str] = ALL_KINDS) -> list[tuple[str, str]]:
    """``(kind, name)`` of the foreign items among the containers (default: all desired)
    and the volumes and networks those containers use, of the ``kinds`` asked for."""
    snap = inp.snapshot
    found: list[tuple[str, str]] = []
    names = list(inp.desired) if containers is None else list(containers)
    for name in names:
        state = snap.container(name)
        d = inp.desired[name]
        if CONTAINER in kinds and state is not None and \
                state.labels.get(LABEL_MAP) != d.config_id.map_name:
            found.append((CONTAINER, name))
    volumes = dict.fromkeys(v for n in names for v in inp.desired[n].attached +
                            inp.desired[n].volumes_used) if VOLUME in kinds else {}
    for vname in volumes:
        want, have = inp.volumes.get(vname), snap.volumes.get(vname)
        if want is None or have is None:
            continue
        owner = want.labels.get(LABEL_MAP)
        if have.labels.get(LABEL_MAP) != owner and not _used_by_map(snap, owner, VOLUME, vname):
            found.append((VOLUME, vname))
    networks = dict.fromkeys(net for n in names for net in inp.desired[n].networks) \
        if NETWORK in kinds else {}
    for net in networks:
        want_net, have_net = inp.networks.get(net), snap.networks.get(net)
        if want_net is None or have_net is None:
            continue
        owner = want_net.labels.get(LABEL_MAP)
        if have_net.labels.get(LABEL_MAP) != owner and not _used_by_map(snap, owner, NETWORK,
                                                                        net):
            found.append((NETWORK, net))
    return found


def describe(kind: str, name: str) -> str:
    return f"{kind} {name} exists but was not created by dockerfab (no {LABEL_MAP} label)"


def check_foreign(inp: PlanInput, options: ActionOptions, action: str,
                  containers: Iterable[str] | None = None, kinds: frozenset[str] = ALL_KINDS
                  ) -> list[tuple[str, str]]:
    """The foreign items to replace (``replace_foreign``), none with ``adopt_foreign``;
    without either option, :class:`ForeignObjectError` naming them and the way out."""
    if options.adopt_foreign and options.replace_foreign:
        raise MapError("adopt_foreign and replace_foreign exclude each other: give one")
    found = foreign_items(inp, containers, kinds)
    if not found or options.adopt_foreign:
        return []
    if options.replace_foreign:
        return found
    what = "; ".join(describe(kind, name) for kind, name in found)
    raise ForeignObjectError(
        f"{what}. Nothing was changed. To use it as it is, run again with --adopt-foreign "
        "(adopt_foreign=True); to remove it and create it from the map, with "
        "--replace-foreign (replace_foreign=True; a volume's data is lost)",
        found, host=inp.client.name, action=action, item=found[0][1])
