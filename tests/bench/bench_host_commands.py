"""What the deploy guard's commands cost a host (issue 13 item 3; not a test: prints figures).

    python -m tests.bench.bench_host_commands [--host bed4] [--runs 30] [--no-bed]

A no-op ``update`` runs two commands on each host (:mod:`dockerfab.rollout.store`): the
lock (which also reads the newest release) and ``finish`` (the audit record and the
unlock); a cold startup also saves releases. Each is an SSH exec channel: sshd starts the
user's login shell (``bash -c COMMAND``, which reads ``~/.bashrc`` when started by sshd)
and the shell starts the command's processes. On the bed every host's sshd and shells
share the machine's cores with the program, so what a command costs there is CPU the
program waits for. Two measurements:

1. **Processes per command** (no bed needed; ``strace``): each command run as sshd runs
   it (``bash -c``, ``SSH_CLIENT`` set, on a state directory in /tmp) under ``strace -f``,
   counting the processes and ``execve`` calls, once with this machine's ``~/.bashrc`` and
   once with the bed hosts' (tests/bed/ssh.py ``HOST_BASHRC``).
2. **Wall time and host CPU per command on a bed host** (``--host``; best a fleet host no
   one else uses, as its sshd's CPU is all this benchmark's): ``--runs`` no-op guard
   pairs (lock + finish) and as many ``true`` commands (the session and the shell alone)
   over one SSH connection, interleaved. Host CPU: the growth of the user + system time of
   the host's sshd and everything it reaped (``/proc/PID/stat`` of the listening sshd,
   read once the connection's processes are gone), per command.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # run as a file: python tests/bench/bench_host_commands.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from dockerfab.rollout.holder import Holder
from dockerfab.rollout.release import new_release_id
from dockerfab.rollout.store import HostStore
from tests.bed.ssh import HOST_BASHRC_TEXT

SCOPE = "bench_host_commands"
TICKS = os.sysconf("SC_CLK_TCK")


def guard_commands(root: str) -> dict[str, str]:
    """The command lines of a no-op run's guard on a host whose state is at ``root`` (a
    release recorded), and of a release save, as the store builds them (recorded, not run)."""
    lines: list[str] = []

    def record(command: str) -> str:
        lines.append(command)
        return ""

    store = HostStore(record, "bench", root)
    holder = Holder.here("update __all__")
    store.try_lock(SCOPE, holder)
    store.finish({SCOPE: {"time": "t", "task": "update", "result": "ok"}}, [SCOPE], holder)
    rid = new_release_id()
    store.save_release(SCOPE, rid, {"id": rid, "containers": [
        {"name": f"c{i}", "image_id": "sha256:" + "0" * 64} for i in range(5)]}, keep=10)
    return dict(zip(("lock", "finish", "save_release"), lines))


# ----- 1. processes per command -------------------------------------------------------------
def count_processes(command: str, home: str) -> tuple[int, int]:
    """(processes, execve calls) of ``bash -c command`` started as sshd starts it."""
    with tempfile.NamedTemporaryFile(prefix="bench_host_strace_") as trace:
        env = {"HOME": home, "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "SSH_CLIENT": "198.18.0.1 40000 22", "SSH_CONNECTION": "x", "USER": "root"}
        subprocess.run(["strace", "-f", "-qq", "-e", "trace=process", "-o", trace.name,
                        "bash", "-c", command], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        lines = Path(trace.name).read_text().splitlines()
    pids = {line.split()[0] for line in lines if line.strip()}
    return len(pids), sum(1 for line in lines if "execve(" in line)


def processes_report() -> list[str]:
    if shutil.which("strace") is None:
        return ["processes per command: strace is not installed (apt-get install strace)"]
    lines = ["processes (execve calls) per command, run as sshd runs it (bash -c):",
             "| command | with this machine's ~/.bashrc | with the bed hosts' ~/.bashrc |",
             "|---|---|---|"]
    with tempfile.TemporaryDirectory(prefix="bench_host_commands_") as tmp:
        root = f"{tmp}/state"
        bed_home = Path(tmp, "home")
        bed_home.mkdir()
        (bed_home / ".bashrc").write_text(HOST_BASHRC_TEXT)
        # a recorded release, as on a host the map was started on
        store = HostStore(lambda c: subprocess.run(["sh", "-c", c], check=True,
                                                   capture_output=True, text=True).stdout,
                          "bench", root)
        rid = new_release_id()
        store.save_release(SCOPE, rid, {"id": rid, "containers": []}, keep=10)
        commands = guard_commands(root)
        cells: dict[str, list[str]] = {name: [] for name in commands}
        for home in (str(Path.home()), str(bed_home)):
            for name, command in commands.items():   # the lock taken, then given back
                procs, execs = count_processes(command, home)
                cells[name].append(f"{procs} ({execs})")
        lines += [f"| {name} | {mine} | {bed} |" for name, (mine, bed) in cells.items()]
    lines.append("  (bash itself is one of them; the figures for this machine's ~/.bashrc "
                 "depend on what it runs)")
    return lines


# ----- 2. on a bed host ---------------------------------------------------------------------
def _tree(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(p) for p in (task / "children").read_text().split()]
        except OSError:   # gone meanwhile
            continue
    return found


def tree_cpu(pid: int) -> tuple[float, set[int]]:
    """CPU seconds (user + system) of ``pid``, every process below it and all they reaped;
    and the pids of the tree. Each process's own time and its reaped children's are
    counted where they are: nothing twice."""
    total, pids = 0, set()
    for member in _tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(x) for x in fields[11:15])   # utime stime cutime cstime
        pids.add(member)
    return total / TICKS, pids


def wait_reaped(pid: int, before: set[int], timeout: float = 10.0) -> None:
    """Until the tree below sshd ``pid`` is back to the processes of ``before`` (the
    command's shell and its processes are reaped, so their CPU counts)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if set(_tree(pid)) <= before:
            return
        time.sleep(0.01)
    raise RuntimeError(f"sshd {pid}: processes left {timeout:g} s after a command: is "
                       "someone else using this host? (use a fleet host, --host bed4)")


def bed_report(host_name: str, runs: int) -> list[str]:
    from dockerfab.fabric.shell import RemoteShell
    from tests.bed import load_bed

    host = next((h for h in load_bed().fleet if h.name == host_name), None)
    if host is None:
        return [(f"{host_name} is not a Docker host of the bed (python -m tests.testbed up "
                 "--hosts N)")]
    root = f"/tmp/bench_host_commands_{uuid.uuid4().hex[:8]}"
    client = host.ssh_client()

    class Connection:  # what RemoteShell reads of a Fabric connection
        transport = client.get_transport()
        config = None

    shell = RemoteShell(Connection(), host.name)  # type: ignore[arg-type]
    store = HostStore(shell.run, host.name, root)
    rid = new_release_id()
    store.save_release(SCOPE, rid, {"id": rid, "containers": []}, keep=10)

    def guard_pair() -> None:
        holder = Holder.here("update __all__")
        store.lock([SCOPE], holder)
        store.finish({SCOPE: {"time": "t", "task": "update", "result": "ok"}}, [SCOPE],
                     holder)

    kinds: dict[str, Callable[[], object]] = {"true": lambda: shell.run("true"),
                                              "lock + finish": guard_pair}
    walls: dict[str, list[float]] = {k: [] for k in kinds}
    cpu: dict[str, float] = dict.fromkeys(kinds, 0.0)
    try:
        for _ in range(runs):
            for kind, call in kinds.items():   # interleaved: a slow spell hits both
                before, pids = tree_cpu(host.sshd_pid)
                began = time.perf_counter()
                call()
                walls[kind].append(time.perf_counter() - began)
                wait_reaped(host.sshd_pid, pids)
                cpu[kind] += tree_cpu(host.sshd_pid)[0] - before
    finally:
        shell.run(f"rm -rf {root}")
        client.close()
    per = {"true": 1, "lock + finish": 2}
    lines = [(f"on {host.name} ({runs} runs each, one SSH connection; host CPU: its sshd and "
              "what it reaped):"),
             "| commands | wall per command (median) | host CPU per command |", "|---|---|---|"]
    for kind in kinds:
        lines.append(f"| {kind} | {statistics.median(walls[kind]) / per[kind] * 1000:.1f} ms | "
                     f"{cpu[kind] / runs / per[kind] * 1000:.1f} ms |")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="bed4", help="a bed Docker host (default bed4)")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--no-bed", action="store_true", help="only the process counts")
    args = parser.parse_args(argv)
    print(f"bench_host_commands: load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    lines = processes_report()
    if not args.no_bed:
        lines += ["", *bed_report(args.host, args.runs)]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    main()
