"""Running shell commands on a Docker host: over its SSH connection, or locally.

``run_cmd`` callers quote their arguments (``dockerfab.shortcuts``); the command may be a
compound line (``a && b``), so with sudo it runs under ``sh -c``.
"""
from __future__ import annotations

import shlex
import subprocess
from typing import Protocol

from fabric import Connection

from dockerfab.errors import ConnectionFailed, RemoteError


class Shell(Protocol):
    """Runs one command line on a host and returns its stdout."""

    host: str

    def run(self, command: str) -> str: ...

    def run_bytes(self, command: str, stdin: bytes | None = None) -> bytes: ...


def _wrap(command: str, sudo: bool) -> str:
    return "sh -c " + shlex.quote(command) if sudo else command


#: longer commands are cut in error lines (a state command carries a whole release record)
SHOWN_COMMAND = 160


def shown(command: str) -> str:
    """``command`` as an error line names it: cut after ``SHOWN_COMMAND`` characters."""
    if len(command) <= SHOWN_COMMAND:
        return command
    return f"{command[:SHOWN_COMMAND]}... ({len(command)} characters)"


def _failure(host: str, command: str, code: int | None, stderr: str) -> RemoteError:
    last = stderr.strip().splitlines()[-1] if stderr.strip() else "no error output"
    return RemoteError(f"exit status {code}: {last}", host=host, action="run_cmd",
                       item=shown(command))


class RemoteShell:
    """Commands over an open Fabric connection, each in a new session on the same SSH
    transport (within the server's session budget, :mod:`dockerfab.ssh.sessions`).

    ``timeout`` (seconds, None: no limit) bounds each command. With ``sudo`` and no
    ``sudo.password`` in the Fabric config the command runs under ``sudo -n`` (fails at
    once instead of prompting); with a password, through Fabric's ``sudo``, which answers
    the prompt.
    """

    def __init__(self, connection: Connection, host: str, sudo: bool = False,
                 timeout: float | None = None) -> None:
        self.connection = connection
        self.host = host
        self.sudo = sudo
        self.timeout = timeout

    def _password(self) -> str | None:
        sudo_config = getattr(self.connection.config, "sudo", None)
        password = getattr(sudo_config, "password", None) if sudo_config is not None else None
        return None if password is None else str(password)

    def run(self, command: str) -> str:
        if self.sudo and self._password() is not None:
            return self._run_fabric_sudo(command)
        return self.run_bytes(command).decode("utf-8", "replace")

    def run_bytes(self, command: str, stdin: bytes | None = None) -> bytes:
        """Run ``command`` feeding it ``stdin``; return its stdout as bytes."""
        from dockerfab.ssh.keepalive import lost_reason
        from dockerfab.ssh.sessions import run_command

        line = "sudo -n " + _wrap(command, True) if self.sudo else command
        transport = self.connection.transport
        if transport is None or not transport.is_active():
            raise ConnectionFailed(f"SSH connection lost before run_cmd {shown(command)}",
                                   host=self.host)
        try:
            result = run_command(transport, line, stdin=stdin, timeout=self.timeout)
        except Exception as exc:
            if not transport.is_active():
                raise ConnectionFailed(f"{lost_reason(transport)} during run_cmd {shown(command)}",
                                       host=self.host) from exc
            raise RemoteError(f"could not run: {exc}", host=self.host, action="run_cmd",
                              item=shown(command)) from exc
        if result.lost:
            raise ConnectionFailed(f"{lost_reason(transport)} during run_cmd {shown(command)}",
                                   host=self.host)
        if result.timed_out:
            raise RemoteError(f"timed out after {self.timeout:g} s (docker.timeout)",
                              host=self.host, action="run_cmd", item=shown(command))
        if result.status is None:
            raise RemoteError("the command ended without an exit status (its session was "
                              "closed)", host=self.host, action="run_cmd", item=shown(command))
        if result.status != 0:
            raise _failure(self.host, command, result.status,
                           result.stderr.decode("utf-8", "replace"))
        return result.stdout

    def _run_fabric_sudo(self, command: str) -> str:
        try:
            result = self.connection.sudo(_wrap(command, True), hide=True, warn=True,
                                          in_stream=False, timeout=self.timeout)
        except Exception as exc:
            transport = self.connection.transport
            if transport is None or not transport.is_active():
                raise ConnectionFailed(f"SSH connection lost during run_cmd {shown(command)}",
                                       host=self.host) from exc
            raise RemoteError(f"could not run: {' '.join(str(exc).split())}", host=self.host,
                              action="run_cmd", item=shown(command)) from exc
        if result.exited != 0:
            raise _failure(self.host, command, result.exited, result.stderr)
        return str(result.stdout)


class LocalShell:
    """Commands on this machine, for a local Docker daemon (``sudo -n``: never prompts)."""

    def __init__(self, host: str = "localhost", sudo: bool = False,
                 timeout: float | None = None) -> None:
        self.host = host
        self.sudo = sudo
        self.timeout = timeout

    def run(self, command: str) -> str:
        return self.run_bytes(command).decode("utf-8", "replace")

    def run_bytes(self, command: str, stdin: bytes | None = None) -> bytes:
        argv = ["sh", "-c", command]
        if self.sudo:
            argv = ["sudo", "-n", *argv]
        try:
            proc = subprocess.run(argv, check=False, capture_output=True, input=stdin or b"",
                                  timeout=self.timeout)
        except subprocess.TimeoutExpired:
            raise RemoteError(f"timed out after {self.timeout:g} s (docker.timeout)",
                              host=self.host, action="run_cmd", item=shown(command)) from None
        if proc.returncode != 0:
            raise _failure(self.host, command, proc.returncode,
                           proc.stderr.decode("utf-8", "replace"))
        return proc.stdout
