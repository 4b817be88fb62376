"""Attached volumes and networks compared with the map (pure), each difference a short
reason. Driver option values are never shown (they may hold credentials)."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from dockerfab.plan.desired import (
    LABEL_EXPLICIT,
    LABEL_MAP,
    DesiredNetwork,
    DesiredVolume,
)
from dockerfab.plan.snapshot import NetworkState, VolumeState

if TYPE_CHECKING:
    from dockerfab.plan.planner import PlanInput

OWN_LABEL_PREFIX = "dockerfab."


def _options(kind: str, want: dict[str, Any], have: dict[str, Any] | None) -> list[str]:
    want = {str(k): str(v) for k, v in want.items()}
    have = {str(k): str(v) for k, v in (have or {}).items()}
    reasons = []
    for key in sorted(set(want) | set(have)):
        if key not in have:
            reasons.append(f"{kind} {key} added")
        elif key not in want:
            reasons.append(f"{kind} {key} removed")
        elif want[key] != have[key]:
            reasons.append(f"{kind} {key} changed")
    return reasons


def _labels(want: dict[str, Any], have: dict[str, str]) -> list[str]:
    """User labels (dockerfab's own are bookkeeping, not configuration)."""
    want = {k: str(v) for k, v in want.items() if not k.startswith(OWN_LABEL_PREFIX)}
    have = {k: v for k, v in have.items() if not k.startswith(OWN_LABEL_PREFIX)}
    reasons = []
    for key in sorted(set(want) | set(have)):
        if want.get(key) != have.get(key):
            reasons.append(f"label {key} {have.get(key, '(unset)')} -> "
                           f"{want.get(key, '(unset)')}")
    return reasons


def volume_changes(want: DesiredVolume, have: VolumeState) -> list[str]:
    """Why the existing volume no longer fits the map: driver, driver options, labels."""
    reasons = []
    if (have.driver or "local") != (want.driver or "local"):
        reasons.append(f"driver {have.driver} -> {want.driver}")
    reasons += _options("driver option", want.driver_opts, have.options)
    reasons += _labels(want.labels, have.labels)
    return reasons


def _ci(data: Any) -> dict[str, Any]:
    """A dict with lower-case keys without ``_`` (Docker's JSON is case-insensitive and the
    SDK spells some keys in snake case)."""
    return {str(k).lower().replace("_", ""): v for k, v in dict(data or {}).items()}


_POOL_KEYS = {"subnet": "Subnet", "iprange": "IPRange", "gateway": "Gateway",
              "auxaddresses": "AuxiliaryAddresses", "auxiliaryaddresses": "AuxiliaryAddresses"}


def _pools(ipam: dict[str, Any]) -> list[dict[str, Any]]:
    raw = ipam.get("config", ipam.get("poolconfigs")) or []
    pools = []
    for pool in raw:
        pools.append({_POOL_KEYS[k]: v for k, v in _ci(pool).items()
                      if k in _POOL_KEYS and v not in (None, "", {})})
    return pools


def _ipam(want: Any, have: dict[str, Any], explicit: bool) -> list[str]:
    if not want:
        return ["ipam settings removed"] if explicit else []
    want_ci, have_ci = _ci(want), _ci(have)
    reasons = []
    driver = want_ci.get("driver")
    if driver and driver != (have_ci.get("driver") or "default"):
        reasons.append(f"ipam driver {have_ci.get('driver') or 'default'} -> {driver}")
    if "options" in want_ci and dict(want_ci["options"] or {}) != dict(
            have_ci.get("options") or {}):
        reasons.append("ipam options changed")
    want_pools, have_pools = _pools(want_ci), _pools(have_ci)
    if ("config" in want_ci or "poolconfigs" in want_ci) and (
            len(want_pools) != len(have_pools) or any(
                {k: v for k, v in h.items() if k in w} != w
                for w, h in zip(want_pools, have_pools))):
        def text(pools: list[dict[str, Any]]) -> str:
            return ", ".join(str(p.get("Subnet") or p) for p in pools) or "(none)"
        reasons.append(f"ipam pools {text(have_pools)} -> {text(want_pools)}")
    return reasons


def _explicit(labels: dict[str, str]) -> dict[str, Any]:
    try:
        value = json.loads(labels.get(LABEL_EXPLICIT) or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def network_changes(want: DesiredNetwork, have: NetworkState) -> list[str]:
    """Why the existing network no longer fits the map: driver, driver options,
    ``internal``, IPv6, IPAM, labels."""
    reasons = []
    if (have.driver or "bridge") != (want.driver or "bridge"):
        reasons.append(f"driver {have.driver} -> {want.driver}")
    reasons += _options("driver option", want.options, have.options)
    if bool(have.internal) != bool(want.internal):
        reasons.append(f"internal {str(have.internal).lower()} -> "
                       f"{str(want.internal).lower()}")
    ipv6 = bool(want.create_options.get("enable_ipv6", False))
    if bool(have.enable_ipv6) != ipv6:
        reasons.append(f"enable_ipv6 {str(have.enable_ipv6).lower()} -> {str(ipv6).lower()}")
    reasons += _ipam(want.create_options.get("ipam"), have.ipam,
                     bool(_explicit(have.labels).get("ipam")))
    reasons += _labels(want.labels, have.labels)
    return reasons


def _drift(names: list[str], wanted: dict[str, Any], observed: dict[str, Any],
           compare: Any) -> dict[str, list[str]]:
    """name -> reasons for the items that exist, are the map's own and differ."""
    found: dict[str, list[str]] = {}
    for name in dict.fromkeys(names):
        want, have = wanted.get(name), observed.get(name)
        if want is None or have is None or \
                have.labels.get(LABEL_MAP) != want.labels.get(LABEL_MAP):
            continue
        reasons = compare(want, have)
        if reasons:
            found[name] = reasons
    return found


def resource_drift(inp: PlanInput) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(volume -> reasons, network -> reasons) for the existing attached volumes and networks
    of the map's own (labelled) that the containers of ``inp`` use and that differ from the
    map. Foreign items are :mod:`dockerfab.plan.foreign`'s business."""
    desired = list(inp.desired.values())
    volumes = [v for d in desired for v in d.attached + d.volumes_used]
    networks = [n for d in desired for n in d.networks]
    return (_drift(volumes, inp.volumes, inp.snapshot.volumes, volume_changes),
            _drift(networks, inp.networks, inp.snapshot.networks, network_changes))
