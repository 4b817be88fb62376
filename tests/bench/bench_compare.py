"""Benchmark of the container comparison (not a test; prints figures).

    python -m tests.bench.bench_compare [--containers 1000] [--rounds 5]
                                        [--ssh-containers 30] [--updates 5] [--no-ssh]

1. **Planning** (pure, no daemon): a map of N (1,000) containers that each set every option
   kind ``update`` compares (working_dir, labels, user, health check, capabilities,
   extra_hosts, ulimits, tmpfs, sysctls, log_config, security_opt, dns, init, shm_size,
   read_only, environment, command, restart policy, memory limit, a network), and a plain
   map of N containers (image and network only). For each: the CPU seconds of building the
   desired state and of planning a no-op ``update`` against a snapshot that looks like what
   the daemon reports for containers created from that map (the Engine API form the SDK
   sends, plus what the daemon fills in: image labels and environment, default shm size,
   capability spellings as given). The plan must be empty (checked).
2. **No-op update over SSH** on bed1 (``dockerfab.ssh.docker_client`` on one Fabric
   connection, as ``bench_ssh``'s ``tunnel``): the same two maps with M (30) containers,
   started up once, then no-op updates; Docker API requests, SSH connections and channels
   per update, against the floor of any tool: the four list calls and one inspect per
   container.

The script uses only names that existed before the full comparison was added, so the same
file runs on an older checkout for the "before" figures (docs/benchmarks.rst).
"""
from __future__ import annotations

import argparse
import copy
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import docker
from docker.types import ContainerConfig, HostConfig

from dockerfab.map.container import ContainerMap
from dockerfab.plan.desired import ClientInfo, DesiredContainer, DesiredStateBuilder
from dockerfab.plan.options import ActionOptions
from dockerfab.plan.planner import PlanInput, plan_update
from dockerfab.plan.snapshot import ContainerState, HostSnapshot, NetworkState
from tests.bench.counting import COUNTS, install

IMAGE = "dockerfab-test/base:latest"
IMAGE_ID = "sha256:" + "ab" * 32
IMAGE_LABELS = {"org.dockerfab.test": IMAGE}

#: every option kind, in forms the Docker SDK itself accepts (so that older dockerfab
#: versions create the same containers)
RICH = {
    "user": 1000,
    "stop_signal": "SIGINT",
    "healthcheck": {"test": ["CMD", "true"], "interval": "30s", "retries": 3},
    "create_options": {
        "working_dir": "/tmp", "labels": {"tier": "web", "team": "a"},
        "environment": {"A": "1", "B": "2"}, "command": ["sh", "-c", "sleep 100000"],
        "extra_hosts": {"db": "10.1.1.1"}, "mem_limit": "64m",
    },
    "host_config": {
        "cap_add": ["net_admin"], "cap_drop": ["MKNOD"], "read_only": True,
        "shm_size": "32m", "tmpfs": {"/run": "size=1m"}, "dns": ["10.9.9.9"], "init": True,
        "ulimits": [{"name": "nofile", "soft": 1024, "hard": 2048}],
        "sysctls": {"net.core.somaxconn": 1024},
        "log_config": {"type": "json-file", "config": {"max-size": "1m"}},
        "security_opt": ["no-new-privileges"], "pids_limit": 100,
        "restart_policy": {"Name": "on-failure", "MaximumRetryCount": 3},
    },
}


def map_dict(count: int, rich: bool) -> dict[str, Any]:
    extra = copy.deepcopy(RICH) if rich else {}
    return {"networks": {"net": {}},
            **{f"c{i}": {"image": "/" + IMAGE, "networks": "net", "stop_timeout": 1,
                         **copy.deepcopy(extra)} for i in range(count)}}


# ----- 1. planning ---------------------------------------------------------------------------
def daemon_view(d: DesiredContainer) -> ContainerState:
    """What inspect reports for a container created from ``d`` (as dockerd 20.10 fills it)."""
    create = {k: v for k, v in d.create_kwargs.items()
              if k not in ("name", "platform", "use_config_proxy", "host_config")}
    sent = ContainerConfig("1.41", create.pop("image"), create.pop("command", None), **create)
    config = {k: v for k, v in sent.items() if v is not None}
    config["Env"] = list(config.get("Env") or []) + ["PATH=/usr/bin:/bin"]
    config["Labels"] = {**IMAGE_LABELS, **(config.get("Labels") or {})}
    config.setdefault("Cmd", ["sh"])
    if "WorkingDir" in config:
        config["WorkingDir"] = config["WorkingDir"].rstrip("/") or "/"
    host = dict(HostConfig("1.41", **d.host_config))
    host.setdefault("ShmSize", 64 * 1024 ** 2)
    host.setdefault("RestartPolicy", {"Name": "", "MaximumRetryCount": 0})
    host["Ulimits"] = [{"Name": u["Name"], "Soft": u["Soft"], "Hard": u.get("Hard", 0)}
                       for u in host.get("Ulimits") or ()] or None
    if host.get("LogConfig"):
        host["LogConfig"] = {"Type": host["LogConfig"]["Type"],
                             "Config": host["LogConfig"].get("Config") or {}}
    networks = {net: {"NetworkID": "id-" + net, "Aliases": [d.name[:12]], "Links": None,
                      "IPAMConfig": None} for net in d.networks}
    inspect = {"Id": "id-" + d.name, "Image": IMAGE_ID,
               "State": {"Status": "running", "ExitCode": 0,
                         "StartedAt": "2026-01-01T00:00:00Z"},
               "Config": config, "HostConfig": host, "Mounts": [],
               "NetworkSettings": {"Networks": networks}}
    return ContainerState(id="id-" + d.name, name=d.name, image_id=IMAGE_ID, status="running",
                          labels=dict(config["Labels"]), inspect=inspect)


def cpu_of(func: Any) -> tuple[float, Any]:
    began = time.process_time()
    result = func()
    return time.process_time() - began, result


def bench_planning(count: int, rounds: int) -> dict[str, tuple[float, float]]:
    """{'rich'|'plain': (median CPU s of desired state, median CPU s of the no-op plan)}."""
    figures: dict[str, tuple[float, float]] = {}
    for kind in ("plain", "rich"):
        cmap = ContainerMap(f"bench_{kind}", map_dict(count, kind == "rich"))
        merged = cmap.get_extended_map()
        build_times, plan_times = [], []
        for _ in range(rounds):
            client = ClientInfo("__default__")

            def build(merged: Any = merged, client: ClientInfo = client) -> Any:
                builder = DesiredStateBuilder(merged, client)
                desired = {d.name: d for d in (builder.container(f"c{i}", None)
                                               for i in range(count))}
                return builder, desired
            seconds, (builder, desired) = cpu_of(build)
            build_times.append(seconds)
            snapshot = HostSnapshot("__default__", images={IMAGE: IMAGE_ID},
                                    api_version="1.41")
            for name, d in desired.items():
                snapshot.containers[name] = daemon_view(d)
            for net in builder.networks:
                snapshot.networks[net] = NetworkState("id-" + net, net)
            inp = PlanInput(client, snapshot, desired, [sorted(desired)], builder.volumes,
                            builder.networks, set(desired))
            seconds, plan = cpu_of(lambda inp=inp: plan_update(inp, ActionOptions()))
            plan_times.append(seconds)
            if plan:
                sys.exit(f"{kind}: the no-op update planned {len(plan)} actions, e.g. "
                         f"{plan[0].kind} {plan[0].item}: {plan[0].reasons}")
        figures[kind] = (statistics.median(build_times), statistics.median(plan_times))
    return figures


# ----- 2. no-op update over SSH -------------------------------------------------------------
def bench_ssh(count: int, updates: int) -> dict[str, tuple[int, int, int, float, float]]:
    """{'rich'|'plain': (requests, SSH connections, channels, seconds, CPU seconds) per no-op
    update}."""
    import fabric

    from dockerfab.engine.client import MappingDockerClient
    from dockerfab.fabric.connection import open_connection
    from dockerfab.fabric.settings import DockerSettings
    from dockerfab.ssh import docker_client
    from tests.bed import load_bed
    from tests.bench.bench_ssh import cleanup, network

    bed = load_bed()
    direct = bed.host("bed1").docker_api()
    run = f"bench_compare_{int(time.time()) % 100000}_"
    figures: dict[str, tuple[int, int, int, float, float]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="bench_compare_") as tmp, \
                network(bed, 0, Path(tmp)) as net:
            config = fabric.Config(runtime_ssh_path=net.ssh_config)
            connection = open_connection(fabric.Connection("bed1", config=config),
                                         DockerSettings())
            client = docker_client(connection, host="bed1")
            try:
                for kind in ("plain", "rich"):
                    cmap = ContainerMap(run + kind, map_dict(count, kind == "rich"))
                    mc = MappingDockerClient(cmap, client)
                    mc.startup("__all__")
                    counts, seconds, cpu = [], [], []
                    for _ in range(updates):
                        before = COUNTS.snapshot()
                        began, cpu_began = time.perf_counter(), time.process_time()
                        done = mc.update("__all__")
                        seconds.append(time.perf_counter() - began)
                        cpu.append(time.process_time() - cpu_began)
                        counts.append(COUNTS.since(before))
                        if list(done):
                            sys.exit(f"{kind}: the no-op update did {len(list(done))} "
                                     "actions")
                    mc.close()
                    figures[kind] = (*(int(statistics.median(c[i] for c in counts))
                                       for i in range(3)), statistics.median(seconds),
                                    statistics.median(cpu))
            finally:
                client.close()
                connection.close()
    finally:
        cleanup(direct, run)
        direct.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--containers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--ssh-containers", type=int, default=30)
    parser.add_argument("--updates", type=int, default=5)
    parser.add_argument("--no-ssh", action="store_true")
    args = parser.parse_args()
    install()
    print(f"bench_compare: python {sys.version.split()[0]}, docker SDK {docker.__version__}")
    planning = bench_planning(args.containers, args.rounds)
    print(f"planning {args.containers} containers (CPU s, median of {args.rounds}):")
    print("    map     desired state   no-op update plan   total")
    for kind, (build, plan) in planning.items():
        print(f"    {kind:6}  {build:13.3f}   {plan:17.3f}   {build + plan:5.3f}")
    if args.no_ssh:
        return
    ssh = bench_ssh(args.ssh_containers, args.updates)
    floor = 4 + args.ssh_containers
    print(f"no-op update over SSH on bed1, {args.ssh_containers} containers "
          f"(median of {args.updates}; floor: {floor} requests = 4 lists + 1 inspect each):")
    print("    map     requests  ssh  channels  seconds  CPU s")
    for kind, (requests, connections, channels, seconds, cpu) in ssh.items():
        print(f"    {kind:6}  {requests:8}  {connections:3}  {channels:8}  {seconds:7.3f}  "
              f"{cpu:5.3f}")


if __name__ == "__main__":
    main()
