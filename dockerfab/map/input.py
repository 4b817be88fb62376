"""The normalised forms of container-configuration input (spec 3.7 "Input formats").

Every list-like property of a ContainerConfiguration is converted, on ``clean()``, into a
list of the named tuples below. The converters further down (``get_shared_volumes``,
``get_used_volumes``, ``get_attached_volumes``, ``get_container_links``, ``get_port_bindings``,
``get_network_endpoints``, ``get_exec_commands``, ``get_healthcheck``, ``get_list``, and
``get_user``/``get_permissions`` for single values) accept every input form the spec lists and
raise :class:`dockerfab.errors.MapError` with a key path relative to the property (``(1,)``
for item 1) for anything else. Lazy values are kept, never resolved here.

Field order is part of the public API (positional tuples are valid input).

The tuples live in :mod:`dockerfab.map.inputtypes`, the converters by kind in
:mod:`dockerfab.map.inputvalues` (single values), :mod:`~dockerfab.map.inputvolumes`,
:mod:`~dockerfab.map.inputnetwork` and :mod:`~dockerfab.map.inputexec`; this module
re-exports them all under the names callers use.
"""
from __future__ import annotations

from dockerfab.map.inputexec import (
    exec_policy,
    get_exec_commands,
    get_healthcheck,
    get_permissions,
    get_user,
    parse_duration,
)
from dockerfab.map.inputnetwork import (
    get_container_links,
    get_network_endpoints,
    get_port_bindings,
)
from dockerfab.map.inputtypes import (
    CmdCheck,
    ContainerLink,
    ExecCommand,
    ExecPolicy,
    HealthCheck,
    HostVolume,
    InputConfigId,
    ItemType,
    MapConfigId,
    NetworkEndpoint,
    PortBinding,
    SharedVolume,
    UsedVolume,
)
from dockerfab.map.inputvalues import (
    LIST_TYPES,
    SCALAR_TYPES,
    convert_items,
    from_fields,
    get_bool,
    get_list,
    get_str_list,
    has_fields,
    is_flag,
    is_named_tuple,
    is_value,
    name_value,
    read_only,
)
from dockerfab.map.inputvolumes import (
    check_host_path,
    get_attached_volumes,
    get_shared_volumes,
    get_used_volumes,
    host_path_value,
)

__all__ = [
    "LIST_TYPES",
    "SCALAR_TYPES",
    "CmdCheck",
    "ContainerLink",
    "ExecCommand",
    "ExecPolicy",
    "HealthCheck",
    "HostVolume",
    "InputConfigId",
    "ItemType",
    "MapConfigId",
    "NetworkEndpoint",
    "PortBinding",
    "SharedVolume",
    "UsedVolume",
    "check_host_path",
    "convert_items",
    "exec_policy",
    "from_fields",
    "get_attached_volumes",
    "get_bool",
    "get_container_links",
    "get_exec_commands",
    "get_healthcheck",
    "get_list",
    "get_network_endpoints",
    "get_permissions",
    "get_port_bindings",
    "get_shared_volumes",
    "get_str_list",
    "get_used_volumes",
    "get_user",
    "has_fields",
    "host_path_value",
    "is_flag",
    "is_named_tuple",
    "is_value",
    "name_value",
    "parse_duration",
    "read_only",
]
