"""Where the test bed lives: fixed directories, addresses and names, derived from a host's index.

Everything here is a constant or a pure function of one, so ``up``, ``down``, ``status`` and the
tests agree on paths without asking the bed.
"""
from __future__ import annotations

import ipaddress
from pathlib import Path

RUN_DIR = Path("/run/dockerfab-bed")          # pids, sockets, logs, state: gone on reboot
DATA_DIR = Path("/var/lib/dockerfab-bed")     # keys, daemon data roots
STATE_FILE = RUN_DIR / "bed.json"
LOCK_FILE = Path("/run/dockerfab-bed.lock")  # outside RUN_DIR, which `down` removes
LOCAL_DOCKER_SOCKET = "/var/run/docker.sock"
LOCAL_DOCKERD_LOG = Path("/var/log/dockerfab-bed-local-dockerd.log")
LOCAL_DOCKERD_PIDFILE = RUN_DIR / "local-dockerd.pid"   # only when `up` started it

HOST_NAMES = ("bed1", "bed2", "bed3")
BED_NET = ipaddress.IPv4Network("198.18.0.0/24")       # the only network a bed host routes to
ALLOWED_NET = ipaddress.ip_network("198.18.0.0/16")   # everything the bed may address at all
BRIDGE = "dfbed0"
BRIDGE_ADDRESS = "198.18.0.1"
# Every Docker host's own docker bridge and pool for user networks: the same ranges on all of
# them (like separate machines, which all default to 172.17.0.0/16), each in its own
# namespace, inside the bed's 198.18.0.0/16 and clear of its hosts' subnets; an unreachable
# route keeps the root namespace's default route from carrying such packets off the machine.
DOCKER_BIP = "198.18.128.1/24"
DOCKER_ADDRESS_POOL = "198.18.192.0/18"
DOCKER_NET = ipaddress.IPv4Network("198.18.128.0/17")    # both
SSH_PORT = 22
SSH_USER = "root"
REMOTE_DOCKER_SOCKET = "/var/run/docker.sock"         # as a bed host's SSH session sees it
IPTABLES_COMMENT = "dockerfab-bed"

# the bed's image registries (Debian's docker-registry), on the bridge address only
REGISTRY_USER = "dockerfab"                            # of the registry with htpasswd auth
REGISTRY_PASSWORD_FILE = DATA_DIR / "registry-password"

CLIENT_KEY = DATA_DIR / "id_ed25519"
AUTHORIZED_KEYS = DATA_DIR / "authorized_keys"
KNOWN_HOSTS = DATA_DIR / "known_hosts"
SSH_CONFIG = DATA_DIR / "ssh_config"


class HostLayout:
    """Names, addresses and paths of one bed host. ``HostLayout(n)`` is Docker host ``bedN``
    (1-based, 198.18.0.1N); the keyword arguments describe the other kinds (see OTHER_HOSTS).

    ``kind``: ``docker`` (dockerd + sshd), ``podman`` (Podman's API service + sshd),
    ``bastion`` (sshd only, the jump host of the ``inner`` hosts), ``inner`` (dockerd +
    sshd on ``subnet`` behind the bastion ``via``, unreachable from the root namespace).
    """

    def __init__(self, index: int, name: str | None = None, *, kind: str = "docker",
                 address: str | None = None, subnet: ipaddress.IPv4Network = BED_NET,
                 veth: str | None = None, bip: str | None = None,
                 address_pool: str | None = None, via: str | None = None,
                 gateway_routes: tuple[tuple[ipaddress.IPv4Network, str], ...] = ()) -> None:
        self.index = index
        self.name = name or HOST_NAMES[index - 1]
        self.kind = kind
        self.via = via                             # name of the jump host (inner hosts)
        self.subnet = subnet                       # the network eth0 is on
        # (destination, gateway): the only other routes through eth0 (a fleet host's one
        # route to the registries' address, through the bridge's address on its subnet)
        self.gateway_routes = gateway_routes
        self.address = address or str(BED_NET.network_address + 10 + index)
        self.netns = f"dockerfab-{self.name}"
        self.veth = veth or f"dfbed-{self.name}"   # root-namespace end; inside it is eth0
        self.bip = bip or DOCKER_BIP                 # the host's docker bridge ...
        self.address_pool = address_pool or DOCKER_ADDRESS_POOL   # ... and user networks
        self.run_dir = RUN_DIR / self.name
        self.data_dir = DATA_DIR / self.name
        self.docker_socket = self.run_dir / "docker.sock"    # Podman's API socket on bed-podman
        self.exec_root = self.run_dir / "exec"
        self.data_root = self.data_dir / "docker"            # Podman's storage root on bed-podman
        self.dockerd_pidfile = self.run_dir / "dockerd.pid"  # the Podman service's on bed-podman
        self.dockerd_log = self.run_dir / "dockerd.log"
        self.sshd_pidfile = self.run_dir / "sshd.pid"
        self.sshd_log = self.run_dir / "sshd.log"
        self.sshd_config = self.data_dir / "sshd_config"
        self.daemon_config = self.data_dir / "daemon.json"   # instead of /etc/docker/daemon.json
        self.daemon_key = self.data_dir / "key.json"         # the daemon's ID derives from it
        self.host_key = self.data_dir / "ssh_host_ed25519_key"

    @property
    def netns_path(self) -> Path:
        return Path("/run/netns") / self.netns

    @property
    def has_daemon(self) -> bool:
        """Whether a Docker API answers on this host (all but the bastion)."""
        return self.kind != "bastion"


HOSTS = tuple(HostLayout(i) for i in range(1, len(HOST_NAMES) + 1))

# Hosts of other kinds, beside bed1..N: addresses far above the bedN ones (198.18.0.1N), so
# that a bed grown to more Docker hosts keeps them. Not in the Bed's ``hosts`` (tests that
# use every host, the ``bed`` fixture's checks): in its ``others``.
INNER_NET = ipaddress.IPv4Network("198.18.1.0/24")     # behind the bastion only
INNER_BRIDGE = "dfinner0"                             # in the bastion's namespace
INNER_BRIDGE_ADDRESS = "198.18.1.1"
PODMAN_HOST = HostLayout(200, "bed-podman", kind="podman", address="198.18.0.200",
                         veth="dfbed-podman",   # Podman takes the bridge's subnet
                         bip=str(ipaddress.ip_interface(DOCKER_BIP).network))
BASTION_HOST = HostLayout(201, "bed-bastion", kind="bastion", address="198.18.0.201",
                          veth="dfbed-bastion")
INNER_HOSTS = tuple(
    HostLayout(210 + n, f"bed-inner{n}", kind="inner", address=f"198.18.1.{10 + n}",
               subnet=INNER_NET, veth=f"dfin-inner{n}", via=BASTION_HOST.name)
    for n in (1, 2))
OTHER_HOSTS = (PODMAN_HOST, BASTION_HOST, *INNER_HOSTS)
ALL_HOSTS = (*HOSTS, *OTHER_HOSTS)

# The fleet: ``up --hosts N`` adds plain Docker hosts bed4..bedN (N at most MAX_HOSTS) for the
# fleet benchmark, on a subnet of their own (bedN at 198.18.2.N; the bridge has 198.18.2.1
# too), clear of bed1..3, of 198.18.0.99 (tests use it as an address where no host is) and
# of the other hosts. They reach the bridge's 198.18.0.1 (the registries) through
# 198.18.2.1 and nothing else.
MAX_HOSTS = 100
FLEET_NET = ipaddress.IPv4Network("198.18.2.0/24")
FLEET_BRIDGE_ADDRESS = "198.18.2.1"


def fleet_host(number: int) -> HostLayout:
    """Docker host ``bed<number>``: one of bed1..3, or a fleet host at 198.18.2.<number>."""
    if 1 <= number <= len(HOSTS):
        return HOSTS[number - 1]
    if not len(HOSTS) < number <= MAX_HOSTS:
        raise ValueError(f"bed hosts are numbered 1..{MAX_HOSTS}, not {number}")
    return HostLayout(number, f"bed{number}", address=str(FLEET_NET.network_address + number),
                      subnet=FLEET_NET,
                      gateway_routes=((ipaddress.IPv4Network(f"{BRIDGE_ADDRESS}/32"),
                                       FLEET_BRIDGE_ADDRESS),))


def extra_hosts(count: int) -> tuple[HostLayout, ...]:
    """The hosts ``up --hosts count`` adds to bed1..3: bed4..bed<count> (none for 3 or less)."""
    if count > MAX_HOSTS:
        raise ValueError(f"the bed has at most {MAX_HOSTS} Docker hosts, not {count}")
    return tuple(fleet_host(n) for n in range(len(HOSTS) + 1, count + 1))


EVERY_EXTRA_HOST = extra_hosts(MAX_HOSTS)   # what `down` looks for


class RegistryLayout:
    """Names and paths of one bed registry: ``registry`` (open, port 5000) or
    ``registry-auth`` (htpasswd basic auth, port 5001)."""

    def __init__(self, name: str, port: int, auth: bool) -> None:
        self.name = name
        self.port = port
        self.auth = auth
        self.address = f"{BRIDGE_ADDRESS}:{port}"         # as image names and daemons use it
        self.run_dir = RUN_DIR / name
        self.data_dir = DATA_DIR / name
        self.config = self.data_dir / "config.yml"
        self.storage = self.data_dir / "storage"
        self.htpasswd = self.data_dir / "htpasswd"
        self.pidfile = self.run_dir / "registry.pid"
        self.log = self.run_dir / "registry.log"


REGISTRIES = (RegistryLayout("registry", 5000, auth=False),
              RegistryLayout("registry-auth", 5001, auth=True))
