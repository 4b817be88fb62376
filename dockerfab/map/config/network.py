"""``NetworkConfiguration``: a Docker network of a map (spec 3.7, "Networks")."""
from __future__ import annotations

from typing import Any

from dockerfab.map.config.base import ConfigurationObject, Merge, Prop
from dockerfab.map.config.container import _bool, _optional_str, _options


class NetworkConfiguration(ConfigurationObject):
    """A network created as ``<map>.<name>``; anything not covered here goes into
    ``create_options`` (keyword arguments of ``create_network``)."""

    KIND = "network"
    PROPERTIES = (
        Prop("driver", "bridge", _optional_str, doc="Network driver."),
        Prop("driver_options", {}, _options, Merge.DICT, doc="Driver options (values may be lazy)."),
        Prop("internal", False, _bool, doc="Restrict external access."),
        Prop("create_options", {}, _options, Merge.DICT,
             doc="Extra create_network arguments (ipam, labels, enable_ipv6, ...)."),
    )

    driver: Any
    driver_options: Any
    internal: Any
    create_options: Any
