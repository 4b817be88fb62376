"""A local UNIX socket that relays each connection over the SSH transport (for ``docker -H``).

The socket lives in a fresh private directory (mode 0700, socket 0600), so only the current
user can reach the remote daemon through it; nothing listens on TCP.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator

from paramiko import Channel

from dockerfab.errors import DockerFabError
from dockerfab.ssh.endpoint import SSHEndpoint
from dockerfab.ssh.eof import send_eof

_CHUNK = 65536


class LocalRelay:
    """Accepts connections on ``path`` and pipes each one through a new channel of ``endpoint``."""

    def __init__(self, endpoint: SSHEndpoint, path: str) -> None:
        self.endpoint = endpoint
        self.path = path
        self.url = f"unix://{path}"
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(path)
        os.chmod(path, 0o600)
        self._listener.listen(32)
        self._stopping = threading.Event()
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True,
                                        name=f"dockerfab-relay {endpoint.host}")
        self._thread.start()

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with self._lock:
            self._open.add(client)
        try:
            channel = self.endpoint.open_channel()
        except DockerFabError:
            self._forget(client)
            client.close()  # the tool sees a closed connection; the error is on our side
            return
        upstream = threading.Thread(target=self._pump_up, args=(client, channel), daemon=True)
        upstream.start()
        try:
            while True:
                data = channel.recv(_CHUNK)
                if not data:
                    break
                client.sendall(data)
            client.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        upstream.join()
        channel.close()
        self._forget(client)
        client.close()

    @staticmethod
    def _pump_up(client: socket.socket, channel: Channel) -> None:
        """Client -> daemon; an EOF from the client becomes an EOF on the channel."""
        try:
            while True:
                data = client.recv(_CHUNK)
                if not data:
                    break
                channel.sendall(data)
            send_eof(channel)
        except OSError:
            channel.close()

    def _forget(self, client: socket.socket) -> None:
        with self._lock:
            self._open.discard(client)

    def close(self) -> None:
        """Stop accepting, cut open relays, remove the socket."""
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._thread.join(5)
        with self._lock:
            clients = list(self._open)
        for client in clients:
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


@contextlib.contextmanager
def local_socket(endpoint: SSHEndpoint) -> Iterator[str]:
    """Yield ``unix:///tmp/dockerfab-ssh-XXXX/docker.sock``, relaying to ``endpoint`` until exit."""
    directory = tempfile.mkdtemp(prefix="dockerfab-ssh-")  # created with mode 0700
    relay = LocalRelay(endpoint, os.path.join(directory, "docker.sock"))
    try:
        yield relay.url
    finally:
        relay.close()
        shutil.rmtree(directory, ignore_errors=True)
