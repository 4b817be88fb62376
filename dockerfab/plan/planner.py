"""Planners: desired state + snapshot -> ordered list of Actions, one function per action.

Step layout of every plan: step 0 pulls images (nothing else changes before they are
there), step 1 creates networks; then four steps per dependency level: attached volumes are
created, containers created, new volumes prepared (chown/chmod after the first mount has
copied the image's directory in), containers started. Stop/remove/shutdown, and the removal
half of re-creations during update, use the levels in reverse. Within a step items run
concurrently; the actions of one item run in plan order.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

from dockerfab.errors import VolumeChangeError
from dockerfab.map.input import ExecPolicy
from dockerfab.plan import actions as A
from dockerfab.plan import container_options, convert
from dockerfab.plan import foreign as F
from dockerfab.plan.actions import Action
from dockerfab.plan.anonymous import KeptVolume, carried_volumes, kept_volumes
from dockerfab.plan.compare import (
    has_anonymous_volumes,
    limit_changes,
    missing_exec_commands,
    network_changes,
    recreate_reasons,
    shared_volume_reasons,
)
from dockerfab.plan.compare_resources import resource_drift
from dockerfab.plan.desired import (
    ClientInfo,
    DesiredContainer,
    DesiredNetwork,
    DesiredVolume,
)
from dockerfab.plan.options import ActionOptions
from dockerfab.plan.preparation import marker_name, needs_preparing, unprepared
from dockerfab.plan.snapshot import ContainerState, HostSnapshot


@dataclass
class PlanInput:
    """Everything one client's plan is made from."""
    client: ClientInfo
    snapshot: HostSnapshot
    desired: dict[str, DesiredContainer]
    levels: list[list[str]]  # forward order, only containers of this client
    volumes: dict[str, DesiredVolume] = field(default_factory=dict)
    networks: dict[str, DesiredNetwork] = field(default_factory=dict)
    selected: set[str] = field(default_factory=set)


#: keyword arguments ``update`` compares (every container option, docs/reconcile.rst):
#: given to ``update``, a differing one re-creates the container (or, in
#: ``convert.LIVE_KEYS``, is changed in place)
UPDATE_COMPARED = container_options.COMPARED | convert.LIVE_KEYS


class _Plan:
    """Collects actions for one client."""

    def __init__(self, inp: PlanInput, options: ActionOptions) -> None:
        self.inp = inp
        self.options = options
        self.actions: list[Action] = []
        self.volumes_planned: set[str] = set()
        self.networks_planned: set[str] = set()
        self.images_planned: set[str] = set()
        #: keyword arguments that could not reach an existing container -> its names
        self.not_applied: dict[str, list[str]] = {}
        #: offset of the forward steps: 4 per level when containers are removed first (in
        #: reverse level order: update, and volumes or networks that are re-created)
        self.base = 0
        self.renew_volumes: dict[str, list[str]] = {}  # volume -> why it is re-created
        self.renew_networks: dict[str, list[str]] = {}
        self.replace: set[str] = set()  # foreign containers to replace (replace_foreign)

    def add(self, kind: str, item: str, step: int, reasons: list[str], cid: Any = None,
            **args: Any) -> None:
        self.actions.append(Action(kind, item, self.inp.client.name, list(reasons), step, cid,
                                   args))

    def state(self, name: str) -> ContainerState | None:
        return self.inp.snapshot.container(name)

    # --- building blocks -------------------------------------------------------------------
    def prerequisites(self, d: DesiredContainer) -> None:
        """Step 0: missing image pulled, missing networks created."""
        snap = self.inp.snapshot
        if snap.image_id(d.image) is None and d.image not in self.images_planned:
            self.images_planned.add(d.image)
            self.add(A.PULL_IMAGE, d.image, 0, ["missing"], image=d.image,
                     insecure=self.options.pull_insecure_registry)
        for net in d.networks:
            if net in self.inp.networks and net not in snap.networks and \
                    net not in self.networks_planned:
                self.networks_planned.add(net)
                self.add(A.CREATE_NETWORK, net, 1, ["missing"], network=self.inp.networks[net])

    def volumes_for(self, d: DesiredContainer, step: int) -> None:
        """Missing (or re-created) attached volumes created one step before the containers
        of this level, and prepared after the first container mounting them was created
        (so that the image's directory copied in gets the ownership); an existing volume
        whose preparation did not complete is prepared now."""
        snap = self.inp.snapshot
        for vname in d.attached + d.volumes_used:
            volume = self.inp.volumes.get(vname)
            if volume is None or vname in self.volumes_planned:
                continue
            marker = marker_name(vname) if needs_preparing(volume) else None
            if vname in snap.volumes and vname not in self.renew_volumes:
                if marker is not None and unprepared(snap, vname):
                    self.volumes_planned.add(vname)
                    self.add(A.PREPARE_VOLUME, vname, step - 1, ["preparation not completed"],
                             volume=volume, prepare_local=self.options.prepare_local,
                             marker=marker, mountpoint=snap.volumes[vname].mountpoint)
                continue
            self.volumes_planned.add(vname)
            why = self.renew_volumes.get(vname) or ["missing"]
            self.add(A.CREATE_VOLUME, vname, step - 3, why, volume=volume, marker=marker)
            if marker is not None:
                self.add(A.PREPARE_VOLUME, vname, step - 1, ["first creation"], volume=volume,
                         prepare_local=self.options.prepare_local, marker=marker,
                         created=True)

    def finish_preparation(self, d: DesiredContainer, step: int) -> None:
        """An existing container kept: its volumes whose preparation did not complete are
        prepared before it is started."""
        snap = self.inp.snapshot
        for vname in d.attached + d.volumes_used:
            volume = self.inp.volumes.get(vname)
            if volume is not None and vname in snap.volumes and \
                    vname not in self.volumes_planned and needs_preparing(volume) and \
                    unprepared(snap, vname):
                self.volumes_for(d, step)
                return

    def create(self, d: DesiredContainer, step: int, reasons: list[str],
               keep: list[KeptVolume] | None = None) -> None:
        self.prerequisites(d)
        self.volumes_for(d, step)
        self.add(A.CREATE, d.name, step - 2, reasons, d.config_id, desired=d,
                 keep_volumes=list(keep or ()))

    def recreate(self, d: DesiredContainer, state: ContainerState, remove_step: int,
                 step: int, reasons: list[str], start: bool = True) -> None:
        """Remove and create again, keeping the old container's anonymous volumes (mounted
        at the same destinations in the new one), then start."""
        kept, dropped = kept_volumes(d, state, self.inp.snapshot)
        carried = set(carried_volumes(state))
        drop = dropped if kept else [n for n in dropped if n in carried]
        self.remove(d, d.name, state, remove_step, reasons, keep=bool(kept), drop=drop)
        self.create(d, step, reasons, kept)
        if start:
            self.start(d, step, reasons, initial=True)

    def resource_reasons(self, d: DesiredContainer) -> list[str]:
        """Why an existing container must be re-created for its volumes and networks:
        a volume it mounts is re-created, or it is a foreign container being replaced."""
        reasons = [f"volume {v} re-created" for v in d.attached + d.volumes_used
                   if v in self.renew_volumes]
        if d.name in self.replace:
            reasons.insert(0, "not created by dockerfab: replaced")
        return reasons

    def renew(self, volumes: dict[str, list[str]], networks: dict[str, list[str]]) -> None:
        """Volumes and networks removed and created again (changed, or foreign and
        ``replace_foreign``). Containers are removed first (reverse levels), so the
        forward steps move behind them. A network's containers are disconnected (step 2),
        the network removed and created (step 3), and reconnected: the map's containers at
        their own step (:meth:`reconnect`), others at step 4."""
        if not volumes and not networks:
            return
        snap = self.inp.snapshot
        self.base = 4 * len(self.inp.levels)
        for vname, why in volumes.items():
            outside = sorted(n for n, c in snap.containers.items()
                             if vname in c.volumes and n not in self.inp.desired)
            if outside:
                raise VolumeChangeError(
                    f"volume {vname} must be re-created ({'; '.join(why)}) but is mounted "
                    f"by containers this run does not touch: {', '.join(outside)}; include "
                    "them in the run or remove them first. Nothing was changed.",
                    {vname: why}, host=self.inp.client.name, action="update", item=vname)
            self.renew_volumes[vname] = why
            stale = marker_name(vname) if marker_name(vname) in snap.volumes else None
            self.add(A.REMOVE_VOLUME, vname, self.base + 1, why, marker=stale)
        for net, why in networks.items():
            self.renew_networks[net] = why
            self.networks_planned.add(net)
            again = [f"network {net} re-created"]
            attached = [c for c in snap.containers.values() if net in c.networks]
            for c in attached:
                self.add(A.DISCONNECT, c.name, 2, again, network=net, force=True)
            self.add(A.REMOVE_NETWORK, net, 3, why)
            self.add(A.CREATE_NETWORK, net, 3, why, network=self.inp.networks[net])
            for c in attached:
                if c.name not in self.inp.desired:
                    self.add(A.CONNECT, c.name, 4, again, network=net,
                             endpoint=listed_endpoint(c.networks[net]))

    def reconnect(self, d: DesiredContainer, state: ContainerState, step: int) -> None:
        """An existing container kept: connected again to the networks re-created."""
        for net in self.renew_networks:
            if net in state.networks and net in d.networks:
                self.add(A.CONNECT, d.name, step, [f"network {net} re-created"], d.config_id,
                         network=net, endpoint=d.networks[net])

    def foreign(self, action: str, kinds: frozenset[str] = F.ALL_KINDS) -> None:
        """Stop on foreign items unless the options say to adopt or replace them."""
        found = F.check_foreign(self.inp, self.options, action, None, kinds)
        self.replace = {n for kind, n in found if kind == F.CONTAINER}
        if self.replace:  # removed first, in reverse level order
            self.base = 4 * len(self.inp.levels)
        replaced = ["not created by dockerfab: replaced"]
        self.renew({n: replaced for kind, n in found if kind == F.VOLUME},
                   {n: replaced for kind, n in found if kind == F.NETWORK})

    def start(self, d: DesiredContainer, step: int, reasons: list[str], initial: bool) -> None:
        self.add(A.START, d.name, step, reasons, d.config_id, desired=d)
        for cmd in d.exec_commands:
            if initial or cmd.policy == ExecPolicy.RESTART:
                self.add(A.EXEC, d.name, step, ["after start"], d.config_id, cmd=cmd.cmd,
                         user=cmd.user)

    def remove(self, d: DesiredContainer | None, name: str, state: ContainerState, step: int,
               reasons: list[str], keep: bool = False, drop: list[str] | None = None) -> None:
        """Stop and remove; its anonymous volumes go with it (``drop``: those Docker would
        not remove by itself), unless ``keep`` (a re-creation mounts them again)."""
        if state.running:
            self.add(A.STOP, name, step, reasons, getattr(d, "config_id", None),
                     timeout=self._timeout(d))
        self.add(A.REMOVE, name, step, reasons, getattr(d, "config_id", None), keep=keep,
                 drop=list(carried_volumes(state) if drop is None else drop))

    def apply_kwargs(self, d: DesiredContainer, state: ContainerState, step: int) -> None:
        """The action's keyword arguments on an existing selected container (they win over
        the map, spec 3.7): a restart policy or limit that differs is changed in place with
        ``update_container``; the others can only take effect at creation (noted)."""
        extra = self.options.extra
        if not extra or d.name not in self.inp.selected:
            return
        live = frozenset(extra) & convert.LIVE_KEYS
        if live:
            kwargs, reasons, _ = limit_changes(d, state, live)
            if kwargs:
                self.add(A.UPDATE_LIMITS, d.name, step, reasons, d.config_id, limits=kwargs)
        self.note_not_applied(d, convert.LIVE_KEYS)

    def note_not_applied(self, d: DesiredContainer, applied: frozenset[str]) -> None:
        """Remember the keyword arguments (other than ``applied``) an existing selected
        container keeps without, for one warning at the end."""
        if d.name not in self.inp.selected:
            return
        for key in self.options.extra:
            if key not in applied:
                self.not_applied.setdefault(key, []).append(d.name)

    def warn_not_applied(self, action: str) -> None:
        """One warning naming the keyword arguments existing containers did not get."""
        if not self.not_applied:
            return
        keys = ", ".join(sorted(self.not_applied))
        names = ", ".join(sorted({n for v in self.not_applied.values() for n in v}))
        warnings.warn(f"{action}: keyword argument(s) {keys} not applied to existing "
                      f"container(s) {names}: only the restart policy and the limits change "
                      "in place; the rest takes effect when a container is created (update "
                      "re-creates a container whose options differ)", stacklevel=2)

    def _timeout(self, d: DesiredContainer | None) -> int | None:
        if d is not None and d.stop_timeout is not None:
            return d.stop_timeout
        return self.inp.client.stop_timeout

    def may_start(self, d: DesiredContainer, state: ContainerState) -> bool:
        """Exited persistent containers ran their once; they are not started again."""
        return not state.running and not (d.persistent and state.has_started and
                                          state.status == "exited")

    def nonrecoverable(self, state: ContainerState) -> int | None:
        code = state.exit_code
        if state.status in ("exited", "dead") and code in self.options.nonrecoverable_exit_codes:
            return code
        return None

    def forward(self) -> list[tuple[int, DesiredContainer]]:
        return [(self.base + 4 * index + 4, self.inp.desired[name])
                for index, level in enumerate(self.inp.levels) for name in level]

    def reverse(self) -> list[tuple[int, str]]:
        return [(4 * index + 4, name)
                for index, level in enumerate(reversed(self.inp.levels)) for name in level]

    def removal_steps(self) -> dict[str, int]:
        return {name: step for step, name in self.reverse()}


def listed_endpoint(endpoint: dict[str, Any]) -> dict[str, Any]:
    """Endpoint keyword arguments of ``connect_container_to_network`` from a container
    list's endpoint (to reconnect a container that is not the map's)."""
    kwargs: dict[str, Any] = {}
    ipam = endpoint.get("IPAMConfig") or {}
    for key, api in (("ipv4_address", "IPv4Address"), ("ipv6_address", "IPv6Address")):
        if ipam.get(api):
            kwargs[key] = ipam[api]
    if ipam.get("LinkLocalIPs"):
        kwargs["link_local_ips"] = list(ipam["LinkLocalIPs"])
    if endpoint.get("Aliases"):
        kwargs["aliases"] = list(endpoint["Aliases"])
    if endpoint.get("Links"):
        kwargs["links"] = [tuple(str(link).split(":", 1)) for link in endpoint["Links"]]
    return kwargs


# --- the planners ----------------------------------------------------------------------------
def plan_create(inp: PlanInput, options: ActionOptions) -> list[Action]:
    p = _Plan(inp, options)
    p.foreign("create")
    removal = p.removal_steps()
    for step, d in p.forward():
        state = p.state(d.name)
        if state is None:
            p.create(d, step, ["missing"])
            continue
        reasons = p.resource_reasons(d)
        if reasons:
            p.recreate(d, state, removal[d.name], step, reasons, start=False)
        else:
            p.apply_kwargs(d, state, step)
            p.reconnect(d, state, step)
            p.finish_preparation(d, step)
    p.warn_not_applied("create")
    return p.actions


def plan_start(inp: PlanInput, options: ActionOptions) -> list[Action]:
    p = _Plan(inp, options)
    p.foreign("start", kinds=frozenset({F.CONTAINER}))
    for step, d in p.forward():
        state = p.state(d.name)
        if state is None:
            continue
        if d.name in p.replace:
            p.recreate(d, state, step - 3, step, p.resource_reasons(d))
            continue
        p.apply_kwargs(d, state, step)
        if p.may_start(d, state):
            p.start(d, step, ["not running"], initial=not state.has_started)
    p.warn_not_applied("start")
    return p.actions


def plan_startup(inp: PlanInput, options: ActionOptions) -> list[Action]:
    p = _Plan(inp, options)
    p.foreign("startup")
    removal = p.removal_steps()
    for step, d in p.forward():
        state = p.state(d.name)
        if state is None:
            p.create(d, step, ["missing"])
            p.start(d, step, ["created"], initial=True)
            continue
        reasons = p.resource_reasons(d)
        code = p.nonrecoverable(state)
        if code is not None:
            reasons.append(f"exit code {code} not recoverable")
        if reasons:
            p.recreate(d, state, removal[d.name] if p.base else step - 3, step, reasons)
        else:
            p.apply_kwargs(d, state, step)
            p.reconnect(d, state, step)
            p.finish_preparation(d, step)
            if p.may_start(d, state):
                p.start(d, step, ["not running"], initial=not state.has_started)
    p.warn_not_applied("startup")
    return p.actions


def _forced(d: DesiredContainer, forced: frozenset[str]) -> bool:
    cid = d.config_id
    return bool({cid.config_name, d.name, f"{cid.map_name}.{cid.config_name}",
                 f"{cid.config_name}.{cid.instance_name}"} & forced)


def _volume_change_error(inp: PlanInput, changes: dict[str, list[str]]) -> VolumeChangeError:
    what = "; ".join(f"volume {v}: {', '.join(why)}" for v, why in changes.items())
    return VolumeChangeError(
        f"{what}. Re-creating a volume deletes its data, so nothing was changed: run update "
        "with --recreate-volumes (recreate_volumes=True) to re-create it and the containers "
        "that mount it", changes, host=inp.client.name, action="update",
        item=next(iter(changes)))


def plan_update(inp: PlanInput, options: ActionOptions, resources: bool = True
                ) -> list[Action]:
    """``resources=False`` leaves out volumes and networks (their drift and foreign items):
    ``status`` reports those on their own."""
    p = _Plan(inp, options)
    snap = inp.snapshot
    p.base = 4 * len(inp.levels)  # re-created containers are removed first, in reverse
    if resources:
        p.foreign("update")
        volume_drift, net_drift = resource_drift(inp)
        if volume_drift and not options.recreate_volumes:
            raise _volume_change_error(inp, volume_drift)
        p.renew(volume_drift, net_drift)
    renewed: set[str] = set()  # containers this plan creates or re-creates
    removal_step = p.removal_steps()
    for step, d in p.forward():
        state = p.state(d.name)
        if state is None:
            renewed.add(d.name)
            p.create(d, step, ["missing"])
            p.start(d, step, ["created"], initial=True)
            continue
        reasons: list[str] = p.resource_reasons(d)
        if reasons:
            pass  # its volume is re-created, or it is replaced: no choice
        elif _forced(d, options.force_update):
            reasons.append("forced")
        elif d.persistent and not options.update_persistent:
            reasons = []
        else:
            reasons = recreate_reasons(d, state, snap) + shared_volume_reasons(d, state, snap)
            for dep, kind in d.depends_on.items():
                if dep not in renewed:
                    continue
                if kind in ("link", "network_mode") or (
                        kind == "volumes_from" and has_anonymous_volumes(snap.container(dep))):
                    reasons.append(f"{kind.replace('_', ' ')} {dep} re-created")
        code = p.nonrecoverable(state)
        if code is not None:
            reasons.append(f"exit code {code} not recoverable")
        limit_kwargs, limit_reasons, resets = limit_changes(d, state)
        if resets and not options.skip_limit_reset and not (
                d.persistent and not options.update_persistent):
            reasons.extend(f"limit {key} reset" for key in resets)
        if reasons:
            renewed.add(d.name)
            p.recreate(d, state, removal_step[d.name], step, reasons)
            continue
        if limit_kwargs:
            p.add(A.UPDATE_LIMITS, d.name, step, limit_reasons, d.config_id,
                  limits=limit_kwargs)
        p.note_not_applied(d, UPDATE_COMPARED)  # live keys: limit_changes above
        p.reconnect(d, state, step)
        p.finish_preparation(d, step)
        for op, net, endpoint, why in network_changes(d, state, snap):
            if net in p.renew_networks:
                continue  # disconnected and connected again with the map's endpoint
            if net in inp.networks and net not in snap.networks and \
                    net not in p.networks_planned:
                p.networks_planned.add(net)
                p.add(A.CREATE_NETWORK, net, 1, ["missing"], network=inp.networks[net])
            if op in ("disconnect", "reconnect"):
                p.add(A.DISCONNECT, d.name, step, [why], d.config_id, network=net)
            if op in ("connect", "reconnect"):
                p.add(A.CONNECT, d.name, step, [why], d.config_id, network=net,
                      endpoint=endpoint)
        if p.may_start(d, state):
            p.start(d, step, ["not running"], initial=not state.has_started)
        elif state.running:
            for cmd in missing_exec_commands(d, state, options.check_exec_commands):
                p.add(A.EXEC, d.name, step, ["exec command not running"], d.config_id,
                      cmd=cmd.cmd, user=cmd.user)
    p.warn_not_applied("update")
    return p.actions


def plan_stop(inp: PlanInput, options: ActionOptions) -> list[Action]:
    p = _Plan(inp, options)
    F.check_foreign(inp, options, "stop", kinds=frozenset({F.CONTAINER}))
    for step, name in p.reverse():
        state = p.state(name)
        if state is not None and state.running:
            d = inp.desired.get(name)
            p.add(A.STOP, name, step, ["running"], getattr(d, "config_id", None),
                  timeout=p._timeout(d))
    return p.actions


def plan_remove(inp: PlanInput, options: ActionOptions, stop: bool = False) -> list[Action]:
    p = _Plan(inp, options)
    kinds = {F.CONTAINER, F.VOLUME} if options.remove_attached else {F.CONTAINER}
    F.check_foreign(inp, options, "shutdown" if stop else "remove", kinds=frozenset(kinds))
    last = 0
    removed: set[str] = set()
    for step, name in p.reverse():
        last = step
        state = p.state(name)
        d = inp.desired.get(name)
        if state is None or (d is not None and d.persistent and not options.remove_persistent):
            continue
        removed.add(name)
        p.remove(d, name, state, step, ["shutdown" if stop else "requested"])
    if options.remove_attached:
        # volumes still mounted by a container this plan keeps (e.g. another instance) stay
        in_use = {v for n, c in inp.snapshot.containers.items() if n not in removed
                  for v in c.volumes}
        planned: set[str] = set()
        for name, d in inp.desired.items():
            if name not in removed and p.state(name) is not None:
                continue
            for vname in d.attached:
                if vname in inp.snapshot.volumes and vname not in in_use | planned:
                    planned.add(vname)
                    marker = marker_name(vname)
                    p.add(A.REMOVE_VOLUME, vname, last + 1, ["remove_attached"],
                          marker=marker if marker in inp.snapshot.volumes else None)
    return p.actions


def plan_shutdown(inp: PlanInput, options: ActionOptions) -> list[Action]:
    return plan_remove(inp, options, stop=True)


def plan_restart(inp: PlanInput, options: ActionOptions) -> list[Action]:
    p = _Plan(inp, options)
    F.check_foreign(inp, options, "restart", sorted(inp.selected & set(inp.desired)),
                    frozenset({F.CONTAINER}))
    for step, d in p.forward():
        if d.name not in inp.selected or p.state(d.name) is None:
            continue
        p.add(A.RESTART, d.name, step, ["requested"], d.config_id, timeout=p._timeout(d))
        if options.restart_exec_commands:
            for cmd in d.exec_commands:
                p.add(A.EXEC, d.name, step, ["restart_exec_commands"], d.config_id,
                      cmd=cmd.cmd, user=cmd.user)
    return p.actions


def plan_signal(inp: PlanInput, options: ActionOptions) -> list[Action]:
    p = _Plan(inp, options)
    F.check_foreign(inp, options, "signal", sorted(inp.selected & set(inp.desired)),
                    frozenset({F.CONTAINER}))
    signal = options.extra.get("signal", "SIGKILL")
    for step, d in p.forward():
        state = p.state(d.name)
        if d.name in inp.selected and state is not None and state.running:
            p.add(A.KILL, d.name, step, [f"signal {signal}"], d.config_id, signal=signal)
    return p.actions


def plan_pull(inp: PlanInput, options: ActionOptions) -> list[Action]:
    p = _Plan(inp, options)
    for _, d in p.forward():
        if d.image in p.images_planned:
            continue
        present = inp.snapshot.image_id(d.image) is not None
        if present and not options.pull_all_images:
            continue
        p.images_planned.add(d.image)
        p.add(A.PULL_IMAGE, d.image, 0, ["update" if present else "missing"], image=d.image,
              insecure=options.pull_insecure_registry)
    return p.actions
