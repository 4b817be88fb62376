"""Fleet status (pure): how each map container on a client compares with its map, and which
labelled items the maps no longer have (orphans).

Drift reasons come from the update planner itself (:func:`dockerfab.plan.planner.plan_update`),
so ``status`` and ``update --dry-run`` always say the same thing. Nothing here talks to Docker.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from dockerfab.plan import actions as A
from dockerfab.plan import foreign as F
from dockerfab.plan.actions import Action
from dockerfab.plan.compare_resources import resource_drift
from dockerfab.plan.desired import LABEL_CONFIG, LABEL_MAP
from dockerfab.plan.options import ActionOptions
from dockerfab.plan.planner import PlanInput, plan_update
from dockerfab.plan.preparation import (
    LABEL_UNPREPARED,
    is_marker,
    needs_preparing,
    unprepared,
)
from dockerfab.plan.snapshot import ContainerState, HostSnapshot

IN_SYNC = "in sync"
DRIFTED = "drifted"
STOPPED = "stopped"
MISSING = "missing"
UNHEALTHY = "unhealthy"
STATES = (IN_SYNC, DRIFTED, STOPPED, MISSING, UNHEALTHY)

#: Action kind that removes a network (orphan removal; update re-creating a network).
REMOVE_NETWORK = A.REMOVE_NETWORK

# reasons the update planner gives for starting a container that is otherwise fine
_START_ONLY = {"not running", "after start"}


@dataclass
class ContainerStatus:
    """One map container on one client: its state (one of :data:`STATES`) and why."""
    name: str
    client: str
    state: str
    reasons: list[str] = field(default_factory=list)
    status: str | None = None  # Docker's: running, exited, created ... (None when missing)
    health: str | None = None  # Docker's health check status, if the container has one

    @property
    def ok(self) -> bool:
        return self.state == IN_SYNC

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "client": self.client, "state": self.state,
                "reasons": list(self.reasons), "status": self.status, "health": self.health}


@dataclass
class ResourceStatus:
    """An attached volume or a network of the map that differs from it (drifted), was not
    created by dockerfab, or (a volume) whose preparation did not complete."""
    kind: str  # volume, network
    name: str
    client: str
    state: str
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "client": self.client,
                "state": self.state, "reasons": list(self.reasons)}


NOT_PREPARED = "not prepared: its chown/chmod preparation did not complete"


@dataclass
class Orphan:
    """A container, volume or network labelled with a loaded map that the map no longer has."""
    kind: str  # container, volume, network
    name: str
    client: str
    map: str
    config: str | None = None
    running: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "client": self.client, "map": self.map,
                "config": self.config, "running": self.running}


@dataclass
class ClientStatus:
    """Status of everything the loaded maps put on one client."""
    client: str
    containers: list[ContainerStatus] = field(default_factory=list)
    orphans: list[Orphan] = field(default_factory=list)
    resources: list[ResourceStatus] = field(default_factory=list)  # only those that differ

    @property
    def in_sync(self) -> bool:
        return all(c.ok for c in self.containers) and not self.orphans and not self.resources

    def counts(self) -> dict[str, int]:
        """Containers per state (``in_sync``, ``drifted`` ...) and ``orphaned`` items."""
        out = {s.replace(" ", "_"): 0 for s in STATES}
        for state in [c.state for c in self.containers] + [r.state for r in self.resources]:
            out[state.replace(" ", "_")] += 1
        out["orphaned"] = len(self.orphans)
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"client": self.client, "in_sync": self.in_sync, "counts": self.counts(),
                "containers": [c.as_dict() for c in self.containers],
                "orphans": [o.as_dict() for o in self.orphans],
                "resources": [r.as_dict() for r in self.resources]}


def _dedupe(reasons: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(reasons))


def health_of(state: ContainerState | None) -> str | None:
    """Docker's health status (``healthy``, ``unhealthy``, ``starting``) or None."""
    if state is None or state.inspect is None:
        return None
    health = (state.inspect.get("State") or {}).get("Health") or {}
    return health.get("Status") or None


def classify(name: str, client: str, state: ContainerState | None,
             planned: list[Action]) -> ContainerStatus:
    """State of one container from its observed state and the update plan's actions on it."""
    if state is None:
        return ContainerStatus(name, client, MISSING, ["missing"])
    drift: list[str] = []
    start = False
    for action in planned:
        if action.kind in (A.START, A.EXEC) and set(action.reasons) <= _START_ONLY:
            start = start or action.kind == A.START
            continue
        drift.extend(action.reasons)
    health = health_of(state)
    if drift:
        kind = DRIFTED
    elif start:
        kind, drift = STOPPED, [f"not running ({state.status})"]
    elif health == "unhealthy":
        kind, drift = UNHEALTHY, ["health check failing"]
    else:
        kind = IN_SYNC
    return ContainerStatus(name, client, kind, _dedupe(drift), state.status, health)


def container_statuses(inp: PlanInput, options: ActionOptions | None = None
                       ) -> list[ContainerStatus]:
    """Every desired container of ``inp`` in dependency order, classified (volumes and
    networks: :func:`resource_statuses`). A container dockerfab did not create is
    drifted, the first reason saying so."""
    plan = plan_update(inp, options or ActionOptions(), resources=False)
    by_item: dict[str, list[Action]] = {}
    for action in plan:
        by_item.setdefault(action.item, []).append(action)
    foreign = {n for _, n in F.foreign_items(inp, kinds=frozenset({F.CONTAINER}))}
    order = [name for level in inp.levels for name in level] or list(inp.desired)
    statuses = []
    for name in order:
        if name not in inp.desired:
            continue
        status = classify(name, inp.client.name, inp.snapshot.container(name),
                          by_item.get(name, []))
        if name in foreign:
            status.state = DRIFTED
            status.reasons.insert(0, F.describe(F.CONTAINER, name))
        statuses.append(status)
    return statuses


def resource_statuses(inp: PlanInput) -> list[ResourceStatus]:
    """The attached volumes and networks of ``inp``'s containers that differ from the map
    (the reasons ``update`` gives), were not created by dockerfab, or (volumes) are not
    prepared."""
    client = inp.client.name
    rows = [ResourceStatus(kind, name, client, DRIFTED, [F.describe(kind, name)])
            for kind, name in F.foreign_items(inp, kinds=frozenset({F.VOLUME, F.NETWORK}))]
    volumes, networks = resource_drift(inp)
    rows += [ResourceStatus("volume", n, client, DRIFTED, why) for n, why in volumes.items()]
    rows += [ResourceStatus("network", n, client, DRIFTED, why) for n, why in networks.items()]
    used = dict.fromkeys(v for d in inp.desired.values() for v in d.attached + d.volumes_used)
    for name in used:
        want = inp.volumes.get(name)
        if want is not None and name in inp.snapshot.volumes and needs_preparing(want) and \
                unprepared(inp.snapshot, name):
            row = next((r for r in rows if r.kind == "volume" and r.name == name), None)
            if row is None:
                rows.append(ResourceStatus("volume", name, client, DRIFTED, [NOT_PREPARED]))
            else:
                row.reasons.append(NOT_PREPARED)
    return rows


def find_orphans(snapshot: HostSnapshot, maps: Iterable[str], containers: Iterable[str],
                 volumes: Iterable[str], networks: Iterable[str]) -> list[Orphan]:
    """Items labelled with one of ``maps`` that are not among the map's current items.

    Only maps that are loaded count: another project's labelled items on the same host are
    not this project's orphans."""
    maps, containers = set(maps), set(containers)
    volumes, networks = set(volumes), set(networks)
    client = snapshot.client_name
    found: list[Orphan] = []
    for name, c in sorted(snapshot.containers.items()):
        owner = c.labels.get(LABEL_MAP)
        if owner in maps and name not in containers:
            found.append(Orphan("container", name, client, owner, c.labels.get(LABEL_CONFIG),
                                c.running))
    for name, v in sorted(snapshot.volumes.items()):
        owner = v.labels.get(LABEL_MAP)
        if is_marker(v.labels) and v.labels[LABEL_UNPREPARED] in volumes:
            continue  # the marker of a volume not prepared yet: shown with that volume
        if owner in maps and name not in volumes:
            found.append(Orphan("volume", name, client, owner, v.labels.get(LABEL_CONFIG)))
    for name, n in sorted(snapshot.networks.items()):
        owner = n.labels.get(LABEL_MAP)
        if owner in maps and name not in networks:
            found.append(Orphan("network", name, client, owner))
    return found


def client_status(inp: PlanInput, maps: Iterable[str],
                  options: ActionOptions | None = None) -> ClientStatus:
    """Containers and orphans of one client. ``inp`` must cover every container of the
    loaded maps on this client (``__all__``), or live items would look orphaned."""
    return ClientStatus(
        inp.client.name, container_statuses(inp, options),
        find_orphans(inp.snapshot, maps, inp.desired, inp.volumes, inp.networks),
        resource_statuses(inp))


def orphan_removal_plan(orphans: Iterable[Orphan]) -> list[Action]:
    """Containers (stopped first) at step 0, then volumes, then networks."""
    plan: list[Action] = []
    for o in orphans:
        why = [f"orphan: not in map {o.map}"]
        if o.kind == "container":
            if o.running:
                plan.append(Action(A.STOP, o.name, o.client, why, 0))
            plan.append(Action(A.REMOVE, o.name, o.client, why, 0))
        elif o.kind == "volume":
            plan.append(Action(A.REMOVE_VOLUME, o.name, o.client, why, 1))
        else:
            plan.append(Action(REMOVE_NETWORK, o.name, o.client, why, 2))
    return plan
