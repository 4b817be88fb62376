"""``VolumeConfiguration``: a volume alias of a map, its default container path and the
options of the Docker named volume created for it (spec 3.7, "Volumes")."""
from __future__ import annotations

from typing import Any

from dockerfab.map import input as inp
from dockerfab.map.config.base import ConfigurationObject, Merge, Prop
from dockerfab.map.config.container import _optional_str, _options


class VolumeConfiguration(ConfigurationObject):
    """A volume alias. ``VolumeConfiguration('/path')`` (a plain string or lazy value) sets
    only ``default_path``."""

    KIND = "volume"
    PROPERTIES = (
        Prop("default_path", None, _optional_str, doc="Path inside containers (may be lazy)."),
        Prop("driver", "local", _optional_str, doc="Volume driver of a named volume."),
        Prop("driver_options", {}, _options, Merge.DICT, doc="Options for the driver."),
        Prop("create_options", {}, _options, Merge.DICT, doc="Extra create_volume arguments."),
        Prop("user", None, inp.get_user, doc="chown of an attached volume (default: owner's)."),
        Prop("permissions", None, inp.get_permissions, doc="chmod of an attached volume."),
    )

    default_path: Any
    driver: Any
    driver_options: Any
    create_options: Any
    user: Any
    permissions: Any

    def __init__(self, values: Any = None, **kwargs: Any) -> None:
        if values is not None and not isinstance(values, (dict, ConfigurationObject)):
            values = {"default_path": values}
        super().__init__(values, **kwargs)

    def as_dict(self) -> Any:
        """As the base class; but only a path gives just that string (the compact input)."""
        result = super().as_dict()
        if list(result) == ["default_path"]:
            return result["default_path"]
        return result
