"""Byte progress of image pulls, for progress bars: the summed ``progressDetail`` of the
daemon's pull stream. :func:`dockerfab.engine.execute.pull_image` reports it to a
:data:`ProgressCallback` (``MappingDockerClient.progress``, handed to the runner).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

#: ``callback(what, done_bytes, total_bytes_or_None, final)``
ProgressCallback = Callable[[str, int, "int | None", bool], None]


class PullProgress:
    """Sums the per-layer ``progressDetail`` of a pull stream (download phase)."""

    def __init__(self) -> None:
        self.layers: dict[str, tuple[int, int]] = {}

    def add(self, line: dict[str, Any]) -> bool:
        """Take one stream line; True if the byte counts changed."""
        detail = line.get("progressDetail") or {}
        layer = line.get("id")
        status = str(line.get("status") or "")
        if not layer:
            return False
        if status.startswith(("Download complete", "Already exists")):
            total = self.layers.get(layer, (0, 0))[1]
            if total:
                self.layers[layer] = (total, total)
                return True
            return False
        if status.startswith("Downloading") and detail.get("total"):
            self.layers[layer] = (int(detail.get("current") or 0), int(detail["total"]))
            return True
        return False

    @property
    def done(self) -> int:
        return sum(c for c, _ in self.layers.values())

    @property
    def total(self) -> int | None:
        return sum(t for _, t in self.layers.values()) or None


def summed(lines: Iterable[dict[str, Any]]) -> tuple[int, int | None]:
    """(bytes done, bytes total) after a sequence of pull stream lines."""
    progress = PullProgress()
    for line in lines:
        progress.add(line)
    return progress.done, progress.total


__all__ = ["ProgressCallback", "PullProgress", "summed"]
