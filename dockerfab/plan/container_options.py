"""Every container option a map can set, compared with what ``inspect`` reports (pure).

One row per Docker SDK keyword argument (of ``create_container`` and of
``create_host_config``): where its value lives in the API form the SDK sends and in the
inspect data, the normaliser that makes the two comparable (:mod:`dockerfab.plan.normalize`),
and what a difference does. The options compared elsewhere are listed in :data:`ELSEWHERE`
(image, environment, command, ports, mounts, links, network mode and networks:
:mod:`dockerfab.plan.compare`; limits and the restart policy, changed in place:
``compare.limit_changes``).

Three sources of truth, in this order:

* the inspect data (no extra API call: the snapshot already has it);
* the label ``dockerfab.explicit``: which options dockerfab set, so that an option that is
  no longer in the map is a change (``cap_add [CAP_NET_ADMIN] -> (unset)``);
* the label ``dockerfab.hash``: a hash of the options inspect cannot report (or that this
  daemon dropped), the fallback with its own reason ``configuration changed``.

docs/reconcile.rst holds the same table for users; a unit test keeps the two in step.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from dockerfab.plan import normalize as N
from dockerfab.plan.apiform import config_form, host_config_form
from dockerfab.plan.convert import LIMITS

CONFIG = "Config"
HOST = "HostConfig"
RECREATE = "re-create"
IN_PLACE = "in place"

#: version of what the labels ``dockerfab.explicit`` and ``dockerfab.hash`` hold; containers
#: whose label has no (or an older) version were created by an older dockerfab: their hash
#: covers other things, and removals of options other than env/command/entrypoint cannot be
#: told from their labels
LABEL_VERSION = 2


@dataclass(frozen=True)
class Option:
    """How one SDK keyword argument is compared."""
    name: str  # the SDK keyword argument (the name used in reasons)
    section: str  # CONFIG or HOST
    key: str  # key in the JSON the SDK sends
    normalise: N.Normaliser = N.plain
    read_key: str | None = None  # key in inspect, where it differs (case)
    read_back: bool = True  # False: inspect never reports it, the hash label covers it
    may_drop: bool = False  # a daemon without kernel support reports it unset: then hash
    #: equal | fields (only the fields set) | security | labels | mounts
    compare: str = "equal"
    how: str = RECREATE

    @property
    def inspect_key(self) -> str:
        return self.read_key or self.key

    @property
    def hashed(self) -> bool:
        return not self.read_back or self.may_drop


def _o(name: str, section: str, key: str, normalise: N.Normaliser = N.plain,
       **kwargs: Any) -> Option:
    return Option(name, section, key, normalise, **kwargs)


OPTIONS: tuple[Option, ...] = (
    # --- create_container (Config) ----------------------------------------------------------
    _o("hostname", CONFIG, "Hostname", N.text),
    _o("domainname", CONFIG, "Domainname", N.text),
    _o("user", CONFIG, "User", N.text),
    _o("detach", CONFIG, "AttachStdout", N.flag),
    _o("stdin_open", CONFIG, "OpenStdin", N.flag),
    _o("tty", CONFIG, "Tty", N.flag),
    _o("network_disabled", CONFIG, "NetworkDisabled", N.flag),
    _o("working_dir", CONFIG, "WorkingDir", N.path),
    _o("mac_address", CONFIG, "MacAddress", N.lower_text),
    _o("labels", CONFIG, "Labels", N.str_dict, compare="labels"),
    _o("stop_signal", CONFIG, "StopSignal", N.signal_name),
    _o("stop_timeout", CONFIG, "StopTimeout", N.integer),
    _o("healthcheck", CONFIG, "Healthcheck", N.healthcheck, compare="fields"),
    _o("runtime", CONFIG, "Runtime", N.text, read_back=False),
    _o("platform", CONFIG, "platform", N.text, read_back=False),
    _o("networking_config", CONFIG, "NetworkingConfig", read_back=False),
    # --- create_host_config (HostConfig) ----------------------------------------------------
    _o("auto_remove", HOST, "AutoRemove", N.flag),
    _o("blkio_weight_device", HOST, "BlkioWeightDevice", may_drop=True),
    _o("cap_add", HOST, "CapAdd", N.capabilities),
    _o("cap_drop", HOST, "CapDrop", N.capabilities),
    _o("cgroup_parent", HOST, "CgroupParent", N.text),
    _o("cgroupns", HOST, "CgroupnsMode", N.text),
    _o("cpu_count", HOST, "CpuCount", N.number, may_drop=True),
    _o("cpu_percent", HOST, "CpuPercent", N.number, may_drop=True),
    _o("cpu_rt_period", HOST, "CPURealtimePeriod", N.number, read_key="CpuRealtimePeriod",
       may_drop=True),
    _o("cpu_rt_runtime", HOST, "CPURealtimeRuntime", N.number, read_key="CpuRealtimeRuntime",
       may_drop=True),
    _o("device_cgroup_rules", HOST, "DeviceCgroupRules", N.str_list),
    _o("device_read_bps", HOST, "BlkioDeviceReadBps"),
    _o("device_read_iops", HOST, "BlkioDeviceReadIOps"),
    _o("device_requests", HOST, "DeviceRequests"),
    _o("device_write_bps", HOST, "BlkioDeviceWriteBps"),
    _o("device_write_iops", HOST, "BlkioDeviceWriteIOps"),
    _o("devices", HOST, "Devices", N.devices),
    _o("dns", HOST, "Dns", N.str_list),
    _o("dns_opt", HOST, "DnsOptions", N.str_list),
    _o("dns_search", HOST, "DnsSearch", N.str_list),
    _o("extra_hosts", HOST, "ExtraHosts", N.extra_hosts),
    _o("group_add", HOST, "GroupAdd", N.str_set),
    _o("init", HOST, "Init", N.flag),
    _o("init_path", HOST, "InitPath", N.text, read_back=False),
    _o("ipc_mode", HOST, "IpcMode", N.text),
    _o("isolation", HOST, "Isolation", N.text),
    _o("kernel_memory", HOST, "KernelMemory", N.size, may_drop=True),
    _o("log_config", HOST, "LogConfig", N.log_config),
    _o("lxc_conf", HOST, "LxcConf", read_back=False),
    _o("mem_swappiness", HOST, "MemorySwappiness", N.integer, may_drop=True),
    _o("mounts", HOST, "Mounts", compare="mounts"),
    _o("nano_cpus", HOST, "NanoCpus", N.number),
    _o("oom_kill_disable", HOST, "OomKillDisable", N.flag, may_drop=True),
    _o("oom_score_adj", HOST, "OomScoreAdj", N.number),
    _o("pid_mode", HOST, "PidMode", N.text),
    _o("pids_limit", HOST, "PidsLimit", N.positive),
    _o("privileged", HOST, "Privileged", N.flag),
    _o("publish_all_ports", HOST, "PublishAllPorts", N.flag),
    _o("read_only", HOST, "ReadonlyRootfs", N.flag),
    _o("runtime", HOST, "Runtime", N.text),
    _o("security_opt", HOST, "SecurityOpt", N.security_options, compare="security"),
    _o("shm_size", HOST, "ShmSize", N.size),
    _o("storage_opt", HOST, "StorageOpt", N.str_dict),
    _o("sysctls", HOST, "Sysctls", N.str_dict),
    _o("tmpfs", HOST, "Tmpfs", N.tmpfs),
    _o("ulimits", HOST, "Ulimits", N.ulimits),
    _o("userns_mode", HOST, "UsernsMode", N.text),
    _o("uts_mode", HOST, "UTSMode", N.text),
    _o("volume_driver", HOST, "VolumeDriver", N.text),
    # --- changed in place by update_container (compare.limit_changes) ------------------------
    *(_o(name, HOST, key, N.integer, how=IN_PLACE) for name, key in LIMITS.items()),
    _o("restart_policy", HOST, "RestartPolicy", how=IN_PLACE),
)

#: options compared by :mod:`dockerfab.plan.compare` (section -> SDK keyword arguments)
ELSEWHERE = {
    CONFIG: frozenset({"image", "command", "entrypoint", "environment", "ports", "volumes",
                       "name", "use_config_proxy"}),
    HOST: frozenset({"binds", "port_bindings", "links", "volumes_from", "network_mode"}),
}

BY_NAME: dict[str, dict[str, Option]] = {CONFIG: {}, HOST: {}}
for _option in OPTIONS:
    BY_NAME[_option.section][_option.name] = _option

#: every keyword argument ``update`` compares, in either section
COMPARED = frozenset(BY_NAME[CONFIG]) | frozenset(BY_NAME[HOST]) | ELSEWHERE[CONFIG] | \
    ELSEWHERE[HOST]

#: an anonymous volume's name (as dockerfab.plan.anonymous, which imports desired: not here)
_ANONYMOUS_VOLUME = re.compile(r"^[0-9a-f]{64}$")

#: labels dockerfab keeps to itself: never compared as labels (they change with dockerfab)
OWN_LABELS = frozenset({"dockerfab.hash", "dockerfab.explicit"})


# --- what desired.py writes -----------------------------------------------------------------
def api_forms(create: dict[str, Any], host: dict[str, Any], version: str | None = None,
              item: str = "") -> dict[str, dict[str, Any]]:
    """The ``Config`` and ``HostConfig`` JSON the SDK sends for these keyword arguments."""
    return {CONFIG: config_form(create, version, item),
            HOST: host_config_form(host, version, item)}


def set_options(create: dict[str, Any], host: dict[str, Any],
                sent: dict[str, dict[str, Any]]) -> dict[tuple[str, str], Any]:
    """(section, name) -> normalised value, for the table's options that are set to
    something other than the default (``tty=False`` is not set)."""
    found: dict[tuple[str, str], Any] = {}
    for section, kwargs in ((CONFIG, create), (HOST, host)):
        table = BY_NAME[section]
        for name in kwargs:
            option = table.get(name)
            if option is None or kwargs[name] is None or option.how == IN_PLACE:
                continue
            form = sent[section]
            value = option.normalise(form[option.key] if option.key in form else kwargs[name])
            if value is not None:
                found[(section, name)] = value
    return found


def _entry(section: str, name: str) -> str:
    return f"host:{name}" if section == HOST else name


def explicit_options(options: dict[tuple[str, str], Any]) -> list[str]:
    """The label form of :func:`set_options` (``host:`` marks host-config options)."""
    return sorted(_entry(section, name) for section, name in options)


def fallback_hash(options: dict[tuple[str, str], Any]) -> str:
    """Hash of the options that inspect may not report (the label ``dockerfab.hash``), over
    their normalised values, so that another spelling of the same value is no change."""
    data = {"v": LABEL_VERSION, "options": sorted(
        (_entry(section, name), repr(value)) for (section, name), value in options.items()
        if BY_NAME[section][name].hashed)}
    text = json.dumps(data, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def explicit_fields(options: dict[tuple[str, str], Any]) -> dict[str, list[str]]:
    """The fields set of options compared field by field (the health check: a field no
    longer set is a change, one the image fills in is not)."""
    return {name: [f for f, _ in value] for (section, name), value in options.items()
            if BY_NAME[section][name].compare == "fields"}


def labels_for(create: dict[str, Any], host: dict[str, Any], item: str = ""
               ) -> tuple[dict[tuple[str, str], Any], dict[str, Any], str]:
    """(:func:`set_options`; what ``dockerfab.explicit`` records of them: ``options`` set
    and ``fields`` set; the ``dockerfab.hash`` value). The SDK's converters give the same
    form for every API version (the version only decides what they refuse)."""
    options = set_options(create, host, api_forms(create, host, item=item))
    return (options,
            {"options": explicit_options(options), "fields": explicit_fields(options)},
            fallback_hash(options))


# --- showing values in reasons -------------------------------------------------------------
_SECRET = re.compile(r"passw|secret|token|credential|api[_-]?key", re.IGNORECASE)
_LONG = 100


def show(value: Any) -> str:
    """A normalised value for a reason: short, and never what looks like a secret."""
    text = _render(value)
    if _SECRET.search(text):
        return "(hidden)"
    return text if len(text) <= _LONG else text[:_LONG - 3] + "..."


def _render(value: Any) -> str:
    if value is None:
        return "(unset)"
    if value is True:
        return "true"
    if isinstance(value, tuple):
        if value and all(isinstance(v, tuple) for v in value):
            return "[" + ", ".join(":".join(_render(i) for i in v) for v in value) + "]"
        return "[" + ", ".join(_render(v) for v in value) + "]"
    return str(value)


# --- the comparison ------------------------------------------------------------------------
@dataclass
class Observed:
    """What the container has: its inspect sections and what its labels say was set."""
    config: dict[str, Any]
    host: dict[str, Any]
    labels: dict[str, str]
    explicit: dict[str, Any]

    @property
    def current(self) -> bool:
        """Written by this dockerfab (label version): removals and the hash can be read."""
        version = self.explicit.get("v")
        return isinstance(version, int) and version >= LABEL_VERSION


def option_reasons(create: dict[str, Any], host: dict[str, Any], observed: Observed,
                   options: dict[tuple[str, str], Any] | None = None, item: str = ""
                   ) -> list[str]:
    """Why the container's options differ from ``create``/``host`` (SDK keyword arguments of
    the desired container; ``options``: their :func:`set_options`, if known already): one
    reason per option, ``name old -> new``."""
    if options is None:
        options = set_options(create, host, api_forms(create, host, item=item))
    have_sections = {CONFIG: observed.config, HOST: observed.host}
    reasons: list[str] = []
    hashed_reason = False
    for (section, name), want in options.items():
        option = BY_NAME[section][name]
        if not option.read_back:
            continue
        reason = _differs(option, want, have_sections[section].get(option.inspect_key),
                          observed)
        if reason:
            reasons.append(reason)
            hashed_reason = hashed_reason or option.hashed
    if observed.current:
        removed = _removed(options, observed)
        reasons.extend(reason for reason, _ in removed)
        hashed_reason = hashed_reason or any(hashed for _, hashed in removed)
        want_hash = (create.get("labels") or {}).get("dockerfab.hash") or \
            fallback_hash(options)
        if observed.labels.get("dockerfab.hash") != want_hash and not hashed_reason:
            reasons.append("configuration changed")
    return reasons


def _differs(option: Option, want: Any, have_raw: Any, observed: Observed) -> str | None:
    if option.compare == "labels":
        return _label_reasons(dict(want), have_raw or {}, observed)
    if option.compare == "mounts" and have_raw:
        # anonymous volumes kept from the container this one replaced are mounted by name
        # next to the map's mounts (dockerfab.plan.anonymous): not the map's to compare
        have_raw = [m for m in have_raw if not (
            isinstance(m, dict) and (m.get("Type") or "volume") == "volume"
            and _ANONYMOUS_VOLUME.match(str(m.get("Source") or "")))]
    have = option.normalise(have_raw)
    if have is None and option.may_drop:
        return None  # this daemon does not keep it: the hash label covers it
    if option.compare == "fields" and have is not None:
        fields = {name for name, _ in want}
        if observed.current:
            fields |= set((observed.explicit.get("fields") or {}).get(option.name) or ())
        have = tuple(f for f in have if f[0] in fields) or None
    elif option.compare == "security" and have is not None:
        have = tuple(v for v in have if v in want or v not in N.DAEMON_SECURITY_OPTIONS) \
            or None
    if want == have:
        return None
    return f"{option.name} {show(have)} -> {show(want)}"


def _label_reasons(want: dict[str, Any], have: dict[str, Any], observed: Observed
                   ) -> str | None:
    changes = []
    for key in sorted(want):
        if key in OWN_LABELS:
            continue
        if have.get(key) != str(want[key]):
            changes.append(f"{key} {show(have.get(key))} -> {show(str(want[key]))}")
    if observed.current:
        for key in sorted(set(observed.explicit.get("labels") or ()) - set(want)):
            if key in have:
                changes.append(f"{key} {show(have[key])} -> (unset)")
    return "label " + "; label ".join(changes) if changes else None


def _removed(options: dict[tuple[str, str], Any], observed: Observed
             ) -> list[tuple[str, bool]]:
    """Options dockerfab set on the container that the map no longer sets: (reason, whether
    the hash label covers the option too)."""
    reasons = []
    now = set(explicit_options(options))
    for entry in sorted(set(observed.explicit.get("options") or ()) - now):
        section, name = (HOST, entry[5:]) if entry.startswith("host:") else (CONFIG, entry)
        option = BY_NAME[section].get(name)
        if option is None or not option.read_back or option.compare == "labels":
            continue
        have_all = observed.host if section == HOST else observed.config
        have = option.normalise(have_all.get(option.inspect_key))
        if have is not None:
            reasons.append((f"{option.name} {show(have)} -> (unset)", option.hashed))
    return reasons
