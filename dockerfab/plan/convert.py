"""Pure conversions between the Docker SDK's keyword arguments and the Engine API's inspect
form, so desired state (SDK kwargs) and observed state (inspect JSON) can be compared."""
from __future__ import annotations

import re
import shlex
from typing import Any

#: keyword arguments of ``docker.types.HostConfig`` (SDK 7): such keys given in
#: ``create_options`` belong to the host config (CLARIFICATIONS 2).
HOST_CONFIG_KEYS = frozenset({
    "auto_remove", "binds", "blkio_weight", "blkio_weight_device", "cap_add", "cap_drop",
    "cgroup_parent", "cgroupns", "cpu_count", "cpu_percent", "cpu_period", "cpu_quota",
    "cpu_rt_period", "cpu_rt_runtime", "cpu_shares", "cpuset_cpus", "cpuset_mems",
    "device_cgroup_rules", "device_read_bps", "device_read_iops", "device_requests",
    "device_write_bps", "device_write_iops", "devices", "dns", "dns_opt", "dns_search",
    "extra_hosts", "group_add", "init", "init_path", "ipc_mode", "isolation", "kernel_memory",
    "links", "log_config", "lxc_conf", "mem_limit", "mem_reservation", "mem_swappiness",
    "memswap_limit", "mounts", "nano_cpus", "network_mode", "oom_kill_disable",
    "oom_score_adj", "pid_mode", "pids_limit", "port_bindings", "privileged",
    "publish_all_ports", "read_only", "restart_policy", "security_opt", "shm_size",
    "storage_opt", "sysctls", "tmpfs", "ulimits", "userns_mode", "uts_mode", "volume_driver",
    "volumes_from"})

#: the limits of spec 3.8.2 that can be changed live: SDK kwarg -> inspect HostConfig key.
#: KernelMemory is left out (deprecated by the engine, CLARIFICATIONS 12).
LIMITS = {
    "blkio_weight": "BlkioWeight",
    "cpu_period": "CpuPeriod",
    "cpu_quota": "CpuQuota",
    "cpu_shares": "CpuShares",
    "cpuset_cpus": "CpusetCpus",
    "cpuset_mems": "CpusetMems",
    "mem_limit": "Memory",
    "mem_reservation": "MemoryReservation",
    "memswap_limit": "MemorySwap",
}
BYTE_LIMITS = frozenset({"mem_limit", "mem_reservation", "memswap_limit"})

#: host-config keys ``update_container`` changes on an existing container (spec 3.8.2 and
#: 3.11.1): the limits and the restart policy
LIVE_KEYS = frozenset(LIMITS) | {"restart_policy"}

_UNITS = {"b": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3, "t": 1024 ** 4}


def parse_bytes(value: Any) -> int:
    """``'3g'`` -> 3221225472, like the Docker SDK; ints pass through."""
    if isinstance(value, (int, float)):
        return int(value)
    text = str(value).strip().lower()
    match = re.fullmatch(r"(-?[0-9.]+)\s*([bkmgt]?)b?", text)
    if not match:
        raise ValueError(f"not a byte size: {value!r}")
    return int(float(match.group(1)) * _UNITS[match.group(2) or "b"])


_DURATION = {"ns": 1, "us": 1000, "ms": 10 ** 6, "s": 10 ** 9, "m": 60 * 10 ** 9,
             "h": 3600 * 10 ** 9}


def duration_ns(value: Any) -> int | None:
    """Seconds (int/float) or Docker strings like ``'1m30s'`` -> nanoseconds."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return int(value * 10 ** 9)
    total = 0
    parts = re.findall(r"([0-9.]+)(ns|us|ms|s|m|h)", str(value))
    if not parts:
        raise ValueError(f"not a duration: {value!r}")
    for number, unit in parts:
        total += int(float(number) * _DURATION[unit])
    return total


def port_key(port: Any) -> str:
    """``80`` / ``'80'`` / ``'80/udp'`` / ``(80, 'udp')`` -> ``'80/tcp'`` / ``'80/udp'``."""
    if isinstance(port, tuple):
        return f"{port[0]}/{port[1] if len(port) > 1 else 'tcp'}"
    text = str(port)
    return text if "/" in text else f"{text}/tcp"


def sdk_port(port: Any) -> Any:
    """A port as ``create_container(ports=...)`` wants it: int or ``(port, proto)``."""
    number, proto = port_key(port).split("/", 1)
    number_value: Any = int(number) if number.isdigit() else number
    return number_value if proto == "tcp" else (number_value, proto)


def normalize_port_bindings(bindings: dict[Any, Any] | None) -> dict[str, list[tuple[str, str]]]:
    """SDK ``port_bindings`` -> ``{'80/tcp': [(host_ip, host_port)]}`` sorted, as inspect has."""
    result: dict[str, list[tuple[str, str]]] = {}
    for key, value in (bindings or {}).items():
        values = value if isinstance(value, list) else [value]
        entries = []
        for item in values:
            if isinstance(item, tuple):
                ip, hport = (item[0], item[1] if len(item) > 1 else None)
            elif isinstance(item, dict):
                ip, hport = item.get("HostIp", ""), item.get("HostPort", "")
            else:
                ip, hport = "", item
            entries.append((str(ip or ""), "" if hport is None else str(hport)))
        result[port_key(key)] = sorted(entries)
    return result


def observed_port_bindings(host_config: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """Inspect ``HostConfig.PortBindings`` in the same normalised form."""
    result: dict[str, list[tuple[str, str]]] = {}
    for key, values in (host_config.get("PortBindings") or {}).items():
        result[key] = sorted((v.get("HostIp") or "", v.get("HostPort") or "")
                             for v in values or ())
    return result


#: bind options that only spell out a default: Podman lists every bind with them
#: (``src:/dst:rw,rprivate,rbind``, volumes also ``nosuid,nodev``), Docker as given
_DEFAULT_BIND_OPTIONS = frozenset({"rw", "rprivate", "rbind", "nosuid", "nodev"})


def bind_key(bind: str) -> tuple[str, str, frozenset[str]]:
    """``'src:/dst:ro'`` -> ``('src', '/dst', {'ro'})``, the default options left out, so a
    bind compares equal however the daemon spells it."""
    parts = bind.split(":")
    if len(parts) == 1:
        return "", parts[0], frozenset()
    options = frozenset(parts[2].split(",")) if len(parts) > 2 else frozenset()
    return parts[0], parts[1], options - _DEFAULT_BIND_OPTIONS


def env_dict(environment: Any) -> dict[str, str]:
    """SDK ``environment`` (dict or ``['K=V']`` list) -> dict of strings."""
    if not environment:
        return {}
    if isinstance(environment, dict):
        return {str(k): "" if v is None else str(v) for k, v in environment.items()}
    result = {}
    for entry in environment:
        key, _, value = str(entry).partition("=")
        result[key] = value
    return result


def command_list(command: Any) -> list[str] | None:
    """SDK command/entrypoint (string or list) -> the list Docker stores."""
    if command is None:
        return None
    if isinstance(command, str):
        return shlex.split(command)
    return [str(c) for c in command]


def limit_value(key: str, value: Any) -> Any:
    """An SDK limit value in the unit inspect reports."""
    if value is None:
        return None
    if key in BYTE_LIMITS:
        return parse_bytes(value)
    if key in ("cpuset_cpus", "cpuset_mems"):
        return str(value)
    return int(value)


def restart_policy(value: Any) -> tuple[str, int]:
    """SDK/inspect restart policy (``{'Name': ..., 'MaximumRetryCount': n}``) -> (name,
    count); no policy and Docker's empty name both mean ``no``."""
    value = value or {}
    name = str(value.get("Name") or "no")
    return name, int(value.get("MaximumRetryCount") or 0)
