"""Shared set-up of the Fabric-layer tests: an ssh_config with aliases that fail on purpose,
and a project directory (fabfile + fabric.yaml) to run ``fab``/``dockerfab`` in."""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import yaml

from tests.bed import Bed

UNREACHABLE = "198.18.0.99"


def unique(prefix: str = "dffab") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def remove_map_objects(name: str, *apis: Any) -> None:
    """A test's teardown on each host (Docker API clients): remove the containers of its
    map ``name`` (by the ``dockerfab.map`` label, or named ``name...``), with their
    anonymous volumes, then the volumes and networks named ``name...``. ``name`` is the
    test's unique prefix (:func:`unique`), so nothing of anyone else's is touched; what is
    already gone is no error."""
    from docker.errors import NotFound

    for api in apis:
        found = {c["Id"]: c for c in api.containers(
            all=True, filters={"label": f"dockerfab.map={name}"})}
        found.update({c["Id"]: c for c in api.containers(all=True, filters={"name": name})
                      if any(n.lstrip("/").startswith(name) for n in c["Names"])})
        for container in found:
            with contextlib.suppress(NotFound):
                api.remove_container(container, v=True, force=True)
        for volume in api.volumes(filters={"name": name}).get("Volumes") or []:
            if volume["Name"].startswith(name):
                with contextlib.suppress(NotFound):
                    api.remove_volume(volume["Name"], force=True)
        for network in api.networks(names=[name]):
            if network["Name"].startswith(name):
                with contextlib.suppress(NotFound):
                    api.remove_network(network["Id"])


def write_ssh_config(bed: Bed, directory: Path) -> Path:
    """ssh_config with the bed hosts as the bed writes them, plus per host:
    ``<name>-nokey`` (empty known_hosts), ``<name>-changed`` (known_hosts with another key
    for its address) and ``<name>-badkey`` (a key the host does not accept)."""
    empty = directory / "known_hosts.empty"
    empty.write_text("")
    bad_key = directory / "id_bad"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(bad_key)],
                   check=True)
    other_pub = (directory / "id_bad.pub").read_text().split()[:2]
    changed = directory / "known_hosts.changed"
    changed.write_text("".join(f"{h.address} {other_pub[0]} {other_pub[1]}\n" for h in bed))
    blocks = []
    for h in bed:
        common = [f"    HostName {h.address}", f"    Port {h.ssh_port}", f"    User {h.user}"]
        variants = {
            h.name: [f"    IdentityFile {h.key_file}",
                     f"    UserKnownHostsFile {h.known_hosts_file}"],
            f"{h.name}-nokey": [f"    IdentityFile {h.key_file}",
                                f"    UserKnownHostsFile {empty}"],
            f"{h.name}-changed": [f"    IdentityFile {h.key_file}",
                                  f"    UserKnownHostsFile {changed}"],
            f"{h.name}-badkey": [f"    IdentityFile {bad_key}",
                                 f"    UserKnownHostsFile {h.known_hosts_file}"],
        }
        for alias, extra in variants.items():
            blocks.append("\n".join([f"Host {alias}", *common, *extra]))
    path = directory / "ssh_config"
    path.write_text("\n".join(blocks) + "\n")
    return path


def fabric_overrides() -> dict[str, Any]:
    """Fabric settings for the tests: only the configured key, no agent, short timeout."""
    return {"connect_kwargs": {"look_for_keys": False, "allow_agent": False},
            "timeouts": {"connect": 5}}


#: What a project's fabric.yaml says so that ``fab`` hands a task all its -H hosts at once.
PARALLEL_FAB = {"tasks": {"executor_class": "dockerfab.fabric.executor.ParallelExecutor"}}


def write_project(directory: Path, docker: dict[str, Any],
                  extra: dict[str, Any] | None = None) -> None:
    """A two-line fabfile and a fabric.yaml with ``docker`` settings (and ``extra`` keys)."""
    (directory / "fabfile.py").write_text(
        "# dockerfab tasks\nfrom dockerfab.tasks import ns  # noqa: F401\n")
    (directory / "fabric.yaml").write_text(yaml.safe_dump({**fabric_overrides(), **(extra or {}),
                                                           "docker": docker}))


def program_path(name: str) -> str:
    """The ``fab``/``dockerfab`` script of the environment running the tests (e.g. .venv/bin),
    not whichever one comes first on PATH (CI does not put .venv/bin on PATH)."""
    script = Path(sys.executable).parent / name
    if not script.exists():
        raise FileNotFoundError(f"{name} is not installed beside {sys.executable}")
    return str(script)


def run_program(program: str, directory: Path, ssh_config: Path, *args: str,
                env: dict[str, str] | None = None, timeout: float = 300
                ) -> subprocess.CompletedProcess[str]:
    """Run ``fab`` or ``dockerfab`` in ``directory`` with the tests' ssh_config."""
    argv = [program_path(program), "-S", str(ssh_config), *args]
    full_env = {**os.environ, **(env or {})}
    full_env.pop("SSH_AUTH_SOCK", None)
    proc = subprocess.run(argv, check=False, cwd=directory, capture_output=True, text=True,
                          timeout=timeout, env=full_env, stdin=subprocess.DEVNULL)
    sys.stdout.write(f"$ {' '.join(argv)}\n{proc.stdout}{proc.stderr}\n")
    return proc
