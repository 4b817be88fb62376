"""Fleet benchmark: the ``dockerfab`` program on 1 .. 100 bed hosts at once against the floor
(not a test; prints figures and the targets of issue 13).

    python -m testbed up --hosts 100        # the fleet hosts bed4..bed100 (tests/bed)
    python -m tests.bench.bench_fleet [--sizes 1,10,50,100] [--containers 5] [--updates 3]
                                      [--rounds 1] [--distant-rtt-ms 50] [--no-distant]
                                      [--profile DIR]

For each fleet size N (hosts bed1..bedN of the bed's fleet) and a map of ``--containers``
(5) independent containers on one network per host:

* **cold startup**: ``dockerfab -H bed1,...,bedN startup __all__`` (the program as a
  subprocess, run as :mod:`tests.bench.counted_program` for its request and SSH counts),
  against **the floor**: the same list, network create and container create + start calls
  made in this process over each host's own daemon socket (no SSH), all hosts at once
  (:func:`tests.bench.bench_engine.floor_startup` per host, one thread per host, the
  containers of all hosts through one pool);
* **no-op update** and **status** of the same map (the plain program, the median of
  ``--updates`` runs each; one more counted run each for the counts): the containers must
  keep their ids and ``status`` must exit 0 (all in sync);
* **peak RSS** of the program (``ru_maxrss`` of each run, from ``os.wait4``), the largest
  of the size's runs.

Then **a distant host**: a no-op ``update`` of bed1 through :mod:`tests.bench.latency_proxy`
(``--distant-rtt-ms`` round trip, half each way) against the same with direct SSH,
interleaved; the difference divided by the round-trip time is the number of round trips a
distant host costs. With ``--profile DIR``, at the largest size, the no-op update and the
cold startup run once more under ``py-spy record`` (``pip install py-spy``), and a summary
of where their samples fall is printed (docs/benchmarks.rst has the findings).
"""
from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # run as a file: python tests/bench/bench_fleet.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import yaml

from tests.bed import Bed, BedHost, load_bed
from tests.bench.bench_engine import CountingClient, floor_startup
from tests.bench.bench_host_commands import tree_cpu, wait_reaped
from tests.bench.bench_ssh import cleanup, map_dict, network
from tests.bench.fleet_profile import py_spy_argv, summarize

REPO = Path(__file__).resolve().parents[2]
PREFIX = "bench_fleet_"
RUN_TIMEOUT = 900          # seconds: a program run still going then is killed (and reported)
COLD_TARGET = 1.2          # cold startup / floor, at every size
NOOP_GROWTH_TARGET = 3.0   # no-op update and status at 100 hosts / at 1 host
RSS_TARGET_MIB = 150       # peak RSS at 100 hosts
DISTANT_TARGET = 8         # round trips a distant host's no-op update costs above a local one
TARGET_SIZE = 100          # the size the growth and RSS targets are set for


# ----- running the program -----------------------------------------------------------------
@dataclass
class Run:
    """One program run: wall seconds, peak RSS (KiB), CPU seconds (user + system, its own
    and its children's), counts (when counted)."""
    seconds: float
    max_rss_kib: int
    cpu_seconds: float = 0.0
    #: CPU seconds the hosts' sshd (sessions, shells, their processes) and dockerd spent
    #: meanwhile (when the run was given its hosts)
    sshd_cpu: float | None = None
    dockerd_cpu: float | None = None
    requests: int | None = None
    connections: int | None = None
    channels: int | None = None


def program_argv(counted: bool) -> list[str]:
    """The program as a user runs it (the console script), or with the counters."""
    if counted:
        return [sys.executable, "-m", "tests.bench.counted_program"]
    script = Path(sys.executable).with_name("dockerfab")
    return [str(script)] if script.exists() else [sys.executable, "-m", "dockerfab.cli"]


def hosts_cpu(hosts: Sequence[BedHost]) -> tuple[float, float, list[set[int]]]:
    """CPU seconds so far of the hosts' sshd and dockerd (each with every process below it
    and all they reaped: :func:`tests.bench.bench_host_commands.tree_cpu`), and the pids
    below each sshd."""
    sshd = [tree_cpu(h.sshd_pid) for h in hosts]
    return (sum(c for c, _ in sshd), sum(tree_cpu(h.dockerd_pid)[0] for h in hosts),
            [pids for _, pids in sshd])


def run_program(workdir: Path, words: Sequence[str], counted: bool = False,
                wrap: Sequence[str] = (), ok: Sequence[int] = (0,),
                hosts: Sequence[BedHost] = ()) -> Run:
    """Run ``dockerfab WORDS`` in ``workdir``; its output goes to ``workdir/last.log``.
    With ``hosts``, what their sshd and dockerd spent meanwhile is measured too (bed1..3
    are shared: other engineers' runs count there as well)."""
    before = hosts_cpu(hosts) if hosts else None
    counts_file = workdir / "counts.json"
    counts_file.unlink(missing_ok=True)
    env = dict(os.environ, DOCKERFAB_BENCH_COUNTS=str(counts_file),
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO),
                                                        os.environ.get("PYTHONPATH")])))
    argv = [*wrap, *program_argv(counted), *words]
    log = workdir / "last.log"
    with open(log, "wb") as out:
        began = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=workdir, env=env, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT)
        watchdog = threading.Timer(RUN_TIMEOUT, proc.kill)   # an unattended run ends
        watchdog.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            watchdog.cancel()
        seconds = time.perf_counter() - began
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in ok:
        text = log.read_text(errors="replace")
        # the lines that say why (a host's ERROR, a traceback), then the end of the output
        why = [line for line in text.splitlines()
               if " ERROR " in line or "FAILED" in line or "Error" in line][:20]
        raise RuntimeError(f"{' '.join(words)} exited {proc.returncode}:\n"
                           + "\n".join([*why, "...", text[-1500:]]))
    run = Run(seconds, usage.ru_maxrss, usage.ru_utime + usage.ru_stime)
    if before is not None:
        for host, pids in zip(hosts, before[2]):   # the connection's processes reaped
            with contextlib.suppress(RuntimeError):
                wait_reaped(host.sshd_pid, pids, timeout=5)
        after = hosts_cpu(hosts)
        run.sshd_cpu, run.dockerd_cpu = after[0] - before[0], after[1] - before[1]
    say(f"  {' '.join(words[words.index('-H') + 2:] if '-H' in words else words)}: "
        f"{seconds:.2f} s, CPU {run.cpu_seconds:.2f} s, "
        f"peak RSS {usage.ru_maxrss // 1024} MiB")   # kept if a size fails
    if counted and counts_file.exists():
        import json

        counts = json.loads(counts_file.read_text())
        run.requests, run.connections = counts["requests"], counts["connections"]
        run.channels = counts["channels"]
    return run


def write_project(workdir: Path, name: str, containers: int) -> None:
    """The map (``name``: ``containers`` containers on one network) and fabric.yaml."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "map.yaml").write_text(yaml.safe_dump({"name": name, **map_dict(containers)}))
    (workdir / "fabric.yaml").write_text(
        yaml.safe_dump({"docker": {"maps": ["map.yaml"], "wait": False}}))


# ----- the floor ---------------------------------------------------------------------------
def floor_cold_startup(apis: Sequence[CountingClient], name: str,
                       containers: int) -> tuple[float, int]:
    """The floor's cold startup on every host at once; (seconds, requests)."""
    before = sum(api.requests for api in apis)
    with ThreadPoolExecutor(len(apis)) as hosts, \
            ThreadPoolExecutor(min(128, containers * len(apis))) as pool:
        began = time.perf_counter()
        list(hosts.map(lambda api: floor_startup(api, pool, name, containers), apis))
        seconds = time.perf_counter() - began
    return seconds, sum(api.requests for api in apis) - before


def remove_map(apis: Sequence[CountingClient], name: str) -> None:
    """Remove the containers and network of map ``name`` on every host (not timed)."""
    with ThreadPoolExecutor(min(8, len(apis))) as pool:
        list(pool.map(lambda api: cleanup(api, name + "."), apis))


def container_ids(apis: Sequence[CountingClient], name: str) -> set[str]:
    return {c["Id"] for api in apis
            for c in api.containers(all=True, filters={"name": name + "."})}


# ----- one fleet size ----------------------------------------------------------------------
@dataclass
class SizeFigures:
    """What one fleet size measured (lists over rounds / runs)."""
    size: int
    startup: list[Run] = field(default_factory=list)
    floor: list[tuple[float, int]] = field(default_factory=list)
    update: list[Run] = field(default_factory=list)
    status: list[Run] = field(default_factory=list)
    counted_update: Run | None = None
    counted_status: Run | None = None

    @staticmethod
    def med(runs: Sequence[Run]) -> float:
        return statistics.median(r.seconds for r in runs)

    @property
    def cold_ratio(self) -> float:
        return self.med(self.startup) / statistics.median(s for s, _ in self.floor)

    @property
    def peak_rss_mib(self) -> float:
        runs = [*self.startup, *self.update, *self.status,
                *(r for r in (self.counted_update, self.counted_status) if r)]
        return max(r.max_rss_kib for r in runs) / 1024


def bench_size(hosts: Sequence[BedHost], apis: Sequence[CountingClient], args: argparse.Namespace,
               workdir: Path, run_id: str, ssh_config: str) -> SizeFigures:
    """Rounds of: cold startup by the program, no-op updates, status runs, clean-up; and the
    floor's cold startup, clean-up (the order alternating between rounds)."""
    size = len(hosts)
    figures = SizeFigures(size)
    host_list = ",".join(h.name for h in hosts)
    for round_no in range(args.rounds):
        name = f"{PREFIX}{run_id}_{size}_{round_no}"
        project = workdir / name
        write_project(project, name, args.containers)
        words = ["-S", ssh_config, "-H", host_list]

        def program(round_no: int = round_no, name: str = name, project: Path = project,
                    words: list[str] = words) -> None:
            say(f"{size} hosts, round {round_no + 1}: cold startup")
            figures.startup.append(run_program(project, [*words, "startup", "__all__"],
                                               counted=True))
            ids = container_ids(apis, name)
            if len(ids) != size * args.containers:
                sys.exit(f"startup made {len(ids)} containers, not {size * args.containers}")
            say(f"{size} hosts: {args.updates} no-op updates, {args.updates} status runs")
            for _ in range(args.updates):   # interleaved: slow spells hit both alike
                figures.update.append(run_program(project, [*words, "update", "__all__"],
                                                  hosts=hosts))
                figures.status.append(run_program(project, [*words, "status"], hosts=hosts))
            if round_no == 0:
                figures.counted_update = run_program(project, [*words, "update", "__all__"],
                                                     counted=True)
                figures.counted_status = run_program(project, [*words, "status"],
                                                     counted=True)
            if container_ids(apis, name) != ids:
                sys.exit(f"{size} hosts: the no-op updates re-created containers")
            if args.profile and size == max(args.sizes):
                profile(project, words, Path(args.profile), apis, "update")
                profile(project, words, Path(args.profile), apis, "startup")
            remove_map(apis, name)

        def floor(round_no: int = round_no, name: str = name) -> None:
            say(f"{size} hosts, round {round_no + 1}: the floor's cold startup")
            floor_name = name + "_floor"
            try:
                figures.floor.append(floor_cold_startup(apis, floor_name, args.containers))
                say(f"  floor startup: {figures.floor[-1][0]:.2f} s")
            finally:
                remove_map(apis, floor_name)

        for step in ((program, floor) if round_no % 2 == 0 else (floor, program)):
            step()
    return figures


# ----- a distant host ----------------------------------------------------------------------
def bench_distant(bed: Bed, api: CountingClient, args: argparse.Namespace, workdir: Path,
                  run_id: str) -> tuple[float, float, float]:
    """No-op updates of bed1, direct and through the latency proxy, interleaved; (median
    local s, median distant s, round trips above local)."""
    name = f"{PREFIX}{run_id}_distant"
    project = workdir / name
    write_project(project, name, args.containers)
    rtt = args.distant_rtt_ms / 1000
    local_times: list[float] = []
    distant_times: list[float] = []
    try:
        with network(bed, 0, workdir) as local, \
                network(bed, args.distant_rtt_ms / 2, workdir) as distant:
            run_program(project, ["-S", local.ssh_config, "-H", "bed1", "startup", "__all__"])
            say(f"distant host: {args.distant_updates} no-op updates each, "
                f"RTT {args.distant_rtt_ms:g} ms and direct")
            for _ in range(args.distant_updates):
                for config, times in ((local.ssh_config, local_times),
                                      (distant.ssh_config, distant_times)):
                    times.append(run_program(project, ["-S", config, "-H", "bed1", "update",
                                                       "__all__"]).seconds)
    finally:
        remove_map([api], name)
    near, far = statistics.median(local_times), statistics.median(distant_times)
    return near, far, (far - near) / rtt


# ----- the profile -------------------------------------------------------------------------
PROFILES: list[tuple[Path, float, str]] = []  # (raw record, wall seconds of its run, kind)


def profile(project: Path, words: list[str], directory: Path, apis: Sequence[CountingClient],
            what: str) -> None:
    """py-spy records (:mod:`tests.bench.fleet_profile`) into ``directory``: for ``update``,
    a no-op update (GIL samples, and every thread's) and a status run (GIL); for
    ``startup``, a cold startup (both; the caller removes the map before each)."""
    directory.mkdir(parents=True, exist_ok=True)
    runs = {"update": (("update", ["update", "__all__"], "gil"),
                       ("update", ["update", "__all__"], "idle"),
                       ("status", ["status"], "gil")),
            "startup": (("startup", ["startup", "__all__"], "gil"),
                        ("startup", ["startup", "__all__"], "idle"))}[what]
    for label, task, kind in runs:
        out = directory / f"{label}-{len(apis)}-{kind}.txt"
        say(f"profile: {label} of {len(apis)} hosts ({kind}) -> {out}")
        if label == "startup":
            remove_map(apis, project.name)
        run = run_program(project, [*words, *task], wrap=py_spy_argv(out, kind))
        PROFILES.append((out, run.seconds, kind))


# ----- report ------------------------------------------------------------------------------
def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def report(sizes: Sequence[SizeFigures], distant: tuple[float, float, float] | None,
           args: argparse.Namespace) -> list[str]:
    lines = [(f"{args.containers} containers per host, {args.rounds} round(s), median of "
              f"{args.updates} no-op updates and status runs"),
             "",
             "| hosts | cold startup vs floor | no-op `update` | `status` | peak RSS |",
             "|---|---|---|---|---|"]
    for f in sizes:
        floor = statistics.median(s for s, _ in f.floor)
        lines.append(f"| {f.size} | {f.cold_ratio:.2f}x ({f.med(f.startup):.2f} s / "
                     f"{floor:.2f} s) | {f.med(f.update):.2f} s | {f.med(f.status):.2f} s | "
                     f"{f.peak_rss_mib:.0f} MiB |")
    lines += ["", ("CPU seconds (user + system, medians) against the wall time: the program; "
              "for update and status also the hosts' sshd (sessions, shells and their "
              "processes) and dockerd:")]
    for f in sizes:
        parts = [(f"startup {statistics.median(r.cpu_seconds for r in f.startup):.2f} s "
                 f"of {f.med(f.startup):.2f} s")]
        for label, done in (("update", f.update), ("status", f.status)):
            text = (f"{label} {f.med(done):.2f} s: program "
                    f"{statistics.median(r.cpu_seconds for r in done):.2f} s")
            if all(r.sshd_cpu is not None for r in done):
                text += (f", sshd {statistics.median(r.sshd_cpu or 0 for r in done):.2f} s, "
                         f"dockerd {statistics.median(r.dockerd_cpu or 0 for r in done):.2f} s")
            parts.append(text)
        lines.append(f"  {f.size:3} hosts: " + "; ".join(parts))
    lines += ["", "counts (requests / SSH connections / channels of one run):"]
    for f in sizes:
        parts = []
        for label, run in (("startup", f.startup[0]), ("update", f.counted_update),
                           ("status", f.counted_status)):
            if run is not None and run.requests is not None:
                parts.append(f"{label} {run.requests}/{run.connections}/{run.channels}")
        floor_requests = int(statistics.median(r for _, r in f.floor))
        lines.append(f"  {f.size:3} hosts: " + ", ".join(parts)
                     + f"; floor startup {floor_requests} requests")
    lines += ["", "targets:"]
    for f in sizes:
        lines.append(f"  cold startup <= {COLD_TARGET}x floor at {f.size} hosts: "
                     f"{f.cold_ratio:.2f}x {verdict(f.cold_ratio <= COLD_TARGET)}")
    one = next((f for f in sizes if f.size == 1), None)
    largest = max(sizes, key=lambda f: f.size)
    note = "" if largest.size == TARGET_SIZE else f" (the target is for {TARGET_SIZE} hosts)"
    if one is not None and largest is not one:
        for what, runs in (("no-op update", "update"), ("status", "status")):
            ratio = SizeFigures.med(getattr(largest, runs)) / SizeFigures.med(getattr(one, runs))
            lines.append(f"  {what} at {largest.size} hosts <= {NOOP_GROWTH_TARGET}x one host: "
                         f"{ratio:.2f}x {verdict(ratio <= NOOP_GROWTH_TARGET)}{note}")
    lines.append(f"  peak RSS <= {RSS_TARGET_MIB} MiB at {largest.size} hosts: "
                 f"{largest.peak_rss_mib:.0f} MiB "
                 f"{verdict(largest.peak_rss_mib <= RSS_TARGET_MIB)}{note}")
    if distant is not None:
        near, far, trips = distant
        lines.append(f"  distant host (RTT {args.distant_rtt_ms:g} ms): no-op update "
                     f"{far:.2f} s vs {near:.2f} s direct = {trips:.1f} round trips above "
                     f"local, <= {DISTANT_TARGET}: {verdict(trips <= DISTANT_TARGET)}")
    if PROFILES:
        lines += ["", "profiles (py-spy; tests/bench/fleet_profile.py):"]
    for path, seconds, kind in PROFILES:
        lines += summarize(path, seconds, kind)
    return lines


def say(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


def parse_sizes(text: str) -> list[int]:
    sizes = sorted({int(s) for s in text.split(",") if s.strip()})
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError("sizes are host counts from 1, e.g. 1,10")
    return sizes


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=parse_sizes, default=[1, 10, 50, 100],
                        help="fleet sizes, comma-separated (default 1,10,50,100)")
    parser.add_argument("--containers", type=int, default=5, help="containers per host")
    parser.add_argument("--rounds", type=int, default=1, help="cold startups per size")
    parser.add_argument("--updates", type=int, default=3,
                        help="no-op updates (and status runs) per round")
    parser.add_argument("--distant-rtt-ms", type=float, default=50.0)
    parser.add_argument("--distant-updates", type=int, default=5)
    parser.add_argument("--no-distant", action="store_true")
    parser.add_argument("--profile", metavar="DIR",
                        help="py-spy profiles of the largest size into DIR")
    args = parser.parse_args(argv)
    bed = load_bed()
    fleet = bed.fleet
    if max(args.sizes) > len(fleet):
        sys.exit(f"the bed has {len(fleet)} Docker hosts, the largest size asks for "
                 f"{max(args.sizes)}: run `python -m tests.testbed up --hosts "
                 f"{max(args.sizes)}` first")
    hosts = fleet[:max(args.sizes)]
    problems = [p for h in hosts for p in h.problems()]
    if problems:
        sys.exit("the bed does not answer: " + "; ".join(problems[:10]))
    apis = [CountingClient(base_url=h.docker_url, version="auto") for h in hosts]
    run_id = uuid.uuid4().hex[:6]
    print(f"bench_fleet run {run_id}: {os.cpu_count()} cores, sizes {args.sizes}, "
          f"python {sys.version.split()[0]}, load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    results: list[SizeFigures] = []
    distant = None
    try:
        with tempfile.TemporaryDirectory(prefix="bench_fleet_") as tmp:
            workdir = Path(tmp)
            for size in args.sizes:
                try:
                    figures = bench_size(hosts[:size], apis[:size], args, workdir, run_id,
                                         bed.ssh_config_file)
                except (RuntimeError, OSError) as exc:   # report what was measured so far
                    print(f"{size} hosts failed: {exc}", flush=True)
                    break
                results.append(figures)
                print(f"{size} hosts: cold startup {figures.cold_ratio:.2f}x the floor, no-op "
                      f"update {figures.med(figures.update):.2f} s, status "
                      f"{figures.med(figures.status):.2f} s, peak RSS "
                      f"{figures.peak_rss_mib:.0f} MiB", flush=True)
            if not args.no_distant:
                try:
                    distant = bench_distant(bed, apis[0], args, workdir, run_id)
                except (RuntimeError, OSError) as exc:
                    print(f"the distant host failed: {exc}", flush=True)
    finally:
        with ThreadPoolExecutor(8) as pool:   # whatever a failed run left behind
            list(pool.map(lambda api: cleanup(api, f"{PREFIX}{run_id}_"), apis))
        for api in apis:
            api.close()
    if results:
        print("\n".join(report(results, distant, args)), flush=True)


if __name__ == "__main__":
    main()
