"""Running shell commands on a Docker host: over its SSH connection, or locally.

``run_cmd`` callers quote their arguments (``dockerfab.shortcuts``); the command may be a
compound line (``a && b``), so with sudo it runs under ``sh -c``.
"""
from __future__ import annotations

import shlex
import subprocess
from typing import Protocol

from fabric import Connection

from dockerfab.errors import RemoteError


class Shell(Protocol):
    """Runs one command line on a host and returns its stdout."""

    host: str

    def run(self, command: str) -> str: ...


def _wrap(command: str, sudo: bool) -> str:
    return "sh -c " + shlex.quote(command) if sudo else command


def _failure(host: str, command: str, code: int | None, stderr: str) -> RemoteError:
    last = stderr.strip().splitlines()[-1] if stderr.strip() else "no error output"
    return RemoteError(f"exit status {code}: {last}", host=host, action="run_cmd",
                       item=command)


class RemoteShell:
    """Commands over an open Fabric connection (a new channel on the same SSH transport);
    with ``sudo``, through Fabric's ``sudo`` so its password settings apply."""

    def __init__(self, connection: Connection, host: str, sudo: bool = False) -> None:
        self.connection = connection
        self.host = host
        self.sudo = sudo

    def run(self, command: str) -> str:
        runner = self.connection.sudo if self.sudo else self.connection.run
        try:
            result = runner(_wrap(command, self.sudo), hide=True, warn=True, in_stream=False)
        except Exception as exc:  # transport gone, channel refused
            raise RemoteError(f"could not run: {exc}", host=self.host, action="run_cmd",
                              item=command) from exc
        if result.exited != 0:
            raise _failure(self.host, command, result.exited, result.stderr)
        return str(result.stdout)


class LocalShell:
    """Commands on this machine, for a local Docker daemon (``sudo -n``: never prompts)."""

    def __init__(self, host: str = "localhost", sudo: bool = False) -> None:
        self.host = host
        self.sudo = sudo

    def run(self, command: str) -> str:
        argv = ["sh", "-c", command]
        if self.sudo:
            argv = ["sudo", "-n", *argv]
        proc = subprocess.run(argv, check=False, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            raise _failure(self.host, command, proc.returncode, proc.stderr)
        return proc.stdout
