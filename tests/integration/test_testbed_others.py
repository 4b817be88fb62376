"""The bed's hosts of other kinds: bed-podman (Podman's Docker API behind sshd), bed-bastion
and the inner hosts only it can reach."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.bed import Bed, BedHost, load_bed
from tests.bed.layout import OTHER_HOSTS
from tests.bed.net import route_problems
from tests.integration.other_hosts import write_other_ssh_config

SSH = ("ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5")


@pytest.fixture(scope="module")
def ssh_config(tmp_path_factory) -> Path:
    return write_other_ssh_config(tmp_path_factory.mktemp("ssh"))


@pytest.fixture
def bed_ssh(ssh_config):
    """OpenSSH with an ssh_config like the bed's (ProxyJump for the inner hosts)."""
    def run(host: str, command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*SSH, "-F", str(ssh_config), host, command], check=False,
                              capture_output=True, text=True, timeout=30,
                              stdin=subprocess.DEVNULL)
    return run


def test_the_beds_ssh_config_jumps_to_the_inner_hosts(bed: Bed) -> None:
    text = Path(bed.ssh_config_file).read_text()
    block = text[text.index("Host bed-inner1 "):].split("\nHost ")[0]
    assert "ProxyJump bed-bastion" in block


def test_podman_answers_where_an_ssh_session_expects_docker(bed_ssh, podman_host: BedHost,
                                                            bed_api) -> None:
    components = bed_api(podman_host).version().get("Components") or []
    assert "Podman Engine" in [c.get("Name") for c in components]
    out = bed_ssh("bed-podman", "hostname; docker version --format '{{.Server.Os}}'"
                  " && docker info --format '{{.Name}}'")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["bed-podman", "linux", "bed-podman"]


def test_podman_has_the_test_images_under_its_own_storage(bed: Bed, podman_host: BedHost,
                                                          bed_api) -> None:
    api = bed_api(podman_host)
    ids = {image["Id"] for image in api.images()}
    assert set(bed.images.values()) <= ids
    info = api.info()
    assert info["DockerRootDir"].startswith("/var/lib/dockerfab-bed/bed-podman/")


def test_inner_hosts_are_reachable_only_through_the_bastion(bed_ssh, inner_hosts,
                                                            bastion_host: BedHost) -> None:
    for host in inner_hosts:
        direct = subprocess.run(
            [*SSH, "-F", "/dev/null", "-i", host.key_file, "-o", "StrictHostKeyChecking=yes",
             "-o", f"UserKnownHostsFile={host.known_hosts_file}",
             f"{host.user}@{host.address}", "true"],
            check=False, capture_output=True, text=True, timeout=30)
        assert direct.returncode == 255 and "No route to host" in direct.stderr, direct.stderr
        jumped = bed_ssh(host.name, "hostname; docker info --format '{{.Name}}'")
        assert jumped.returncode == 0, jumped.stderr
        assert jumped.stdout.split() == [host.name, host.name]
        assert host.via == bastion_host.name
    # the bastion itself has no Docker daemon, and forwards nothing between its networks
    out = bed_ssh("bed-bastion", "cat /proc/sys/net/ipv4/ip_forward; "
                  "test -S /var/run/docker.sock && echo socket || echo none")
    assert out.stdout.split() == ["0", "none"], out.stderr


def test_other_hosts_stay_inside_the_bed() -> None:
    for layout in OTHER_HOSTS:
        assert route_problems(layout) == []
        outside = subprocess.run(["ip", "-n", layout.netns, "route", "get", "203.0.113.1"],
                                 check=False, capture_output=True, text=True)
        assert outside.returncode != 0 and "unreachable" in outside.stderr, layout.name


def test_second_up_keeps_the_other_hosts(bed: Bed, podman_host: BedHost, inner_hosts) -> None:
    up = subprocess.run([sys.executable, "-m", "tests.testbed", "up"], check=False,
                        capture_output=True, text=True, cwd=Path(__file__).parents[2])
    assert up.returncode == 0, up.stdout + up.stderr
    assert "starting" not in up.stdout and "loading" not in up.stdout, up.stdout
    after = load_bed()
    assert [(h.name, h.dockerd_pid, h.sshd_pid) for h in after.others] == \
           [(h.name, h.dockerd_pid, h.sshd_pid) for h in bed.others]
    status = subprocess.run([sys.executable, "-m", "tests.testbed", "status"], check=False,
                            capture_output=True, text=True, cwd=Path(__file__).parents[2])
    assert status.returncode == 0, status.stdout
    lines = {line.split()[0]: line for line in status.stdout.splitlines() if line.strip()}
    assert lines["bed-podman"].endswith("up") and "podman pid" in lines["bed-podman"]
    assert "via bed-bastion" in lines["bed-inner1"] and lines["bed-inner1"].endswith("up")
