"""One Fabric ``Connection`` per host, with host keys checked against known_hosts.

Fabric itself accepts any host key (``AutoAddPolicy``) and reads no known_hosts file;
dockerfab checks keys strictly, because it hands the host's Docker daemon (root, in
effect) whatever the far end asks for. SSH failures become one-line
:class:`~dockerfab.errors.ConnectionFailed` / :class:`~dockerfab.errors.HostKeyError`.
"""
from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from typing import Any

import paramiko
from fabric import Connection

from dockerfab.errors import ConnectionFailed, HostKeyError, MapError
from dockerfab.fabric.gateway import GATEWAYS
from dockerfab.fabric.settings import DockerSettings
from dockerfab.ssh.keepalive import (
    DEFAULT_COUNT_MAX,
    DEFAULT_INTERVAL,
    keepalive_of,
    start_keepalive,
)
from dockerfab.ssh.tcp import low_latency_transport

# Everything opening a connection runs is imported with this module, none of it on first
# use: a connection opened ahead in a thread (dockerfab.fabric.early) must not import while
# the main thread imports too (each could see the other's modules half-initialised).


class StrictHostKeyPolicy(paramiko.MissingHostKeyPolicy):
    """Reject a key that no known_hosts file lists, naming the host and the fix."""

    def __init__(self, label: str, files: Sequence[str]) -> None:
        self.label = label
        self.files = list(files)

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str,
                         key: paramiko.PKey) -> None:
        where = ", ".join(self.files) or "no known_hosts file"
        raise HostKeyError(
            f"host key {key.get_name()} {key.fingerprint} of {hostname} is not in "
            f"known_hosts ({where}); add it (ssh-keyscan) after checking it, or set "
            f"docker.accept_unknown_hosts", host=self.label)


class AcceptUnknownHostKeyPolicy(paramiko.MissingHostKeyPolicy):
    """Accept an unknown key for this connection only (``docker.accept_unknown_hosts``).
    A key that differs from a recorded one is still rejected by paramiko. ``accepted``
    holds ``(hostname, key type, fingerprint)`` of what was let through, for the run to
    print (see :func:`accepted_keys`)."""

    def __init__(self) -> None:
        self.accepted: list[tuple[str, str, str]] = []

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str,
                         key: paramiko.PKey) -> None:
        self.accepted.append((hostname, key.get_name(), key.fingerprint))


def accepted_keys(connection: Connection) -> list[str]:
    """One line per unknown host key accepted while opening ``connection`` (and its
    gateway): ``accepted unknown host key TYPE SHA256:... of HOST (not recorded)``."""
    lines: list[str] = []
    policy = getattr(connection.client, "_policy", None)
    if isinstance(policy, AcceptUnknownHostKeyPolicy):
        lines += [f"accepted unknown host key {kind} {fingerprint} of {hostname} "
                  "(not recorded in known_hosts)"
                  for hostname, kind, fingerprint in policy.accepted]
    if isinstance(connection.gateway, Connection):
        lines += accepted_keys(connection.gateway)
    return lines


def keepalive_settings(connection: Connection) -> tuple[float, int]:
    """``ServerAliveInterval`` and ``ServerAliveCountMax`` of the host's ssh_config, or
    dockerfab's defaults (15 s, 3) where unset."""
    config = connection.ssh_config
    interval = _ssh_number(config.get("serveraliveinterval"), DEFAULT_INTERVAL)
    count_max = int(_ssh_number(config.get("serveralivecountmax"), DEFAULT_COUNT_MAX))
    return interval, count_max


def _ssh_number(value: Any, default: float) -> float:
    if value is None:
        return default
    try:
        return float(str(value).strip())
    except ValueError:
        raise MapError(f"ssh_config: {value!r} is not a number") from None


def known_hosts_files(connection: Connection, settings: DockerSettings) -> list[str]:
    """known_hosts files to trust: the setting, else ssh_config's, else ~/.ssh/known_hosts."""
    if settings.known_hosts:
        paths: Sequence[str] = settings.known_hosts
    else:
        configured = connection.ssh_config.get("userknownhostsfile")
        if configured:
            paths = configured.split() if isinstance(configured, str) else list(configured)
        else:
            paths = ["~/.ssh/known_hosts"]
    return [os.path.expanduser(p) for p in paths]


def host_label(connection: Connection) -> str:
    """The name the user gave for the host (``-H`` value or ssh_config alias)."""
    return str(connection.original_host)


# Config layers that hold what the user configured (Invoke's order); ``_modifications`` is
# left out on purpose, see :func:`own_connect_kwargs`.
_CONFIG_LAYERS = ("_defaults", "_collection", "_system", "_user", "_project", "_env",
                  "_runtime", "_overrides")


def own_connect_kwargs(connection: Connection) -> dict[str, Any]:
    """``connect_kwargs`` for this connection alone.

    Fabric 3 merges each new Connection's ssh_config IdentityFile into the *shared*
    config's ``connect_kwargs`` (and hands every Connection that same dict), so with
    ``-H a,b`` host b would also offer a's keys, and concurrent connections would share one
    dict. The keys are rebuilt here: those configured (``-i``, config files), those given
    to the Connection itself (``connect_kwargs={'key_filename': ...}``), and this host's own
    IdentityFile entries; only the keys another host's ssh_config added are left out.
    """
    kwargs = {k: v for k, v in dict(connection.connect_kwargs).items() if k != "key_filename"}
    configured: list[str] = []
    for layer in _CONFIG_LAYERS:
        configured += _key_list(_layer_connect_kwargs(connection, layer))
    own_ssh = _key_list(connection.ssh_config.get("identityfile"))
    foreign = set(_key_list(_layer_connect_kwargs(connection, "_modifications")))
    foreign -= {*configured, *own_ssh}
    given = [k for k in _key_list(connection.connect_kwargs.get("key_filename"))
             if k not in foreign]
    keys = list(dict.fromkeys([*configured, *given, *own_ssh]))
    if keys:
        kwargs["key_filename"] = keys
    return kwargs


def _layer_connect_kwargs(connection: Connection, layer: str) -> Any:
    value = (getattr(connection.config, layer, None) or {}).get("connect_kwargs", {})
    return value.get("key_filename") if isinstance(value, dict) else None


def _key_list(value: Any) -> list[str]:
    if not value:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def prepare(connection: Connection, settings: DockerSettings) -> Connection:
    """Make ``connection`` (not yet opened) check host keys, use only its own identity
    files, and give it a connect timeout if Fabric has none. Applies to its gateway too."""
    label = host_label(connection)
    connection.connect_kwargs = own_connect_kwargs(connection)
    files = known_hosts_files(connection, settings)
    client = connection.client
    for path in files:
        if os.path.exists(path):
            client.load_system_host_keys(path)  # read-only: never written back
    policy: paramiko.MissingHostKeyPolicy
    if settings.accept_unknown_hosts:
        policy = AcceptUnknownHostKeyPolicy()
    else:
        policy = StrictHostKeyPolicy(label, files)
    client.set_missing_host_key_policy(policy)
    # Nagle off and reads acknowledged at once, from the first byte (dockerfab.ssh.tcp)
    connection.connect_kwargs.setdefault("transport_factory", low_latency_transport)
    if connection.connect_timeout is None and "timeout" not in connection.connect_kwargs:
        connection.connect_timeout = settings.connect_timeout
    # one shared, host-key checked connection per jump host (dockerfab.fabric.gateway)
    GATEWAYS.attach(connection, lambda gateway: prepare(gateway, settings))
    return connection


def close_connection(connection: Connection) -> None:
    """Close ``connection`` and let go of its jump host (closed with the last host behind it);
    Fabric's own ``close`` leaves gateways open. Its keepalive stops with it."""
    transport = connection.transport
    keepalive = keepalive_of(transport) if transport is not None else None
    if keepalive is not None:
        keepalive.stop()
    try:
        connection.close()
    finally:
        GATEWAYS.detach(connection)


def open_connection(connection: Connection, settings: DockerSettings) -> Connection:
    """Prepare and open ``connection``; SSH failures raise a one-line ConnectionFailed."""
    prepare(connection, settings)
    label = host_label(connection)
    try:
        interval, count_max = keepalive_settings(connection)
        if isinstance(connection.gateway, Connection):
            try:
                GATEWAYS.open(connection.gateway)
            except BaseException as exc:
                raise jump_host_error(exc, label, host_label(connection.gateway)) from exc
        connection.open()
    except BaseException as exc:
        close_connection(connection)
        raise connection_error(exc, label) from exc
    start_keepalive(connection.transport, interval, count_max)
    return connection


def jump_host_error(exc: BaseException, host: str, jump_host: str) -> BaseException:
    """An error reaching ``host``'s jump host, as one line naming both."""
    error = connection_error(exc, jump_host)
    if isinstance(error, ConnectionFailed):
        error.message = f"via jump host {jump_host}: {error.message}"
        error.args = (error.message,)
        error.host = host
    return error


def connect(host: str, config: Any, settings: DockerSettings) -> Connection:
    """Open a new connection to ``host`` (``user@host:port`` or an ssh_config alias) with
    the user's Fabric config, ssh_config, keys, agent and gateways."""
    return open_connection(Connection(host, config=config), settings)


def connection_error(exc: BaseException, host: str) -> BaseException:
    """Translate an exception from ``Connection.open`` into dockerfab's error tree."""
    if isinstance(exc, ConnectionFailed):
        exc.host = exc.host or host
        return exc
    if isinstance(exc, paramiko.BadHostKeyException):
        return HostKeyError(
            f"host key of {exc.hostname} changed: got {exc.key.get_name()} "
            f"{exc.key.fingerprint}, known_hosts has {exc.expected_key.fingerprint}; "
            f"if the change is expected, remove the old entry (ssh-keygen -R)", host=host)
    if isinstance(exc, paramiko.AuthenticationException):
        return ConnectionFailed(f"SSH authentication failed ({_text(exc)})", host=host)
    if isinstance(exc, socket.gaierror):
        return ConnectionFailed(f"unknown host name ({_text(exc)})", host=host)
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return ConnectionFailed("SSH connection timed out", host=host)
    if isinstance(exc, paramiko.ssh_exception.NoValidConnectionsError):
        reasons = {_text(e) for e in exc.errors.values()}
        return ConnectionFailed(f"cannot connect: {'; '.join(sorted(reasons))}", host=host)
    if isinstance(exc, (OSError, paramiko.SSHException, EOFError)):
        return ConnectionFailed(f"SSH connection failed: {_text(exc)}", host=host)
    return exc


def _text(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
