"""Byte progress of image pulls, for progress bars: an executor whose pulls report the
summed ``progressDetail`` of the daemon's pull stream to a callback.

Used through ``MappingDockerClient.runner_class`` (the spec's replaceable runner), so the
engine's own executor is unchanged.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import docker

from dockerfab.engine.execute import Executor, split_image
from dockerfab.errors import RemoteError
from dockerfab.plan.actions import Action

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


def progress_executor(callback: ProgressCallback) -> type[Executor]:
    """An Executor class whose image pulls report byte progress to ``callback``."""

    class ProgressExecutor(Executor):
        def _do_pull_image(self, client: Any, action: Action) -> Any:
            image = action.args["image"]
            registry = image.split("/")[0] if "/" in image.split(":")[0] else None
            auth = self.auth_configs.get(registry) if registry else None
            repo, tag = split_image(image)
            progress = PullProgress()
            what = f"pull {image}"
            last = ""
            for line in docker.APIClient.pull(client, repo, tag=tag, stream=True, decode=True,
                                              auth_config=auth):
                if not isinstance(line, dict):
                    continue
                if line.get("error"):
                    raise RemoteError(str(line["error"]), action="pull", item=image)
                last = line.get("status", last)
                if progress.add(line):
                    callback(what, progress.done, progress.total, False)
            if progress.total:
                callback(what, progress.done, progress.total, True)
            return last

    return ProgressExecutor


__all__ = ["PullProgress", "progress_executor", "summed"]
