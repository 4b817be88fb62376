"""SSH and fleet benchmark on the test bed (not a test; prints figures and ratios).

    python -m tests.bench.bench_ssh [--containers 30] [--rounds 3] [--updates 5]
                                    [--delays 0,5,20] [--concurrency 8] [--pool-size 32]
                                    [--only direct,tunnel,...]

For each network delay (0: straight to 198.18.0.1X:22; D > 0: through
:mod:`tests.bench.latency_proxy`, D ms each way), and each round, on bed1 unless noted:

* ``direct``: MappingDockerClient on the host's daemon socket (no SSH): the floor;
* ``tunnel``: the same over ``dockerfab.ssh.docker_client`` on one Fabric connection;
* ``sdk-ssh``: the same over the Docker SDK's own ``ssh://`` transport (paramiko);
* ``program-1`` / ``program-3``: the ``dockerfab`` program (a subprocess, with counters:
  :mod:`tests.bench.counted_program`) on bed1, and on bed1..bed3 at once;
* ``direct-3``: three MappingDockerClients on the three daemon sockets at once, in threads
  (what the machine itself allows for three hosts: they share its cores).

Each: a cold ``startup`` of N independent containers (and their network), then no-op
``update`` runs; Docker API requests and SSH connections are counted for each. Medians over
rounds; ratios compare figures of the same run only.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import docker.errors
import fabric
import paramiko
import yaml

from dockerfab.engine.client import MappingDockerClient
from dockerfab.fabric.connection import open_connection
from dockerfab.fabric.settings import DockerSettings
from dockerfab.map.container import ContainerMap
from dockerfab.ssh import docker_client
from dockerfab.ssh.adapter import DEFAULT_POOL_SIZE
from tests.bed import Bed, BedHost, load_bed
from tests.bench.counting import COUNTS, install

IMAGE = "dockerfab-test/base:latest"
REPO = Path(__file__).resolve().parents[2]
PREFIX = "bench_ssh_"
TARGET = 1.3


# ----- what is measured -------------------------------------------------------------------
@dataclass
class Figure:
    """One measurement: wall time, Docker API requests, SSH connections and channels opened,
    and the client's CPU time (this process, or the program's subprocess)."""
    seconds: float
    requests: int
    connections: int
    channels: int
    cpu: float = 0.0


@dataclass
class Results:
    """Figures by (scenario, phase), phases being ``connect``, ``startup`` and ``update``."""
    figures: dict[tuple[str, str], list[Figure]] = field(default_factory=dict)

    def add(self, scenario: str, phase: str, figure: Figure) -> None:
        self.figures.setdefault((scenario, phase), []).append(figure)

    def median(self, scenario: str, phase: str) -> Figure | None:
        found = self.figures.get((scenario, phase))
        if not found:
            return None
        return Figure(statistics.median(f.seconds for f in found),
                      int(statistics.median(f.requests for f in found)),
                      int(statistics.median(f.connections for f in found)),
                      int(statistics.median(f.channels for f in found)),
                      statistics.median(f.cpu for f in found))


# ----- the map ------------------------------------------------------------------------------
def map_dict(count: int) -> dict[str, Any]:
    """N independent containers on one network (the same shape as bench_engine's)."""
    return {"networks": {"net": {}},
            **{f"c{i}": {"image": "/" + IMAGE, "networks": "net", "stop_timeout": 1}
               for i in range(count)}}


class Names:
    """Unique map names for this run: ``bench_ssh_<run>_<n>``."""

    def __init__(self) -> None:
        self.run = uuid.uuid4().hex[:6]
        self.counter = 0

    def next(self) -> str:
        self.counter += 1
        return f"{PREFIX}{self.run}_{self.counter}"

    @property
    def prefix(self) -> str:
        return f"{PREFIX}{self.run}_"


def cleanup(api: docker.APIClient, prefix: str) -> None:
    """Remove containers and networks whose names start with ``prefix`` (ours only).

    Containers are stopped before they are removed: force-removing many running containers
    at once sometimes leaves dockerd (20.10) with a stale network endpoint, and the network
    can then not be removed until the daemon restarts."""
    listed = [c for c in api.containers(all=True, filters={"name": prefix})
              if any(n.lstrip("/").startswith(prefix) for n in c["Names"])]

    def remove(container: dict[str, Any]) -> None:
        with contextlib.suppress(docker.errors.NotFound):
            api.stop(container["Id"], timeout=1)
            api.remove_container(container["Id"], v=True, force=True)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(remove, listed))
    for net in api.networks():
        if not net["Name"].startswith(prefix):
            continue
        for _ in range(100):  # endpoints of just-removed containers go away asynchronously
            try:
                api.remove_network(net["Id"])
                break
            except docker.errors.NotFound:
                break
            except docker.errors.APIError as error:
                failure = error
                time.sleep(0.1)
        else:
            print(f"warning: network {net['Name']} not removed: {failure}", file=sys.stderr)


# ----- the network: direct or through the delaying proxy -------------------------------------
@dataclass
class Net:
    """How this mode reaches the hosts' sshd: an ssh_config (with its own known_hosts) for
    Fabric and the program, and a HOME for the Docker SDK (which reads ~/.ssh only)."""
    delay_ms: float
    ssh_config: str
    sdk_home: str | None  # None: the real HOME (root's ~/.ssh, maintained by the bed)
    endpoints: dict[str, tuple[str, int]]  # host name -> (address, port) that SSH dials

    def sdk_url(self, host: BedHost) -> str:
        address, port = self.endpoints[host.name]
        if port == 22:
            return f"ssh://{host.user}@{address}"
        return f"ssh://{host.user}@{address}:{port}"


def _write_ssh_files(bed: Bed, directory: Path, endpoints: dict[str, tuple[str, int]]) -> Path:
    """known_hosts (the bed's keys, under the names SSH will dial) and an ssh_config."""
    keys = paramiko.HostKeys(bed.known_hosts_file)
    known = paramiko.HostKeys()
    config_lines = []
    for host in bed:
        address, port = endpoints[host.name]
        entry = address if port == 22 else f"[{address}]:{port}"
        for key_type, key in (keys.lookup(host.address) or {}).items():
            known.add(entry, key_type, key)
        config_lines += [f"Host {host.name}", f"    HostName {address}", f"    Port {port}",
                         f"    User {host.user}", f"    IdentityFile {host.key_file}",
                         "    IdentitiesOnly yes",
                         f"    UserKnownHostsFile {directory / 'known_hosts'}"]
    known.save(str(directory / "known_hosts"))
    (directory / "ssh_config").write_text("\n".join(config_lines) + "\n")
    return directory / "ssh_config"


@contextlib.contextmanager
def network(bed: Bed, delay_ms: float, workdir: Path) -> Iterator[Net]:
    """Direct SSH (delay 0) or a latency proxy process for every host for the block."""
    directory = workdir / f"net{delay_ms:g}"
    directory.mkdir()
    if delay_ms <= 0:
        endpoints = {h.name: (h.address, h.ssh_port) for h in bed}
        yield Net(0, str(_write_ssh_files(bed, directory, endpoints)), None, endpoints)
        return
    proxy = subprocess.Popen(
        [sys.executable, "-m", "tests.bench.latency_proxy", "--delay-ms", str(delay_ms),
         *(f"{h.address}:{h.ssh_port}" for h in bed)],
        cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proxy.stdout is not None
        ports = []
        for line in proxy.stdout:
            if line.startswith("listen "):
                ports.append(int(line.split()[1]))
            elif line.strip() == "ready":
                break
        # drain accept lines so the proxy never blocks on a full pipe
        threading.Thread(target=proxy.stdout.read, daemon=True).start()
        endpoints = {h.name: ("127.0.0.1", port) for h, port in zip(bed, ports, strict=True)}
        config = _write_ssh_files(bed, directory, endpoints)
        home = directory / "home"
        (home / ".ssh").mkdir(parents=True)
        key = bed.hosts[0].key_file  # the SDK takes the port from the URL, the key from here
        (home / ".ssh" / "config").write_text(f"Host 127.0.0.1\n    IdentityFile {key}\n")
        (home / ".ssh" / "known_hosts").write_text((directory / "known_hosts").read_text())
        yield Net(delay_ms, str(config), str(home), endpoints)
    finally:
        assert proxy.stdin is not None
        proxy.stdin.close()
        try:
            proxy.wait(5)
        except subprocess.TimeoutExpired:
            proxy.kill()
            proxy.wait()


@contextlib.contextmanager
def home_dir(path: str | None) -> Iterator[None]:
    """Point HOME (which the Docker SDK's ssh transport reads ~/.ssh from) at ``path``."""
    if path is None:
        yield
        return
    old = os.environ.get("HOME")
    os.environ["HOME"] = path
    try:
        yield
    finally:
        if old is None:
            del os.environ["HOME"]
        else:
            os.environ["HOME"] = old


# ----- scenarios ----------------------------------------------------------------------------
@dataclass
class Context:
    """What every scenario of one delay mode shares."""
    bed: Bed
    net: Net
    args: argparse.Namespace
    names: Names
    direct: dict[str, docker.APIClient]  # host name -> client on its daemon socket (cleanup)

    def new_map(self) -> tuple[str, ContainerMap]:
        name = self.names.next()
        return name, ContainerMap(name, map_dict(int(self.args.containers)))


Counted = tuple[int, int, int] | None  # (requests, SSH connections, channels) from elsewhere


class Scenario:
    """One way of deploying the map to some hosts: connect, startup, update, tear down.

    A phase method returns None (counts are taken in this process) or the counts of the
    subprocess that did the work."""

    hosts: tuple[str, ...] = ("bed1",)
    timed_connect = True  # False: the program connects inside each task run

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.name, self.map = ctx.new_map()

    def connect(self) -> Counted:
        return None

    def startup(self) -> Counted:
        raise NotImplementedError

    def update(self) -> Counted:
        raise NotImplementedError

    def close(self) -> None:
        """Disconnect and remove what the scenario created (not timed)."""
        for host in self.hosts:
            cleanup(self.ctx.direct[host], self.name + ".")


class EngineScenario(Scenario):
    """MappingDockerClient (in this process) on one API client per host."""

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.clients: list[docker.APIClient] = []
        self.mcs: list[MappingDockerClient] = []
        self.pool: ThreadPoolExecutor | None = None

    def make_clients(self) -> list[docker.APIClient]:
        raise NotImplementedError

    def connect(self) -> Counted:
        self.clients = self.make_clients()
        # wait=False: this benchmark measures the transport; the health gate's cost is
        # measured by tests.bench.bench_gate
        self.mcs = [MappingDockerClient(self.map, c, concurrency=self.ctx.args.concurrency,
                                        wait=False) for c in self.clients]
        self.pool = ThreadPoolExecutor(len(self.mcs)) if len(self.mcs) > 1 else None
        return None

    def _each(self, action: str) -> Counted:
        if self.pool is None:
            getattr(self.mcs[0], action)("__all__")
        else:
            list(self.pool.map(lambda mc: getattr(mc, action)("__all__"), self.mcs))
        return None

    def startup(self) -> Counted:
        return self._each("startup")

    def update(self) -> Counted:
        return self._each("update")

    def close(self) -> None:
        for mc in self.mcs:
            mc.close()
        if self.pool is not None:
            self.pool.shutdown()
        for client in self.clients:
            client.close()
        super().close()


class Direct(EngineScenario):
    """bed1's daemon socket, no SSH: the floor."""

    def make_clients(self) -> list[docker.APIClient]:
        return [docker.APIClient(base_url=self.ctx.bed.host("bed1").docker_url, version="auto")]


class DirectThree(Direct):
    """bed1..bed3's daemon sockets at once (threads), no SSH: what the machine allows."""
    hosts = ("bed1", "bed2", "bed3")

    def make_clients(self) -> list[docker.APIClient]:
        return [docker.APIClient(base_url=self.ctx.bed.host(h).docker_url, version="auto")
                for h in self.hosts]


class Tunnel(EngineScenario):
    """dockerfab.ssh.docker_client on a Fabric connection (host keys checked)."""

    connection: fabric.Connection | None = None

    def make_clients(self) -> list[docker.APIClient]:
        config = fabric.Config(runtime_ssh_path=self.ctx.net.ssh_config)
        self.connection = open_connection(fabric.Connection("bed1", config=config),
                                          DockerSettings())
        client: docker.APIClient = docker_client(self.connection, host="bed1",
                                                 max_pool_size=self.ctx.args.pool_size)
        return [client]

    def close(self) -> None:
        super().close()
        if self.connection is not None:
            self.connection.close()


class SdkSsh(EngineScenario):
    """The Docker SDK's own ssh:// transport (paramiko, ``docker system dial-stdio``)."""

    def make_clients(self) -> list[docker.APIClient]:
        with home_dir(self.ctx.net.sdk_home):
            client: docker.APIClient = docker.APIClient(
                base_url=self.ctx.net.sdk_url(self.ctx.bed.host("bed1")), use_ssh_client=False,
                version="auto")
        return [client]


class Program(Scenario):
    """The ``dockerfab`` program as a subprocess: ``-S CONFIG -H hosts TASK __all__``."""
    timed_connect = False

    def connect(self) -> Counted:
        self.workdir = Path(self.ctx.args.workdir) / self.name
        self.workdir.mkdir()
        (self.workdir / "map.yaml").write_text(yaml.safe_dump(
            {"name": self.name, **map_dict(int(self.ctx.args.containers))}))
        (self.workdir / "fabric.yaml").write_text(
            yaml.safe_dump({"docker": {"maps": ["map.yaml"], "wait": False}}))
        return None

    def run(self, *words: str) -> Counted:
        counts_file = self.workdir / "counts.json"
        env = dict(os.environ, DOCKERFAB_BENCH_COUNTS=str(counts_file),
                   PYTHONPATH=os.pathsep.join(filter(None, [str(REPO),
                                                            os.environ.get("PYTHONPATH")])))
        command = [sys.executable, "-m", "tests.bench.counted_program", *words]
        done = subprocess.run(command, cwd=self.workdir, env=env, capture_output=True,
                              text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n"
                               f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
        counts = json.loads(counts_file.read_text())
        return counts["requests"], counts["connections"], counts["channels"]

    def task(self, task: str) -> Counted:
        return self.run("-S", self.ctx.net.ssh_config, "-H", ",".join(self.hosts), task,
                        "__all__")

    def startup(self) -> Counted:
        return self.task("startup")

    def update(self) -> Counted:
        return self.task("update")


class ProgramThree(Program):
    hosts = ("bed1", "bed2", "bed3")


class ProgramFloor(Program):
    """The program's own start-up (interpreter, imports, Fabric): ``dockerfab --version``."""
    hosts = ()

    def startup(self) -> Counted:
        return self.run("--version")

    def update(self) -> Counted:
        return self.run("--version")


SCENARIOS: dict[str, type[Scenario]] = {
    "direct": Direct,
    "tunnel": Tunnel,
    "sdk-ssh": SdkSsh,
    "program-1": Program,
    "program-3": ProgramThree,
    "direct-3": DirectThree,
    "program-floor": ProgramFloor,
}


def timed(results: Results, label: str, phase: str, func: Callable[[], Counted]) -> None:
    """Run one phase, recording its time and counts."""
    before = COUNTS.snapshot()
    began = time.perf_counter()
    cpu_before = _cpu()
    counted = func()
    seconds = time.perf_counter() - began
    cpu = _cpu() - cpu_before  # one of the two terms moved: this process or the subprocess
    requests, connections, channels = counted if counted is not None else COUNTS.since(before)
    results.add(label, phase, Figure(seconds, requests, connections, channels, cpu))


def _cpu() -> float:
    """CPU seconds (user + system) of this process and of its finished children (the program
    runs; the latency proxy is still running, so it is not counted)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_round(ctx: Context, labels: list[str], results: Results) -> None:
    """All scenarios side by side: connect each, start each up, then the no-op updates
    interleaved (A B C A B C ...), so slow spells of the shared machine hit all alike."""
    scenarios = [(label, SCENARIOS[label](ctx)) for label in labels]
    try:
        for label, scenario in scenarios:
            print(f"    {label}", file=sys.stderr, flush=True)
            if scenario.timed_connect:
                timed(results, label, "connect", scenario.connect)
            else:
                scenario.connect()
            timed(results, label, "startup", scenario.startup)
        for _ in range(ctx.args.updates):
            for label, scenario in scenarios:
                timed(results, label, "update", scenario.update)
    finally:
        for _, scenario in scenarios:
            scenario.close()


# ----- report -------------------------------------------------------------------------------
PHASES = ("connect", "startup", "update")


def _cell(figure: Figure | None) -> str:
    if figure is None:
        return f"{'-':>8}{'':>21}"
    return (f"{figure.seconds:8.3f}{figure.cpu:6.2f}{figure.requests:5d}{figure.connections:4d}"
            f"{figure.channels:6d}")


def _ratio(results: Results, top: str, bottom: str, phase: str) -> float | None:
    a, b = results.median(top, phase), results.median(bottom, phase)
    if a is None or b is None or b.seconds == 0:
        return None
    return a.seconds / b.seconds


def report(results: Results, net: Net, args: argparse.Namespace) -> list[str]:
    """The table and the ratios of one delay mode, as lines."""
    how = ("direct to 198.18.0.1X:22" if net.delay_ms <= 0
           else f"through latency_proxy, {net.delay_ms:g} ms each way")
    lines = [(f"== delay {net.delay_ms:g} ms ({how}); {args.containers} containers, "
              f"concurrency {args.concurrency}, tunnel pool {args.pool_size}, median of {args.rounds} rounds "
              f"x {args.updates} no-op updates"),
             f"{'':15}" + "".join(f"{p:^29}" for p in PHASES),
             f"{'scenario':15}" + f"{'s':>8}{'cpu':>6}{'req':>5}{'ssh':>4}{'chan':>6}" * len(PHASES)]
    for scenario in SCENARIOS:
        if any(s == scenario for s, _ in results.figures):
            lines.append(f"{scenario:15}"
                         + "".join(_cell(results.median(scenario, p)) for p in PHASES))
    checks = [("tunnel / direct", "tunnel", "direct", TARGET),
              ("sdk-ssh / tunnel", "sdk-ssh", "tunnel", None),
              ("program-3 / program-1", "program-3", "program-1", TARGET),
              ("direct-3 / direct", "direct-3", "direct", None)]
    for label, top, bottom, target in checks:
        parts = []
        for phase in ("startup", "update"):
            ratio = _ratio(results, top, bottom, phase)
            if ratio is None:
                continue
            verdict = "" if target is None else (" met" if ratio <= target else " MISSED")
            parts.append(f"{phase} {ratio:.2f}x{verdict}")
        if parts:
            suffix = f"  (target <= {target}x)" if target else ""
            lines.append(f"{label:22} " + ", ".join(parts) + suffix)
    parts = []
    for phase in ("startup", "update"):
        fleet = _ratio(results, "program-3", "program-1", phase)
        machine = _ratio(results, "direct-3", "direct", phase)
        if fleet is not None and machine is not None:
            parts.append(f"{phase} {fleet / machine:.2f}")
    if parts:
        lines.append("(program-3 / program-1) / (direct-3 / direct): " + ", ".join(parts)
                     + "  (fleet scaling net of the machine's own)")
    tunnel, direct = results.median("tunnel", "update"), results.median("direct", "update")
    if net.delay_ms > 0 and tunnel is not None and direct is not None:
        extra = (tunnel.seconds - direct.seconds) / (2 * net.delay_ms / 1000)
        lines.append(f"tunnel no-op update: {extra:.1f} round trips more than the socket "
                     f"(RTT {2 * net.delay_ms:g} ms)")
    return [line.rstrip() for line in lines]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--containers", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--updates", type=int, default=5, help="no-op updates per round")
    parser.add_argument("--concurrency", type=int, default=8,
                        help="MappingDockerClient concurrency (actions and observation)")
    parser.add_argument("--pool-size", type=int, default=DEFAULT_POOL_SIZE,
                        help="channels the tunnel keeps for reuse (docker_client max_pool_size)")
    parser.add_argument("--delays", default="0,5,20",
                        help="one-way delays in ms; 0 = no proxy (comma-separated)")
    parser.add_argument("--only", default=",".join(SCENARIOS),
                        help=f"scenarios to run (of {', '.join(SCENARIOS)})")
    args = parser.parse_args()
    install()
    bed = load_bed()
    problems = bed.problems()
    if problems:
        sys.exit("the test bed does not answer: " + "; ".join(problems))
    direct = {h.name: h.docker_api() for h in bed}
    names = Names()
    scenarios = [s for s in args.only.split(",") if s]
    unknown = set(scenarios) - set(SCENARIOS)
    if unknown:
        sys.exit(f"unknown scenarios: {', '.join(sorted(unknown))}")
    output: list[str] = [(f"bench_ssh run {names.run}: {os.cpu_count()} cores, loopback bed, "
                          f"python {sys.version.split()[0]}, docker SDK {docker.__version__}, "
                          f"paramiko {paramiko.__version__}")]
    print(output[0], flush=True)
    try:
        with tempfile.TemporaryDirectory(prefix="bench_ssh_") as tmp:
            args.workdir = tmp
            for delay in (float(d) for d in args.delays.split(",")):
                results = Results()
                with network(bed, delay, Path(tmp)) as net:
                    ctx = Context(bed, net, args, names, direct)
                    for round_no in range(args.rounds):
                        # rotate the order so that each scenario runs early in one round
                        # and late in another (later startups share the host with more
                        # running containers)
                        shift = (round_no * len(scenarios)) // args.rounds
                        print(f"  delay {delay:g} ms, round {round_no + 1}", file=sys.stderr,
                              flush=True)
                        run_round(ctx, scenarios[shift:] + scenarios[:shift], results)
                lines = report(results, net, args)
                print("\n".join(lines), flush=True)
                output += lines
    finally:
        for api in direct.values():
            cleanup(api, names.prefix)
            api.close()


if __name__ == "__main__":
    main()
