"""``python -m tests.testbed up|down|status|env``: bring the bed up (idempotent), tear it down,
tell what runs, print shell exports.

``up --hosts N`` also brings up the fleet hosts bed4..bedN (and removes those above N);
``up`` alone keeps the fleet hosts there are; ``down --extra`` removes only them."""
from __future__ import annotations

import argparse
import dataclasses
import fcntl
import os
import shlex
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from tests.bed import fleet, hosts, net, others, registry, ssh
from tests.bed.layout import (
    ALL_HOSTS,
    CLIENT_KEY,
    DATA_DIR,
    HOSTS,
    KNOWN_HOSTS,
    LOCAL_DOCKER_SOCKET,
    LOCK_FILE,
    MAX_HOSTS,
    OTHER_HOSTS,
    REGISTRIES,
    REGISTRY_PASSWORD_FILE,
    REGISTRY_USER,
    RUN_DIR,
    SSH_CONFIG,
    STATE_FILE,
    fleet_host,
)
from tests.bed.state import Bed, BedHost, BedMissing, BedRegistry, load_bed, save_bed
from tests.bed.system import (
    ensure_local_dockerd,
    ensure_packages,
    remove_tree,
    say,
    stop_local_dockerd,
)

if TYPE_CHECKING:  # pragma: no cover
    import docker


def up(count: int | None = None) -> Bed:
    """Make the whole bed run; cheap when it already does. ``count``: the fleet hosts to
    have, bed1..bed<count> (those above removed); None keeps the fleet hosts there are."""
    import docker

    from tests.bed.images import ensure_local_images

    there = fleet.present()
    extra = fleet.there_or_wanted(there, count)
    gone = [h for h in there if h.name not in {e.name for e in extra}]
    fleet.check_memory(len(extra) - (len(there) - len(gone)))
    ensure_packages()
    ensure_local_dockerd()
    for path in (RUN_DIR, DATA_DIR):
        path.mkdir(mode=0o755, parents=True, exist_ok=True)
    host_keys = ssh.ensure_ssh_files(extra)
    net.ensure_bridge()
    registries = registry.start_registries()     # on the bridge address; ready a bit later
    for host in HOSTS:
        net.ensure_host_net(host)
    others.ensure_nets()
    problems = [p for host in HOSTS for p in net.route_problems(host)]
    if problems:
        raise RuntimeError("the bed's routing is wrong:\n  " + "\n  ".join(problems))
    started = {host.name: hosts.start_dockerd(host) for host in HOSTS}
    started_others = others.start_daemons()

    local_api = docker.APIClient(base_url=f"unix://{LOCAL_DOCKER_SOCKET}", version="auto")
    ids = ensure_local_images(local_api)      # while the hosts' daemons start

    with ThreadPoolExecutor(len(ALL_HOSTS)) as pool:
        other_jobs = {host.name: pool.submit(hosts.finish, host, started_others, local_api, ids)
                      for host in OTHER_HOSTS}
        bed_hosts = tuple(pool.map(lambda h: hosts.finish(h, started, local_api, ids), HOSTS))
    other_hosts, failed = [], []
    for name, job in other_jobs.items():
        try:
            other_hosts.append(job.result())
        except Exception as exc:  # noqa: BLE001  reported after the rest is saved
            failed.append(f"{name}: {exc}")
    if gone:
        say(f"removing fleet hosts {', '.join(h.name for h in gone)}")
        fleet.remove(gone)
    extra_up: list[BedHost] = []
    if extra:
        net.ensure_fleet_address()
        extra_up, extra_failed = fleet.bring_up(extra, local_api, ids)
        failed += extra_failed
    elif gone:
        net.remove_fleet_address()
    local_trusts = local_daemon_trusts(local_api)
    local_api.close()
    ssh.write_client_files(host_keys, extra)
    pids = registry.wait_registries(registries)
    open_reg, auth_reg = REGISTRIES
    bed_registry = BedRegistry(
        address=open_reg.address, auth_address=auth_reg.address, username=REGISTRY_USER,
        password=registry.password(), storage=str(open_reg.storage),
        auth_storage=str(auth_reg.storage), local_daemon_trusts=local_trusts,
        pid=pids[open_reg.name], auth_pid=pids[auth_reg.name])
    bed = Bed(hosts=bed_hosts, images=ids, key_file=str(CLIENT_KEY),
              known_hosts_file=str(KNOWN_HOSTS), ssh_config_file=str(SSH_CONFIG),
              registry=bed_registry, others=tuple(other_hosts), extra=tuple(extra_up))
    save_bed(bed)
    if failed:
        raise RuntimeError("the bed is up except:\n  " + "\n  ".join(failed))
    return bed


def local_daemon_trusts(api: docker.APIClient) -> bool:
    """Whether the local dockerd lists the bed's registries as insecure (plain HTTP) ones:
    true when ``up`` started it, else up to how it was started."""
    configs = (api.info().get("RegistryConfig") or {}).get("IndexConfigs") or {}
    return all(reg.address in configs and not configs[reg.address].get("Secure")
               for reg in REGISTRIES)


def down() -> None:
    """Stop every daemon of the bed and remove its network, mounts, files and ssh entries."""
    STATE_FILE.unlink(missing_ok=True)
    fleet.remove(fleet.present())
    others.stop_all()
    with ThreadPoolExecutor(len(HOSTS)) as pool:
        list(pool.map(hosts.stop_host, HOSTS))
    for host in HOSTS:
        net.remove_host_net(host)
    registry.stop_registries()
    net.remove_fleet_address()
    net.remove_bridge()
    ssh.remove_client_files()
    stop_local_dockerd()
    remove_tree(RUN_DIR)
    remove_tree(DATA_DIR)


def down_extra() -> None:
    """Remove the fleet hosts bed4..bedN only: bed1..bed3, the other hosts and the registries
    keep running; the state and the ssh files are rewritten without them."""
    there = fleet.present()
    if there:
        say(f"removing fleet hosts {', '.join(h.name for h in there)}")
    fleet.remove(there)
    net.remove_fleet_address()
    if CLIENT_KEY.exists():
        ssh.write_client_files(ssh.ensure_ssh_files())
    try:
        bed = load_bed(STATE_FILE)
    except BedMissing:
        return
    save_bed(dataclasses.replace(bed, extra=()))


def status() -> int:
    """Print what runs; 0 when the whole bed answers."""
    try:
        bed = load_bed()
    except BedMissing as exc:
        print(exc)
        return 1
    bad = 0
    for host in (*bed.hosts, *bed.others, *bed.extra):
        layout = next((h for h in ALL_HOSTS if h.name == host.name), None) \
            or fleet_host(int(host.name.removeprefix("bed")))
        problems = host.problems() + net.route_problems(layout)
        bad += bool(problems)
        state = "; ".join(problems) if problems else "up"
        daemon = {"podman": "podman", "bastion": ""}.get(host.kind, "dockerd")
        via = f" via {host.via}" if host.via else ""
        print(f"{host.name}  {host.user}@{host.address}:{host.ssh_port}{via}  "
              + (f"{daemon} pid {hosts.daemon_pid(layout)}  " if daemon else "")
              + f"sshd pid {hosts.sshd_pid(layout)}  "
              + (f"{host.docker_url}  " if daemon else "") + state)
    stray = [h.name for h in fleet.present() if h.name not in {e.name for e in bed.extra}]
    if stray:
        bad += 1
        print(f"fleet hosts not in the state: {', '.join(stray)} (run up, or down --extra)")
    missing = [h.name for h in OTHER_HOSTS if h.name not in {o.name for o in bed.others}]
    if missing:
        bad += 1
        print(f"not up: {', '.join(missing)} (run up)")
    reg = bed.registry
    if reg is None:
        bad += 1
        print("registry: none (state of an older bed; run up)")
    else:
        problems = reg.problems()
        bad += bool(problems)
        print(f"registry  {reg.address} (open)  {reg.auth_address} ({reg.username}, password in "
              f"{REGISTRY_PASSWORD_FILE})  local dockerd trusts them: "
              f"{'yes' if reg.local_daemon_trusts else 'no'}  "
              f"{'; '.join(problems) if problems else 'up'}")
    print(f"images: {', '.join(sorted(bed.images))}")
    print(f"ssh: ssh -F {bed.ssh_config_file} bed1 docker ps")
    return 1 if bad else 0


def env() -> int:
    """Print shell exports describing the bed (eval "$(python -m tests.testbed env)")."""
    try:
        bed = load_bed()
    except BedMissing as exc:
        print(exc, file=sys.stderr)
        return 1
    values = {"DOCKERFAB_BED_STATE": str(STATE_FILE),
              "DOCKERFAB_BED_HOSTS": " ".join(h.name for h in bed),
              "DOCKERFAB_BED_FLEET": " ".join(h.name for h in bed.fleet),
              "DOCKERFAB_BED_KEY": bed.key_file,
              "DOCKERFAB_BED_KNOWN_HOSTS": bed.known_hosts_file,
              "DOCKERFAB_BED_SSH_CONFIG": bed.ssh_config_file}
    if bed.registry is not None:
        values["DOCKERFAB_BED_REGISTRY"] = bed.registry.address
        values["DOCKERFAB_BED_REGISTRY_AUTH"] = bed.registry.auth_address
        values["DOCKERFAB_BED_REGISTRY_USER"] = bed.registry.username
    for host in bed:
        prefix = f"DOCKERFAB_{host.name.upper()}"
        values[f"{prefix}_ADDRESS"] = host.address
        values[f"{prefix}_SSH"] = f"{host.user}@{host.address}:{host.ssh_port}"
        values[f"{prefix}_DOCKER_HOST"] = host.docker_url
    for name, value in values.items():
        print(f"export {name}={shlex.quote(value)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.testbed", description=__doc__)
    parser.add_argument("action", choices=("up", "down", "status", "env"))
    parser.add_argument("--hosts", type=int, metavar="N",
                        help=f"up: have the Docker hosts bed1..bedN ({len(HOSTS)}..{MAX_HOSTS}):"
                             " start the fleet hosts bed4..bedN, remove those above")
    parser.add_argument("--extra", action="store_true",
                        help="down: remove only the fleet hosts bed4..bedN")
    args = parser.parse_args(argv)
    if args.hosts is not None and (args.action != "up"
                                   or not len(HOSTS) <= args.hosts <= MAX_HOSTS):
        parser.error(f"--hosts N goes with up, N from {len(HOSTS)} to {MAX_HOSTS}")
    if args.extra and args.action != "down":
        parser.error("--extra goes with down")
    if args.action in ("up", "down") and os.geteuid() != 0:
        parser.error("the test bed needs root")
    started = time.monotonic()
    if args.action in ("up", "down"):
        # one up/down at a time (tests and several developers may run `up` at once)
        lock = open(LOCK_FILE, "w")  # noqa: SIM115 - held until the process exits
        fcntl.flock(lock, fcntl.LOCK_EX)
    if args.action == "up":
        bed = up(args.hosts)
        fleet_note = (f"; fleet hosts bed4..bed{len(bed.fleet)} on 198.18.2.0/24"
                      if bed.extra else "")
        say(f"up in {time.monotonic() - started:.1f}s: "
            + ", ".join(f"{h.name} {h.address}" for h in bed) + fleet_note
            + f"; ssh -F {bed.ssh_config_file} bed1 docker ps")
        return 0
    if args.action == "down":
        if args.extra:
            down_extra()
            say(f"fleet hosts down in {time.monotonic() - started:.1f}s")
            return 0
        down()
        say(f"down in {time.monotonic() - started:.1f}s")
        return 0
    return status() if args.action == "status" else env()
