"""One host's Docker daemon as seen through one SSH transport: which opener to use, and errors.

``SSHEndpoint.open_channel()`` is all the HTTP adapter and the local relay need. In automatic
mode the endpoint tries ``direct-streamlocal@openssh.com`` once per transport and daemon URL,
remembers the answer (for every endpoint on that transport) and falls back to
``docker system dial-stdio`` when sshd refuses forwarding.
"""
from __future__ import annotations

import threading
import weakref
from typing import Literal
from urllib.parse import urlsplit

from paramiko import Channel, ChannelException, SSHException, Transport
from paramiko.common import (
    OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED,
    OPEN_FAILED_CONNECT_FAILED,
    OPEN_FAILED_UNKNOWN_CHANNEL_TYPE,
)

from dockerfab.errors import ConnectionFailed, MapError
from dockerfab.ssh import channels
from dockerfab.ssh.keepalive import lost_reason
from dockerfab.ssh.tcp import disable_nagle

Mode = Literal["auto", "streamlocal", "dial-stdio", "tcpip"]
MODES = ("auto", "streamlocal", "dial-stdio", "tcpip")
DEFAULT_URL = "unix:///var/run/docker.sock"
#: sshd counts exec channels against MaxSessions (default 10); stay below it, leaving room
#: for the commands Fabric runs on the same connection.
DIAL_STDIO_MAX_CHANNELS = 8

# transport -> {daemon url: mode chosen by automatic mode}
_decisions: weakref.WeakKeyDictionary[Transport, dict[str, str]] = weakref.WeakKeyDictionary()
_decisions_lock = threading.Lock()


def _peer_name(transport: Transport) -> str:
    """``host:port`` of the SSH server, for messages when the caller gave no host name."""
    try:
        host, port = transport.getpeername()[:2]
        return f"{host}:{port}"
    except (OSError, AttributeError, TypeError, ValueError):
        return "ssh"


class SSHEndpoint:
    """A Docker daemon URL (``unix://PATH`` or ``tcp://HOST:PORT``) on the far side of ``transport``.

    ``mode`` picks the opener: ``streamlocal``, ``dial-stdio`` (optionally through ``sudo -n``),
    ``tcpip`` (only for ``tcp://`` URLs), or ``auto`` (``tcpip`` for TCP URLs; streamlocal with
    dial-stdio fallback for UNIX sockets).
    """

    def __init__(self, transport: Transport, url: str = DEFAULT_URL, *, mode: Mode = "auto",
                 sudo: bool = False, host: str | None = None,
                 open_timeout: float | None = None) -> None:
        if mode not in MODES:
            raise MapError(f"unknown SSH transport mode {mode!r} (one of {', '.join(MODES)})")
        parts = urlsplit(url)
        if parts.scheme == "unix" and parts.path:
            self.socket_path: str | None = parts.path
            self.tcp_address: tuple[str, int] | None = None
        elif parts.scheme == "tcp" and parts.hostname and parts.port:
            self.socket_path = None
            self.tcp_address = (parts.hostname, parts.port)
        else:
            raise MapError(f"Docker URL {url!r} is neither unix:///PATH nor tcp://HOST:PORT")
        if mode == "streamlocal" and self.tcp_address:
            raise MapError(f"mode 'streamlocal' needs a unix:// URL, not {url!r}")
        if mode == "tcpip" and self.socket_path:
            raise MapError(f"mode 'tcpip' needs a tcp:// URL, not {url!r}")
        self.transport = transport
        disable_nagle(transport)
        self.url = url
        self.requested_mode = mode
        self.sudo = sudo
        self.host = host or _peer_name(transport)
        self.open_timeout = open_timeout
        self._spare: Channel | None = None
        self._lock = threading.Lock()
        if mode == "auto" and self.tcp_address:
            self.requested_mode = "tcpip"

    @property
    def target(self) -> str:
        """The daemon's address as users know it (socket path or host:port)."""
        if self.socket_path:
            return self.socket_path
        assert self.tcp_address
        return f"{self.tcp_address[0]}:{self.tcp_address[1]}"

    @property
    def mode(self) -> str | None:
        """The opener in use: the requested one, or automatic mode's choice once made (else None)."""
        if self.requested_mode != "auto":
            return self.requested_mode
        with _decisions_lock:
            return _decisions.get(self.transport, {}).get(self.url)

    def fail(self, message: str) -> ConnectionFailed:
        """A ConnectionFailed for this host (returned so callers write ``raise endpoint.fail(...)``)."""
        return ConnectionFailed(message, host=self.host)

    def lost(self) -> ConnectionFailed:
        """"SSH connection lost" for this host (with the keepalive's reason if it gave up)."""
        return self.fail(lost_reason(self.transport))

    def resolve(self) -> str:
        """Decide the opener now (automatic mode probes streamlocal once); return its name."""
        mode = self.mode
        if mode is not None:
            return mode
        with self._lock:
            mode = self.mode
            if mode is not None:
                return mode
            try:
                self._spare = self._open("streamlocal", self.open_timeout)
                mode = "streamlocal"  # the probe channel serves the first request
            except ChannelException as error:
                if error.code == OPEN_FAILED_CONNECT_FAILED:
                    # OpenSSH answers "connect failed" both when forwarding is off and when
                    # nothing listens on the socket: a dial-stdio ping tells which
                    problem = self._diagnose()
                    if problem is not None:
                        raise problem from None
                elif error.code not in (OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED,
                                        OPEN_FAILED_UNKNOWN_CHANNEL_TYPE):
                    raise self._translate(error, "streamlocal") from None
                mode = "dial-stdio"
            except (SSHException, OSError, EOFError) as error:
                raise self._translate(error, "streamlocal") from None
            with _decisions_lock:
                _decisions.setdefault(self.transport, {})[self.url] = mode
            return mode

    def _diagnose(self) -> ConnectionFailed | None:
        """After streamlocal failed to connect: ping the daemon through dial-stdio.

        None when the daemon answers (so sshd refused the forwarding), else the reason.
        """
        try:
            channel = self._open("dial-stdio", self.open_timeout)
        except (SSHException, OSError, EOFError):
            return self.fail(f"sshd refused forwarding to {self.target}, or no Docker daemon "
                             "listens there (no session for dial-stdio to tell which)")
        try:
            channel.settimeout(self.open_timeout or channels.DEFAULT_OPEN_TIMEOUT)
            channel.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            answer = b""
            while chunk := channel.recv(4096):
                answer += chunk
            if answer.startswith(b"HTTP/1.") and answer[9:12] == b"200":
                return None
            problem = self._exit_problem(channel)
            return problem or self.fail(f"no Docker daemon behind {self.target}")
        except (SSHException, OSError, EOFError):
            return self.fail(f"no Docker daemon answers behind {self.target}")
        finally:
            channel.close()

    def open_channel(self, timeout: float | None = None) -> Channel:
        """A fresh channel to the daemon; ConnectionFailed with a one-line reason if impossible."""
        mode = self.resolve()
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is not None and spare.active and not spare.closed:
            return spare
        try:
            return self._open(mode, self.open_timeout if timeout is None else timeout)
        except (ChannelException, SSHException, OSError, EOFError) as error:
            raise self._translate(error, mode) from None

    def _open(self, mode: str, timeout: float | None) -> Channel:
        if not self.transport.is_active():
            raise SSHException("SSH session not active")
        if mode == "streamlocal":
            assert self.socket_path
            return channels.open_streamlocal(self.transport, self.socket_path, timeout=timeout)
        if mode == "tcpip":
            assert self.tcp_address
            return channels.open_tcpip(self.transport, *self.tcp_address, timeout=timeout)
        return channels.open_dial_stdio(self.transport, self.url, sudo=self.sudo, timeout=timeout)

    def _translate(self, error: BaseException, mode: str) -> ConnectionFailed:
        """Turn a paramiko failure into the one-line message users see."""
        if not self.transport.is_active():
            return self.lost()
        if isinstance(error, ChannelException):
            if mode == "dial-stdio":
                return self.fail(f"sshd refused a session for docker system dial-stdio "
                                 f"({error.text}; MaxSessions reached?)")
            if error.code == OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED:
                return self.fail(f"sshd refused forwarding to {self.target}")
            if error.code == OPEN_FAILED_CONNECT_FAILED and mode == "streamlocal":
                return self._diagnose() or self.fail(f"sshd refused forwarding to {self.target}")
            if error.code == OPEN_FAILED_CONNECT_FAILED:
                return self.fail(f"nothing listens at {self.target} (sshd could not connect)")
            if error.code == OPEN_FAILED_UNKNOWN_CHANNEL_TYPE:
                return self.fail(f"the SSH server does not support {mode} channels")
            return self.fail(f"sshd could not open a channel to {self.target}: {error.text}")
        if "Timeout" in str(error):
            return self.fail(f"timed out opening an SSH channel to {self.target}")
        return self.fail(f"SSH channel to {self.target} failed: {error}")

    def check_eof(self, channel: Channel) -> ConnectionFailed | None:
        """Explain an unexpected end of stream on ``channel`` (dial-stdio failure, lost SSH), or None."""
        if not self.transport.is_active():
            return self.lost()
        if self.mode == "dial-stdio":
            return self._exit_problem(channel)
        return None

    def _exit_problem(self, channel: Channel) -> ConnectionFailed | None:
        """Why a dial-stdio command ended: its exit status and last stderr line, in one line."""
        if not channel.status_event.wait(2.0):
            return None
        status = channel.recv_exit_status()
        if status == 0:
            return None
        text = b""
        while channel.recv_stderr_ready():
            text += channel.recv_stderr(4096)
        lines = [line for line in text.decode("utf-8", "replace").splitlines() if line.strip()]
        detail = lines[-1].strip() if lines else f"exit status {status}"
        lowered = detail.lower()
        if status == 127:
            return self.fail(f"sshd refused forwarding to {self.target}, or no Docker daemon "
                             "listens there (no docker CLI on the host for dial-stdio)")
        if "password is required" in lowered or "terminal is required" in lowered:
            return self.fail("sudo needs a password for docker system dial-stdio")
        if "permission denied" in lowered:
            hint = "" if self.sudo else "; sudo=True may help"
            return self.fail(f"no permission to use {self.target}{hint}")
        if "connect:" in lowered or "no such file" in lowered or "refused" in lowered:
            return self.fail(f"no Docker daemon behind {self.target}")
        return self.fail(f"docker system dial-stdio failed: {detail}")

    def __repr__(self) -> str:
        return f"<SSHEndpoint {self.host} {self.url} mode={self.mode or self.requested_mode}>"
