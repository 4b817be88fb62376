"""The bed as tests see it: ``load_bed()`` reads the JSON state ``up`` wrote.

Kept free of docker/paramiko imports at module level so loading the state is cheap; the helper
methods import them when called.
"""
from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.bed.layout import STATE_FILE

if TYPE_CHECKING:  # pragma: no cover
    import docker
    import paramiko

STATE_VERSION = 1


class BedMissing(RuntimeError):
    """The bed is not up (no state file, or a host does not answer)."""


@dataclass(frozen=True)
class BedHost:
    """One simulated remote Docker host of the bed."""

    name: str
    address: str
    ssh_port: int
    user: str
    key_file: str
    known_hosts_file: str
    ssh_config_file: str
    docker_socket: str                  # the host's dockerd socket, as seen from the root namespace
    remote_docker_socket: str           # the same socket as an SSH session on the host sees it
    netns: str
    dockerd_pid: int                    # the Podman service's on a podman host
    sshd_pid: int
    kind: str = "docker"                # docker, podman, bastion (sshd only) or inner
    via: str = ""                       # an inner host's jump host (ProxyJump), else ""

    @property
    def docker_url(self) -> str:
        """Base URL for a Docker client talking to this host's daemon directly."""
        return f"unix://{self.docker_socket}"

    def docker_api(self, **kwargs: Any) -> docker.APIClient:
        """A low-level Docker client on this host's daemon socket (no SSH involved)."""
        import docker

        kwargs.setdefault("version", "auto")
        return docker.APIClient(base_url=self.docker_url, **kwargs)

    def ssh_client(self) -> paramiko.SSHClient:
        """A connected paramiko client that checks the host key against the bed's known_hosts."""
        import paramiko

        client = paramiko.SSHClient()
        client.load_host_keys(self.known_hosts_file)
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        client.connect(self.address, port=self.ssh_port, username=self.user,
                       key_filename=self.key_file, look_for_keys=False, allow_agent=False,
                       timeout=10)
        return client

    def problems(self, timeout: float = 2.0) -> list[str]:
        """What keeps this host from being usable: sshd or dockerd not answering."""
        found = []
        if self.via:
            greets = ssh_banner_in(f"dockerfab-{self.via}", self.address, self.ssh_port, timeout)
        else:
            greets = ssh_banner(self.address, self.ssh_port, timeout)
        if not greets:
            found.append(f"{self.name}: no sshd answers on {self.address}:{self.ssh_port}"
                         + (f" (from {self.via})" if self.via else ""))
        daemon = "podman" if self.kind == "podman" else "dockerd"
        if self.kind != "bastion" and not docker_ping(self.docker_socket, timeout):
            found.append(f"{self.name}: no {daemon} answers on {self.docker_socket}")
        return found


@dataclass(frozen=True)
class BedRegistry:
    """The bed's image registries on the bridge address: ``address`` open to all,
    ``auth_address`` asking for ``username``/``password`` (basic auth). Every bed host's
    dockerd trusts both as insecure (plain HTTP) registries; the local dockerd only when
    ``local_daemon_trusts`` (when ``up`` started it)."""

    address: str                        # 198.18.0.1:5000, no auth
    auth_address: str                   # 198.18.0.1:5001, htpasswd
    username: str
    password: str
    storage: str                        # the open registry's storage root (repositories below)
    auth_storage: str
    local_daemon_trusts: bool
    pid: int
    auth_pid: int

    def repository(self, name: str, auth: bool = False) -> str:
        """Full image name of repository ``name`` on the open (or the auth) registry."""
        return f"{self.auth_address if auth else self.address}/{name}"

    def repository_dir(self, name: str, auth: bool = False) -> Path:
        """Where the registry keeps repository ``name`` (its tags and layer links)."""
        root = self.auth_storage if auth else self.storage
        return Path(root, "docker", "registry", "v2", "repositories", name)

    def problems(self, timeout: float = 2.0) -> list[str]:
        """Registries that do not answer ``GET /v2/`` as expected (200, resp. 401)."""
        found = []
        for address, expect in ((self.address, 200), (self.auth_address, 401)):
            status = registry_ping(address, timeout)
            if status != expect:
                found.append(f"registry {address}: "
                             + (f"answered {status}" if status else "does not answer"))
        return found


@dataclass(frozen=True)
class Bed:
    """The whole bed: its hosts, the test images (tag -> image id) loaded on each, and the
    image registries (None in a state written before the bed had them)."""

    hosts: tuple[BedHost, ...]
    images: dict[str, str] = field(default_factory=dict)
    key_file: str = ""
    known_hosts_file: str = ""
    ssh_config_file: str = ""
    registry: BedRegistry | None = None
    #: hosts of other kinds (bed-podman, bed-bastion, bed-innerN): not iterated, not checked
    #: by ``problems`` (a test that needs one checks it: fixtures ``podman_host`` ...)
    others: tuple[BedHost, ...] = ()
    #: the fleet hosts bed4..bedN of ``up --hosts N`` (the fleet benchmark): not iterated,
    #: not checked by ``problems``, so the normal suite keeps using bed1..bed3
    extra: tuple[BedHost, ...] = ()

    def __iter__(self) -> Iterator[BedHost]:
        return iter(self.hosts)

    @property
    def fleet(self) -> tuple[BedHost, ...]:
        """The plain Docker hosts bed1..bedN: ``hosts`` and then ``extra``."""
        return (*self.hosts, *self.extra)

    def host(self, name: str) -> BedHost:
        """The host called ``name`` (``bed1`` ...)."""
        every = (*self.hosts, *self.others, *self.extra)
        for host in every:
            if host.name == name:
                return host
        raise KeyError(f"no bed host {name!r}; the bed has {[h.name for h in every]}")

    def problems(self) -> list[str]:
        """Problems of every host and the registries; empty when the whole bed answers.
        A state without registries (written by an older checkout's ``up``) is no problem
        here: only tests that need them fail (fixture ``registry``)."""
        found = [p for host in self.hosts for p in host.problems()]
        if self.registry is not None:
            found += self.registry.problems()
        return found

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["version"] = STATE_VERSION
        return data


def load_bed(path: Path | None = None) -> Bed:
    """Read the bed ``python -m tests.testbed up`` described; :class:`BedMissing` if there is none.

    The state file is $DOCKERFAB_BED_STATE if set, else /run/dockerfab-bed/bed.json.
    """
    if path is None:
        path = Path(os.environ.get("DOCKERFAB_BED_STATE") or STATE_FILE)
    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise BedMissing(f"the test bed is not up ({path} does not exist): "
                         "run `python -m tests.testbed up` as root") from None
    if data.get("version") != STATE_VERSION:
        raise BedMissing(f"{path} was written by another version of the bed: "
                         "run `python -m tests.testbed up` again")
    hosts = tuple(BedHost(**h) for h in data["hosts"])
    registry = BedRegistry(**data["registry"]) if data.get("registry") else None
    others = tuple(BedHost(**h) for h in data.get("others") or ())
    extra = tuple(BedHost(**h) for h in data.get("extra") or ())
    return Bed(hosts=hosts, images=data["images"], key_file=data["key_file"],
               known_hosts_file=data["known_hosts_file"], ssh_config_file=data["ssh_config_file"],
               registry=registry, others=others, extra=extra)


def save_bed(bed: Bed, path: Path = STATE_FILE) -> None:
    """Write the state atomically (a reader never sees half a file), only when it changed."""
    text = json.dumps(bed.to_json(), indent=2) + "\n"
    if path.exists() and path.read_text() == text:
        return
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def docker_ping(socket_path: str | os.PathLike[str], timeout: float = 1.0) -> bool:
    """True when a dockerd answers ``/_ping`` on the unix socket (raw HTTP: no SDK import)."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(os.fspath(socket_path))
            sock.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            head = sock.recv(32)
    except OSError:
        return False
    return head.startswith(b"HTTP/1.") and head[9:12] == b"200"


def ssh_banner(address: str, port: int, timeout: float = 1.0) -> bool:
    """True when an SSH server greets on address:port."""
    try:
        with socket.create_connection((address, port), timeout=timeout) as sock:
            return sock.recv(8).startswith(b"SSH-")
    except OSError:
        return False


def ssh_banner_in(netns: str, address: str, port: int, timeout: float = 1.0) -> bool:
    """:func:`ssh_banner` from inside the network namespace ``netns`` (for hosts that only
    that namespace can reach): bash's /dev/tcp there, which starts faster than a Python."""
    import subprocess

    script = 'exec 3<>"/dev/tcp/$0/$1" && head -c 4 <&3'
    try:
        done = subprocess.run(["nsenter", f"--net=/run/netns/{netns}", "timeout",
                               str(timeout), "bash", "-c", script, address, str(port)],
                              stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=timeout + 5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.stdout == b"SSH-"


def registry_ping(address: str, timeout: float = 1.0) -> int | None:
    """The HTTP status of ``GET /v2/`` on a registry at ``host:port`` (None: no answer)."""
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout) as sock:
            sock.sendall(f"GET /v2/ HTTP/1.0\r\nHost: {address}\r\n\r\n".encode())
            head = sock.recv(16)
    except OSError:
        return None
    if not head.startswith(b"HTTP/1.") or not head[9:12].isdigit():
        return None
    return int(head[9:12])
