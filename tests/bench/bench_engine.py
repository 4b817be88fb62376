"""Benchmark of the mapping engine against the floor (not a test; prints figures).

    python -m tests.bench.bench_engine [--containers 30] [--rounds 3] [--concurrency 8]

Cold ``startup`` of N independent containers and a no-op ``update`` of the same map, each
compared with the floor: the same create/start/list/inspect calls made directly with the
Docker SDK at the same concurrency. API round trips are counted on the client's session.
"""
from __future__ import annotations

import argparse
import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import docker
import docker.errors

from dockerfab.engine.client import MappingDockerClient
from dockerfab.map.container import ContainerMap
from tests.integration.test_engine_support import ensure_images

IMAGE = "dockerfab-test/base:latest"
UPDATES = 10  # no-op updates measured per round (they are short)


class CountingClient(docker.APIClient):
    """An API client that counts its HTTP requests (one per API round trip)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.requests = 0
        self._count_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def request(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        with self._count_lock:
            self.requests += 1
        return super().request(*args, **kwargs)


def bench_map(name: str, count: int) -> ContainerMap:
    return ContainerMap(name, {
        "networks": {"net": {}},
        **{f"c{i}": {"image": "/" + IMAGE, "networks": "net", "stop_timeout": 1}
           for i in range(count)},
    })


def cleanup(api: docker.APIClient, name: str) -> None:
    def remove(container: dict[str, Any]) -> None:
        api.remove_container(container["Id"], v=True, force=True)

    listed = [c for c in api.containers(all=True, filters={"name": name})
              if any(n.lstrip("/").startswith(name + ".") for n in c["Names"])]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(remove, listed))
    for net in api.networks(names=[f"{name}.net"]):
        for _ in range(50):  # endpoints of just-removed containers go away asynchronously
            try:
                api.remove_network(net["Id"])
                break
            except docker.errors.APIError:
                time.sleep(0.1)


def floor_startup(api: CountingClient, pool: ThreadPoolExecutor, name: str,
                  count: int) -> None:
    """What any tool must do: look, create the network, create and start each container."""
    api.containers(all=True)
    api.create_network(f"{name}.net", driver="bridge")

    def one(i: int) -> None:
        cname = f"{name}.c{i}"
        api.create_container(
            IMAGE, name=cname, hostname=cname.replace(".", "-").replace("_", "-"),
            labels={"dockerfab.map": name}, stop_timeout=1,
            host_config=api.create_host_config(network_mode=f"{name}.net"),
            networking_config=api.create_networking_config(
                {f"{name}.net": api.create_endpoint_config()}))
        api.start(cname)

    list(pool.map(one, range(count)))


def floor_noop(api: CountingClient, pool: ThreadPoolExecutor, name: str, count: int) -> None:
    """Looking is the minimum for "nothing to do": the lists (concurrently), then one
    inspect per container, on warm worker threads."""
    lists = [pool.submit(api.images), pool.submit(api.networks)]
    api.containers(all=True)
    list(pool.map(api.inspect_container, [f"{name}.c{i}" for i in range(count)]))
    for job in lists:
        job.result()


def measure(func: Any, api: CountingClient) -> tuple[float, int]:
    before = api.requests
    began = time.perf_counter()
    func()
    return time.perf_counter() - began, api.requests - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--containers", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--url", default="unix:///var/run/docker.sock")
    args = parser.parse_args()
    api = CountingClient(base_url=args.url, version="auto")
    ensure_images(api, (IMAGE,))
    n, conc = args.containers, args.concurrency
    figures: dict[str, list[tuple[float, int]]] = {k: [] for k in (
        "engine startup", "floor startup", "engine update", "floor update")}
    pool = ThreadPoolExecutor(conc)  # warm threads for the floor, like the engine's
    for _ in range(args.rounds):
        name = f"t_eng_bench_{uuid.uuid4().hex[:6]}"
        mc = MappingDockerClient(bench_map(name, n), api, concurrency=conc,
                                 wait=False)  # the health gate: tests.bench.bench_gate
        try:
            figures["engine startup"].append(measure(partial(mc.startup, "__all__"), api))
            for _ in range(UPDATES):
                figures["engine update"].append(measure(partial(mc.update, "__all__"), api))
            assert mc.plan("update", "__all__") == []
        finally:
            cleanup(api, name)
        name = f"t_eng_bench_{uuid.uuid4().hex[:6]}"
        try:
            figures["floor startup"].append(
                measure(partial(floor_startup, api, pool, name, n), api))
            for _ in range(UPDATES):
                figures["floor update"].append(
                    measure(partial(floor_noop, api, pool, name, n), api))
        finally:
            cleanup(api, name)

    def med(key: str) -> tuple[float, int]:
        return (statistics.median(t for t, _ in figures[key]),
                int(statistics.median(c for _, c in figures[key])))

    print(f"{n} containers, concurrency {conc}, median of {args.rounds} rounds "
          f"({UPDATES} no-op updates each)")
    print(f"{'':16}{'seconds':>10}{'requests':>10}")
    for key in figures:
        seconds, requests = med(key)
        print(f"{key:16}{seconds:10.3f}{requests:10d}")
    for what in ("startup", "update"):
        (te, re_), (tf, rf) = med(f"engine {what}"), med(f"floor {what}")
        print(f"{what}: time ratio {te / tf:.2f}x, request ratio {re_ / rf:.2f}x")


if __name__ == "__main__":
    main()
