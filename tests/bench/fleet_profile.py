"""Where a ``dockerfab`` run spends its time: py-spy records of it, summarized (for
:mod:`tests.bench.bench_fleet`; ``pip install py-spy``).

Two kinds of record of the same run: ``gil`` (only the samples of the thread holding the
GIL: what the interpreter executes, and how much of the wall time it is busy) and ``idle``
(every thread at every sample, waiting or not: how many threads of which kind, and what
they wait for). Both in py-spy's raw (folded) format, one line per stack:
``process ...;thread (TID): NAME;frame (file:line);... COUNT``.
"""
from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

RATE = 250  # samples per second

#: (category, substrings of a frame); an import anywhere on the stack makes it ``imports``,
#: otherwise the innermost frame that matches one decides
IMPORTS = ("_find_and_load", "<module>", "exec_module", "_compile_bytecode", "get_code")
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("known_hosts and ssh_config parsing (paramiko)", ("paramiko/hostkeys.py",
                                                       "paramiko/config.py")),
    ("SSH key exchange, auth, crypto", ("kex_", "_negotiate_keys", "auth_handler",
                                        "paramiko/ed25519", "paramiko/pkey", "cryptography/",
                                        "paramiko/ecdsakey", "_activate_")),
    ("SSH packets and channels (paramiko)", ("paramiko/",)),
    ("HTTP (requests, urllib3, http.client)", ("requests/", "urllib3/", "http/client")),
    ("Docker SDK", ("docker/",)),
    ("maps and YAML", ("yaml/", "dockerfab/map", "dockerfab/yaml")),
    ("planning and engine", ("dockerfab/plan", "dockerfab/engine")),
    ("output", ("dockerfab/output", "rich/")),
    ("run, hosts, tasks (dockerfab.fabric, Fabric, Invoke)", ("dockerfab/", "fabric/",
                                                              "invoke/")),
    ("threads and queues", ("threading.py", "concurrent/futures", "queue.py")),
)


def py_spy_argv(out: Path, kind: str) -> list[str]:
    """The py-spy command line that records the program it is followed by."""
    beside = Path(sys.executable).with_name("py-spy")
    flags = {"gil": ["--gil"], "idle": ["--idle"]}[kind]
    return [str(beside) if beside.exists() else "py-spy", "record", "--subprocesses",
            "--rate", str(RATE), "--format", "raw", "--threads", "--output", str(out),
            *flags, "--"]


def _stacks(path: Path) -> list[tuple[str, list[str], int]]:
    """(thread kind, frames outermost first, samples) of a raw record."""
    found = []
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        parts = stack.split(";")
        thread = next((p for p in parts[:2] if p.startswith("thread (")), "")
        name = thread.split("): ", 1)[1] if "): " in thread else "main"
        kind = re.sub(r"([-_]\d+)+( \(.*\))?$", "", name)
        frames = [p for p in parts if not p.startswith(("process ", "thread ("))]
        found.append((kind, frames, int(count)))
    return found


def category(frames: list[str]) -> str:
    if any(needle in frame for frame in frames for needle in IMPORTS):
        return "imports"
    for frame in reversed(frames):
        for name, needles in CATEGORIES:
            if any(needle in frame for needle in needles):
                return name
    return "other"


def summarize(path: Path, seconds: float, kind: str) -> list[str]:
    """A few lines on a record of a run that took ``seconds``."""
    stacks = _stacks(path)
    total = sum(n for _, _, n in stacks) or 1
    if kind == "gil":
        busy = total / RATE / seconds
        lines = [(f"    {path.name}: the GIL was held {100 * min(busy, 1):.0f}% of the "
                 f"{seconds:.2f} s; of that:")]
        shares: Counter[str] = Counter()
        for _, frames, n in stacks:
            shares[category(frames)] += n
        lines += [f"      {100 * n / total:5.1f}%  {name}" for name, n in shares.most_common(8)]
        return lines
    # idle: thread kinds (a thread is as many samples as the run is long)
    per_kind: Counter[str] = Counter()
    waits: Counter[str] = Counter()
    for thread_kind, frames, n in stacks:
        per_kind[thread_kind] += n
        waits[category(frames)] += n
    samples_per_thread = seconds * RATE
    lines = [(f"    {path.name}: {total / samples_per_thread:.0f} threads on average over "
             f"{seconds:.2f} s; thread-seconds by kind:")]
    lines += [f"      {n / RATE:7.1f}  {name}" for name, n in per_kind.most_common(8)]
    lines.append("      where all threads are (share of thread-seconds): " + ", ".join(
        f"{name} {100 * n / total:.0f}%" for name, n in waits.most_common(4)))
    steps: Counter[str] = Counter()
    for thread_kind, frames, n in stacks:
        if thread_kind == HOST_THREAD:
            steps[step_of(frames)] += n
    host_total = sum(steps.values()) or 1
    lines.append(f"      the per-host threads ({HOST_THREAD}), by the step they are in:")
    lines += [f"      {100 * n / host_total:5.1f}%  {name}" for name, n in steps.most_common(6)]
    return lines


HOST_THREAD = "dockerfab-host"   # the threads of dockerfab.fabric.pipeline's host fan-out
#: plumbing under every step: a step is the innermost dockerfab frame outside these
PLUMBING = ("dockerfab/ssh/", "dockerfab/fabric/shell.py", "dockerfab/fabric/client.py")


def step_of(frames: list[str]) -> str:
    """``function (module)`` of the innermost dockerfab frame that is not plumbing."""
    for frame in reversed(frames):
        if "dockerfab/" in frame and not any(p in frame for p in PLUMBING):
            function, _, where = frame.partition(" (")
            return f"{function} ({where.split(':')[0]})"
    if any("concurrent/futures/thread.py" in frame for frame in frames):
        return "(an idle pool thread: no host to work on yet, or done)"
    return "(outside dockerfab)"
