"""The SSH transport against a real sshd and a real dockerd: the test bed's host bed1.

Most tests go through bed1's own sshd to its daemon. For the fallback we start a second sshd
inside bed1 (same network and socket view) with ``AllowStreamLocalForwarding no``; for
direct-tcpip a small relay inside bed1 stands in for a dockerd TCP socket on 127.0.0.1.
"""
from __future__ import annotations

import hashlib
import io
import os
import random
import shutil
import socket
import stat
import subprocess
import sys
import tarfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import docker
import paramiko
import pytest
import requests

from dockerfab.errors import ConnectionFailed
from dockerfab.ssh import SSHEndpoint, docker_client, local_socket
from tests.bed import BedHost

PREFIX = f"dfssh-{uuid.uuid4().hex[:8]}"
BED_IMAGE = "busybox:latest"
PAYLOAD = random.Random(PREFIX).randbytes(3 * 1024 * 1024)  # the build context's big file


# -- a second sshd inside a bed host --------------------------------------------------------------

@dataclass
class Sshd:
    """An sshd we started inside a bed host, and how to log in to it with host key checking."""

    address: str
    port: int
    client_key: Path
    known_hosts: Path
    process: subprocess.Popen[bytes]

    def connect(self) -> paramiko.SSHClient:
        client = paramiko.SSHClient()
        client.load_host_keys(str(self.known_hosts))
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        client.connect(self.address, port=self.port, username="root",
                       key_filename=str(self.client_key), look_for_keys=False,
                       allow_agent=False, timeout=10)
        return client

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def in_bed_host(host: BedHost) -> list[str]:
    """Command prefix running a program in ``host``'s network namespace."""
    return ["nsenter", f"--net=/run/netns/{host.netns}"]


def start_sshd(directory: Path, host: BedHost, **options: str) -> Sshd:
    """Start ``sshd -D`` in ``host``'s namespace on a high port, with its own keys under
    ``directory``, seeing the host's daemon at /var/run/docker.sock; ``options`` extend its config."""
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    for name in ("host_key", "client_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                        str(directory / name)], check=True)
    (directory / "authorized_keys").write_text((directory / "client_key.pub").read_text())
    port = random.randrange(10000, 20000)  # below the ephemeral range: never taken by chance
    key_type, key = (directory / "host_key.pub").read_text().split()[:2]
    (directory / "known_hosts").write_text(f"[{host.address}]:{port} {key_type} {key}\n")
    config = {
        "ListenAddress": f"{host.address}:{port}",
        "HostKey": str(directory / "host_key"),
        "AuthorizedKeysFile": str(directory / "authorized_keys"),
        "PermitRootLogin": "prohibit-password", "PasswordAuthentication": "no",
        "KbdInteractiveAuthentication": "no", "UsePAM": "no", "StrictModes": "no",
        "PidFile": "none", **options,
    }
    (directory / "sshd_config").write_text("".join(f"{k} {v}\n" for k, v in config.items()))
    Path("/run/sshd").mkdir(exist_ok=True)  # privilege separation directory sshd insists on
    log_path = directory / "sshd.log"
    script = 'mount --bind "$0" "$1" && exec /usr/sbin/sshd -D -e -f "$2"'
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [*in_bed_host(host), "unshare", "--mount", "--propagation", "private", "sh", "-c",
             script, host.docker_socket, host.remote_docker_socket,
             str(directory / "sshd_config")], stdout=log, stderr=log)
    deadline = time.monotonic() + 10
    while b"Server listening" not in log_path.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("sshd did not start: " + log_path.read_text())
        time.sleep(0.05)
    return Sshd(host.address, port, directory / "client_key", directory / "known_hosts", process)


@pytest.fixture(scope="module")
def strict_sshd(tmp_path_factory: pytest.TempPathFactory, bed_host: BedHost) -> Iterator[Sshd]:
    """A second sshd on bed1 that refuses all forwarding: only dial-stdio can work through it."""
    server = start_sshd(tmp_path_factory.mktemp("strict-sshd"), bed_host,
                        AllowStreamLocalForwarding="no", AllowTcpForwarding="no")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def ssh(bed_host: BedHost) -> Iterator[paramiko.SSHClient]:
    """An SSH connection to bed1's sshd (host key checked against the bed's known_hosts)."""
    client = bed_host.ssh_client()
    yield client
    client.close()


@pytest.fixture(scope="module")
def api(ssh: paramiko.SSHClient, bed_host: BedHost) -> Iterator[docker.APIClient]:
    """A Docker client whose every request goes through the one SSH transport of ``ssh``."""
    client = docker_client(ssh.get_transport(), host=bed_host.name)
    yield client
    client.close()


@pytest.fixture(scope="module")
def direct(bed_api: Callable[[BedHost], docker.APIClient],
           bed_host: BedHost) -> docker.APIClient:
    """The same daemon over its UNIX socket, no SSH: the reference for checks and timings."""
    return bed_api(bed_host)


def _context(files: dict[str, bytes]) -> io.BytesIO:
    """A build context (tar) holding ``files``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    buffer.seek(0)
    return buffer


@pytest.fixture(scope="module")
def image(api: docker.APIClient, direct: docker.APIClient) -> Iterator[str]:
    """An image built over SSH from a context holding a 3 MiB random file (in /ctx)."""
    tag = f"{PREFIX}-ctx:latest"
    context = _context({"Dockerfile": f"FROM {BED_IMAGE}\nCOPY . /ctx/\n".encode(),
                        "payload.bin": PAYLOAD})
    log = list(api.build(fileobj=context, custom_context=True, tag=tag, rm=True, decode=True))
    errors = [entry for entry in log if "error" in entry]
    assert not errors, errors
    yield tag
    direct.remove_image(tag, force=True)


def _run(api: docker.APIClient, image: str, command: list[str], name: str,
         cleanup: list[str]) -> str:
    """Create (registered for clean-up at once) and start a container, without a network."""
    container = api.create_container(image, command, name=f"{PREFIX}-{name}",
                                     host_config=api.create_host_config(network_mode="none"))["Id"]
    cleanup.append(container)
    api.start(container)
    return container


@pytest.fixture
def cleanup(direct: docker.APIClient) -> Iterator[list[str]]:
    """Containers to remove (by id) after the test, through the direct socket."""
    created: list[str] = []
    yield created
    for container in created:
        direct.remove_container(container, force=True)


# -- streamlocal --------------------------------------------------------------------------------

def test_streamlocal_ping_version_containers(api: docker.APIClient, direct: docker.APIClient,
                                             image: str, cleanup: list[str]) -> None:
    assert api.ssh_endpoint.mode == "streamlocal"
    assert api.ping() is True
    assert api.version()["ApiVersion"] == direct.version()["ApiVersion"] == api.api_version
    container = _run(api, image, ["sleep", "30"], "ps", cleanup)
    listed = api.containers(filters={"name": f"{PREFIX}-ps"})
    assert [c["Id"] for c in listed] == [container]
    assert direct.inspect_container(container)["State"]["Running"] is True


def test_fabric_connection_is_accepted(bed_host: BedHost) -> None:
    from fabric import Connection

    with Connection(bed_host.address, user=bed_host.user, port=bed_host.ssh_port,
                    connect_kwargs={"key_filename": bed_host.key_file,
                                    "look_for_keys": False, "allow_agent": False}) as conn:
        conn.client.load_host_keys(bed_host.known_hosts_file)
        conn.client.set_missing_host_key_policy(paramiko.RejectPolicy())
        client = docker_client(conn)  # opens the connection and takes its transport
        assert client.ping() is True
        assert client.ssh_endpoint.host == bed_host.address
        assert client.ssh_endpoint.transport is conn.transport
        client.close()


def test_client_class_is_honoured(ssh: paramiko.SSHClient, bed_host: BedHost) -> None:
    from dockerfab.client.wrapper import DockerClientWrapper

    client = docker_client(ssh.get_transport(), client_class=DockerClientWrapper,
                           host=bed_host.name)
    assert isinstance(client, DockerClientWrapper)
    assert client.url == "unix:///var/run/docker.sock"  # the remote URL, for its messages
    assert BED_IMAGE in client.get_image_tags()
    client.close()


def test_twenty_concurrent_calls_share_one_transport(api: docker.APIClient,
                                                     ssh: paramiko.SSHClient) -> None:
    start = threading.Barrier(20)
    calls = [api.ping, api.version, lambda: api.containers(all=True), api.info]
    channels = api._custom_adapter.get_connection("/")
    opened_before = channels.num_connections

    def call(index: int) -> object:
        start.wait()
        return calls[index % len(calls)]()

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(call, range(20)))
    assert results[0::4] == [True] * 5
    assert all(r["ApiVersion"] == api.api_version for r in results[1::4])
    assert all(isinstance(r, list) for r in results[2::4])
    assert all("Containers" in r for r in results[3::4])
    # requests really ran side by side, each on its own channel
    assert channels.num_connections - opened_before > 1
    assert api.ssh_endpoint.transport is ssh.get_transport()


def test_streamed_logs(api: docker.APIClient, image: str, cleanup: list[str]) -> None:
    container = _run(api, image,
                     ["sh", "-c", "for i in 1 2 3; do echo line$i; sleep 0.3; done"], "logs", cleanup)
    started = time.monotonic()
    arrivals = []
    for chunk in api.logs(container, stream=True, follow=True):
        arrivals.append((chunk, time.monotonic() - started))
    text = b"".join(chunk for chunk, _ in arrivals)
    assert text.splitlines() == [b"line1", b"line2", b"line3"]
    # streamed as produced, not delivered in one piece at the end
    assert arrivals[0][1] < arrivals[-1][1] - 0.3


def test_events_stream(api: docker.APIClient, image: str, cleanup: list[str]) -> None:
    since = int(time.time()) - 1
    container = _run(api, image, ["true"], "events", cleanup)
    events = api.events(since=since, decode=True, filters={"container": container})
    seen = []
    for event in events:
        seen.append(event["status"])
        if event["status"] == "die":
            break
    events.close()
    assert seen[:3] == ["create", "start", "die"]


def test_build_uploads_context(api: docker.APIClient, direct: docker.APIClient, image: str,
                               cleanup: list[str]) -> None:
    # the `image` fixture built over SSH with a 3 MiB context; check its content arrived intact
    container = _run(api, image, ["sh", "-c", "md5sum /ctx/payload.bin; wc -c /ctx/payload.bin"],
                     "build", cleanup)
    assert api.wait(container, timeout=30)["StatusCode"] == 0
    out = api.logs(container).decode()
    assert f"{hashlib.md5(PAYLOAD).hexdigest()}  /ctx/payload.bin" in out
    assert "3145728 /ctx/payload.bin" in out
    assert direct.inspect_image(image)["Config"]["Cmd"] == ["sh"]


def test_build_with_generator_is_sent_chunked(api: docker.APIClient,
                                              direct: docker.APIClient) -> None:
    tag = f"{PREFIX}-chunked:latest"
    context = _context({"Dockerfile": f"FROM {BED_IMAGE}\nCOPY big /big\n".encode(),
                        "big": os.urandom(1024 * 1024)}).getvalue()

    def pieces() -> Iterator[bytes]:  # no length known in advance: chunked transfer encoding
        for offset in range(0, len(context), 100_000):
            yield context[offset:offset + 100_000]

    response = api._post(api._url("/build"), params={"t": tag, "rm": "1"}, data=pieces(),
                         headers={"Content-Type": "application/x-tar"}, stream=True)
    log = list(api._stream_helper(response, decode=True))
    try:
        assert not [e for e in log if "error" in e], log
        assert direct.inspect_image(tag)["RepoTags"] == [tag]
    finally:
        direct.remove_image(tag, force=True)


def test_put_and_get_archive(api: docker.APIClient, image: str, cleanup: list[str]) -> None:
    container = api.create_container(image, ["true"], name=f"{PREFIX}-archive")["Id"]
    cleanup.append(container)
    data = os.urandom(2 * 1024 * 1024 + 17)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("blob")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    assert api.put_archive(container, "/ctx", buffer.getvalue()) is True
    stream, _ = api.get_archive(container, "/ctx/blob")
    with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
        member = tar.extractfile("blob")
        assert member is not None and member.read() == data


def test_bulk_transfer_round_trip(api: docker.APIClient, image: str,
                                  cleanup: list[str]) -> None:
    """A 16 MiB archive goes up and comes back intact (sent in pieces, not one sendall).

    How fast, against the direct socket, is a figure of ``python -m tests.bench.bench_ssh``."""
    container = api.create_container(image, ["true"], name=f"{PREFIX}-bulk")["Id"]
    cleanup.append(container)
    payload = os.urandom(16 * 1024 * 1024)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("bulk")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    assert api.put_archive(container, "/ctx", buffer.getvalue())
    stream, _ = api.get_archive(container, "/ctx/bulk", chunk_size=65536)
    with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
        member = tar.extractfile("bulk")
        assert member is not None and member.read() == payload


def test_exec_stream_and_hijacked_socket(api: docker.APIClient, image: str,
                                         cleanup: list[str]) -> None:
    container = _run(api, image, ["sleep", "60"], "exec", cleanup)
    exec_id = api.exec_create(container, ["sh", "-c", "echo one; sleep 0.2; echo two"])["Id"]
    assert b"".join(api.exec_start(exec_id, stream=True)) == b"one\ntwo\n"

    # a hijacked connection: write to the process's stdin, read its stdout
    exec_id = api.exec_create(container, ["cat"], stdin=True)["Id"]
    sock = api.exec_start(exec_id, socket=True)
    raw = sock._sock
    raw.sendall(b"hello over ssh\n")
    raw.shutdown(socket.SHUT_WR)
    received = b"".join(frame for _, frame in docker.utils.socket.frames_iter(sock, tty=False))
    sock.close()
    assert received == b"hello over ssh\n"

    attached = _run(api, image, ["sh", "-c", "sleep 0.5; echo attached"], "attach", cleanup)
    assert b"".join(api.attach(attached, stream=True)) == b"attached\n"


def test_attach_keeps_output_sent_right_behind_the_response_head(
        api: docker.APIClient, image: str, cleanup: list[str]) -> None:
    # with logs=True the daemon writes the recorded output directly after the response head;
    # the SDK parses the head through a buffered reader and then reads the raw socket, so
    # bytes read ahead into that buffer would vanish (docker-py's own UNIX transport
    # sometimes loses them). Three tries, as the ordering is up to the network.
    for attempt in range(3):
        container = _run(api, image, ["sh", "-c", "echo early; sleep 0.6; echo late"],
                         f"attach-logs-{attempt}", cleanup)
        time.sleep(0.3)
        received = _within(10, lambda: b"".join(
            api.attach(container, stream=True, logs=True)))  # noqa: B023 - used at once
        assert received == b"early\nlate\n"


def test_read_timeout(ssh: paramiko.SSHClient, image: str, cleanup: list[str],
                      api: docker.APIClient) -> None:
    container = _run(api, image, ["sleep", "30"], "timeout", cleanup)
    impatient = docker_client(ssh.get_transport(), timeout=1)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ConnectionError, match="timed out"):
        impatient.wait(container, timeout=1)
    # the client's own timeout applies to calls that do not pass one (logs blocks: follow)
    with pytest.raises(requests.exceptions.ConnectionError, match="timed out"):
        impatient.logs(container, follow=True)
    assert time.monotonic() - started < 6
    assert impatient.ping() is True  # the client stays usable after a timed-out request
    impatient.close()


def test_no_local_tcp_listener(ssh: paramiko.SSHClient) -> None:
    before = _tcp_listeners()
    client = docker_client(ssh.get_transport())
    assert client.ping() is True
    with local_socket(client.ssh_endpoint) as url:
        assert docker.APIClient(base_url=url, version="auto").ping() is True
        after = _tcp_listeners()
    client.close()
    ours = _socket_inodes_of(os.getpid())
    assert not (after - before) & ours
    assert not after & ours  # this process holds no listening TCP socket at all


def test_local_socket_serves_the_docker_cli(api: docker.APIClient,
                                            direct: docker.APIClient) -> None:
    with local_socket(api.ssh_endpoint) as url:
        path = Path(url[len("unix://"):])
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        docker_cli = shutil.which("docker")
        assert docker_cli, "the docker CLI is needed for this test"
        done = subprocess.run([docker_cli, "-H", url, "version", "--format",
                               "{{.Server.APIVersion}}"], capture_output=True, text=True,
                              timeout=60, check=True)
        assert done.stdout.strip() == direct.version()["ApiVersion"]
    assert not path.exists() and not path.parent.exists()


# -- dial-stdio fallback --------------------------------------------------------------------------

def test_auto_mode_falls_back_to_dial_stdio(strict_sshd: Sshd, direct: docker.APIClient) -> None:
    ssh = strict_sshd.connect()
    try:
        with pytest.raises(ConnectionFailed,
                           match="sshd refused forwarding to /var/run/docker.sock"):
            docker_client(ssh.get_transport(), mode="streamlocal", host="strict")
        client = docker_client(ssh.get_transport(), host="strict")
        assert client.ssh_endpoint.mode == "dial-stdio"
        assert client.ping() is True
        assert client.version()["ApiVersion"] == direct.version()["ApiVersion"]
        # the choice is remembered for the transport: a second client does not probe again
        again = SSHEndpoint(ssh.get_transport(), host="strict")
        assert again.mode == "dial-stdio"

        start = threading.Barrier(20)

        def call(_: int) -> object:
            start.wait()
            return client.containers(all=True)

        with ThreadPoolExecutor(20) as pool:
            results = list(pool.map(call, range(20)))
        assert all(isinstance(r, list) for r in results)
        channels = client._custom_adapter.get_connection("/")
        assert 1 < channels.num_connections <= 8  # within sshd's MaxSessions (10)

        # the local endpoint relays through dial-stdio channels just the same
        with local_socket(client.ssh_endpoint) as url:
            assert docker.APIClient(base_url=url, version="auto").ping() is True
        client.close()
    finally:
        ssh.close()


# -- direct-tcpip ------------------------------------------------------------------------------

RELAY = """
import socket, sys, threading
target, listener = sys.argv[1], socket.create_server(("127.0.0.1", 0))
def pump(src, dst):
    try:
        while data := src.recv(65536):
            dst.sendall(data)
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass
print(listener.getsockname()[1], flush=True)
while True:
    client, _ = listener.accept()
    daemon = socket.socket(socket.AF_UNIX)
    daemon.connect(target)
    threading.Thread(target=pump, args=(client, daemon), daemon=True).start()
    threading.Thread(target=pump, args=(daemon, client), daemon=True).start()
"""


@pytest.fixture(scope="module")
def tcp_daemon(bed_host: BedHost) -> Iterator[tuple[str, int]]:
    """bed1's daemon on 127.0.0.1:PORT inside bed1 (a relay stands in for dockerd's TCP socket)."""
    relay = subprocess.Popen([*in_bed_host(bed_host), sys.executable, "-c", RELAY,
                              bed_host.docker_socket], stdout=subprocess.PIPE)
    assert relay.stdout is not None
    port = int(relay.stdout.readline())
    yield "127.0.0.1", port
    relay.terminate()
    relay.wait(10)


def test_direct_tcpip_to_tcp_daemon(ssh: paramiko.SSHClient, tcp_daemon: tuple[str, int],
                                    direct: docker.APIClient) -> None:
    host, port = tcp_daemon
    client = docker_client(ssh.get_transport(), f"tcp://{host}:{port}")
    assert client.ssh_endpoint.mode == "tcpip"
    assert client.ping() is True
    assert client.version()["ApiVersion"] == direct.version()["ApiVersion"]
    client.close()


def test_tcpip_refused_when_forwarding_is_off(strict_sshd: Sshd, tcp_daemon: tuple[str, int]) -> None:
    ssh = strict_sshd.connect()
    try:
        with pytest.raises(ConnectionFailed, match=r"^strict: sshd refused forwarding to 127"):
            docker_client(ssh.get_transport(), f"tcp://{tcp_daemon[0]}:{tcp_daemon[1]}",
                          host="strict")
    finally:
        ssh.close()


# -- errors --------------------------------------------------------------------------------------

def test_dead_daemon_socket(ssh: paramiko.SSHClient, tmp_path: Path) -> None:
    dead = tmp_path / "dead.sock"
    with socket.socket(socket.AF_UNIX) as stale:  # a socket file nobody listens on
        stale.bind(str(dead))
    for mode in ("auto", "streamlocal", "dial-stdio"):
        with pytest.raises(ConnectionFailed) as caught:
            docker_client(ssh.get_transport(), f"unix://{dead}", mode=mode, host="bedhost")
        message = str(caught.value)
        assert message.startswith(f"bedhost: no Docker daemon behind {dead}"), (mode, message)
        assert "\n" not in message


def test_lost_ssh_connection(bed_host: BedHost) -> None:
    ssh = bed_host.ssh_client()
    client = docker_client(ssh.get_transport(), host="fragile")
    assert client.ping() is True
    ssh.close()
    with pytest.raises(ConnectionFailed, match="^fragile: SSH connection lost$"):
        client.ping()
    client.close()


# -- helpers -------------------------------------------------------------------------------------

def _within(seconds: float, call: Callable[[], bytes]) -> bytes:
    """``call()``, failing the test (not hanging it) if it takes longer than ``seconds``."""
    result: list[bytes] = []
    worker = threading.Thread(target=lambda: result.append(call()), daemon=True)
    worker.start()
    worker.join(seconds)
    if not result:
        pytest.fail(f"no complete answer within {seconds} s (stream bytes lost?)")
    return result[0]


def _tcp_listeners() -> set[int]:
    """Socket inodes of listening TCP sockets (IPv4 and IPv6) in this network namespace."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            next(lines)
            for line in lines:
                fields = line.split()
                if fields[3] == "0A":  # TCP_LISTEN
                    inodes.add(int(fields[9]))
    return inodes


def _socket_inodes_of(pid: int) -> set[int]:
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return inodes
