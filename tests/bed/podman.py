"""bed-podman's daemon: ``podman system service``, Podman's Docker-compatible API, in the
host's network namespace, with its own storage, run, network and event directories (so it
shares nothing with any other Podman on this machine) and registries.conf trusting only the
bed's registries (Docker Hub blocked: no pull can leave the bed).
"""
from __future__ import annotations

import resource
from pathlib import Path

from tests.bed.layout import REGISTRIES, HostLayout
from tests.bed.system import (
    cmdline,
    ours,
    read_pid,
    run,
    say,
    start_detached,
    stop_process,
    write_if_changed,
)

PODMAN = "/usr/bin/podman"


def _files(host: HostLayout) -> dict[str, Path]:
    return {"containers": host.data_dir / "containers.conf",
            "storage": host.data_dir / "storage.conf",
            "registries": host.data_dir / "registries.conf"}


def _ulimits() -> str:
    """``"nofile=N:N", "nproc=M:M"``: this machine's hard limits, at most what the service
    keeps for itself (it lowers its own process limit to 32768)."""
    values = []
    for name, limit, most in (("nofile", resource.RLIMIT_NOFILE, 1 << 20),
                              ("nproc", resource.RLIMIT_NPROC, 32768)):
        hard = resource.getrlimit(limit)[1]
        value = most if hard == resource.RLIM_INFINITY else min(hard, most)
        values.append(f'"{name}={value}:{value}"')
    return ", ".join(values)


def _config(host: HostLayout) -> dict[str, str]:
    """containers.conf, storage.conf and registries.conf of the host."""
    run_dir, data = host.run_dir, host.data_dir
    containers = f"""\
# dockerfab test bed: {host.name} (python -m tests.testbed; removed by `down`)
[containers]
netns = "bridge"
# runc may not raise limits above the service's own (Podman asks for 1048576 files and
# as many processes by default)
default_ulimits = [{_ulimits()}]

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "{run_dir}/events.log"
tmp_dir = "{run_dir}/libpod"
static_dir = "{host.data_root}/libpod"
volume_path = "{host.data_root}/volumes"

[network]
network_backend = "cni"
network_config_dir = "{data}/networks"
default_subnet = "{host.bip}"
default_subnet_pools = [{{"base" = "{host.address_pool}", "size" = 24}}]
"""
    storage = f"""\
[storage]
driver = "overlay"
graphroot = "{host.data_root}"
runroot = "{run_dir}/storage"
"""
    registries = 'unqualified-search-registries = []\n\n' + "".join(
        f'[[registry]]\nlocation = "{reg.address}"\ninsecure = true\n\n' for reg in REGISTRIES
    ) + '[[registry]]\nlocation = "docker.io"\nblocked = true\n'
    return {"containers": containers, "storage": storage, "registries": registries}


def _env(host: HostLayout) -> dict[str, str]:
    files = _files(host)
    return {"CONTAINERS_CONF": str(files["containers"]),
            "CONTAINERS_STORAGE_CONF": str(files["storage"]),
            "CONTAINERS_REGISTRIES_CONF": str(files["registries"])}


def podman_argv(host: HostLayout) -> list[str]:
    """The service in the host's net namespace and its own UTS namespace; pid = this argv's."""
    env = [f"{k}={v}" for k, v in _env(host).items()]
    return ["nsenter", f"--net={host.netns_path}", "unshare", "--uts", "sh", "-c",
            'hostname "$0" && exec env "$@"', host.name, *env, PODMAN,
            f"--root={host.data_root}", f"--runroot={host.run_dir}/storage",
            "system", "service", "--time=0", f"unix://{host.docker_socket}"]


def podman_pid(host: HostLayout) -> int | None:
    pid = read_pid(host.dockerd_pidfile)
    return pid if ours(pid, str(host.data_root)) else None


def start_podman(host: HostLayout) -> int | None:
    """Write the config files and start the service unless it runs with them unchanged;
    returns the pid of one started (not ready yet)."""
    from tests.bed.state import docker_ping

    for path in (host.run_dir, host.data_dir, host.data_dir / "networks"):
        path.mkdir(parents=True, exist_ok=True)
    changed = False
    for key, text in _config(host).items():
        changed = write_if_changed(_files(host)[key], text) or changed
    pid = podman_pid(host)
    if pid is not None and not changed and docker_ping(host.docker_socket):
        return None
    stop_process(pid, str(host.data_root))
    say(f"{host.name}: starting podman system service (log {host.dockerd_log})")
    host.docker_socket.unlink(missing_ok=True)
    pid = start_detached(podman_argv(host), host.dockerd_log)
    host.dockerd_pidfile.write_text(f"{pid}\n")
    return pid


def stop_podman(host: HostLayout) -> None:
    """Remove every container of this Podman (their conmon processes outlive the service),
    then stop the service."""
    if host.data_root.exists():
        run("env", *(f"{k}={v}" for k, v in _env(host).items()), PODMAN,
            f"--root={host.data_root}", f"--runroot={host.run_dir}/storage",
            "rm", "--all", "--force", "--time=1", check=False)
    if stop_process(podman_pid(host), str(host.data_root)):
        say(f"{host.name}: stopped podman")
    # conmon of exec sessions may outlive their container: those of this storage root only
    for proc in Path("/proc").glob("[0-9]*"):
        argv = cmdline(int(proc.name))
        if argv and argv[0].endswith("conmon") and any(str(host.data_root) in a for a in argv):
            stop_process(int(proc.name), str(host.data_root), timeout=5)
