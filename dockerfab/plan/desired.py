"""Desired state: what each container, attached volume and network of a map should look
like on one client, as Docker SDK keyword arguments plus the API-form values to compare.

Pure: lazy values are resolved here (the point of use, spec 3.10.3), nothing talks to Docker.
The types of desired state are :mod:`dockerfab.plan.desiredtypes` (re-exported here), the
merging of ``create_options``/``host_config``/keyword arguments :mod:`dockerfab.plan.merge`.
"""
from __future__ import annotations

import json
import shlex
from typing import Any

from dockerfab.errors import MapIntegrityError
from dockerfab.functional import resolve_deep, resolve_value
from dockerfab.map import naming
from dockerfab.map.input import (
    ContainerLink,
    ExecCommand,
    ExecPolicy,
    HostVolume,
    ItemType,
    MapConfigId,
    SharedVolume,
    UsedVolume,
)
from dockerfab.map.integrity import AttachedRef, MapIndex
from dockerfab.plan import apiform, container_options, convert, normalize, sdk_forms
from dockerfab.plan.desiredtypes import (
    LABEL_CONFIG,
    LABEL_EXPLICIT,
    LABEL_HASH,
    LABEL_INSTANCE,
    LABEL_MAP,
    ClientInfo,
    DesiredContainer,
    DesiredNetwork,
    DesiredVolume,
)
from dockerfab.plan.merge import merge_options, resolve_options
from dockerfab.plan.model import (
    as_list,
    containers,
    host_path,
    host_root,
    instances,
    join_root,
    mget,
    volume_config,
    volume_path,
)


def _volume_label_ro(readonly: Any) -> str:
    return "ro" if readonly else "rw"


class DesiredStateBuilder:
    """Builds desired items of one merged map for one client; caches per container name.

    ``complete=False`` (taking containers down) builds what stopping and removing need
    (names, attached volumes, persistence, stop settings) and leaves out what only creating
    needs and the map may lack: unknown interfaces, bind aliases without a host path,
    attached volumes without a path."""

    def __init__(self, container_map: Any, client: ClientInfo, extra: dict[str, Any] | None = None,
                 index: MapIndex | None = None, complete: bool = True) -> None:
        self.complete = complete
        self.map = container_map
        #: what references mean (shared between the builders of one map)
        self.index = index if index is not None else MapIndex(container_map)
        self.map_name = str(container_map.name)
        self.client = client
        self.extra = dict(extra or {})
        self.configs = containers(container_map)
        self.parent_names = bool(getattr(container_map, "use_attached_parent_name", False))
        self._cache: dict[str, DesiredContainer] = {}
        self.volumes: dict[str, DesiredVolume] = {}
        self.networks: dict[str, DesiredNetwork] = {}

    # ----- lookups ------------------------------------------------------------------------
    def config(self, config_name: str) -> Any:
        try:
            return self.configs[config_name]
        except KeyError:
            raise MapIntegrityError(f"container configuration {config_name!r} is not defined "
                                    f"on map {self.map_name!r}") from None

    def attached_volume_name(self, owner: str, alias: str) -> str:
        return naming.attached_volume_name(self.map_name, owner, alias, self.parent_names)

    def cname(self, config_name: str, instance: str | None) -> str:
        return naming.container_name(self.map_name, config_name, instance)

    # ----- dependencies (no lazy values touched) -------------------------------------------
    def dependencies(self, config_name: str, instance: str | None) -> dict[str, str]:
        """Container names this instance depends on -> kind of dependency (the references
        :meth:`MapIndex.references` resolves; a later kind wins for the same container)."""
        deps: dict[str, str] = {}
        for ref in self.index.references(self.config(config_name)):
            for target in ref.instances:
                deps[self.cname(target.config, target.instance)] = ref.kind
        deps.pop(self.cname(config_name, instance), None)
        return deps

    # ----- the desired container ----------------------------------------------------------
    def container(self, config_name: str, instance: str | None) -> DesiredContainer:
        name = self.cname(config_name, instance)
        if name not in self._cache:
            self._cache[name] = self._build(config_name, instance)
        return self._cache[name]

    def _build(self, config_name: str, instance: str | None) -> DesiredContainer:
        config = self.config(config_name)
        name = self.cname(config_name, instance)
        cm = self.map
        image = naming.image_name(mget(config, "image"), config_name,
                                 getattr(cm, "repository", None), getattr(cm, "default_tag", None))
        user = resolve_value(mget(config, "user"))
        create: dict[str, Any] = {"image": image, "name": name, "detach": True}
        if user is not None:
            create["user"] = str(user)
        if getattr(cm, "set_hostname", True) is not False:
            create["hostname"] = naming.host_name(name, self.client.name)
        domain = self.client.domainname or resolve_value(getattr(cm, "default_domain", None))
        if domain:
            create["domainname"] = domain
        host: dict[str, Any] = {}
        binds: list[str] = []
        volumes_used: list[str] = []
        attached: list[str] = []

        # binds: aliases of volumes/host, or direct container-path <- host-path
        root = host_root(cm)
        for item in as_list(mget(config, "binds")):
            if isinstance(item, HostVolume):
                hp = resolve_value(item.host_path)
                if isinstance(hp, dict):
                    hp = hp.get(instance)
                binds.append(f"{join_root(root, hp)}:{resolve_value(item.path)}:"
                             f"{_volume_label_ro(item.readonly)}")
                continue
            alias = item.name if isinstance(item, SharedVolume) else str(item)
            readonly = item.readonly if isinstance(item, SharedVolume) else False
            cpath = volume_path(cm, alias)
            hpath = host_path(cm, alias, instance)
            if (cpath is None or hpath is None) and not self.complete:
                continue
            if cpath is None or hpath is None:
                raise MapIntegrityError(f"bind alias {alias!r} of {config_name!r} needs an entry "
                                        "in both 'volumes' and 'host'")
            binds.append(f"{hpath}:{cpath}:{_volume_label_ro(readonly)}")

        # attached volumes: named volumes <map>.<alias>, mounted read-write in the owner
        for item in as_list(mget(config, "attaches")):
            item = item if isinstance(item, UsedVolume) else UsedVolume(str(item))
            path = resolve_value(item.path) or volume_path(cm, item.name)
            if not path and not self.complete:
                path = ""  # the volume's name is all that removing it needs
            elif not path:
                raise MapIntegrityError(f"attached volume {item.name!r} of {config_name!r} "
                                        "has no path (set it in 'volumes')")
            vname = self.attached_volume_name(config_name, item.name)
            attached.append(vname)
            if vname not in self.volumes:
                self.volumes[vname] = self._volume(vname, item.name, config_name, path, config)
            binds.append(f"{vname}:{path}:rw")

        # uses: attached volumes of others (named volume) or whole containers (volumes_from)
        volumes_from: list[str] = []
        for item in as_list(mget(config, "uses")):
            ref = item.name if isinstance(item, (SharedVolume, UsedVolume)) else str(item)
            readonly = bool(getattr(item, "readonly", False))
            target = self.index.used(ref)
            if isinstance(target, AttachedRef):
                owner, att = target.parent, self.index.attached(target)
                path = (resolve_value(item.path) if isinstance(item, UsedVolume) and item.path
                        else None) or resolve_value(att.path) or volume_path(cm, att.name)
                vname = self.attached_volume_name(owner, att.name)
                if vname not in self.volumes:
                    owner_path = str(resolve_value(att.path) or volume_path(cm, att.name))
                    self.volumes[vname] = self._volume(vname, att.name, owner, owner_path,
                                                       self.config(owner))
                volumes_used.append(vname)
                binds.append(f"{vname}:{path}:{_volume_label_ro(readonly)}")
            else:
                for c, i in target:
                    volumes_from.append(self.cname(c, i) + (":ro" if readonly else ""))
        if binds:
            host["binds"] = binds
        if volumes_from:
            host["volumes_from"] = volumes_from

        shares = [str(resolve_value(s)) for s in as_list(mget(config, "shares"))]
        if shares:
            create["volumes"] = shares

        # links: (container, alias) pairs; one container may be linked under several aliases
        links: list[tuple[str, str]] = []
        for link in as_list(mget(config, "links")):
            link = link if isinstance(link, ContainerLink) else ContainerLink(str(link))
            for c, i in self.index.container(link.container):
                pair = (self.cname(c, i), str(link.alias or link.container))
                if pair not in links:
                    links.append(pair)
        if links:
            host["links"] = links

        # exposes
        ports: list[Any] = []
        port_bindings: dict[str, list[Any]] = {}
        for binding in as_list(mget(config, "exposes")):
            exposed = convert.port_key(binding.exposed_port)
            ports.append(convert.sdk_port(binding.exposed_port))
            host_port = resolve_value(binding.host_port)
            if host_port is None:
                continue
            if binding.interface:
                table = self.client.interfaces_ipv6 if binding.ipv6 else self.client.interfaces
                if binding.interface not in table and not self.complete:
                    continue
                if binding.interface not in table:
                    raise MapIntegrityError(
                        f"{config_name!r} publishes on interface {binding.interface!r}, which "
                        f"client {self.client.name!r} does not define")
                port_bindings.setdefault(exposed, []).append(
                    (str(resolve_value(table[binding.interface])), int(host_port)))
            else:
                port_bindings.setdefault(exposed, []).append(int(host_port))
        if ports:
            create["ports"] = list(dict.fromkeys(ports))
        if port_bindings:
            host["port_bindings"] = {k: (v[0] if len(v) == 1 else v)
                                     for k, v in port_bindings.items()}

        # network mode and networks
        networks: dict[str, dict[str, Any]] = {}
        mode_from_networks = False
        for endpoint in as_list(mget(config, "networks")):
            net_name = naming.network_name(self.map_name, endpoint.network_name)
            if net_name not in ("bridge", "host", "none"):
                self.networks.setdefault(net_name, self._network(endpoint.network_name))
            networks[net_name] = self._endpoint(endpoint, config_name)
        mode = mget(config, "network_mode")
        if isinstance(mode, str) and mode:
            shared = self.index.network_mode_instance(mode)
            if shared is not None:
                host["network_mode"] = f"container:{self.cname(*shared)}"
            elif mode == "disabled":
                host["network_mode"] = "none"
            elif mode.startswith("/"):
                host["network_mode"] = f"container:{mode[1:]}"
            else:
                host["network_mode"] = mode
        elif networks:
            host["network_mode"] = next(iter(networks))
            mode_from_networks = True

        if str(host.get("network_mode", "")).startswith("container:"):
            # Docker refuses a host name (and published ports) with another's network stack
            create.pop("hostname", None)
            create.pop("domainname", None)

        # legacy links only work on the default bridge; on user-defined networks Docker
        # ignores HostConfig.Links, so they become endpoint links of those networks
        depends_on = self.dependencies(config_name, instance)
        user_networks = [n for n in networks if n not in ("bridge", "host", "none")]
        if links and user_networks and host.get("network_mode") in user_networks:
            for net in user_networks:
                endpoint_links = list(networks[net].get("links") or ())
                endpoint_links += [pair for pair in links if pair not in endpoint_links]
                networks[net]["links"] = endpoint_links
            del host["links"]
            for dep, _ in links:
                if depends_on.get(dep) == "link":
                    depends_on[dep] = "network_link"

        # healthcheck (CLARIFICATIONS 14), stop signal/timeout
        check = mget(config, "healthcheck")
        if check is not None:
            health: dict[str, Any] = {}
            if check.test is not None:
                health["test"] = normalize.health_test(check.test)
            for key in ("interval", "timeout", "start_period"):
                value = convert.duration_ns(getattr(check, key))
                if value is not None:
                    health[key] = value
            if check.retries is not None:
                health["retries"] = int(check.retries)
            if health:
                create["healthcheck"] = health
        stop_signal = mget(config, "stop_signal")
        if stop_signal is not None:
            create["stop_signal"] = str(stop_signal)
        stop_timeout = mget(config, "stop_timeout", self.client.stop_timeout)
        if stop_timeout is not None:
            create["stop_timeout"] = int(stop_timeout)

        # create_options / host_config (may be callables or lazy), then action kwargs
        create_options = resolve_options(mget(config, "create_options"))
        host_options = resolve_options(mget(config, "host_config")) or \
            resolve_options(mget(config, "start_options"))
        merge_options(create, host, create_options, host_options)
        if self.extra:
            # only the container's own options: an action's other keyword arguments
            # (kill's signal ...) are not create/host-config arguments
            merge_options(create, host, {k: v for k, v in self.extra.items()
                                          if k in apiform.CREATE_KEYS},
                           {k: v for k, v in self.extra.items() if k in convert.HOST_CONFIG_KEYS})
        env = convert.env_dict(create.get("environment"))
        if "environment" in create:
            create["environment"] = env
        sdk_forms.accepted_forms(create, host)

        labels = sdk_forms.label_dict(create.get("labels"))
        labels.update({LABEL_MAP: self.map_name, LABEL_CONFIG: config_name,
                       LABEL_INSTANCE: instance or ""})
        create["labels"] = labels
        options, recorded, fallback_hash = container_options.labels_for(create, host, name)
        explicit = {"v": container_options.LABEL_VERSION, "env": sorted(env),
                    "cmd": create.get("command") is not None,
                    "entrypoint": create.get("entrypoint") is not None,
                    "labels": sorted(labels),
                    "ports": sorted({convert.port_key(p) for p in create.get("ports") or ()}),
                    "volumes": sorted({str(v) for v in as_list(create.get("volumes"))}),
                    **recorded}
        labels[LABEL_EXPLICIT] = json.dumps(explicit, sort_keys=True, separators=(",", ":"))
        labels[LABEL_HASH] = fallback_hash

        execs = []
        for cmd in as_list(mget(config, "exec_commands")):
            cmd = cmd if isinstance(cmd, ExecCommand) else ExecCommand(cmd)
            c_user = resolve_value(cmd.user)
            execs.append(ExecCommand(resolve_deep(cmd.cmd),
                                     str(c_user) if c_user is not None else create.get("user"),
                                     ExecPolicy(cmd.policy or ExecPolicy.RESTART)))
        return DesiredContainer(
            name=name, config_id=MapConfigId(ItemType.CONTAINER, self.map_name, config_name,
                                             instance),
            image=str(create["image"]), create_kwargs=create, host_config=host,
            networks=networks, attached=attached, volumes_used=volumes_used,
            depends_on=depends_on, exec_commands=execs,
            persistent=bool(mget(config, "persistent", False)),
            stop_signal=create.get("stop_signal"), stop_timeout=create.get("stop_timeout"),
            start_delay=mget(config, "start_delay"), explicit_env=sorted(env),
            options=options,
            mode_from_networks=mode_from_networks)

    def _volume(self, vname: str, alias: str, owner: str, path: str, owner_config: Any
                ) -> DesiredVolume:
        conf = volume_config(self.map, alias)
        plain = conf is None or isinstance(conf, str) or (
            not isinstance(conf, dict) and not hasattr(conf, "__dict__"))
        get = (lambda key: None) if plain else (lambda key: mget(conf, key))
        user = resolve_value(get("user"))
        if user is None:
            user = resolve_value(mget(owner_config, "user"))
        permissions = get("permissions") or mget(owner_config, "permissions")
        create_options = dict(resolve_deep(get("create_options") or {}))
        labels = {str(k): str(v) for k, v in dict(create_options.pop("labels", None)
                                                  or {}).items()}
        labels.update({LABEL_MAP: self.map_name, LABEL_CONFIG: owner})
        return DesiredVolume(
            name=vname, alias=alias, owner=self.cname(owner, instances(owner_config)[0]),
            path=str(path), driver=get("driver") or "local",
            driver_opts=dict(resolve_deep(get("driver_options") or {})),
            create_options=create_options, user=user, permissions=permissions,
            labels=labels)

    def _network(self, network: str) -> DesiredNetwork:
        conf = mget(getattr(self.map, "networks", None), network)
        if conf is None:
            raise MapIntegrityError(f"network {network!r} is not configured on map "
                                    f"{self.map_name!r}")
        create_options = dict(resolve_deep(mget(conf, "create_options", {}) or {}))
        labels = {str(k): str(v) for k, v in dict(create_options.pop("labels", None)
                                                  or {}).items()}
        labels[LABEL_MAP] = self.map_name
        if create_options.get("ipam"):  # so that removing it later is seen as a change
            labels[LABEL_EXPLICIT] = json.dumps({"ipam": True})
        return DesiredNetwork(
            name=naming.network_name(self.map_name, network),
            driver=mget(conf, "driver", "bridge"),
            options=dict(resolve_deep(mget(conf, "driver_options", {}) or {})),
            internal=bool(mget(conf, "internal", False)),
            create_options=create_options, labels=labels)

    def _endpoint(self, endpoint: Any, config_name: str) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        endpoint = resolve_deep(endpoint) if not hasattr(endpoint, "_fields") else endpoint
        if endpoint.aliases:
            kwargs["aliases"] = _str_items(endpoint.aliases)
        if endpoint.links:
            links = []
            for link in endpoint.links:
                link = link if isinstance(link, ContainerLink) else ContainerLink(str(link))
                for c, i in self.index.container(link.container):
                    links.append((self.cname(c, i), link.alias or link.container))
            kwargs["links"] = links
        for key in ("ipv4_address", "ipv6_address"):
            value = resolve_value(getattr(endpoint, key))
            if value:
                kwargs[key] = str(value)
        if endpoint.link_local_ips:
            kwargs["link_local_ips"] = _str_items(endpoint.link_local_ips)
        return kwargs


def _str_items(values: Any) -> list[str]:
    """Resolved string items of a list; a lazy item that resolves to a list (a lazy value
    given for the whole list, spec 3.10.3) contributes its items."""
    items: list[str] = []
    for value in values:
        value = resolve_value(value)
        if isinstance(value, (list, tuple)):
            items.extend(str(resolve_value(v)) for v in value)
        else:
            items.append(str(value))
    return items


def quote_cmd(cmd: Any) -> str:
    """A command as one shell line: a string as it is, a list with each word quoted."""
    return cmd if isinstance(cmd, str) else " ".join(shlex.quote(str(c)) for c in cmd)


__all__ = [
    "LABEL_CONFIG",
    "LABEL_EXPLICIT",
    "LABEL_HASH",
    "LABEL_INSTANCE",
    "LABEL_MAP",
    "ClientInfo",
    "DesiredContainer",
    "DesiredNetwork",
    "DesiredStateBuilder",
    "DesiredVolume",
    "quote_cmd",
]
