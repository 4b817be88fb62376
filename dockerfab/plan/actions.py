"""Planned actions: one step on one item on one client, with the reasons for it."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

# Primitive action kinds the executor knows.
CREATE_NETWORK = "create_network"
REMOVE_NETWORK = "remove_network"
CREATE_VOLUME = "create_volume"
PREPARE_VOLUME = "prepare_volume"
REMOVE_VOLUME = "remove_volume"
PULL_IMAGE = "pull_image"
CREATE = "create"
CONNECT = "connect_network"
DISCONNECT = "disconnect_network"
START = "start"
RESTART = "restart"
STOP = "stop"
REMOVE = "remove"
KILL = "kill"
UPDATE_LIMITS = "update_limits"
EXEC = "exec"
WAIT = "wait"
SCRIPT = "run_script"
CUSTOM = "custom"

CHANGING = frozenset({CREATE_NETWORK, REMOVE_NETWORK, CREATE_VOLUME, PREPARE_VOLUME, REMOVE_VOLUME, PULL_IMAGE,
                      CREATE, CONNECT, DISCONNECT, START, RESTART, STOP, REMOVE, KILL,
                      UPDATE_LIMITS, EXEC, SCRIPT, CUSTOM})


@dataclass
class Action:
    """``kind`` on ``item`` (a container, volume, network or image name) on ``client``.

    ``step`` orders the plan: steps run one after another, actions of one step on different
    items run concurrently, and actions on the same item run in plan order. ``args`` carry
    what the executor needs (create kwargs, exec command, ...); ``reasons`` say why, in short
    human words (never environment values).
    """
    kind: str
    item: str
    client: str
    reasons: list[str] = field(default_factory=list)
    step: int = 0
    config_id: Any = None  # MapConfigId of the item, where there is one
    args: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        why = f" ({'; '.join(self.reasons)})" if self.reasons else ""
        return f"{self.client}: {self.kind} {self.item}{why}"

    def as_dict(self) -> dict[str, Any]:
        """Plain form for JSON output (no args: they may hold secrets)."""
        return {"client": self.client, "action": self.kind, "item": self.item,
                "reasons": list(self.reasons), "step": self.step}


@dataclass
class ActionResult:
    """What the executor did for one action; ``result`` is the API's answer, if any."""
    action: Action
    result: Any = None
    duration: float = 0.0

    @property
    def client(self) -> str:
        return self.action.client

    @property
    def item(self) -> str:
        return self.action.item

    @property
    def kind(self) -> str:
        return self.action.kind

    @property
    def reasons(self) -> list[str]:
        return self.action.reasons

    def as_dict(self) -> dict[str, Any]:
        data = self.action.as_dict()
        data["duration"] = round(self.duration, 3)
        return data

    def __repr__(self) -> str:
        return f"ActionResult({self.action})"


class _OnItem(Protocol):
    @property
    def item(self) -> str: ...


T = TypeVar("T", bound=_OnItem)


class Examined(list[T]):
    """Actions (or their results) plus the containers examined to plan them, so callers can
    tell what was looked at and left alone without asking the engine how it selects."""

    def __init__(self, items: Iterable[T] = (), examined: Iterable[str] = ()) -> None:
        super().__init__(items)
        self.examined: set[str] = set(examined)

    @property
    def unchanged(self) -> set[str]:
        """Containers examined that no action touches."""
        return self.examined - {a.item for a in self}


class Plan(Examined[Action]):
    """An ordered plan (``MappingDockerClient.plan``)."""


class Results(Examined[ActionResult]):
    """What a run did (``MappingDockerClient.run_action`` and the action methods)."""
