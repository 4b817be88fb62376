"""The bed's image registries: Debian's ``docker-registry`` (distribution 2.x) run twice on
the bridge address 198.18.0.1 only, each with its own config and storage under the bed's
directories: port 5000 open, port 5001 with htpasswd basic auth (user ``dockerfab``, a
password made once per bed). Plain HTTP: the bed's daemons list both as insecure registries.
"""
from __future__ import annotations

import secrets

from tests.bed.layout import (
    REGISTRIES,
    REGISTRY_PASSWORD_FILE,
    REGISTRY_USER,
    RegistryLayout,
)
from tests.bed.state import registry_ping
from tests.bed.system import (
    ours,
    read_pid,
    remove_tree,
    run,
    say,
    start_detached,
    stop_process,
    wait_for,
    write_if_changed,
)

REGISTRY_BINARY = "/usr/bin/docker-registry"


def registry_config(reg: RegistryLayout) -> str:
    """The registry's config.yml: storage under the bed, listening on 198.18.0.1:<port>."""
    auth = (f"auth:\n  htpasswd:\n    realm: dockerfab-bed\n    path: {reg.htpasswd}\n"
            if reg.auth else "")
    return f"""\
# dockerfab test bed: {reg.name} (python -m tests.testbed; removed by `down`)
version: 0.1
log:
  level: info
  fields:
    service: {reg.name}
storage:
  filesystem:
    rootdirectory: {reg.storage}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: {reg.address}
  headers:
    X-Content-Type-Options: [nosniff]
{auth}"""


def password() -> str:
    """The auth registry's password, made on first use and kept with the bed's data."""
    try:
        return REGISTRY_PASSWORD_FILE.read_text().strip()
    except FileNotFoundError:
        value = secrets.token_hex(12)
        write_if_changed(REGISTRY_PASSWORD_FILE, value + "\n", mode=0o600)
        return value


def _htpasswd(secret: str, reg: RegistryLayout) -> bool:
    """Write the htpasswd file (bcrypt, all the registry accepts) unless it holds ``secret``;
    True when it wrote."""
    import bcrypt  # a dependency of paramiko, so present wherever the tests run

    try:
        user, _, hashed = reg.htpasswd.read_text().strip().partition(":")
        if user == REGISTRY_USER and bcrypt.checkpw(secret.encode(), hashed.encode()):
            return False
    except (FileNotFoundError, ValueError):
        pass
    hashed = bcrypt.hashpw(secret.encode(), bcrypt.gensalt(rounds=6)).decode()
    return write_if_changed(reg.htpasswd, f"{REGISTRY_USER}:{hashed}\n", mode=0o600)


def registry_pid(reg: RegistryLayout) -> int | None:
    """The running registry process of ``reg``, if any."""
    pid = read_pid(reg.pidfile)
    return pid if ours(pid, str(reg.config)) else None


def _expected_status(reg: RegistryLayout) -> int:
    return 401 if reg.auth else 200


def start_registry(reg: RegistryLayout, secret: str) -> int | None:
    """Start (or restart, when its configuration changed) one registry unless it answers;
    returns the pid of one started (maybe not ready yet)."""
    reg.storage.mkdir(parents=True, exist_ok=True)
    changed = write_if_changed(reg.config, registry_config(reg))
    if reg.auth:
        changed = _htpasswd(secret, reg) or changed   # read once, at start-up
    pid = registry_pid(reg)
    if pid is not None and not changed and registry_ping(reg.address) == _expected_status(reg):
        return None
    stop_process(pid, str(reg.config))
    collect_garbage(reg)
    say(f"starting {reg.name} on {reg.address} (log {reg.log})")
    reg.run_dir.mkdir(parents=True, exist_ok=True)
    pid = start_detached([REGISTRY_BINARY, "serve", str(reg.config)], reg.log)
    reg.pidfile.write_text(f"{pid}\n")
    return pid


def collect_garbage(reg: RegistryLayout) -> None:
    """Delete the layers no repository refers to any more (tests remove their repositories,
    which leaves the layers); only while the registry is stopped, as its docs demand."""
    if not (reg.storage / "docker" / "registry" / "v2" / "blobs").exists():
        return
    done = run(REGISTRY_BINARY, "garbage-collect", "--delete-untagged", str(reg.config),
               check=False)
    if done.returncode != 0:
        say(f"{reg.name}: garbage-collect failed (ignored): {done.stderr.strip()[-200:]}")


def wait_registry(reg: RegistryLayout, pid: int) -> None:
    """Wait until a registry started as ``pid`` answers; fail at once if it exits."""
    wait_for(lambda: registry_ping(reg.address) == _expected_status(reg), 30, reg.name,
             reg.log, pid)


def start_registries() -> dict[str, int | None]:
    """Start the registries that do not answer; ``{name: pid started or None}`` for
    :func:`wait_registries` (the caller does other work in between)."""
    secret = password()
    return {reg.name: start_registry(reg, secret) for reg in REGISTRIES}


def wait_registries(started: dict[str, int | None]) -> dict[str, int]:
    """Wait for the registries :func:`start_registries` started; ``{name: pid}`` of all."""
    pids = {}
    for reg in REGISTRIES:
        pid = started.get(reg.name)
        if pid is not None:
            wait_registry(reg, pid)
        pids[reg.name] = registry_pid(reg) or 0
    return pids


def stop_registries() -> None:
    """Stop both registries and remove their files (storage too)."""
    for reg in REGISTRIES:
        if stop_process(registry_pid(reg), str(reg.config)):
            say(f"stopped {reg.name}")
        remove_tree(reg.run_dir)
        remove_tree(reg.data_dir)
    REGISTRY_PASSWORD_FILE.unlink(missing_ok=True)


def insecure_registries() -> list[str]:
    """What a daemon must list in ``insecure-registries`` to use the bed's registries."""
    return [reg.address for reg in REGISTRIES]
