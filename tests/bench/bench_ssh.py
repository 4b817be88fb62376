"""SSH and fleet benchmark on the test bed (not a test; prints figures and ratios).

    python -m tests.bench.bench_ssh [--containers 30] [--rounds 3] [--updates 5]
                                    [--delays 0,5,20] [--concurrency 8]

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
from tests.bed import Bed, BedHost, load_bed
from tests.bench.counting import COUNTS, install

IMAGE = "dockerfab-test/base:latest"
REPO = Path(__file__).resolve().parents[2]
PREFIX = "bench_ssh_"
TARGET = 1.3


# ----- what is measured -------------------------------------------------------------------
@dataclass
class Figure:
    """One measurement: wall time, Docker API requests, SSH connections opened."""
    seconds: float
    requests: int
    connections: int


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
                      int(statistics.median(f.connections for f in found)))


@contextlib.contextmanager
def measured(results: Results, scenario: str, phase: str) -> Iterator[None]:
    """Time the block and count its requests and SSH connections (this process)."""
    before = COUNTS.snapshot()
    began = time.perf_counter()
    yield
    seconds = time.perf_counter() - began
    requests, connections = COUNTS.since(before)
    results.add(scenario, phase, Figure(seconds, requests, connections))


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
    """Remove containers and networks whose names start with ``prefix`` (ours only)."""
    listed = [c for c in api.containers(all=True, filters={"name": prefix})
              if any(n.lstrip("/").startswith(prefix) for n in c["Names"])]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda c: api.remove_container(c["Id"], v=True, force=True), listed))
    for net in api.networks():
        if net["Name"].startswith(prefix):
            for _ in range(50):  # endpoints of just-removed containers go away asynchronously
                try:
                    api.remove_network(net["Id"])
                    break
                except docker.errors.NotFound:
                    break
                except docker.errors.APIError:
                    time.sleep(0.1)


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


# ----- in-process scenarios (MappingDockerClient) --------------------------------------------
@dataclass
class Bench:
    bed: Bed
    net: Net
    args: argparse.Namespace
    names: Names
    results: Results
    direct: dict[str, docker.APIClient]  # host name -> client on its daemon socket (cleanup)

    @property
    def n(self) -> int:
        return int(self.args.containers)

    def engine(self, scenario: str, client: Any) -> None:
        """Cold startup, then no-op updates; containers removed afterwards (not timed)."""
        name = self.names.next()
        mc = MappingDockerClient(ContainerMap(name, map_dict(self.n)), client,
                                 concurrency=self.args.concurrency)
        try:
            with measured(self.results, scenario, "startup"):
                mc.startup("__all__")
            for _ in range(self.args.updates):
                with measured(self.results, scenario, "update"):
                    mc.update("__all__")
        finally:
            mc.close()
            cleanup(self.direct["bed1"], name + ".")

    def direct_socket(self) -> None:
        host = self.bed.host("bed1")
        with measured(self.results, "direct", "connect"):
            client = docker.APIClient(base_url=host.docker_url, version="auto")
        try:
            self.engine("direct", client)
        finally:
            client.close()

    def tunnel(self) -> None:
        before = COUNTS.snapshot()
        with measured(self.results, "tunnel", "connect"):
            config = fabric.Config(runtime_ssh_path=self.net.ssh_config)
            connection = open_connection(fabric.Connection("bed1", config=config),
                                         DockerSettings())
            client: docker.APIClient = docker_client(connection, host="bed1")
        try:
            self.engine("tunnel", client)
        finally:
            client.close()
            connection.close()
        self.results.add("tunnel", "ssh-total", Figure(0, 0, COUNTS.since(before)[1]))

    def sdk_ssh(self) -> None:
        before = COUNTS.snapshot()
        host = self.bed.host("bed1")
        with measured(self.results, "sdk-ssh", "connect"), home_dir(self.net.sdk_home):
            client: docker.APIClient = docker.APIClient(
                base_url=self.net.sdk_url(host), use_ssh_client=False,
                                      version="auto")
        try:
            self.engine("sdk-ssh", client)
        finally:
            client.close()
        self.results.add("sdk-ssh", "ssh-total", Figure(0, 0, COUNTS.since(before)[1]))

    def direct_three(self) -> None:
        """Three hosts at once over their daemon sockets (no SSH): the machine's own limit."""
        name = self.names.next()
        clients = {h.name: docker.APIClient(base_url=h.docker_url, version="auto")
                   for h in self.bed}
        mcs = [MappingDockerClient(ContainerMap(name, map_dict(self.n)), c,
                                   concurrency=self.args.concurrency) for c in clients.values()]
        try:
            with ThreadPoolExecutor(len(mcs)) as pool:
                with measured(self.results, "direct-3", "startup"):
                    list(pool.map(lambda mc: mc.startup("__all__"), mcs))
                for _ in range(self.args.updates):
                    with measured(self.results, "direct-3", "update"):
                        list(pool.map(lambda mc: mc.update("__all__"), mcs))
        finally:
            for mc in mcs:
                mc.close()
            for host_name in clients:
                cleanup(self.direct[host_name], name + ".")
            for client in clients.values():
                client.close()

    # ----- the program, as a subprocess ------------------------------------------------------
    def program(self, scenario: str, hosts: list[str]) -> None:
        """``dockerfab -S CONFIG -H hosts startup __all__``, then ``update __all__`` runs."""
        name = self.names.next()
        workdir = Path(self.args.workdir) / name
        workdir.mkdir()
        (workdir / "map.yaml").write_text(yaml.safe_dump({"name": name, **map_dict(self.n)}))
        (workdir / "fabric.yaml").write_text(yaml.safe_dump({"docker": {"maps": ["map.yaml"]}}))
        try:
            self._run_program(scenario, "startup", hosts, workdir)
            for _ in range(self.args.updates):
                self._run_program(scenario, "update", hosts, workdir)
        finally:
            for host_name in hosts:
                cleanup(self.direct[host_name], name + ".")

    def _run_program(self, scenario: str, task: str, hosts: list[str], workdir: Path) -> None:
        counts_file = workdir / "counts.json"
        env = dict(os.environ, DOCKERFAB_BENCH_COUNTS=str(counts_file),
                   PYTHONPATH=os.pathsep.join(filter(None, [str(REPO),
                                                            os.environ.get("PYTHONPATH")])))
        command = [sys.executable, "-m", "tests.bench.counted_program", "-S",
                   self.net.ssh_config, "-H", ",".join(hosts), task, "__all__"]
        began = time.perf_counter()
        done = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True,
                              check=False)
        seconds = time.perf_counter() - began
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n"
                               f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
        counts = json.loads(counts_file.read_text())
        self.results.add(scenario, task, Figure(seconds, counts["requests"],
                                                counts["connections"]))

    def program_floor(self) -> None:
        """The program's start-up alone (interpreter, imports, Fabric): ``--version``."""
        env = dict(os.environ, PYTHONPATH=str(REPO))
        began = time.perf_counter()
        subprocess.run([sys.executable, "-m", "tests.bench.counted_program", "--version"],
                       cwd=REPO, env=env, capture_output=True, check=True)
        self.results.add("program-floor", "startup",
                         Figure(time.perf_counter() - began, 0, 0))


SCENARIOS: dict[str, Callable[[Bench], None]] = {
    "direct": Bench.direct_socket,
    "tunnel": Bench.tunnel,
    "sdk-ssh": Bench.sdk_ssh,
    "program-1": lambda b: b.program("program-1", ["bed1"]),
    "program-3": lambda b: b.program("program-3", ["bed1", "bed2", "bed3"]),
    "direct-3": Bench.direct_three,
    "program-floor": Bench.program_floor,
}


# ----- report -------------------------------------------------------------------------------
def _cell(figure: Figure | None, width: int = 8) -> str:
    if figure is None:
        return f"{'-':>{width}}{'':>6}{'':>5}"
    return f"{figure.seconds:{width}.3f}{figure.requests:6d}{figure.connections:5d}"


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
              f"concurrency {args.concurrency}, median of {args.rounds} rounds "
              f"x {args.updates} no-op updates"),
             (f"{'scenario':15}{'connect s':>9}{'req':>6}{'ssh':>5}"
              f"{'startup s':>10}{'req':>6}{'ssh':>5}{'update s':>10}{'req':>6}{'ssh':>5}")]
    for scenario in SCENARIOS:
        if not any(s == scenario for s, _ in results.figures):
            continue
        lines.append(f"{scenario:15}{_cell(results.median(scenario, 'connect'), 9)}"
                     f"{_cell(results.median(scenario, 'startup'), 10)}"
                     f"{_cell(results.median(scenario, 'update'), 10)}")
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
    for scenario in ("tunnel", "sdk-ssh"):
        total = results.figures.get((scenario, "ssh-total"))
        if total:
            lines.append(f"SSH connections per {scenario} session (connect + startup + "
                         f"updates): {sorted({f.connections for f in total})}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--containers", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--updates", type=int, default=5, help="no-op updates per round")
    parser.add_argument("--concurrency", type=int, default=8)
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
                    bench = Bench(bed, net, args, names, results, direct)
                    for round_no in range(args.rounds):
                        shift = round_no % len(scenarios)  # rotate the order against drift
                        for scenario in scenarios[shift:] + scenarios[:shift]:
                            print(f"  delay {delay:g} ms round {round_no + 1}: {scenario}",
                                  file=sys.stderr, flush=True)
                            SCENARIOS[scenario](bench)
                lines = report(results, net, args)
                print("\n".join(lines), flush=True)
                output += lines
    finally:
        for api in direct.values():
            cleanup(api, names.prefix)
            api.close()


if __name__ == "__main__":
    main()
