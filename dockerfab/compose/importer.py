"""A Compose file's data -> container map data (pure; files are read by the caller through
``read_text``). The result loads with :func:`dockerfab.yaml.load_map` once dumped
(:mod:`dockerfab.compose.dump`) and deploys the containers ``docker compose up`` makes:

* services -> container configurations (under ``containers:``, so that any service name
  is safe), ``set_hostname: false`` (Compose leaves the hostname to Docker);
* services without ``networks`` join the map network ``default``, as Compose's
  ``<project>_default``; every endpoint has the service name as alias;
* named volumes -> attached volumes of the first service mounting them, ``uses`` in the
  others; host paths -> direct binds (relative ones taken from the file's directory);
* everything without an equivalent is left out with one warning naming it.

docs/compose.rst has the whole table.
"""
from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from dockerfab.compose.interpolate import interpolate, parse_env_file
from dockerfab.errors import MapError
from dockerfab.map.config.container import NAME_RE


class EnvRef(NamedTuple):
    """A value Compose takes from the shell (``environment: [NAME]``): ``!env NAME``."""
    name: str


@dataclass
class ImportResult:
    """Container map data (plain YAML values, :class:`EnvRef` for ``!env``) and the
    warnings of the conversion, one per Compose feature left out or changed."""
    map: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


#: service keys passed to ``create_options`` under the same name
CREATE_KEYS = ("hostname", "domainname", "tty", "stdin_open", "working_dir", "mac_address")
#: service key -> host config keyword (``docker.APIClient.create_host_config``)
HOST_KEYS = {
    "privileged": "privileged", "read_only": "read_only", "init": "init",
    "cap_add": "cap_add", "cap_drop": "cap_drop", "dns_search": "dns_search",
    "security_opt": "security_opt", "devices": "devices", "group_add": "group_add",
    "sysctls": "sysctls", "shm_size": "shm_size", "mem_limit": "mem_limit",
    "memswap_limit": "memswap_limit", "mem_reservation": "mem_reservation",
    "cpu_shares": "cpu_shares", "cpuset": "cpuset_cpus", "pids_limit": "pids_limit",
    "oom_score_adj": "oom_score_adj", "ipc": "ipc_mode", "pid": "pid_mode",
    "userns_mode": "userns_mode", "cgroup_parent": "cgroup_parent",
}
#: service keys without an equivalent, and what to do instead
UNSUPPORTED = {
    "build": "build the image first (dockerfab.DockerFile / docker build) and name it in image",
    "container_name": "containers are named <map>.<service>",
    "profiles": "every service is part of the map; select with names or groups",
    "configs": "no swarm configs: bind a file instead",
    "secrets": "no swarm secrets: bind a file instead",
    "extends": "merge the other file first, or use the map's own extends",
    "links": None,  # handled
    "external_links": "link only to containers of the map",
    "volumes_from": None,  # handled
    "credential_spec": "not supported",
    "isolation": "not supported",
    "platform": "pull the platform's image by name",
    "pull_policy": "use pull-images / update --pull-before-update",
    "scale": None,  # handled
    "deploy": None,  # handled in part
}
_KNOWN = {"image", "command", "entrypoint", "environment", "env_file", "ports", "expose",
          "volumes", "tmpfs", "networks", "network_mode", "depends_on", "healthcheck",
          "restart", "labels", "user", "dns", "extra_hosts", "ulimits", "logging", "cpus",
          "stop_signal", "stop_grace_period", *CREATE_KEYS, *HOST_KEYS, *UNSUPPORTED}


def compose_to_map(compose: Mapping[str, Any], name: str, base_dir: str = ".",
                   read_text: Callable[[str], str] | None = None,
                   environ: Mapping[str, str] | None = None) -> ImportResult:
    """Convert parsed Compose data. ``name``: the map's name (Compose's project name);
    ``base_dir``: the Compose file's directory (relative paths and ``env_file``);
    ``read_text(path)``: reads an ``env_file``; ``environ``: the variables for
    ``${VAR}`` substitution (the shell's plus ``.env``); None skips substitution."""
    result = ImportResult({"name": name})
    warn = result.warnings.append
    if not NAME_RE.fullmatch(name):
        raise MapError(f"invalid map name {name!r}: letters, digits, '_' and '-' (pass "
                       f"--name)")
    if not isinstance(compose, Mapping) or not isinstance(compose.get("services"), Mapping):
        raise MapError("not a Compose file: it has no 'services' mapping", ("services",))
    if environ is not None:
        compose = interpolate(dict(compose), environ, warn)
    converter = _Converter(compose, base_dir, read_text, environ or {}, warn)
    containers: dict[str, Any] = {}
    for service, spec in compose["services"].items():
        containers[converter.config_name(service)] = converter.service(service, spec or {})
    result.map.update(converter.map_level())
    result.map["containers"] = containers
    for key in compose:
        if key not in ("version", "services", "volumes", "networks", "name") \
                and not str(key).startswith("x-"):
            warn(f"top-level {key!r}: not supported; left out")
    return result


class _Converter:
    def __init__(self, compose: Mapping[str, Any], base_dir: str,
                 read_text: Callable[[str], str] | None, environ: Mapping[str, str],
                 warn: Callable[[str], None]) -> None:
        self.compose = compose
        self.base_dir = base_dir
        self.read_text = read_text
        self.environ = environ
        self.warn = warn
        self.volumes: dict[str, Any] = dict(compose.get("volumes") or {})
        self.networks: dict[str, Any] = dict(compose.get("networks") or {})
        self.volume_owner: dict[str, str] = {}   # named volume -> first service mounting it
        self.used_networks: list[str] = []
        self.names = {s: self._safe_name(s) for s in compose["services"]}
        self.order = _start_order(compose["services"])

    # ----- names -----------------------------------------------------------------------
    def _safe_name(self, service: str) -> str:
        safe = re.sub(r"[^A-Za-z0-9_-]", "_", str(service))
        if not NAME_RE.fullmatch(safe):
            safe = "s_" + safe
        if safe != service:
            self.warn(f"service {service!r}: named {safe!r} in the map (no dots there)")
        return safe

    def config_name(self, service: str) -> str:
        return self.names[service]

    def ref(self, service: str, where: str) -> str | None:
        if service not in self.names:
            self.warn(f"{where}: {service!r} is not a service of the file; left out")
            return None
        return self.names[service]

    # ----- one service -----------------------------------------------------------------
    def service(self, service: str, spec: Mapping[str, Any]) -> dict[str, Any]:
        where = f"service {service!r}"
        config: dict[str, Any] = {}
        create: dict[str, Any] = {}
        host: dict[str, Any] = {}
        for key in spec:
            if key not in _KNOWN and not str(key).startswith("x-"):
                self.warn(f"{where}: {key!r} is not supported; left out")
            elif UNSUPPORTED.get(key):
                self.warn(f"{where}: {key!r} has no equivalent ({UNSUPPORTED[key]}); left out")
        if "image" in spec:
            config["image"] = str(spec["image"])
        else:
            self.warn(f"{where}: no image; the map uses the image named {service!r}")
            config["image"] = str(service)
        for key in ("command", "entrypoint"):
            if spec.get(key) is not None:
                create[key] = spec[key]
        env = self.environment(spec, where)
        if env:
            create["environment"] = env
        labels = _key_values(spec.get("labels"), where, "labels")
        if labels:
            create["labels"] = {k: "" if v is None else str(v) for k, v in labels.items()}
        for key in CREATE_KEYS:
            if key in spec:
                create[key] = spec[key]
        if "user" in spec:
            config["user"] = str(spec["user"])
        for key, target in HOST_KEYS.items():
            if key in spec:
                host[target] = spec[key]
        self.host_extras(spec, host, where)
        self.deploy(spec, config, host, where)
        exposes = self.ports(spec, where)
        if exposes:
            config["exposes"] = exposes
        self.mounts(service, spec, config, host, where)
        self.network_settings(service, spec, config, where)
        depends = self.depends_on(spec, where)
        if depends:
            config["depends_on"] = depends
        links = self.links(spec, where)
        if links:
            config["links"] = links
        if "healthcheck" in spec:
            config["healthcheck"] = self.healthcheck(spec["healthcheck"], where)
        restart = _restart_policy(spec.get("restart"), where, self.warn)
        if restart:
            host["restart_policy"] = restart
        if "stop_signal" in spec:
            config["stop_signal"] = str(spec["stop_signal"])
        if "stop_grace_period" in spec:
            config["stop_timeout"] = _seconds(spec["stop_grace_period"], where)
        if create:
            config["create_options"] = create
        if host:
            config["host_config"] = host
        return config

    def environment(self, spec: Mapping[str, Any], where: str) -> dict[str, Any]:
        env: dict[str, Any] = {}
        files = spec.get("env_file") or []
        for item in [files] if isinstance(files, (str, dict)) else files:
            path = item.get("path") if isinstance(item, dict) else item
            if self.read_text is None:
                self.warn(f"{where}: env_file {path!r} not read; left out")
                continue
            full = self.path(str(path))
            try:
                text = self.read_text(full)
            except OSError as exc:
                if isinstance(item, dict) and item.get("required") is False:
                    continue
                raise MapError(f"{where}: cannot read env_file {full}: "
                               f"{exc.strerror or exc}") from exc
            env.update(parse_env_file(text))
        for key, value in _key_values(spec.get("environment"), where, "environment").items():
            if value is None:
                if key in self.environ:
                    env[key] = self.environ[key]
                else:
                    self.warn(f"{where}: environment {key} takes its value from the shell; "
                              f"written as !env {key} (set it when the map is loaded)")
                    env[key] = EnvRef(key)
            else:
                env[key] = _env_text(value)
        return env

    def host_extras(self, spec: Mapping[str, Any], host: dict[str, Any], where: str) -> None:
        if "cpus" in spec:
            host["nano_cpus"] = round(float(spec["cpus"]) * 1e9)
        if "dns" in spec:
            host["dns"] = [spec["dns"]] if isinstance(spec["dns"], str) else list(spec["dns"])
        if "extra_hosts" in spec:
            hosts = spec["extra_hosts"]
            if isinstance(hosts, Mapping):
                host["extra_hosts"] = {str(k): str(v) for k, v in hosts.items()}
            else:
                host["extra_hosts"] = dict(str(h).split(":", 1) for h in hosts)
        if "tmpfs" in spec:
            paths = [spec["tmpfs"]] if isinstance(spec["tmpfs"], str) else spec["tmpfs"]
            host.setdefault("tmpfs", {}).update({str(p): "" for p in paths})
        if "ulimits" in spec:
            limits = []
            for limit, value in spec["ulimits"].items():
                if isinstance(value, Mapping):
                    limits.append({"Name": limit, "Soft": int(value["soft"]),
                                   "Hard": int(value["hard"])})
                else:
                    limits.append({"Name": limit, "Soft": int(value), "Hard": int(value)})
            host["ulimits"] = limits
        if "logging" in spec:
            logging = spec["logging"] or {}
            host["log_config"] = {"type": logging.get("driver", "json-file"),
                                  "config": dict(logging.get("options") or {})}

    def deploy(self, spec: Mapping[str, Any], config: dict[str, Any], host: dict[str, Any],
               where: str) -> None:
        deploy = spec.get("deploy") or {}
        replicas = deploy.get("replicas", spec.get("scale"))
        if replicas is not None and int(replicas) != 1:
            config["instances"] = [str(i) for i in range(1, int(replicas) + 1)]
            self.warn(f"{where}: {replicas} replicas become instances "
                      f"{', '.join(config['instances'])} (<map>.<service>.<n>)")
        resources = deploy.get("resources") or {}
        limits = resources.get("limits") or {}
        if "memory" in limits:
            host.setdefault("mem_limit", limits["memory"])
        if "cpus" in limits:
            host.setdefault("nano_cpus", round(float(limits["cpus"]) * 1e9))
        if "pids" in limits:
            host.setdefault("pids_limit", int(limits["pids"]))
        reservations = resources.get("reservations") or {}
        if "memory" in reservations:
            host.setdefault("mem_reservation", reservations["memory"])
        for key in deploy:
            if key not in ("replicas", "resources"):
                self.warn(f"{where}: deploy.{key} (swarm only) has no equivalent; left out")
        for key in list(limits) + list(reservations):
            if key not in ("memory", "cpus", "pids"):
                self.warn(f"{where}: deploy.resources {key} has no equivalent; left out")

    # ----- ports -----------------------------------------------------------------------
    def ports(self, spec: Mapping[str, Any], where: str) -> list[Any]:
        exposes: list[Any] = []
        for item in spec.get("ports") or ():
            for entry in _port_entries(item, where):
                target, published, host_ip = entry
                if published is None:
                    self.warn(f"{where}: port {target} is published on a random host port "
                              f"by Compose; the map only exposes it (give a host port)")
                    exposes.append(target)
                elif host_ip in (None, "", "0.0.0.0"):
                    exposes.append([target, published])
                else:
                    alias = "ip_" + re.sub(r"[^A-Za-z0-9]", "_", host_ip)
                    ipv6 = ":" in host_ip
                    self.warn(f"{where}: port {published} on address {host_ip} needs the "
                              f"client interface {alias}: {host_ip} (interfaces"
                              f"{'_ipv6' if ipv6 else ''} in the clients file)")
                    exposes.append([target, published, alias] + ([True] if ipv6 else []))
        for port in spec.get("expose") or ():
            exposes.append(_port_spec(str(port)))
        return exposes

    # ----- volumes ---------------------------------------------------------------------
    def path(self, path: str) -> str:
        if path.startswith("~"):
            home = self.environ.get("HOME")
            if home is None:
                raise MapError(f"cannot expand {path!r}: HOME is not set")
            path = home + path[1:]
        return posixpath.normpath(posixpath.join(self.base_dir, path))

    def mounts(self, service: str, spec: Mapping[str, Any], config: dict[str, Any],
               host: dict[str, Any], where: str) -> None:
        binds: list[Any] = []
        attaches: list[Any] = []
        uses: list[Any] = []
        shares: list[str] = []
        for item in spec.get("volumes") or ():
            kind, source, target, readonly = self.volume_entry(item, where)
            if kind == "bind":
                binds.append({target: [self.path(source), "ro" if readonly else "rw"]})
            elif kind == "tmpfs":
                host.setdefault("tmpfs", {})[target] = ""
            elif kind == "anonymous":
                shares.append(target)
            elif self.named_volume(source, where):
                owner = self.volume_owner.setdefault(source, self.owner(source))
                if owner == self.names[service] and not any(
                        source in a for a in attaches):
                    attaches.append({source: target})
                    if readonly:
                        self.warn(f"{where}: the owner mounts its volume {source!r} "
                                  f"read-write in the map")
                else:
                    uses.append([source, target, readonly])
        for item in spec.get("volumes_from") or ():
            ref, _, mode = str(item).partition(":")
            if ref.startswith("container:"):
                self.warn(f"{where}: volumes_from {item!r} names a container outside the "
                          f"file; left out")
                continue
            name = self.ref(ref, f"{where}: volumes_from")
            if name:
                uses.append({name: "ro" if mode == "ro" else "rw"})
        if binds:
            config["binds"] = binds
        if attaches:
            config["attaches"] = attaches
        if uses:
            config["uses"] = uses
        if shares:
            config["shares"] = shares
        if attaches and config.get("user") is not None:
            self.warn(f"{where}: the map chowns its attached volumes to user "
                      f"{config['user']!r}; Compose leaves their owner as the image has it")

    def owner(self, volume: str) -> str:
        """The service that attaches a named volume: of those mounting it, the first to be
        started (so that no other user is among its dependencies)."""
        users = [s for s in self.order if any(
            self.volume_entry(v, "")[1:2] == (volume,) and self.volume_entry(v, "")[0] ==
            "volume" for v in (self.compose["services"][s] or {}).get("volumes") or ())]
        return self.names[users[0]]

    def volume_entry(self, item: Any, where: str) -> tuple[str, str, str, bool]:
        """(kind, source, target, read-only): kind bind, volume, tmpfs or anonymous."""
        if isinstance(item, Mapping):
            kind = str(item.get("type", "volume"))
            source, target = str(item.get("source") or ""), str(item["target"])
            readonly = bool(item.get("read_only", False))
            for extra in set(item) - {"type", "source", "target", "read_only", "tmpfs"}:
                self.warn(f"{where}: volume option {extra!r} for {target} has no "
                          f"equivalent; left out")
            if kind == "volume" and not source:
                kind = "anonymous"
            if kind not in ("bind", "volume", "tmpfs", "anonymous"):
                raise MapError(f"{where}: volume type {kind!r} is not supported")
            return kind, source, target, readonly
        parts = str(item).split(":")
        if len(parts) == 1:
            return "anonymous", "", parts[0], False
        source, target = parts[0], parts[1]
        modes = set(parts[2].split(",")) if len(parts) > 2 else set()
        for mode in modes - {"ro", "rw"}:
            self.warn(f"{where}: volume mode {mode!r} of {target} has no equivalent; "
                      f"left out")
        kind = "bind" if source.startswith((".", "/", "~")) else "volume"
        return kind, source, target, "ro" in modes

    def named_volume(self, source: str, where: str) -> bool:
        spec = self.volumes.get(source, {}) if source in self.volumes else None
        if spec is None:
            raise MapError(f"{where}: volume {source!r} is not declared in the top-level "
                           f"volumes", ("volumes", source))
        spec = spec or {}
        if spec.get("external"):
            self.warn(f"{where}: external volume {source!r} is not managed by the map; "
                      f"left out")
            return False
        if not NAME_RE.fullmatch(source):
            raise MapError(f"{where}: volume name {source!r} cannot be a map alias")
        return True

    # ----- networks --------------------------------------------------------------------
    def network_settings(self, service: str, spec: Mapping[str, Any], config: dict[str, Any],
                         where: str) -> None:
        mode = spec.get("network_mode")
        if mode is not None:
            mode = str(mode)
            if mode.startswith("service:"):
                ref = self.ref(mode[8:], f"{where}: network_mode")
                if ref:
                    config["network_mode"] = ref
            elif mode.startswith("container:") or mode in ("host", "none", "bridge"):
                config["network_mode"] = mode
            else:
                self.warn(f"{where}: network_mode {mode!r} has no equivalent; left out")
            if "networks" in spec:
                self.warn(f"{where}: networks are ignored with network_mode")
            return
        wanted = spec.get("networks")
        if wanted is None:
            wanted = {"default": None}
        elif not isinstance(wanted, Mapping):
            wanted = dict.fromkeys(wanted)
        endpoints: list[Any] = []
        # Compose connects in this order (the first becomes the network mode): highest
        # priority first, then by name
        wanted = dict(sorted(wanted.items(), key=lambda item: (
            -int((item[1] or {}).get("priority", 0)), str(item[0]))))
        for network, options in wanted.items():
            if network != "default" and network not in self.networks:
                raise MapError(f"{where}: network {network!r} is not declared in the "
                               f"top-level networks", ("networks", network))
            if (self.networks.get(network) or {}).get("external"):
                self.warn(f"{where}: external network {network!r} is not managed by the "
                          f"map; left out")
                continue
            if network not in self.used_networks:
                self.used_networks.append(network)
            options = dict(options or {})
            options.pop("priority", None)
            aliases = [self.names[service]] + [str(a) for a in options.pop("aliases", ())]
            endpoint: dict[str, Any] = {"aliases": list(dict.fromkeys(aliases))}
            for key in ("ipv4_address", "ipv6_address"):
                if key in options:
                    endpoint[key] = str(options.pop(key))
            if "link_local_ips" in options:
                endpoint["link_local_ips"] = list(options.pop("link_local_ips"))
            for key in options:
                self.warn(f"{where}: network option {key!r} has no equivalent; left out")
            endpoints.append([self.network_name(network), endpoint])
        config["networks"] = endpoints

    def network_name(self, network: str) -> str:
        safe = re.sub(r"[^A-Za-z0-9_-]", "_", network)
        return safe if NAME_RE.fullmatch(safe) else "n_" + safe

    def depends_on(self, spec: Mapping[str, Any], where: str) -> list[str]:
        depends = spec.get("depends_on") or []
        result = []
        if isinstance(depends, Mapping):
            for service, condition in depends.items():
                cond = (condition or {}).get("condition", "service_started")
                if cond != "service_started":
                    self.warn(f"{where}: depends_on {service} waits for {cond} in Compose; "
                              f"the map only orders the start")
            depends = list(depends)
        for service in depends:
            name = self.ref(str(service), f"{where}: depends_on")
            if name:
                result.append(name)
        return result

    def links(self, spec: Mapping[str, Any], where: str) -> list[Any]:
        links = []
        for item in spec.get("links") or ():
            service, _, alias = str(item).partition(":")
            name = self.ref(service, f"{where}: links")
            if name:
                links.append([name, alias or service])
        return links

    def healthcheck(self, check: Mapping[str, Any], where: str) -> dict[str, Any]:
        if check.get("disable"):
            return {"test": ["NONE"]}
        result: dict[str, Any] = {}
        if "test" in check:
            test = check["test"]
            result["test"] = test if isinstance(test, str) else [str(t) for t in test]
        for key in ("interval", "timeout", "start_period"):
            if key in check:
                result[key] = _seconds(check[key], where)
        if "retries" in check:
            result["retries"] = int(check["retries"])
        for key in set(check) - {"test", "interval", "timeout", "start_period", "retries",
                                 "disable"}:
            self.warn(f"{where}: healthcheck {key!r} has no equivalent; left out")
        return result

    # ----- map level -------------------------------------------------------------------
    def map_level(self) -> dict[str, Any]:
        result: dict[str, Any] = {"set_hostname": False}
        networks: dict[str, Any] = {}
        for network in self.used_networks:
            networks[self.network_name(network)] = self.network(network)
        if networks:
            result["networks"] = networks
        volumes: dict[str, Any] = {}
        for volume in self.volume_owner:
            spec = self.volumes.get(volume) or {}
            settings: dict[str, Any] = {}
            if spec.get("driver"):
                settings["driver"] = spec["driver"]
            if spec.get("driver_opts"):
                settings["driver_options"] = dict(spec["driver_opts"])
            if spec.get("labels"):
                settings["create_options"] = {"labels": _key_values(
                    spec["labels"], f"volume {volume!r}", "labels")}
            for key in set(spec) - {"driver", "driver_opts", "labels", "external", "name"}:
                self.warn(f"volume {volume!r}: {key!r} has no equivalent; left out")
            if spec.get("name"):
                self.warn(f"volume {volume!r}: named {spec['name']!r} in Compose; the map "
                          f"names it <map>.{volume}")
            if settings:
                volumes[volume] = settings
        if volumes:
            result["volumes"] = volumes
        for volume in self.volumes:
            if volume not in self.volume_owner and not (self.volumes[volume] or {}).get(
                    "external"):
                self.warn(f"volume {volume!r} is declared but no service mounts it; left out")
        return result

    def network(self, network: str) -> dict[str, Any]:
        spec = dict(self.networks.get(network) or {})
        where = f"network {network!r}"
        result: dict[str, Any] = {}
        if spec.get("driver"):
            result["driver"] = spec["driver"]
        if spec.get("driver_opts"):
            result["driver_options"] = dict(spec["driver_opts"])
        if spec.get("internal"):
            result["internal"] = True
        create: dict[str, Any] = {}
        if spec.get("labels"):
            create["labels"] = _key_values(spec["labels"], where, "labels")
        for key in ("attachable", "enable_ipv6"):
            if key in spec:
                create[key] = bool(spec[key])
        if "ipam" in spec:
            ipam = spec["ipam"] or {}
            create["ipam"] = {"Driver": ipam.get("driver", "default"),
                              "Config": [{_IPAM_KEYS.get(k, k): v for k, v in c.items()}
                                         for c in ipam.get("config") or ()]}
        if create:
            result["create_options"] = create
        for key in set(spec) - {"driver", "driver_opts", "internal", "labels", "attachable",
                                "enable_ipv6", "ipam", "name"}:
            self.warn(f"{where}: {key!r} has no equivalent; left out")
        if spec.get("name"):
            self.warn(f"{where}: named {spec['name']!r} in Compose; the map names it "
                      f"<map>.{network}")
        return result


def _start_order(services: Mapping[str, Any]) -> list[str]:
    """Services in an order Compose could start them (dependencies first; file order
    otherwise): depends_on, links, volumes_from and network_mode service:."""
    deps: dict[str, set[str]] = {}
    for name, spec in services.items():
        spec = spec or {}
        wanted = set(spec.get("depends_on") or ())
        wanted |= {str(link).partition(":")[0] for link in spec.get("links") or ()}
        wanted |= {str(v).partition(":")[0] for v in spec.get("volumes_from") or ()}
        mode = str(spec.get("network_mode") or "")
        if mode.startswith("service:"):
            wanted.add(mode[8:])
        deps[name] = {d for d in wanted if d in services and d != name}
    order: list[str] = []
    while len(order) < len(deps):
        ready = [n for n in deps if n not in order and deps[n] <= set(order)]
        if not ready:  # a cycle: the map's own check reports it
            ready = [n for n in deps if n not in order][:1]
        order.append(ready[0])
    return order


_IPAM_KEYS = {"subnet": "Subnet", "ip_range": "IPRange", "gateway": "Gateway",
              "aux_addresses": "AuxiliaryAddresses"}


def _key_values(value: Any, where: str, what: str) -> dict[str, Any]:
    """A Compose mapping given as a dict or as a list of ``KEY=value`` / ``KEY``."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        result: dict[str, Any] = {}
        for item in value:
            key, sep, val = str(item).partition("=")
            result[key] = val if sep else None
        return result
    raise MapError(f"{where}: {what} must be a mapping or a list, not {value!r}")


def _env_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _seconds(value: Any, where: str) -> float | int:
    from dockerfab.map.input import parse_duration

    try:
        seconds = parse_duration(value)
    except MapError as exc:
        raise MapError(f"{where}: {exc.message}") from None
    assert seconds is not None
    return int(seconds) if float(seconds).is_integer() else seconds


def _restart_policy(value: Any, where: str, warn: Callable[[str], None]
                    ) -> dict[str, Any] | None:
    if value is None or str(value) in ("no", "False", "false"):
        return None
    name, _, count = str(value).partition(":")
    if name not in ("always", "unless-stopped", "on-failure"):
        warn(f"{where}: restart {value!r} is not a restart policy; left out")
        return None
    policy: dict[str, Any] = {"Name": name}
    if name == "on-failure" and count:
        policy["MaximumRetryCount"] = int(count)
    return policy


def _port_spec(text: str) -> Any:
    """``'80'`` -> 80, ``'53/udp'`` stays a string."""
    return int(text) if text.isdigit() else text


def _port_entries(item: Any, where: str) -> list[tuple[Any, int | None, str | None]]:
    """(target, published, host_ip) for each port of a ``ports`` item."""
    if isinstance(item, Mapping):
        proto = str(item.get("protocol", "tcp"))
        target = str(item["target"]) + ("" if proto == "tcp" else f"/{proto}")
        published = item.get("published")
        return [(_port_spec(target), None if published in (None, "") else int(published),
                 item.get("host_ip"))]
    text = str(item)
    text, _, proto = text.partition("/")
    host_ip = None
    if text.startswith("["):  # [::1]:8080:80
        end = text.index("]")
        host_ip, text = text[1:end], text[end + 2:]
    parts = text.rsplit(":", 2) if text.count(":") >= 2 else text.split(":")
    if len(parts) == 3:
        host_ip, published_text, target_text = parts
    elif len(parts) == 2:
        published_text, target_text = parts
    else:
        published_text, target_text = "", parts[0]
    targets = _port_range(target_text, where)
    published = _port_range(published_text, where) if published_text else [None] * len(targets)
    if len(published) != len(targets):
        raise MapError(f"{where}: port range {item!r}: host and container ranges differ in "
                       f"length")
    suffix = "" if proto in ("", "tcp") else f"/{proto}"
    return [(_port_spec(f"{t}{suffix}"), p, host_ip) for t, p in zip(targets, published)]


def _port_range(text: str, where: str) -> list[Any]:
    first, sep, last = text.partition("-")
    try:
        if sep:
            return list(range(int(first), int(last) + 1))
        return [int(text)]
    except ValueError:
        raise MapError(f"{where}: invalid port {text!r}") from None


def split_command(value: Any) -> list[str]:
    """A command as Docker runs it: a list as it is, a string split like a shell line."""
    return shlex.split(value) if isinstance(value, str) else [str(v) for v in value]
