"""Action options of spec 3.8.4 with their defaults, split from the pass-through kwargs."""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from dockerfab.map.input import CmdCheck


@dataclass
class ActionOptions:
    """Switches that change what a plan contains. Unknown keyword arguments given to an
    action are not options: they are create/host-config arguments (``extra``)."""
    remove_persistent: bool = True
    remove_attached: bool = False
    pull_all_images: bool = True
    pull_before_update: bool = False
    pull_insecure_registry: bool = False
    prepare_local: bool = True
    nonrecoverable_exit_codes: tuple[int, ...] = (-127, -1)
    force_update: frozenset[str] = frozenset()
    skip_limit_reset: bool = False
    update_persistent: bool = False
    check_exec_commands: CmdCheck = CmdCheck.FULL
    restart_exec_commands: bool = False
    remove_existing_before: bool = False
    remove_existing_after: bool = True
    #: containers, volumes, networks with a map item's name that dockerfab did not create
    #: (no ``dockerfab.map`` label): used as they are / removed and created from the map
    adopt_foreign: bool = False
    replace_foreign: bool = False
    #: update: re-create attached volumes whose driver, options or labels changed (data lost)
    recreate_volumes: bool = False
    # the health gate of the starts (None: the client's setting); they change no plan
    wait: bool | None = None
    readiness: float | None = None
    health_timeout: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_kwargs(cls, kwargs: dict[str, Any]) -> ActionOptions:
        """Take the option names out of ``kwargs``; the rest go to ``extra``."""
        names = {f.name for f in fields(cls)} - {"extra"}
        values: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in kwargs.items():
            if key == "remove_created_after":  # CLARIFICATIONS 8: same option
                key = "remove_existing_after"
            if key in names:
                values[key] = value
            else:
                extra[key] = value
        force = values.get("force_update")
        if force is not None:
            values["force_update"] = frozenset([force] if isinstance(force, str) else force)
        else:
            values.pop("force_update", None)
        if "nonrecoverable_exit_codes" in values:
            values["nonrecoverable_exit_codes"] = tuple(values["nonrecoverable_exit_codes"])
        if "check_exec_commands" in values:
            check = values["check_exec_commands"]
            values["check_exec_commands"] = (CmdCheck(check) if check is not None
                                             else CmdCheck.NONE)
        return cls(**values, extra=extra)
