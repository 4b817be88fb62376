"""The deploy hooks: ``docker.hooks.pre_deploy`` and ``post_deploy``, command lines run on
the controller (through ``sh -c``) before and after a changing run, with what the run is
about in environment variables:

``DOCKERFAB_TASK``, ``DOCKERFAB_NAMES`` (comma-separated), ``DOCKERFAB_HOSTS`` (comma-
separated, in rollout order), and after the run ``DOCKERFAB_RESULT`` (``ok``, ``failed``,
``rolled back``, ``locked``, ``interrupted``) and ``DOCKERFAB_FAILED_HOSTS``.

A pre hook that exits non-zero stops the run before any host is touched.
"""
from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence

from dockerfab.errors import DockerFabError


class HookFailed(DockerFabError):
    """A deploy hook exited non-zero (or could not run)."""


def hook_environment(task: str, names: Sequence[str], hosts: Sequence[str],
                     result: str | None = None, failed: Sequence[str] = ()
                     ) -> dict[str, str]:
    env = {"DOCKERFAB_TASK": task, "DOCKERFAB_NAMES": ",".join(names),
           "DOCKERFAB_HOSTS": ",".join(hosts)}
    if result is not None:
        env["DOCKERFAB_RESULT"] = result
        env["DOCKERFAB_FAILED_HOSTS"] = ",".join(failed)
    return env


def run_hook(which: str, command: str | None, env: Mapping[str, str],
             timeout: float = 600) -> None:
    """Run one hook; raise HookFailed with its last line of output when it fails."""
    if not command:
        return
    try:
        proc = subprocess.run(["sh", "-c", command], check=False, capture_output=True,
                              text=True, timeout=timeout, env={**os.environ, **env},
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise HookFailed(f"{which} hook could not run: {exc}") from None
    if proc.returncode != 0:
        lines = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
        raise HookFailed(f"{which} hook failed (exit status {proc.returncode})"
                         + (f": {lines[-1]}" if lines else ""))
