"""ssh_config and known_hosts of the bed's other hosts, written by the test itself from the
hosts' key files (the bed's own files are rewritten by every ``up``, also by checkouts that
do not know these hosts): bed-podman, bed-bastion, bed-innerN with ``ProxyJump``, and
variants that fail on purpose."""
from __future__ import annotations

import subprocess
from pathlib import Path

from tests.bed.layout import CLIENT_KEY, DATA_DIR, OTHER_HOSTS, SSH_PORT, SSH_USER


def host_key_line(name: str, address: str) -> str:
    key_type, key = (DATA_DIR / name / "ssh_host_ed25519_key.pub").read_text().split()[:2]
    return f"{name},{address} {key_type} {key}"


def write_other_ssh_config(directory: Path) -> Path:
    """Host blocks: every other host as the bed names it (inner ones with ProxyJump
    bed-bastion); ``<inner>-pc`` through ``ProxyCommand ssh -W``; ``<inner>-direct`` with no
    jump host; ``bastion-changed`` (known_hosts holding another key for the bastion's
    address) and ``<inner>-badjump`` behind it; ``<inner>-changed`` (the wrong key for the
    inner host itself, its jump host fine)."""
    known = directory / "known_hosts"
    known.write_text("".join(host_key_line(h.name, h.address) + "\n" for h in OTHER_HOSTS))
    other = directory / "id_other"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)],
                   check=True)
    other_type, other_key = (directory / "id_other.pub").read_text().split()[:2]
    changed = directory / "known_hosts.changed"
    changed.write_text("".join(f"{h.address} {other_type} {other_key}\n" for h in OTHER_HOSTS))
    path = directory / "ssh_config"

    def block(alias: str, address: str, *extra: str, known_hosts: Path = known) -> str:
        return "\n".join([f"Host {alias}", f"    HostName {address}", f"    Port {SSH_PORT}",
                          f"    User {SSH_USER}", f"    IdentityFile {CLIENT_KEY}",
                          "    IdentitiesOnly yes", "    StrictHostKeyChecking yes",
                          f"    UserKnownHostsFile {known_hosts}", *extra])

    blocks = []
    for h in OTHER_HOSTS:
        jump = [f"    ProxyJump {h.via}"] if h.via else []
        blocks.append(block(h.name, h.address, *jump))
        if h.via:
            blocks.append(block(f"{h.name}-pc", h.address,
                                f"    ProxyCommand ssh -F {path} -W %h:%p {h.via}"))
            blocks.append(block(f"{h.name}-direct", h.address))
            blocks.append(block(f"{h.name}-badjump", h.address, "    ProxyJump bastion-changed"))
            blocks.append(block(f"{h.name}-changed", h.address, *jump, known_hosts=changed))
        if h.kind == "bastion":
            blocks.append(block("bastion-changed", h.address, known_hosts=changed))
    path.write_text("\n".join(blocks) + "\n")
    return path
