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

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from dockerfab.compose.fields import (
    env_text,
    key_values,
    port_entries,
    port_spec,
    restart_policy,
    seconds,
    start_order,
)
from dockerfab.compose.interpolate import interpolate, parse_env_file
from dockerfab.compose.resources import ResourcesMixin
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


class _Converter(ResourcesMixin):
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
        self.order = start_order(compose["services"])

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
        labels = key_values(spec.get("labels"), where, "labels")
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
        restart = restart_policy(spec.get("restart"), where, self.warn)
        if restart:
            host["restart_policy"] = restart
        if "stop_signal" in spec:
            config["stop_signal"] = str(spec["stop_signal"])
        if "stop_grace_period" in spec:
            config["stop_timeout"] = seconds(spec["stop_grace_period"], where)
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
        for key, value in key_values(spec.get("environment"), where, "environment").items():
            if value is None:
                if key in self.environ:
                    env[key] = self.environ[key]
                else:
                    self.warn(f"{where}: environment {key} takes its value from the shell; "
                              f"written as !env {key} (set it when the map is loaded)")
                    env[key] = EnvRef(key)
            else:
                env[key] = env_text(value)
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
            for entry in port_entries(item, where):
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
            exposes.append(port_spec(str(port)))
        return exposes

    # ----- dependencies and health -----------------------------------------------------
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
                result[key] = seconds(check[key], where)
        if "retries" in check:
            result["retries"] = int(check["retries"])
        for key in set(check) - {"test", "interval", "timeout", "start_period", "retries",
                                 "disable"}:
            self.warn(f"{where}: healthcheck {key!r} has no equivalent; left out")
        return result
