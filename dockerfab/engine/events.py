"""Live progress events of the executor, for the CLI's live lines and for logging."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

START = "start"
DONE = "done"
FAILED = "failed"


@dataclass(frozen=True)
class ActionEvent:
    """``phase`` is start, done or failed; ``duration`` in seconds (0 at start); ``note``
    what a done start waited for (``healthy``, ``running 5s``, ``exited 0``)."""
    client: str
    action: str
    item: str
    phase: str
    duration: float = 0.0
    reasons: tuple[str, ...] = field(default_factory=tuple)
    error: str | None = None
    note: str | None = None

    def __str__(self) -> str:
        text = f"{self.client}: {self.action} {self.item} {self.phase}"
        if self.phase != START:
            text += f" ({self.duration:.2f}s{', ' + self.note if self.note else ''})"
        if self.reasons:
            text += f" [{'; '.join(self.reasons)}]"
        if self.error:
            text += f": {self.error}"
        return text


Listener = Callable[[ActionEvent], None]
