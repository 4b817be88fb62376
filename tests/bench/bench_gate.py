"""What the health gate costs (not a test; prints figures).

    python -m tests.bench.bench_gate [--containers 30] [--rounds 3] [--readiness 2]
                                     [--delays 0,20] [--concurrency 8]

On the test bed, over SSH (``dockerfab.ssh.docker_client`` on one paramiko connection per
host), for each network delay (0: straight to the host's sshd; D > 0: through
:mod:`tests.bench.latency_proxy`, D ms each way):

* ``plain``: a cold ``startup`` of N independent containers without health checks on bed1,
  once with ``wait=False`` and once health-gated with ``readiness=R``. The gate may add at
  most R plus one round trip (the list call that confirms the containers after R; the event
  stream is subscribed while the containers are created). Shown: the time each took, the
  difference, R + the measured round trip, the Docker API requests and event streams.
* ``health-2``: N containers *with* a health check on each of bed1 and bed2, one
  ``MappingDockerClient`` with the two hosts as clients: event streams opened per host
  (one each, however many containers are waited for) and API requests.

The round trip is the median time of ``GET /_ping`` over the same connection. Medians over
rounds.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import docker
import paramiko

from dockerfab.engine.client import MappingDockerClient
from dockerfab.engine.health import HealthGate
from dockerfab.map.config.client import ClientConfiguration
from dockerfab.map.container import ContainerMap
from dockerfab.ssh import docker_client
from tests.bed import Bed, load_bed
from tests.bench.bench_ssh import Net, cleanup, network
from tests.bench.counting import COUNTS, install

IMAGE = "dockerfab-test/base:latest"
PREFIX = "bench_gate_"
HOSTS = ("bed1", "bed2")  # not bed3: daemon-wide clean-up tests run there

STREAMS: Counter[str] = Counter()  # host -> event streams opened
_streams_lock = threading.Lock()


def count_streams() -> None:
    """Count ``/events`` subscriptions per host (the gate calls ``APIClient.events``)."""
    original = docker.APIClient.events

    def events(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _streams_lock:
            STREAMS[getattr(self, "bench_host", "?")] += 1
        return original(self, *args, **kwargs)

    docker.APIClient.events = events  # type: ignore[method-assign]


LAST_START: list[float] = [0.0]  # when the last start call of the run answered


def record_starts() -> None:
    """Note when each start call answers (``HealthGate.started``): the gate's own share of
    a gated run is the time from the last answer to the end of the run."""
    original = HealthGate.started

    def started(self: HealthGate, watch: Any) -> None:
        LAST_START[0] = max(LAST_START[0], time.perf_counter())
        original(self, watch)

    HealthGate.started = started  # type: ignore[method-assign]


def plain_map(name: str, count: int) -> ContainerMap:
    return ContainerMap(name, {f"c{i}": {"image": IMAGE, "stop_timeout": 1}
                               for i in range(count)})


def health_map(name: str, count: int) -> ContainerMap:
    check = {"test": ["CMD", "true"], "interval": 1, "start_period": 30}
    return ContainerMap(name, {"clients": list(HOSTS), **{
        f"c{i}": {"image": IMAGE, "stop_timeout": 1, "healthcheck": check}
        for i in range(count)}})


def connect(bed: Bed, net: Net, host: str) -> tuple[paramiko.SSHClient, docker.APIClient]:
    h = bed.host(host)
    address, port = net.endpoints[host]
    ssh = paramiko.SSHClient()
    ssh.load_host_keys(str(Path(net.ssh_config).parent / "known_hosts"))
    ssh.set_missing_host_key_policy(paramiko.RejectPolicy())
    ssh.connect(address, port=port, username=h.user, key_filename=h.key_file,
                look_for_keys=False, allow_agent=False)
    api: docker.APIClient = docker_client(ssh.get_transport(), host=host)
    api.bench_host = host  # type: ignore[attr-defined]
    return ssh, api


def round_trip(api: docker.APIClient, count: int, times: int = 20) -> tuple[float, float]:
    """Median seconds of ``GET /_ping`` (a bare round trip) and of the list call the gate
    makes (``containers(all=True)`` filtered to ``count`` names)."""
    names = [f"{PREFIX}none.c{i}" for i in range(count)]
    pings, lists = [], []
    for _ in range(times):
        began = time.perf_counter()
        api.ping()
        pings.append(time.perf_counter() - began)
        began = time.perf_counter()
        api.containers(all=True, filters={"name": names})
        lists.append(time.perf_counter() - began)
    return statistics.median(pings), statistics.median(lists)


def measured(func: Any) -> tuple[float, int, Counter[str], float]:
    """(seconds, API requests, event streams per host, seconds after the last start call
    answered) of one call."""
    before = COUNTS.snapshot()
    streams = Counter(STREAMS)
    LAST_START[0] = began = time.perf_counter()
    func()
    ended = time.perf_counter()
    return ended - began, COUNTS.since(before)[0], STREAMS - streams, ended - LAST_START[0]


def plain_round(api: docker.APIClient, direct: docker.APIClient, args: argparse.Namespace,
                run: str, index: int) -> dict[str, Any]:
    n, readiness = args.containers, args.readiness
    figures: dict[str, Any] = {}
    for label, gate in (("no wait", {"wait": False}), ("gated", {"readiness": readiness})):
        name = f"{PREFIX}{run}_{index}_{label.replace(' ', '')}"
        mc = MappingDockerClient(plain_map(name, n), api, concurrency=args.concurrency,
                                 **gate)
        try:
            figures[label] = measured(lambda mc=mc: mc.startup("__all__"))
            if label == "gated":  # the gate's one list call, on these very containers
                names = [f"{name}.c{i}" for i in range(n)]
                began = time.perf_counter()
                api.containers(all=True, filters={"name": names})
                figures["list"] = time.perf_counter() - began
        finally:
            mc.close()
            cleanup(direct, name + ".")
    return figures


def health_round(apis: dict[str, docker.APIClient], directs: dict[str, docker.APIClient],
                 args: argparse.Namespace, run: str, index: int) -> tuple[float, int,
                                                                          Counter[str], float]:
    name = f"{PREFIX}{run}_{index}_health"
    clients = {h: ClientConfiguration(client=apis[h]) for h in HOSTS}
    mc = MappingDockerClient(health_map(name, args.containers), clients=clients,
                             concurrency=args.concurrency, readiness=args.readiness,
                             health_timeout=60)
    try:
        return measured(lambda: mc.startup("__all__"))
    finally:
        mc.close()
        for h in HOSTS:
            cleanup(directs[h], name + ".")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--containers", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--readiness", type=float, default=2.0)
    parser.add_argument("--delays", default="0,20")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    install()
    count_streams()
    record_starts()
    bed = load_bed()
    run = uuid.uuid4().hex[:6]
    directs = {h: docker.APIClient(base_url=bed.host(h).docker_url, version="auto")
               for h in HOSTS}
    workdir = Path(tempfile.mkdtemp(prefix="bench_gate_"))
    for delay in [float(d) for d in args.delays.split(",")]:
        with network(bed, delay, workdir) as net:
            conns = {h: connect(bed, net, h) for h in HOSTS}
            apis = {h: api for h, (_, api) in conns.items()}
            try:
                rtt = round_trip(apis["bed1"], args.containers)
                plain = [plain_round(apis["bed1"], directs["bed1"], args, run, i)
                         for i in range(args.rounds)]
                health = [health_round(apis, directs, args, run, i)
                          for i in range(args.rounds)]
            finally:
                for ssh, api in conns.values():
                    api.close()
                    ssh.close()
        report(delay, rtt, plain, health, args)


def report(delay: float, rtt: tuple[float, float], plain: list[dict[str, Any]],
           health: list[tuple[float, int, Counter[str], float]],
           args: argparse.Namespace) -> None:
    n, r = args.containers, args.readiness
    ping, listing = rtt
    bound = r + listing
    where = "direct SSH" if delay <= 0 else f"latency_proxy {delay:g} ms each way"
    print(f"\n== {where}: round trip {ping * 1000:.1f} ms (ping), {listing * 1000:.1f} ms (the "
          f"gate's list call); {n} containers, readiness {r:g} s, {args.rounds} rounds "
          "(medians)")
    off = statistics.median(p["no wait"][0] for p in plain)
    on = statistics.median(p["gated"][0] for p in plain)
    added = statistics.median(p["gated"][0] - p["no wait"][0] for p in plain)
    req_off = statistics.median(p["no wait"][1] for p in plain)
    req_on = statistics.median(p["gated"][1] for p in plain)
    streams = [dict(p["gated"][2]) for p in plain]
    per_round = ", ".join(f"{p['gated'][0] - p['no wait'][0]:.2f}" for p in plain)
    tail = statistics.median(p["gated"][3] for p in plain)
    listed = statistics.median(p["list"] for p in plain)
    print(f"plain startup, bed1: no wait {off:.2f} s ({req_off:g} requests); gated "
          f"{on:.2f} s ({req_on:g} requests, event streams {streams[0]}); "
          f"run time added {added:.2f} s "
          f"(per round: {per_round}); after the last start answered: {tail:.3f} s vs. "
          f"readiness + one list call {bound:.3f} s (+{(tail - bound) * 1000:.0f} ms); "
          f"the list call of these {n} containers: {listed * 1000:.0f} ms -> readiness + it "
          f"= {r + listed:.3f} s (+{(tail - r - listed) * 1000:.0f} ms)")
    h_time = statistics.median(h[0] for h in health)
    h_req = statistics.median(h[1] for h in health)
    print(f"health-{len(HOSTS)}: {n} containers with a health check on each of {', '.join(HOSTS)}: "
          f"{h_time:.2f} s, {h_req:g} requests; event streams per host per round: "
          f"{[dict(h[2]) for h in health]}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
