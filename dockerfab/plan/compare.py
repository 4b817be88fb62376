"""Comparisons of one desired container with its observed state, each yielding short reasons.

Here: the image id, environment, command, entrypoint, exposed and published ports,
anonymous volumes, mounts, links, network mode, limits and restart policy (changed in place),
exec commands and networks. Every other option is compared by
:mod:`dockerfab.plan.container_options` (CLARIFICATIONS 13). Reasons never contain
environment values.
"""
from __future__ import annotations

import json
import re
import shlex
from typing import Any

from dockerfab.map.input import CmdCheck, ExecCommand, ExecPolicy
from dockerfab.plan import container_options, convert
from dockerfab.plan.anonymous import without_carried
from dockerfab.plan.desired import LABEL_EXPLICIT, DesiredContainer
from dockerfab.plan.snapshot import ContainerState, HostSnapshot

_ANON = re.compile(r"^[0-9a-f]{64}$")


def _short(image_id: str | None) -> str:
    return (image_id or "?").split(":")[-1][:12]


def _explicit(state: ContainerState) -> dict[str, Any]:
    try:
        found = json.loads(state.labels.get(LABEL_EXPLICIT) or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _bind_dest(bind: str) -> str:
    parts = bind.split(":")
    return parts[1] if len(parts) > 1 else parts[0]


def recreate_reasons(desired: DesiredContainer, state: ContainerState,
                     snapshot: HostSnapshot) -> list[str]:
    """Why the existing container no longer fits its configuration (empty: it fits)."""
    reasons: list[str] = []
    config, host = state.config, state.host_config
    # image id
    wanted = snapshot.image_id(desired.image)
    current = (state.inspect or {}).get("Image") or state.image_id
    if wanted is None:
        reasons.append(f"image {desired.image} missing")
    elif wanted != current:
        reasons.append(f"image {_short(current)} -> {_short(wanted)}")
    # environment (names only), command, entrypoint
    actual_env = convert.env_dict(config.get("Env"))
    desired_env = desired.environment
    for key, value in desired_env.items():
        if key not in actual_env:
            reasons.append(f"env {key} added")
        elif actual_env[key] != value:
            reasons.append(f"env {key} changed")
    explicit = _explicit(state)
    for key in explicit.get("env", ()):
        if key not in desired_env:
            reasons.append(f"env {key} removed")
    for kwarg, api, label in (("command", "Cmd", "cmd"), ("entrypoint", "Entrypoint",
                                                            "entrypoint")):
        want = convert.command_list(desired.create_kwargs.get(kwarg))
        have = config.get(api) or []
        if (want is not None and want != have) or (want is None and explicit.get(label)):
            reasons.append(f"{kwarg} {_show_command(have)} -> {_show_command(want)}")
    # exposed and published ports, anonymous volumes (the image's are merged in: removal is
    # told by the label of what dockerfab set)
    exposed = set((config.get("ExposedPorts") or {}).keys())
    want_ports = {convert.port_key(p) for p in desired.create_kwargs.get("ports") or ()}
    for key in sorted(want_ports - exposed):
        reasons.append(f"port {key} not exposed")
    for key in sorted(set(explicit.get("ports") or ()) - want_ports):
        if key in exposed:
            reasons.append(f"port {key} no longer exposed")
    declared = set((config.get("Volumes") or {}).keys())
    want_volumes = {str(v) for v in desired.create_kwargs.get("volumes") or ()}
    for path in sorted(want_volumes - declared):
        reasons.append(f"volume {path} not declared")
    for path in sorted(set(explicit.get("volumes") or ()) - want_volumes):
        if path in declared:
            reasons.append(f"volume {path} no longer declared")
    want_bindings = convert.normalize_port_bindings(desired.host_config.get("port_bindings"))
    have_bindings = convert.observed_port_bindings(host)
    for key in sorted(set(want_bindings) | set(have_bindings)):
        if want_bindings.get(key) != have_bindings.get(key):
            reasons.append(f"port {key} published differently")
    # volumes: binds (host paths, named volumes) and volumes_from
    want_binds = {_bind_dest(b): b for b in desired.host_config.get("binds") or ()}
    have_binds = {_bind_dest(b): b for b in host.get("Binds") or ()}
    for dest in _inherited(desired, snapshot) - set(want_binds):
        have_binds.pop(dest, None)   # Podman lists what volumes_from brings among the binds
    for dest in sorted(set(want_binds) | set(have_binds)):
        want, have = want_binds.get(dest), have_binds.get(dest)
        if want is None or have is None or convert.bind_key(want) != convert.bind_key(have):
            reasons.append(f"volume {dest} mounted differently")
    want_from = sorted(desired.host_config.get("volumes_from") or ())
    if want_from != sorted(host.get("VolumesFrom") or ()):
        reasons.append("volumes_from changed")
    # links
    want_links = {f"/{c}:/{desired.name}/{a}" for c, a in desired.host_config.get("links") or ()}
    have_links = set(host.get("Links") or ())
    if want_links != have_links:
        for link in sorted(want_links - have_links):
            reasons.append(f"link {link.split('/')[-1]} missing")
        for link in sorted(have_links - want_links):
            reasons.append(f"link {link.split('/')[-1]} not configured")
    # network mode
    want_mode = desired.host_config.get("network_mode") or "default"
    have_mode = host.get("NetworkMode") or "default"
    same_container = (want_mode.startswith("container:") and have_mode.startswith("container:")
                      and _same_container(want_mode[10:], have_mode[10:], snapshot))
    user_network = desired.mode_from_networks and (have_mode not in (
        "default", "bridge", "host", "none") and not have_mode.startswith("container:")
        or have_mode == "bridge" and want_mode in _attached_networks(state))  # Podman's way
    if {want_mode, have_mode} != {"default", "bridge"} and want_mode != have_mode and \
            not same_container and not user_network:
        reasons.append("network mode changed")
    # every other option of create_container and the host config
    observed = container_options.Observed(config, without_carried(host), state.labels,
                                          explicit)
    reasons += container_options.option_reasons(desired.create_kwargs, desired.host_config,
                                                 observed, desired.options or None,
                                                 desired.name)
    return reasons


def _show_command(command: list[str] | None) -> str:
    if command is None:
        return "(unset)"
    return container_options.show(" ".join(shlex.quote(c) for c in command))


def _inherited(desired: DesiredContainer, snapshot: HostSnapshot) -> set[str]:
    """Destinations of the mounts the containers in ``volumes_from`` have."""
    found: set[str] = set()
    for ref in desired.host_config.get("volumes_from") or ():
        source = snapshot.container(ref.split(":")[0])
        for mount in (source.inspect or {}).get("Mounts") or () if source else ():
            found.add(str(mount.get("Destination")))
    return found


def _attached_networks(state: ContainerState) -> set[str]:
    return set(((state.inspect or {}).get("NetworkSettings") or {}).get("Networks") or {})


def _same_container(ref_a: str, ref_b: str, snapshot: HostSnapshot) -> bool:
    """Whether two container references (name or id) denote the current same container."""
    state = snapshot.container(ref_a)
    if state is None:
        return False
    return ref_b in (state.name, state.id) or state.id.startswith(ref_b)


def shared_volume_reasons(desired: DesiredContainer, state: ContainerState,
                          snapshot: HostSnapshot) -> list[str]:
    """Volumes from whole containers: the dependent must see the same volumes at the same
    paths as the container it uses."""
    reasons = []
    own = {m.get("Destination"): (m.get("Name") or m.get("Source"))
           for m in (state.inspect or {}).get("Mounts") or ()}
    for ref in desired.host_config.get("volumes_from") or ():
        source = snapshot.container(ref.split(":")[0])
        if source is None or source.inspect is None:
            continue
        for mount in source.inspect.get("Mounts") or ():
            if own.get(mount.get("Destination")) != (mount.get("Name") or mount.get("Source")):
                reasons.append(f"volumes from {source.name} differ at {mount.get('Destination')}")
                break
    return reasons


def has_anonymous_volumes(state: ContainerState | None) -> bool:
    """Whether re-creating this container would give it new (anonymous) volumes."""
    if state is None or state.inspect is None:
        return True
    return any(m.get("Type") == "volume" and _ANON.match(m.get("Name") or "")
               for m in state.inspect.get("Mounts") or ())


def limit_changes(desired: DesiredContainer, state: ContainerState,
                  keys: frozenset[str] | None = None
                  ) -> tuple[dict[str, Any], list[str], list[str]]:
    """(kwargs for ``update_container``, reasons, limits that must be reset to unset).

    Compares the limits of spec 3.8.2 and the restart policy, or only ``keys`` of them (the
    keyword arguments given to an action). A restart policy that is not configured is left
    as it is; limits that are no longer set can't be removed live (spec 3.8.2): they are
    returned separately."""
    kwargs: dict[str, Any] = {}
    reasons: list[str] = []
    resets: list[str] = []
    host = state.host_config
    for key, api in convert.LIMITS.items():
        if keys is not None and key not in keys:
            continue
        want = convert.limit_value(key, desired.host_config.get(key))
        have = host.get(api)
        if want is None:
            if key != "memswap_limit" and have not in (None, 0, ""):
                resets.append(key)
            continue
        if want != have:
            kwargs[key] = desired.host_config[key]
            reasons.append(f"limit {key} updated in place")
    policy = desired.host_config.get("restart_policy")
    if policy is not None and (keys is None or "restart_policy" in keys) and \
            convert.restart_policy(policy) != convert.restart_policy(host.get("RestartPolicy")):
        kwargs["restart_policy"] = policy
        reasons.append("restart policy updated in place")
    if "mem_limit" in kwargs and desired.host_config.get("memswap_limit") is None:
        # Docker refuses a memory limit above the current swap limit; an unset swap limit
        # is twice the memory limit at creation, so keep it that way
        kwargs["memswap_limit"] = 2 * convert.parse_bytes(kwargs["mem_limit"])
    return kwargs, reasons, resets


def network_changes(desired: DesiredContainer, state: ContainerState, snapshot: HostSnapshot
                    ) -> list[tuple[str, str, dict[str, Any], str]]:
    """[(op 'connect'|'disconnect'|'reconnect', network, endpoint kwargs, reason)]."""
    if not desired.networks:
        return []
    changes = []
    actual = ((state.inspect or {}).get("NetworkSettings") or {}).get("Networks") or {}
    for name, endpoint in desired.networks.items():
        have = actual.get(name)
        if have is None:
            changes.append(("connect", name, endpoint, f"network {name} endpoint missing"))
            continue
        net = snapshot.networks.get(name)
        # Podman reports the network's name as its NetworkID: no re-creation to see there
        if net is not None and have.get("NetworkID") and have["NetworkID"] not in (net.id,
                                                                                   net.name):
            changes.append(("reconnect", name, endpoint, f"network {name} was re-created"))
            continue
        ipam = have.get("IPAMConfig") or {}
        if not set(endpoint.get("aliases") or ()) <= set(have.get("Aliases") or ()):
            changes.append(("reconnect", name, endpoint, f"network {name} aliases differ"))
        elif (endpoint.get("ipv4_address") or "") != (ipam.get("IPv4Address") or "") or \
                (endpoint.get("ipv6_address") or "") != (ipam.get("IPv6Address") or "") or \
                sorted(endpoint.get("link_local_ips") or ()) != sorted(
                    ipam.get("LinkLocalIPs") or ()):
            changes.append(("reconnect", name, endpoint, f"network {name} addresses differ"))
        else:
            want_links = sorted(f"{c}:{a}" for c, a in endpoint.get("links") or ())
            if want_links != sorted(have.get("Links") or ()):
                changes.append(("reconnect", name, endpoint, f"network {name} links differ"))
    for name in actual:
        if name not in desired.networks:
            changes.append(("disconnect", name, {}, f"network {name} not configured"))
    return changes


def _cmd_text(cmd: Any) -> str:
    """A command as ``top`` shows it: arguments joined by spaces, no quoting."""
    return " ".join(shlex.split(cmd) if isinstance(cmd, str) else [str(c) for c in cmd])


def missing_exec_commands(desired: DesiredContainer, state: ContainerState, check: CmdCheck
                          ) -> list[ExecCommand]:
    """RESTART-policy exec commands not found among the running processes."""
    if check == CmdCheck.NONE or state.processes is None:
        return []
    missing = []
    for cmd in desired.exec_commands:
        if cmd.policy != ExecPolicy.RESTART:
            continue
        text = _cmd_text(cmd.cmd)
        if check == CmdCheck.FULL:
            found = any(p == text for p in state.processes)
        else:
            found = any(text in p or p in text for p in state.processes)
        if not found:
            missing.append(cmd)
    return missing
