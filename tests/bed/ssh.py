"""SSH side of the bed: keys, each host's sshd_config, known_hosts and ssh_config files.

Key authentication only. The bed's host keys also go into root's ~/.ssh/known_hosts (and a
Host block into ~/.ssh/config) between marker lines, so plain Fabric/paramiko with default
host-key checking works and ``down`` removes exactly those lines.
"""
from __future__ import annotations

import pwd
from collections.abc import Sequence
from pathlib import Path

from tests.bed.layout import (
    ALL_HOSTS,
    AUTHORIZED_KEYS,
    CLIENT_KEY,
    DATA_DIR,
    KNOWN_HOSTS,
    REMOTE_DOCKER_SOCKET,
    SSH_CONFIG,
    SSH_PORT,
    SSH_USER,
    HostLayout,
)
from tests.bed.system import run, say, write_if_changed

USER_SSH_DIR = Path.home() / ".ssh"
BEGIN = "# >>> dockerfab test bed (python -m tests.testbed; removed by `down`)"
END = "# <<< dockerfab test bed"
#: The ~/.bashrc an SSH session on a bed host sees (bind-mounted over the machine's own in
#: the sshd's mount namespace). bash reads ~/.bashrc for every command sshd starts, even a
#: non-interactive ``bash -c``; the machine's own is a developer's (pyenv init, cargo ...:
#: about 225 processes and 0.15 s of CPU per command, measured), which no Docker host runs.
HOST_BASHRC = DATA_DIR / "host_bashrc"
HOST_BASHRC_TEXT = """\
# ~/.bashrc of an SSH session on a dockerfab test bed host (tests/bed/ssh.py).
# Like a server's stock root .bashrc: nothing runs for the non-interactive shell of an
# SSH command. (The machine's own ~/.bashrc stays as it is outside the bed hosts.)
"""


def ensure_key(path: Path, comment: str) -> str:
    """Create an ed25519 key pair at ``path`` unless it exists; returns the public key line."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path))
    return path.with_name(path.name + ".pub").read_text().strip()


def sshd_config(host: HostLayout) -> str:
    """sshd_config of one host: key auth as root, stream-local and TCP forwarding on."""
    return f"""\
# dockerfab test bed host {host.name}
ListenAddress {host.address}:{SSH_PORT}
HostKey {host.host_key}
PidFile {host.sshd_pidfile}
AuthorizedKeysFile {AUTHORIZED_KEYS}
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
AllowTcpForwarding yes
AllowStreamLocalForwarding yes
StreamLocalBindUnlink yes
X11Forwarding no
PrintMotd no
PrintLastLog no
UseDNS no
MaxSessions 100
MaxStartups 100:30:200
Subsystem sftp internal-sftp
"""


def ensure_ssh_files(extra: Sequence[HostLayout] = ()) -> dict[str, str]:
    """Client key, authorized_keys, host keys and sshd configs of every host and the fleet
    hosts ``extra``; returns host name -> host key (in the order of the hosts)."""
    client_pub = ensure_key(CLIENT_KEY, "dockerfab-bed-client")
    write_if_changed(AUTHORIZED_KEYS, client_pub + "\n", 0o600)
    write_if_changed(HOST_BASHRC, HOST_BASHRC_TEXT, 0o644)
    host_keys = {}
    for host in (*ALL_HOSTS, *extra):
        host_keys[host.name] = ensure_key(host.host_key, f"dockerfab-bed-{host.name}")
        write_if_changed(host.sshd_config, sshd_config(host), 0o600)
    return host_keys


def known_hosts_lines(host_keys: dict[str, str],
                      hosts: Sequence[HostLayout] = ALL_HOSTS) -> list[str]:
    """``bed1,198.18.0.11 ssh-ed25519 AAAA...`` for every host of ``hosts``."""
    lines = []
    for host in hosts:
        key_type, key = host_keys[host.name].split()[:2]
        lines.append(f"{host.name},{host.address} {key_type} {key}")
    return lines


def ssh_config_text(with_known_hosts: bool, hosts: Sequence[HostLayout] = ALL_HOSTS) -> str:
    """Host blocks for every bed host of ``hosts`` and their addresses: user, key, strict
    host-key checking; the inner hosts with ``ProxyJump bed-bastion``."""
    blocks = []
    for host in hosts:
        lines = [f"Host {host.name} {host.address}",
                 f"    HostName {host.address}",
                 f"    Port {SSH_PORT}",
                 f"    User {SSH_USER}",
                 f"    IdentityFile {CLIENT_KEY}",
                 "    IdentitiesOnly yes",
                 "    StrictHostKeyChecking yes"]
        if host.via is not None:   # reachable only through its jump host
            lines.append(f"    ProxyJump {host.via}")
        if with_known_hosts:
            lines.append(f"    UserKnownHostsFile {KNOWN_HOSTS}")
        blocks.append("\n".join(lines))
    return "\n".join(blocks) + "\n"


def write_client_files(host_keys: dict[str, str], extra: Sequence[HostLayout] = ()) -> None:
    """The bed's own known_hosts and ssh_config, plus the marked blocks in root's ~/.ssh, for
    every host and the fleet hosts ``extra`` (``host_keys``: host name -> public key)."""
    hosts = (*ALL_HOSTS, *extra)
    write_if_changed(KNOWN_HOSTS, "\n".join(known_hosts_lines(host_keys, hosts)) + "\n")
    write_if_changed(SSH_CONFIG, "# dockerfab test bed: ssh -F " + str(SSH_CONFIG) + " bed1\n"
                     + ssh_config_text(with_known_hosts=True, hosts=hosts))
    changed = set_marked_block(USER_SSH_DIR / "known_hosts", known_hosts_lines(host_keys, hosts))
    changed |= set_marked_block(USER_SSH_DIR / "config",
                                ssh_config_text(with_known_hosts=False, hosts=hosts).splitlines())
    if changed:
        say(f"updated the bed's entries in {USER_SSH_DIR}/known_hosts and config")


def remove_client_files() -> None:
    """Take the bed's marked blocks out of root's ~/.ssh files."""
    for name in ("known_hosts", "config"):
        set_marked_block(USER_SSH_DIR / name, None)


def set_marked_block(path: Path, lines: list[str] | None) -> bool:
    """Replace the lines between the bed's markers in ``path`` (None: remove them)."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        if lines is None:
            return False
        text = ""
    kept, inside = [], False
    for line in text.splitlines():
        if line == BEGIN:
            inside = True
        elif line == END and inside:
            inside = False
        elif not inside:
            kept.append(line)
    if lines is not None:
        kept += [BEGIN, *lines, END]
    new = "\n".join(kept) + "\n" if kept else ""
    if new == text:
        return False
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    return write_if_changed(path, new, 0o600)


def user_bashrc() -> Path:
    """The ~/.bashrc of the bed's SSH user on this machine (it may not exist)."""
    return Path(pwd.getpwnam(SSH_USER).pw_dir) / ".bashrc"


def sshd_argv(host: HostLayout) -> list[str]:
    """sshd in the host's net namespace and its own mount and UTS namespaces, where the host's
    dockerd socket is bind-mounted on /var/run/docker.sock, the bed's :data:`HOST_BASHRC` on
    the SSH user's ~/.bashrc (when the machine has one) and the hostname is the host's."""
    script = ('hostname "$0" && mount --bind "$1" "$2" && '
              '{ [ ! -f "$6" ] || mount --bind "$5" "$6"; } && '
              'exec /usr/sbin/sshd -D -f "$3" -E "$4"')
    socket = str(host.docker_socket)
    if not host.has_daemon:   # the bastion: no Docker socket, not even the local daemon's
        socket = "/dev/null"
    return ["nsenter", f"--net={host.netns_path}", "unshare", "--mount", "--uts",
            "--propagation", "private", "sh", "-c", script, host.name, socket,
            REMOTE_DOCKER_SOCKET, str(host.sshd_config), str(host.sshd_log),
            str(HOST_BASHRC), str(user_bashrc())]
