"""``ClientConfiguration``: one Docker host a map is deployed to (spec 3.6.3, 3.7 "Clients")."""
from __future__ import annotations

from typing import Any

from dockerfab.errors import MapError
from dockerfab.functional import resolve_value
from dockerfab.map.config.base import ConfigurationObject, Merge, Prop
from dockerfab.map.config.container import _number, _optional_str, _options

#: Version-dependent client features (spec 3.11.1) and the Engine API version each needs.
FEATURES: dict[str, tuple[int, int]] = {
    "host_config": (1, 15),        # HostConfig at container creation
    "exec_commands": (1, 15),
    "volumes": (1, 21),            # named volumes (attached volumes)
    "networks": (1, 21),
    "stop_signal": (1, 21),        # StopSignal at container creation
    "update_limits": (1, 22),      # limits changed on a running container
    "update_restart_policy": (1, 23),
    "healthcheck": (1, 24),
    "stop_timeout": (1, 25),       # StopTimeout at container creation
}


def _api_tuple(version: Any) -> tuple[int, int]:
    major, _, minor = str(version).partition(".")
    return int(major), int(minor or 0)


def features_for(api_version: Any) -> dict[str, bool]:
    """Which features of :data:`FEATURES` an Engine API version (``'1.41'``) has."""
    have = _api_tuple(api_version)
    return {name: have >= needed for name, needed in FEATURES.items()}


def _interfaces(value: Any) -> dict[str, Any]:
    """``{alias: address}``; addresses may be lazy (spec 3.10.3)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MapError(f"expected a dictionary of interface addresses, got {value!r}")
    for key, address in value.items():
        if not isinstance(key, str) or address is None or isinstance(address, (list, dict)):
            raise MapError(f"invalid interface {key!r}: {address!r}", (key,))
    return value


def _docker_client(value: Any) -> Any:
    """A client given by the user: anything that talks the Docker SDK's low-level API."""
    if value is None or callable(getattr(value, "containers", None)):
        return value
    raise MapError(f"expected a Docker client (docker.APIClient), got {value!r}")


#: keys of a registry login that are shown in a repr; every other value is masked
_SHOWN_LOGIN_KEYS = ("username", "email", "serveraddress", "registry")


def _masked_logins(logins: Any) -> Any:
    if not isinstance(logins, dict):
        return "***"
    masked: dict[Any, Any] = {}
    for registry, login in logins.items():
        if isinstance(login, dict):
            masked[registry] = {k: (v if k in _SHOWN_LOGIN_KEYS else "***")
                                for k, v in login.items()}
        else:
            masked[registry] = "***"
    return masked


class ClientConfiguration(ConfigurationObject):
    """Connection settings of a Docker host. ``ClientConfiguration('tcp://host:2375')`` sets
    ``base_url``. Configuration only: :meth:`get_client` makes the client once per object
    and :mod:`dockerfab.client.made` keeps it (a client given as ``client=`` is part of the
    configuration and is returned as it is)."""

    KIND = "client"
    PROPERTIES = (
        Prop("base_url", None, _optional_str, doc="Docker URL (unix://, tcp://, ssh-host ...)."),
        Prop("version", None, _optional_str, doc="API version; None/'auto' detects it."),
        Prop("timeout", None, _number, doc="Request timeout in seconds."),
        Prop("interfaces", {}, _interfaces, Merge.DICT, doc="Interface alias -> IPv4 address."),
        Prop("interfaces_ipv6", {}, _interfaces, Merge.DICT,
             doc="Interface alias -> IPv6 address."),
        Prop("auth_configs", {}, _options, Merge.DICT, doc="Registry -> login settings."),
        Prop("stop_timeout", None, _number, doc="Default stop timeout of this host."),
        Prop("domainname", None, _optional_str, doc="Domain name of new containers."),
        Prop("fabric_host", None, _optional_str, doc="SSH host for the Fabric/SSH layer."),
        Prop("client", None, _docker_client,
             doc="A ready Docker client (``docker.APIClient``) to use as this configuration's "
                 "client instead of making one (Docker-Map's ``client=``)."),
    )

    base_url: Any
    version: Any
    timeout: Any
    interfaces: Any
    interfaces_ipv6: Any
    auth_configs: Any
    stop_timeout: Any
    domainname: Any
    fabric_host: Any
    client: Any

    def __init__(self, values: Any = None, **kwargs: Any) -> None:
        if values is not None and not isinstance(values, (dict, ConfigurationObject)):
            values = {"base_url": values}
        super().__init__(values, **kwargs)

    def __repr__(self) -> str:
        """Like every configuration's, with the values of ``auth_configs`` logins hidden
        (registry names and user names stay; passwords and tokens never reach a log)."""
        values = self.set_values()
        if "auth_configs" in values:
            values["auth_configs"] = _masked_logins(values["auth_configs"])
        body = ", ".join(f"{k}={v!r}" for k, v in values.items())
        return f"{type(self).__name__}({body})"

    @property
    def features(self) -> dict[str, bool]:
        """Which version-dependent features the client supports (spec 3.11.1), from
        ``version`` when set, else from the API version of a client given as ``client=``;
        with neither (``auto``: negotiated when the client connects) every feature counts
        as supported (all need API 1.25 or older). No API call here: use
        :func:`features_for` with a live client's negotiated ``api_version`` when it
        matters."""
        version = resolve_value(self.version)
        if version in (None, "auto"):
            version = getattr(self.client, "api_version", None)
        if version in (None, "auto"):
            return dict.fromkeys(FEATURES, True)
        return features_for(version)

    def interface_address(self, alias: str, ipv6: bool = False) -> str:
        """Address of an interface alias (lazy values resolved); MapError if undefined."""
        table = self.interfaces_ipv6 if ipv6 else self.interfaces
        if not isinstance(table, dict) or alias not in table:
            kind = "interfaces_ipv6" if ipv6 else "interfaces"
            raise MapError(f"interface {alias!r} is not defined in the client's {kind}")
        return str(resolve_value(table[alias]))

    def get_client(self) -> Any:
        """The Docker client of this configuration, created on first call and kept (in
        :mod:`dockerfab.client.made`). A client given as ``client=`` is returned as it is.
        Subclasses (e.g. the Fabric client configuration) override :meth:`make_client`."""
        if self.client is not None:
            return self.client
        from dockerfab.client.made import client_for

        return client_for(self, self.make_client)

    def make_client(self) -> Any:
        """A new Docker client for this configuration (a ``DockerClientWrapper``)."""
        from dockerfab.client.wrapper import DockerClientWrapper

        kwargs: dict[str, Any] = {"base_url": self.base_url}
        if self.version is not None:
            kwargs["version"] = self.version
        if self.timeout is not None:
            kwargs["timeout"] = self.timeout
        return DockerClientWrapper(**kwargs)
