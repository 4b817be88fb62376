"""A container map -> Compose file data (pure), valid for ``docker compose`` and for
``docker stack deploy`` (file format 3.8).

The conversion starts from the desired state dockerfab itself deploys
(:class:`dockerfab.plan.desired.DesiredStateBuilder`), so every option of the map that
reaches Docker is considered: what Compose can say is written, the rest is one warning
each. Containers, attached volumes and networks keep their Docker names
(``container_name``, ``name:``), so ``docker compose up`` finds the volumes, with their
data, that dockerfab created. Each container instance is one service: ``<config>``, or
``<config>-<instance>`` for configurations with instances.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dockerfab.map.deps import container_graph
from dockerfab.map.naming import container_name
from dockerfab.map.select import expand_selection
from dockerfab.plan.desired import ClientInfo, DesiredContainer, DesiredStateBuilder

COMPOSE_VERSION = "3.8"
#: host config keyword -> Compose service key, where the value is written as it is
HOST_KEYS = {"privileged": "privileged", "read_only": "read_only", "init": "init",
             "cap_add": "cap_add", "cap_drop": "cap_drop", "dns": "dns",
             "dns_search": "dns_search", "security_opt": "security_opt",
             "devices": "devices", "sysctls": "sysctls", "shm_size": "shm_size",
             "ipc_mode": "ipc", "pid_mode": "pid", "userns_mode": "userns_mode",
             "cgroup_parent": "cgroup_parent"}
#: create_container keyword -> Compose service key
CREATE_KEYS = {"command": "command", "entrypoint": "entrypoint", "user": "user",
               "working_dir": "working_dir", "hostname": "hostname",
               "domainname": "domainname", "tty": "tty", "stdin_open": "stdin_open",
               "mac_address": "mac_address", "stop_signal": "stop_signal"}
_HANDLED_CREATE = {"image", "name", "detach", "environment", "labels", "ports", "volumes",
                   "healthcheck", "stop_timeout", *CREATE_KEYS}
_HANDLED_HOST = {"binds", "port_bindings", "links", "volumes_from", "network_mode",
                 "restart_policy", "mem_limit", "mem_reservation", "nano_cpus", "tmpfs",
                 "extra_hosts", "ulimits", "log_config", *HOST_KEYS}
#: dockerfab's own labels (what created an item) are not written
OWN_LABELS = "dockerfab."
_RESTART_CONDITION = {"always": "any", "on-failure": "on-failure"}


@dataclass
class ExportResult:
    """Compose file data and the warnings of the conversion."""
    compose: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


def map_to_compose(container_map: Any, names: Iterable[str] | str | None = None,
                   client: ClientInfo | None = None) -> ExportResult:
    """The Compose file for the selected configurations of ``container_map`` (and what they
    depend on); ``names`` as the tasks take them (default ``__all__``). ``client`` gives
    interface addresses (and the domain name); an interface it does not define is
    published on all addresses, with a warning."""
    extended = container_map.get_extended_map()
    result = ExportResult({"version": COMPOSE_VERSION, "services": {}})
    warn = result.warnings.append
    maps = {extended.name: extended}
    selection = list(names) if names is not None and not isinstance(names, str) else names
    ids = expand_selection(maps, selection or "__all__", extended.name, None, extended.name)
    graph = container_graph(extended)
    wanted = graph.closure({container_name(i.map_name, i.config_name, i.instance_name)
                            for i in ids})
    order = [n for level in graph.levels(wanted) for n in level]
    client = _with_all_interfaces(extended, client or ClientInfo("__default__"), warn)
    builder = DesiredStateBuilder(extended, client)
    desired = {}
    for name in order:
        config, instance = _split(extended.name, name, graph.nodes.get(name))
        desired[name] = builder.container(config, instance)
    services = {name: _service_name(d) for name, d in desired.items()}
    volume_keys = {v: _short(extended.name, v) for v in builder.volumes}
    network_keys = {n: _short(extended.name, n) for n in builder.networks}
    for name, d in desired.items():
        result.compose["services"][services[name]] = _service(
            d, services, volume_keys, network_keys, warn)
    if builder.volumes:
        result.compose["volumes"] = {
            volume_keys[v.name]: _volume(v) for v in builder.volumes.values()}
    if builder.networks:
        result.compose["networks"] = {
            network_keys[n.name]: _network(n) for n in builder.networks.values()}
    for name, d in desired.items():
        if d.exec_commands:
            warn(f"{services[name]}: exec_commands have no Compose equivalent (run them "
                 f"with docker compose exec); left out")
    return result


def _split(map_name: str, name: str, cid: Any) -> tuple[str, str | None]:
    if cid is not None:
        return cid.config_name, cid.instance_name
    parts = name[len(map_name) + 1:].split(".", 1)
    return parts[0], parts[1] if len(parts) > 1 else None


def _short(map_name: str, docker_name: str) -> str:
    """``<map>.<alias>`` -> ``alias`` (``<map>.<parent>.<alias>`` -> ``parent_alias``)."""
    return docker_name[len(map_name) + 1:].replace(".", "_")


def _service_name(d: DesiredContainer) -> str:
    cid = d.config_id
    return cid.config_name if cid.instance_name is None else \
        f"{cid.config_name}-{cid.instance_name}"


def _with_all_interfaces(extended: Any, client: ClientInfo, warn: Any) -> ClientInfo:
    """``client`` with every interface alias the map publishes on; missing ones mean all
    addresses (``''``)."""
    import dataclasses

    tables = {False: dict(client.interfaces), True: dict(client.interfaces_ipv6)}
    for config_name, config in extended.containers:
        for binding in config.exposes:
            table = tables[bool(binding.ipv6)]
            if binding.interface and binding.interface not in table:
                table[binding.interface] = ""
                warn(f"{config_name}: interface {binding.interface!r} is not defined for "
                     f"the client; its ports are published on all addresses")
    return dataclasses.replace(client, interfaces=tables[False], interfaces_ipv6=tables[True])


def _service(d: DesiredContainer, services: Mapping[str, str], volume_keys: Mapping[str, str],
             network_keys: Mapping[str, str], warn: Any) -> dict[str, Any]:
    where = _service_name(d)
    create, host = d.create_kwargs, d.host_config
    service: dict[str, Any] = {"image": d.image, "container_name": d.name}
    for key, target in CREATE_KEYS.items():
        if create.get(key) is not None:
            service[target] = create[key]
    if create.get("environment"):
        service["environment"] = {str(k): str(v) for k, v in create["environment"].items()}
    labels = {k: str(v) for k, v in (create.get("labels") or {}).items()
              if not k.startswith(OWN_LABELS)}
    if labels:
        service["labels"] = labels
    if create.get("ports"):
        service["expose"] = [_port_text(p) for p in create["ports"]]
    ports = _ports(host.get("port_bindings") or {})
    if ports:
        service["ports"] = ports
    volumes = [str(v) for v in create.get("volumes") or ()]
    for bind in host.get("binds") or ():
        source, _, rest = str(bind).partition(":")
        volumes.append(f"{volume_keys.get(source, source)}:{rest}")
    if volumes:
        service["volumes"] = volumes
    if host.get("tmpfs"):
        tmpfs = host["tmpfs"]
        service["tmpfs"] = [f"{p}:{o}" if o else p for p, o in tmpfs.items()] \
            if isinstance(tmpfs, Mapping) else list(tmpfs)
    for ref in host.get("volumes_from") or ():
        warn(f"{where}: volumes_from {ref} has no equivalent in the Compose file format 3 "
             f"(use an attached volume); left out")
    links = [f"{services.get(c, c)}:{alias}" for c, alias in host.get("links") or ()]
    if links:
        service["links"] = links
    _networks(d, service, services, network_keys, warn)
    depends = [services[dep] for dep in d.depends_on if dep in services]
    if depends:
        service["depends_on"] = depends
    if create.get("healthcheck"):
        service["healthcheck"] = _healthcheck(create["healthcheck"])
    if create.get("stop_timeout") is not None:
        service["stop_grace_period"] = f"{int(create['stop_timeout'])}s"
    _restart(host.get("restart_policy"), service)
    _resources(host, service)
    for key, target in HOST_KEYS.items():
        if host.get(key) is not None:
            service[target] = host[key]
    if host.get("extra_hosts"):
        extra = host["extra_hosts"]
        service["extra_hosts"] = [f"{k}:{v}" for k, v in extra.items()] \
            if isinstance(extra, Mapping) else list(extra)
    if host.get("ulimits"):
        service["ulimits"] = {u["Name"]: {"soft": u["Soft"], "hard": u["Hard"]}
                              for u in host["ulimits"]}
    if host.get("log_config"):
        log = host["log_config"]
        service["logging"] = {"driver": log.get("type") or log.get("Type"),
                              "options": dict(log.get("config") or log.get("Config") or {})}
    for key in sorted(set(create) - _HANDLED_CREATE):
        warn(f"{where}: create option {key!r} has no Compose equivalent; left out")
    for key in sorted(set(host) - _HANDLED_HOST):
        warn(f"{where}: host config {key!r} has no Compose file format 3 equivalent; "
             f"left out")
    return service


def _networks(d: DesiredContainer, service: dict[str, Any], services: Mapping[str, str],
              network_keys: Mapping[str, str], warn: Any) -> None:
    mode = d.host_config.get("network_mode")
    user_networks = {n: e for n, e in d.networks.items() if n in network_keys}
    if mode and str(mode).startswith("container:"):
        target = str(mode)[10:]
        service["network_mode"] = f"service:{services[target]}" if target in services \
            else str(mode)
        return
    if not user_networks:
        service["network_mode"] = str(mode) if mode in ("host", "none") else "bridge"
        return
    if "bridge" in d.networks:
        warn(f"{_service_name(d)}: also on the default bridge, which Compose cannot add "
             f"to user networks; left out")
    networks: dict[str, Any] = {}
    for net, endpoint in user_networks.items():
        entry: dict[str, Any] = {}
        if endpoint.get("aliases"):
            entry["aliases"] = list(endpoint["aliases"])
        for key in ("ipv4_address", "ipv6_address"):
            if endpoint.get(key):
                entry[key] = endpoint[key]
        if endpoint.get("links"):
            warn(f"{_service_name(d)}: links on network {network_keys[net]} become "
                 f"service links")
            service.setdefault("links", []).extend(
                f"{services.get(c, c)}:{a}" for c, a in endpoint["links"])
        networks[network_keys[net]] = entry or None
    service["networks"] = networks


def _port_text(port: Any) -> str:
    if isinstance(port, tuple):
        return f"{port[0]}/{port[1]}"
    return str(port)


def _ports(bindings: Mapping[Any, Any]) -> list[str]:
    ports = []
    for key, value in bindings.items():
        target = str(key) if "/" in str(key) else f"{key}/tcp"
        number, proto = target.split("/", 1)
        for binding in value if isinstance(value, list) else [value]:
            if isinstance(binding, tuple):
                ip, published = binding[0], binding[1]
            else:
                ip, published = "", binding
            prefix = f"[{ip}]:" if ":" in ip else f"{ip}:" if ip else ""
            ports.append(f"{prefix}{published}:{number}" + ("" if proto == "tcp" else f"/{proto}"))
    return ports


def _duration(ns: Any) -> str:
    seconds = int(ns) / 1e9
    return f"{int(seconds)}s" if seconds.is_integer() else f"{int(int(ns) / 1e6)}ms"


def _healthcheck(check: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {"test": list(check["test"])}
    for key in ("interval", "timeout", "start_period"):
        if check.get(key) is not None:
            result[key] = _duration(check[key])
    if check.get("retries") is not None:
        result["retries"] = int(check["retries"])
    return result


def _restart(policy: Any, service: dict[str, Any]) -> None:
    if not policy or not policy.get("Name") or policy["Name"] == "no":
        return
    name = policy["Name"]
    count = policy.get("MaximumRetryCount")
    service["restart"] = f"{name}:{count}" if name == "on-failure" and count else name
    if name == "unless-stopped":  # swarm's default (any); Compose would read it as always
        return
    swarm: dict[str, Any] = {"condition": _RESTART_CONDITION.get(name, "any")}
    if count:
        swarm["max_attempts"] = int(count)
    service.setdefault("deploy", {})["restart_policy"] = swarm


def _resources(host: Mapping[str, Any], service: dict[str, Any]) -> None:
    limits: dict[str, Any] = {}
    if host.get("mem_limit") is not None:
        limits["memory"] = str(host["mem_limit"])
    if host.get("nano_cpus"):
        limits["cpus"] = f"{int(host['nano_cpus']) / 1e9:g}"
    reservations: dict[str, Any] = {}
    if host.get("mem_reservation") is not None:
        reservations["memory"] = str(host["mem_reservation"])
    resources: dict[str, Any] = {}
    if limits:
        resources["limits"] = limits
    if reservations:
        resources["reservations"] = reservations
    if resources:
        service.setdefault("deploy", {})["resources"] = resources


def _top_level(name: str, driver: str | None, default_driver: str, options: Any,
               labels: Any) -> dict[str, Any]:
    """A top-level volume or network: its Docker name, driver, options, labels."""
    result: dict[str, Any] = {"name": name}
    if driver and driver != default_driver:
        result["driver"] = driver
    if options:
        result["driver_opts"] = {str(k): str(v) for k, v in options.items()}
    own = {k: str(v) for k, v in (labels or {}).items() if not k.startswith(OWN_LABELS)}
    if own:
        result["labels"] = own
    return result


def _volume(volume: Any) -> dict[str, Any]:
    return _top_level(volume.name, volume.driver, "local", volume.driver_opts, volume.labels)


def _network(network: Any) -> dict[str, Any]:
    result = _top_level(network.name, network.driver, "bridge", network.options,
                        network.labels)
    if network.internal:
        result["internal"] = True
    return result
