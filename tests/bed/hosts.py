"""The daemons of one bed host: its dockerd and its sshd, started, checked and stopped."""
from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

from tests.bed.layout import (
    CLIENT_KEY,
    KNOWN_HOSTS,
    REMOTE_DOCKER_SOCKET,
    SSH_CONFIG,
    SSH_PORT,
    SSH_USER,
    HostLayout,
)
from tests.bed.registry import insecure_registries
from tests.bed.ssh import HOST_BASHRC, sshd_argv, user_bashrc
from tests.bed.state import BedHost, docker_ping, ssh_banner, ssh_banner_in
from tests.bed.system import (
    ours,
    read_pid,
    remove_tree,
    run,
    say,
    start_detached,
    stop_process,
    unmount_under,
    wait_for,
    wait_started,
    write_if_changed,
)


def dockerd_argv(host: HostLayout) -> list[str]:
    """dockerd in the host's net namespace (nsenter, not `ip netns exec`, which remounts /sys)
    and its own UTS namespace, with its own data root, exec root, socket and address ranges."""
    return ["nsenter", f"--net={host.netns_path}", "unshare", "--uts", "sh", "-c",
            'hostname "$0" && exec dockerd "$@"', host.name,
            f"--config-file={host.daemon_config}",
            f"--data-root={host.data_root}",
            f"--exec-root={host.exec_root}",
            f"--pidfile={host.dockerd_pidfile}",
            f"--host=unix://{host.docker_socket}",
            f"--containerd-namespace=dockerfab-{host.name}",
            f"--containerd-plugins-namespace=dockerfab-{host.name}-plugins",
            f"--cgroup-parent=/dockerfab-{host.name}",
            f"--bip={host.bip}",
            f"--default-address-pool=base={host.address_pool},size=24",
            "--shutdown-timeout=3"]


def dockerd_pid(host: HostLayout) -> int | None:
    """The running dockerd of this host, if any."""
    pid = read_pid(host.dockerd_pidfile)
    return pid if ours(pid, str(host.data_root)) else None


def sshd_pid(host: HostLayout) -> int | None:
    """The running sshd of this host, if any."""
    pid = read_pid(host.sshd_pidfile)
    return pid if ours(pid, str(host.sshd_config)) else None


def daemon_config(host: HostLayout) -> str:
    """The host's daemon.json: its own key file gives each host its own daemon ID (else all
    share /etc/docker/key.json); the bed's registries are plain-HTTP ("insecure") ones."""
    return json.dumps({"deprecated-key-path": str(host.daemon_key),
                       "insecure-registries": insecure_registries()}) + "\n"


def start_dockerd(host: HostLayout) -> tuple[int | None, bool]:
    """Start the host's dockerd unless it answers. Returns the pid of one started (not ready
    yet), and whether a running one was told to reload a changed daemon.json (SIGHUP: the
    insecure registries are reloadable)."""
    for path in (host.run_dir, host.data_dir):
        path.mkdir(parents=True, exist_ok=True)
    changed = write_if_changed(host.daemon_config, daemon_config(host))
    if docker_ping(host.docker_socket):
        pid = dockerd_pid(host)
        if changed and pid is not None:
            say(f"{host.name}: dockerd reloads {host.daemon_config}")
            os.kill(pid, signal.SIGHUP)
            return None, True
        return None, False
    say(f"{host.name}: starting dockerd (log {host.dockerd_log})")
    return launch_dockerd(host), False


def launch_dockerd(host: HostLayout) -> int:
    """Start the host's dockerd afresh (what an earlier one left stopped first); its pid."""
    stop_dockerd(host)
    host.dockerd_pidfile.unlink(missing_ok=True)
    return start_detached(dockerd_argv(host), host.dockerd_log)


def wait_trusts_registries(host: HostLayout, api: Any) -> None:
    """Wait until the host's dockerd lists the bed's registries as insecure (after a reload)."""
    def trusted() -> bool:
        configs = (api.info().get("RegistryConfig") or {}).get("IndexConfigs") or {}
        return all(name in configs and not configs[name].get("Secure")
                   for name in insecure_registries())
    wait_for(trusted, 15, f"{host.name}'s dockerd to reload its registries", host.dockerd_log)


def wait_dockerd(host: HostLayout, pid: int) -> None:
    """Wait until the dockerd started as ``pid`` answers; one that exits while starting is
    started again (see :func:`tests.bed.system.wait_started`)."""
    wait_started(pid, lambda: docker_ping(host.docker_socket), f"{host.name}'s dockerd",
                 host.dockerd_log, lambda: launch_dockerd(host))


def _socket_bound(pid: int, host: HostLayout) -> bool:
    """True when sshd's view of /var/run/docker.sock is the host's current dockerd socket."""
    try:
        # resolve /var/run -> /run here: an absolute symlink under /proc/PID/root would be
        # followed in our own mount namespace
        inside = os.stat(f"/proc/{pid}/root{os.path.realpath(REMOTE_DOCKER_SOCKET)}")
        real = os.stat(host.docker_socket if host.has_daemon else "/dev/null")
    except OSError:
        return False
    return (inside.st_dev, inside.st_ino) == (real.st_dev, real.st_ino)


def greets(host: HostLayout) -> bool:
    """Whether the host's sshd greets: from here, or for an inner host (which nothing here can
    reach) from inside its jump host's namespace."""
    if host.via is None:
        return ssh_banner(host.address, SSH_PORT)
    return ssh_banner_in(f"dockerfab-{host.via}", host.address, SSH_PORT)


def _same_file(pid: int, path: Path, real: Path) -> bool:
    """True when process ``pid`` sees ``real`` at ``path`` (a bind mount in its namespace)."""
    try:
        inside, there = os.stat(f"/proc/{pid}/root{path}"), os.stat(real)
    except OSError:
        return False
    return (inside.st_dev, inside.st_ino) == (there.st_dev, there.st_ino)


def ensure_host_bashrc(pid: int, host: HostLayout) -> None:
    """Give a running sshd (started before its argv bind-mounted the bed's ~/.bashrc) the
    bed's :data:`HOST_BASHRC` in its mount namespace: no restart, sessions under way keep
    theirs, new ones start without the machine's own ~/.bashrc."""
    bashrc = user_bashrc()
    if not bashrc.is_file() or _same_file(pid, bashrc, HOST_BASHRC):
        return
    run("nsenter", f"--target={pid}", "--mount", "mount", "--bind", str(HOST_BASHRC),
        str(bashrc))
    say(f"{host.name}: SSH sessions now read the bed's ~/.bashrc ({HOST_BASHRC})")


def ensure_sshd(host: HostLayout) -> None:
    """Start (or restart) the host's sshd unless it greets and sees the current docker socket."""
    pid = sshd_pid(host)
    if pid is not None and _socket_bound(pid, host) and greets(host):
        ensure_host_bashrc(pid, host)
        return
    stop_process(pid, str(host.sshd_config))
    say(f"{host.name}: starting sshd on {host.address}:{SSH_PORT} (log {host.sshd_log})")
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)   # sshd's privilege separation dir
    pid = start_detached(sshd_argv(host), host.sshd_log)
    wait_for(lambda: greets(host), 15, f"{host.name}'s sshd", host.sshd_log, pid)


def stop_dockerd(host: HostLayout) -> None:
    """Stop the host's dockerd and the containerd it left behind, if it died uncleanly."""
    if stop_process(dockerd_pid(host), str(host.data_root), timeout=30):
        say(f"{host.name}: stopped dockerd")
    containerd = read_pid(host.exec_root / "containerd" / "containerd.pid")
    stop_process(containerd, str(host.exec_root))


def stop_host(host: HostLayout) -> None:
    """Stop the host's daemons and remove its files (runtime and data)."""
    from tests.bed.podman import stop_podman

    if stop_process(sshd_pid(host), str(host.sshd_config)):
        say(f"{host.name}: stopped sshd")
    if host.kind == "podman":
        stop_podman(host)
    else:
        stop_dockerd(host)
    unmount_under(host.run_dir, host.data_dir)
    for cgroup in Path("/sys/fs/cgroup").glob(f"*/dockerfab-{host.name}"):
        run("rmdir", str(cgroup), check=False)
    remove_tree(host.run_dir)
    remove_tree(host.data_dir)


def daemon_pid(host: HostLayout) -> int | None:
    """The pid of the host's dockerd (Podman's service on a podman host; None: bastion)."""
    from tests.bed.podman import podman_pid

    if host.kind == "podman":
        return podman_pid(host)
    return dockerd_pid(host) if host.has_daemon else None


def finish(host: HostLayout, started: dict[str, Any], local_api: Any,
           ids: dict[str, str], saved: Any = None) -> BedHost:
    """Wait for the host's daemon, start its sshd, load the test images (from ``saved``, a
    :class:`tests.bed.images.SavedImages`, when given); its BedHost."""
    import docker

    from tests.bed import net
    from tests.bed.images import ensure_host_images

    problems = net.route_problems(host)
    if problems:   # fails this host only (cli checks bed1..N before starting anything)
        raise RuntimeError("routing is wrong: " + "; ".join(problems))
    pid, reloaded = started.get(host.name, (None, False))
    if pid is not None and host.kind == "podman":
        wait_for(lambda: docker_ping(host.docker_socket), 60, f"{host.name}'s daemon",
                 host.dockerd_log, pid)
    elif pid is not None:
        wait_dockerd(host, pid)
    ensure_sshd(host)
    if host.has_daemon:
        api = docker.APIClient(base_url=f"unix://{host.docker_socket}", version="auto")
        try:
            if reloaded:
                wait_trusts_registries(host, api)
            ensure_host_images(host.name, api, local_api, ids, saved)
        finally:
            api.close()
    return bed_host(host)


def bed_host(host: HostLayout) -> BedHost:
    """The BedHost of ``host``: everything follows from its layout, the pids are read now.
    (Also what tests fall back to when the state was written by an ``up`` of a checkout that
    did not know these hosts yet.)"""
    return BedHost(name=host.name, address=host.address, ssh_port=SSH_PORT, user=SSH_USER,
                   key_file=str(CLIENT_KEY), known_hosts_file=str(KNOWN_HOSTS),
                   ssh_config_file=str(SSH_CONFIG), docker_socket=str(host.docker_socket),
                   remote_docker_socket=REMOTE_DOCKER_SOCKET, netns=host.netns,
                   dockerd_pid=daemon_pid(host) or 0, sshd_pid=sshd_pid(host) or 0,
                   kind=host.kind, via=host.via or "")
