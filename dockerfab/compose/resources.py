"""Volumes and networks of a Compose file -> binds, attached volumes, ``uses``, shares,
network endpoints and the map's ``volumes``/``networks`` (pure). A mixin of the importer's
converter (:mod:`dockerfab.compose.importer`), which holds the file and the warnings."""
from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping
from typing import Any

from dockerfab.compose.fields import IPAM_KEYS, key_values
from dockerfab.errors import MapError
from dockerfab.map.config.container import NAME_RE


class ResourcesMixin:
    """Mounts and networks; expects ``compose``, ``base_dir``, ``environ``, ``warn``,
    ``names``, ``order``, ``volumes``, ``networks``, ``volume_owner``, ``used_networks``
    and ``ref()`` from the converter."""

    compose: Mapping[str, Any]
    base_dir: str
    environ: Mapping[str, str]
    warn: Callable[[str], None]
    names: dict[str, str]
    order: list[str]
    volumes: dict[str, Any]
    networks: dict[str, Any]
    volume_owner: dict[str, str]
    used_networks: list[str]

    def ref(self, service: str, where: str) -> str | None:
        raise NotImplementedError

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
                           f"volumes")
        spec = spec or {}
        if spec.get("external"):
            self.warn(f"{where}: external volume {source!r} is not managed by the map; "
                      f"left out")
            return False
        if not NAME_RE.fullmatch(source):
            raise MapError(f"{where}: volume name {source!r} cannot be a map alias")
        return True

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
                               f"top-level networks")
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
                settings["create_options"] = {"labels": key_values(
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
            create["labels"] = key_values(spec["labels"], where, "labels")
        for key in ("attachable", "enable_ipv6"):
            if key in spec:
                create[key] = bool(spec[key])
        if "ipam" in spec:
            ipam = spec["ipam"] or {}
            create["ipam"] = {"Driver": ipam.get("driver", "default"),
                              "Config": [{IPAM_KEYS.get(k, k): v for k, v in c.items()}
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
