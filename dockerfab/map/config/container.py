"""``ContainerConfiguration``: how to create, start and connect the container(s) of one map entry
(spec 3.7, "Container configuration")."""
from __future__ import annotations

import re
from typing import Any, ClassVar

from dockerfab.errors import MapError
from dockerfab.map import input as inp
from dockerfab.map.config.base import ConfigurationObject, Merge, Prop

NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
"""Configuration, instance, alias and network names: no dots, since ``.`` joins them."""


def _number(value: Any) -> Any:
    if value is None or inp.is_value(value) and not isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise MapError(f"expected a number of seconds, got {value!r}")
    return value


def _signal(value: Any) -> Any:
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value > 0):
        return value
    if isinstance(value, str) and re.fullmatch(r"(SIG)?[A-Z0-9+-]+|\d+", value.strip().upper()):
        return value.strip()
    raise MapError(f"invalid stop signal {value!r} (e.g. 'SIGINT' or 2)")


def _optional_str(value: Any) -> Any:
    if value is None or inp.is_value(value):
        return value
    raise MapError(f"expected a string, got {value!r}")


def _options(value: Any) -> Any:
    """A dict of keyword arguments, or a callable/lazy value resolving to one at run time."""
    if value is None:
        return {}
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise MapError(f"option names must be strings, got {key!r}")
        return value
    if callable(value) or inp.is_value(value) and not isinstance(value, str):
        return value
    raise MapError(f"expected a dictionary of options, got {value!r}")


def _bool(value: Any) -> bool:
    return inp.get_bool(value)


def _names(what: str) -> Any:
    def convert(value: Any) -> list[Any]:
        return inp.get_str_list(value, what, pattern=NAME_RE)
    return convert


def _instance_names(value: Any) -> list[Any]:
    """Instance names; one written twice (``[one, two, one]``) is a mistake, not merged."""
    names = inp.get_str_list(value, "instance name", pattern=NAME_RE)
    written = [str(v) if isinstance(v, int) and not isinstance(v, bool) else v
               for v in inp.get_list(value)]
    if len(written) != len(names):
        for index, name in enumerate(written):
            if name in written[:index]:
                raise MapError(f"instance name {name!r} is listed twice", (index,))
    return names


def _config_refs(value: Any) -> list[Any]:
    return inp.get_str_list(value, "configuration name")


def _clients(value: Any) -> list[Any]:
    return inp.get_str_list(value, "client name")


def _shares(value: Any) -> list[Any]:
    return inp.get_str_list(value, "container path", allow_lazy=True)


def _network_mode(value: Any) -> Any:
    if value is None or inp.is_value(value):
        return value
    raise MapError(f"invalid network_mode {value!r} (bridge, host, none/disabled, "
                   f"container:<name>, or a configuration name)")


class ContainerConfiguration(ConfigurationObject):
    """One container configuration of a map. Values are stored as given and converted into
    the named tuples of :mod:`dockerfab.map.input` by :meth:`clean`."""

    KIND = "container configuration"
    ALIASES: ClassVar[dict[str, str]] = {"start_options": "host_config"}
    PROPERTIES = (
        Prop("image", None, _optional_str, doc="Image name; expanded by naming.image_name."),
        Prop("instances", [], _instance_names, Merge.UNION,
             doc="Instance names; none means one default instance."),
        Prop("stop_timeout", None, _number, doc="Seconds between stop signal and SIGKILL."),
        Prop("stop_signal", None, _signal, doc="Signal for stop and restart (name or number)."),
        Prop("shares", [], _shares, Merge.UNION, doc="Container paths of anonymous volumes."),
        Prop("binds", [], inp.get_shared_volumes, Merge.BY_FIRST,
             doc="Host binds: SharedVolume (alias) or HostVolume (direct)."),
        Prop("uses", [], inp.get_used_volumes, Merge.BY_FIRST,
             doc="Volumes of other containers or attached volumes."),
        Prop("attaches", [], inp.get_attached_volumes, Merge.BY_FIRST,
             doc="Named volumes owned by this configuration."),
        Prop("links", [], inp.get_container_links, Merge.UNION,
             doc="Legacy links; extends keeps every distinct (container, alias) pair."),
        Prop("exposes", [], inp.get_port_bindings, Merge.BY_FIRST, doc="Exposed/published ports."),
        Prop("network_mode", None, _network_mode,
             doc="bridge, host, none/disabled, container:<id> or a configuration[.instance]."),
        Prop("networks", [], inp.get_network_endpoints, Merge.BY_FIRST,
             doc="Networks of the map (or built-in) to connect to."),
        Prop("exec_commands", [], inp.get_exec_commands, Merge.BY_FIRST,
             doc="Commands run after start."),
        Prop("depends_on", [], _config_refs, Merge.UNION,
             doc="Configurations ('config' or 'config.instance') started before this one and "
                 "stopped after it, sharing nothing (Compose's depends_on)."),
        Prop("extends", [], _config_refs, Merge.UNION, inherit=False,
             doc="Configurations to inherit from, in order."),
        Prop("abstract", False, _bool, inherit=False, doc="Only for inheritance, not deployed."),
        Prop("create_options", {}, _options, Merge.DICT, doc="Extra create_container arguments."),
        Prop("host_config", {}, _options, Merge.DICT, doc="Extra host config arguments."),
        Prop("persistent", False, _bool, doc="Kept by cleanups, like attached volumes."),
        Prop("user", None, inp.get_user, doc="User to run as and to chown attached volumes to."),
        Prop("permissions", None, inp.get_permissions, doc="chmod mode for attached volumes."),
        Prop("clients", [], _clients, Merge.UNION, doc="Client names to deploy to."),
        Prop("healthcheck", None, inp.get_healthcheck, doc="HealthCheck or None."),
        Prop("start_delay", None, _number, doc="Seconds to wait after starting."),
    )

    # Typed views of the properties (the accessors are generated by ConfigurationObject).
    image: Any
    instances: Any
    stop_timeout: Any
    stop_signal: Any
    shares: Any
    binds: Any
    uses: Any
    attaches: Any
    links: Any
    exposes: Any
    network_mode: Any
    networks: Any
    exec_commands: Any
    depends_on: Any
    extends: Any
    abstract: Any
    create_options: Any
    host_config: Any
    start_options: Any
    persistent: Any
    user: Any
    permissions: Any
    clients: Any
    healthcheck: Any
    start_delay: Any

    def instance_names(self) -> list[str | None]:
        """The instance names, or ``[None]`` for the single default instance."""
        self.clean()
        return list(self.instances) or [None]
