"""Small system helpers for the bed: running commands, packages, detached daemons, mounts."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from tests.bed.layout import (
    LOCAL_DOCKER_SOCKET,
    LOCAL_DOCKERD_LOG,
    LOCAL_DOCKERD_PIDFILE,
    REGISTRIES,
)
from tests.bed.state import docker_ping

# package -> a file it installs that tells us it is there
PACKAGES = {
    "docker.io": "/usr/sbin/dockerd",
    "openssh-server": "/usr/sbin/sshd",
    "openssh-client": "/usr/bin/ssh-keygen",
    "busybox-static": "/bin/busybox",
    "iproute2": "/usr/sbin/ip",
    "iptables": "/usr/sbin/iptables",
    "docker-registry": "/usr/bin/docker-registry",
    "podman": "/usr/bin/podman",   # bed-podman's daemon (brings conmon, runc, CNI plugins)
}
POLICY_RC_D = Path("/usr/sbin/policy-rc.d")


def say(message: str) -> None:
    """Tell the user what the bed does (one line, flushed at once)."""
    print(f"bed: {message}", flush=True)


def run(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing output; raise with its stderr when it fails and ``check``."""
    proc = subprocess.run(argv, check=False, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}): "
                           f"{(proc.stderr or proc.stdout).strip()}")
    return proc


def write_if_changed(path: Path, text: str, mode: int = 0o644) -> bool:
    """Write ``text`` to ``path`` only when it differs; True when it wrote."""
    try:
        if path.read_text() == text:
            return False
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)
    return True


def ensure_packages() -> None:
    """apt-get install what is missing (apt-get update only then)."""
    missing = [pkg for pkg, path in PACKAGES.items() if not os.path.exists(path)]
    if not missing:
        return
    say(f"installing {' '.join(missing)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    # keep the packages' init scripts from starting sshd/docker-registry on every address
    guard = not POLICY_RC_D.exists()
    if guard:
        POLICY_RC_D.write_text("#!/bin/sh\n# dockerfab test bed: no service starts\nexit 101\n")
        POLICY_RC_D.chmod(0o755)
    try:
        for argv in (["apt-get", "update", "-q"],
                     ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing]):
            subprocess.run(argv, check=True, stdin=subprocess.DEVNULL, env=env)
    finally:
        if guard:
            POLICY_RC_D.unlink(missing_ok=True)


def read_pid(pidfile: Path) -> int | None:
    """The pid in ``pidfile``, or None when it is missing or not a number."""
    try:
        return int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None


def cmdline(pid: int) -> list[str]:
    """A process's argv ([] when it is gone)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def ours(pid: int | None, marker: str) -> bool:
    """True when ``pid`` runs and its argv mentions ``marker`` (guards against pid reuse)."""
    return pid is not None and any(marker in arg for arg in cmdline(pid))


def start_detached(argv: Sequence[str], log: Path) -> int:
    """Start a daemon in its own session, output to ``log``; returns its pid."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    proc.returncode = 0  # we never wait for it; keeps Popen.__del__ from warning
    return proc.pid


def stop_process(pid: int | None, marker: str, timeout: float = 20.0) -> bool:
    """SIGTERM a process of ours, SIGKILL it after ``timeout``; True if one was stopped."""
    if not ours(pid, marker):
        return False
    assert pid is not None
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not Path(f"/proc/{pid}").exists() or _zombie(pid):
            return True
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    return True


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


class ProcessExited(RuntimeError):
    """The process that :func:`wait_for` waited on ended before it was ready."""


def wait_for(check: Callable[[], bool], timeout: float, what: str, log: Path | None = None,
             pid: int | None = None) -> None:
    """Poll ``check`` until it is true; raise on time-out (RuntimeError) or when process
    ``pid`` ended (:class:`ProcessExited`), quoting the tail of ``log``."""
    deadline = time.monotonic() + timeout
    delay = 0.02
    while not check():
        ended = pid is not None and _zombie(pid)
        if ended or time.monotonic() > deadline:
            tail = ""
            if log is not None and log.exists():
                tail = "\n  " + "\n  ".join(log.read_text(errors="replace").splitlines()[-15:])
            if ended:
                raise ProcessExited(f"it exited while waiting for {what}{tail}")
            raise RuntimeError(f"timed out after {timeout:.0f}s while waiting for {what}{tail}")
        time.sleep(delay)
        delay = min(delay * 1.5, 0.25)


def wait_started(pid: int, ready: Callable[[], bool], what: str, log: Path,
                 restart: Callable[[], int], attempts: int = 3) -> int:
    """Wait until the daemon started as ``pid`` is ``ready``; one that exits while starting is
    started again with ``restart`` (which cleans up and returns the new pid), ``attempts`` in
    all. With all of the bed's daemons starting at once on two cores, dockerd can give up on
    its own containerd ("timeout waiting for containerd to start"), which says nothing about
    the next try. Returns the pid that is ready."""
    for attempt in range(1, attempts + 1):
        try:
            wait_for(ready, 60, what, log, pid)
            return pid
        except ProcessExited as exc:
            if attempt == attempts:
                raise
            last = str(exc).splitlines()[-1].strip()
            say(f"{what} exited while starting ({last}); starting it again")
            pid = restart()
    raise AssertionError("unreachable")


def ensure_local_dockerd() -> None:
    """Start a dockerd on /var/run/docker.sock if none answers (noting its pid for ``down``),
    trusting the bed's registries."""
    if docker_ping(LOCAL_DOCKER_SOCKET):
        return
    say(f"starting the local dockerd (log {LOCAL_DOCKERD_LOG})")

    def start() -> int:
        # it trusts the bed's plain-HTTP registries; one that was running already may not
        pid = start_detached(
            ["dockerd", *(f"--insecure-registry={reg.address}" for reg in REGISTRIES)],
            LOCAL_DOCKERD_LOG)
        LOCAL_DOCKERD_PIDFILE.parent.mkdir(parents=True, exist_ok=True)
        LOCAL_DOCKERD_PIDFILE.write_text(f"{pid}\n")
        return pid

    wait_started(start(), lambda: docker_ping(LOCAL_DOCKER_SOCKET), "the local dockerd",
                 LOCAL_DOCKERD_LOG, start)


def stop_local_dockerd() -> None:
    """Stop the local dockerd if ``up`` started it; one that was there before is left alone."""
    if stop_process(read_pid(LOCAL_DOCKERD_PIDFILE), "dockerd", timeout=30):
        say("stopped the local dockerd the bed had started")
    LOCAL_DOCKERD_PIDFILE.unlink(missing_ok=True)


def mounts_under(*roots: Path) -> list[str]:
    """Mount points at or below ``roots`` in this mount namespace, deepest first."""
    prefixes = [str(root) for root in roots]
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].replace("\\040", " ")
        if any(point == p or point.startswith(p + "/") for p in prefixes):
            found.append(point)
    return sorted(set(found), key=lambda p: p.count("/"), reverse=True)


def unmount_under(*roots: Path) -> None:
    """Lazily unmount everything a daemon left mounted below ``roots``."""
    for point in mounts_under(*roots):
        run("umount", "-l", point, check=False)


def remove_tree(path: Path) -> None:
    """rm -rf, after making sure nothing is mounted below it."""
    if path.exists():
        unmount_under(path)
        shutil.rmtree(path, ignore_errors=True)
