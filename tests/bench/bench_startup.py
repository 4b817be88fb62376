"""Benchmark of the program's start-up (issue 13 item 1; not a test: prints figures).

    python -m tests.bench.bench_startup [--runs 7] [--containers 30]

Whole processes, started as a user starts them (the ``dockerfab`` script beside this
Python, with compiled bytecode as an installed package has it), against bed1:

1. ``dockerfab --list``: wall time. Floors: ``python -c pass``, and ``python -c 'import
   fabric'`` (what any Fabric program imports before it can parse its command line).
2. **The first SSH packet**: from starting ``dockerfab -H bed1 status`` to the first byte
   (the client's version line) reaching a TCP forwarder in front of bed1's sshd
   (tests/bench/first_packet.py). Floor: a process that imports paramiko and connects.
3. **No-op** ``update`` **and** ``status`` of a map of N (30) containers on bed1 (started
   up once): wall time of the whole process, and its Docker API requests and SSH
   connections (one extra run through tests.bench.counted_program). Floors: the same
   Docker calls (the four lists and one inspect per container) made in this process
   directly on bed1's socket, and made by a fresh process over one SSH connection
   (paramiko + ``dockerfab.ssh.docker_client``): any Python tool's least.
4. **One SSH handshake** (TCP, key exchange, authentication) in this process, on the
   socket as paramiko leaves it and as the program opens it (Nagle off, reads
   acknowledged at once: dockerfab.ssh.tcp).

Every figure is the median of ``--runs`` rounds, the kinds interleaved in each round; the
load average before and after is printed (the machine is shared). Ratios (now/before,
dockerfab's socket/paramiko's) are medians of the per-round ratios.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tests.bed import load_bed
from tests.bed.state import BedHost
from tests.bench.bench_compare import map_dict
from tests.bench.bench_ssh import _write_ssh_files, cleanup
from tests.bench.first_packet import FirstPacketProxy
from tests.integration.fabric_helpers import program_path, write_project

REPO = Path(__file__).resolve().parents[2]
HOST = "bed1"

#: a process that imports paramiko and connects: the first SSH packet's floor
FLOOR_PACKET = ("import socket, sys, paramiko\n"
                "s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\n"
                "s.sendall(b'SSH-2.0-floor\\r\\n')\n"
                "s.close()\n")

#: a process that makes the no-op's Docker calls over one SSH connection
FLOOR_SSH = """
import sys
import paramiko
from dockerfab.ssh import docker_client
address, port, user, key, known, prefix = sys.argv[1:7]
ssh = paramiko.SSHClient()
ssh.load_host_keys(known)
ssh.set_missing_host_key_policy(paramiko.RejectPolicy())
ssh.connect(address, port=int(port), username=user, key_filename=key, look_for_keys=False,
            allow_agent=False)
api = docker_client(ssh.get_transport(), host=address)
listed = api.containers(all=True, filters={"label": "dockerfab.map=" + prefix})
api.images(), api.networks(), api.volumes()
for container in listed:
    api.inspect_container(container["Id"])
api.close()
ssh.close()
"""


def environment(source: str | None) -> dict[str, str]:
    """The program's environment: ``source`` (a checkout whose ``dockerfab`` package is run:
    ``--before``) and this repository importable, compiled bytecode
    used (an installed package has it), no SSH agent."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONDONTWRITEBYTECODE", "SSH_AUTH_SOCK")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [source, str(REPO),
                                                      os.environ.get("PYTHONPATH")]))
    return env


def wall(argv: list[str], cwd: Path, env: dict[str, str], ok: tuple[int, ...] = (0,)
         ) -> float:
    """Seconds from start to end of one process; a failed run stops the benchmark."""
    began = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False,
                          stdin=subprocess.DEVNULL)
    seconds = time.perf_counter() - began
    if done.returncode not in ok:
        sys.exit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n"
                 f"{done.stderr[-3000:]}")
    return seconds


def first_packet(argv: list[str], cwd: Path, env: dict[str, str],
                 proxy: FirstPacketProxy) -> float:
    """Seconds from starting ``argv`` to the first byte at ``proxy`` (the run must end ok)."""
    index = len(proxy.arrivals)
    began = time.monotonic()
    process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    arrived = proxy.wait_first_byte(index, timeout=60)
    out, err = process.communicate(timeout=120)
    if arrived is None or process.returncode != 0:
        sys.exit(f"{' '.join(argv)}: no SSH packet or failed ({process.returncode}):\n"
                 f"{out[-3000:]}\n{err[-3000:]}")
    return arrived - began


def direct_calls(host: BedHost, prefix: str) -> Callable[[], float]:
    """The no-op's Docker calls in this process on the host's socket (one client, kept)."""
    api = host.docker_api()

    def run() -> float:
        began = time.perf_counter()
        listed = api.containers(all=True, filters={"label": f"dockerfab.map={prefix}"})
        api.images(), api.networks(), api.volumes()
        for container in listed:
            api.inspect_container(container["Id"])
        return time.perf_counter() - began
    return run


def handshake(host: BedHost, nagle: bool) -> Callable[[], float]:
    """Seconds of one SSH connection's opening (TCP, key exchange, authentication) in this
    process with paramiko alone, its socket as paramiko leaves it (``nagle``) or as the
    program opens it: Nagle off, reads acknowledged at once (dockerfab.ssh.tcp)."""
    import paramiko

    from dockerfab.ssh.tcp import low_latency_transport

    factory = paramiko.Transport if nagle else low_latency_transport

    def run() -> float:
        client = paramiko.SSHClient()
        client.load_host_keys(host.known_hosts_file)
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        began = time.perf_counter()
        client.connect(host.address, port=host.ssh_port, username=host.user,
                       key_filename=host.key_file, look_for_keys=False, allow_agent=False,
                       transport_factory=factory)
        seconds = time.perf_counter() - began
        client.close()
        return seconds
    return run


def counts(argv: list[str], cwd: Path, env: dict[str, str]) -> dict[str, Any]:
    """Docker API requests and SSH connections of one run (tests.bench.counted_program)."""
    out = cwd / "counts.json"
    command = [sys.executable, "-m", "tests.bench.counted_program", *argv]
    done = subprocess.run(command, cwd=cwd, env={**env, "DOCKERFAB_BENCH_COUNTS": str(out)},
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--containers", type=int, default=30)
    parser.add_argument("--before", metavar="CHECKOUT",
                        help="also run the dockerfab package of this checkout (e.g. a git "
                             "archive of an older commit), interleaved: a 'before' column")
    args = parser.parse_args()
    bed = load_bed()
    host = bed.host(HOST)
    sources = {"now": environment(None)}
    if args.before:
        sources["before"] = environment(args.before)
    env = sources["now"]
    program = program_path("dockerfab")
    python = sys.executable
    load_before = os.getloadavg()
    samples: dict[str, list[float]] = {}
    counted: dict[str, dict[str, Any]] = {}

    def sample(kind: str, seconds: float) -> None:
        samples.setdefault(kind, []).append(seconds)

    name = f"bench_startup_{int(time.time()) % 100000}"
    with tempfile.TemporaryDirectory(prefix="bench_startup_") as tmp, \
            FirstPacketProxy((host.address, host.ssh_port)) as proxy:
        workdir = Path(tmp)
        directory = workdir / "project"
        directory.mkdir()
        (directory / "map.yaml").write_text(yaml.safe_dump(
            {"name": name, **map_dict(args.containers, False)}))
        write_project(directory, {"maps": ["map.yaml"], "wait": False})
        endpoints = {h.name: (h.address, h.ssh_port) for h in bed}
        (workdir / "direct").mkdir()
        (workdir / "proxied").mkdir()
        direct = str(_write_ssh_files(bed, workdir / "direct", endpoints))
        proxied = str(_write_ssh_files(bed, workdir / "proxied",
                                       {**endpoints, HOST: ("127.0.0.1", proxy.port)}))
        api = host.docker_api()
        try:
            task = [program, "-S", direct, "-H", HOST]
            wall([*task, "startup", "__all__"], directory, env)
            runs = {"--list": [program, "--list"], "update": [*task, "update", "__all__"],
                    "status": [*task, "status"]}
            via_proxy = [program, "-S", proxied, "-H", HOST, "status"]
            floor_ssh = [python, "-c", FLOOR_SSH, host.address, str(host.ssh_port),
                         host.user, host.key_file, host.known_hosts_file, name]
            calls = direct_calls(host, name)
            handshakes = {"handshake nagle on": handshake(host, nagle=True),
                          "handshake nagle off": handshake(host, nagle=False)}
            for source, source_env in sources.items():  # warm caches, count requests
                for argv in (*runs.values(), floor_ssh):
                    wall(argv, directory, source_env)
                for kind in ("update", "status"):
                    counted[f"{kind} ({source})"] = counts(runs[kind][1:], directory,
                                                           source_env)
            for _ in range(args.runs):
                sample("pass", wall([python, "-c", "pass"], directory, env))
                sample("import fabric", wall([python, "-c", "import fabric"], directory, env))
                sample("packet floor", first_packet(
                    [python, "-c", FLOOR_PACKET, str(proxy.port)], directory, env, proxy))
                sample("calls direct", calls())
                for kind, opening in handshakes.items():
                    sample(kind, opening())
                sample("calls over ssh", wall(floor_ssh, directory, env))
                for source, source_env in sources.items():
                    for kind, argv in runs.items():
                        sample(f"{kind} {source}", wall(argv, directory, source_env))
                    sample(f"first packet {source}",
                           first_packet(via_proxy, directory, source_env, proxy))
        finally:
            cleanup(api, name)
            api.close()
    load_after = os.getloadavg()
    report(samples, counted, args, load_before, load_after)


def report(samples: dict[str, list[float]], counted: dict[str, dict[str, Any]],
           args: argparse.Namespace, load_before: tuple[float, float, float],
           load_after: tuple[float, float, float]) -> None:
    def cell(kind: str) -> str:
        if kind not in samples:
            return ""
        values = sorted(samples[kind])
        return f"{statistics.median(values):6.3f} ({values[0]:.3f}-{values[-1]:.3f})"

    def ratio(kind: str, base: str) -> str:
        """Median of the per-round ratios (the two ran within seconds of each other, so a
        slow spell of the shared machine hits both): steadier than a ratio of medians."""
        if kind not in samples or base not in samples:
            return ""
        pairs = [a / b for a, b in zip(samples[kind], samples[base], strict=True) if b > 0]
        return f"{statistics.median(pairs):.2f}x" if pairs else ""

    print(f"bench_startup: python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load "
          f"{load_before[0]:.2f} before, {load_after[0]:.2f} after; seconds, median of "
          f"{args.runs} (range)")
    n = args.containers
    print(f"    {'':58} {'now':21} {'before' if args.before else '':21} "
          f"{'now/before' if args.before else ''}")
    rows = [("dockerfab --list", "--list"),
            ("first SSH packet (dockerfab -H bed1 status)", "first packet"),
            (f"no-op update, {n} containers, whole process", "update"),
            (f"status, {n} containers, whole process", "status")]
    for label, kind in rows:
        print(f"    {label:58} {cell(kind + ' now'):21} {cell(kind + ' before'):21} "
              f"{ratio(kind + ' now', kind + ' before')}")
    print("  floors:")
    floors = [("python -c pass", "pass"),
              ("python -c 'import fabric' (before any Fabric program parses)", "import fabric"),
              ("first packet: python, import paramiko, connect", "packet floor"),
              (f"the no-op's Docker calls ({4 + n}), in-process, bed1's socket", "calls direct"),
              ("the same calls, new process, paramiko, one SSH connection", "calls over ssh"),
              ("SSH handshake in-process, paramiko's socket (Nagle on)",
               "handshake nagle on"),
              ("SSH handshake in-process, dockerfab's socket (dockerfab.ssh.tcp)",
               "handshake nagle off")]
    for label, kind in floors:
        print(f"    {label:58} {cell(kind)}")
    print(f"    handshake, dockerfab's socket / paramiko's (per round): "
          f"{ratio('handshake nagle off', 'handshake nagle on')}")
    for run, numbers in counted.items():
        print(f"    {run}: {numbers['requests']} Docker API requests, "
              f"{numbers['connections']} SSH connection(s), {numbers['channels']} channels")


if __name__ == "__main__":
    main()
