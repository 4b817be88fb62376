"""The test bed's address plan for the fleet hosts of ``up --hosts N`` (pure: no bed needed)."""
from __future__ import annotations

import ipaddress

import pytest

from tests.bed import ssh
from tests.bed.layout import (
    ALL_HOSTS,
    ALLOWED_NET,
    BED_NET,
    BRIDGE_ADDRESS,
    EVERY_EXTRA_HOST,
    FLEET_BRIDGE_ADDRESS,
    FLEET_NET,
    HOSTS,
    INNER_NET,
    MAX_HOSTS,
    extra_hosts,
    fleet_host,
)
from tests.bed.net import routes_problems

EVERY_HOST = (*ALL_HOSTS, *EVERY_EXTRA_HOST)


def test_bed1_to_bed3_stay_as_they_are_and_the_fleet_goes_on_from_bed4() -> None:
    assert [fleet_host(n) for n in (1, 2, 3)] == list(HOSTS)
    assert [h.address for h in HOSTS] == ["198.18.0.11", "198.18.0.12", "198.18.0.13"]
    assert extra_hosts(3) == ()
    assert [(h.name, h.address) for h in extra_hosts(5)] == [("bed4", "198.18.2.4"),
                                                             ("bed5", "198.18.2.5")]
    assert [h.name for h in EVERY_EXTRA_HOST] == [f"bed{n}" for n in range(4, MAX_HOSTS + 1)]
    assert fleet_host(MAX_HOSTS).address == f"198.18.2.{MAX_HOSTS}"


@pytest.mark.parametrize("number", [0, -1, MAX_HOSTS + 1])
def test_no_host_outside_the_plan(number: int) -> None:
    with pytest.raises(ValueError, match="numbered 1"):
        fleet_host(number)


def test_a_fleet_larger_than_the_plan_is_refused() -> None:
    with pytest.raises(ValueError, match=f"at most {MAX_HOSTS}"):
        extra_hosts(MAX_HOSTS + 1)


def test_every_host_has_its_own_name_address_namespace_and_veth() -> None:
    for attribute in ("name", "address", "netns", "veth", "run_dir", "data_dir"):
        values = [getattr(h, attribute) for h in EVERY_HOST]
        assert len(set(values)) == len(values), attribute
    assert all(len(h.veth) <= 15 for h in EVERY_HOST)    # Linux interface names


def test_fleet_addresses_stay_clear_of_the_other_hosts_and_the_no_host_address() -> None:
    fleet = {ipaddress.ip_address(h.address) for h in EVERY_EXTRA_HOST}
    assert all(a in FLEET_NET for a in fleet)
    assert ipaddress.ip_address("198.18.0.99") not in fleet   # tests: an address of no host
    assert ipaddress.ip_address(FLEET_BRIDGE_ADDRESS) not in fleet
    assert not FLEET_NET.overlaps(BED_NET) and not FLEET_NET.overlaps(INNER_NET)


def test_docker_ranges_stay_in_the_bed_and_off_every_host_subnet() -> None:
    assert ALLOWED_NET == ipaddress.ip_network("198.18.0.0/16")
    for host in EVERY_HOST:
        if not host.has_daemon:
            continue
        bridge = ipaddress.ip_interface(host.bip).network
        pool = ipaddress.ip_network(host.address_pool)
        for net in (bridge, pool):
            assert net.subnet_of(ALLOWED_NET)  # type: ignore[arg-type]
            assert not any(net.overlaps(s) for s in (BED_NET, INNER_NET, FLEET_NET))
        assert not bridge.overlaps(pool)


def test_a_fleet_host_may_route_to_the_registries_and_nowhere_else() -> None:
    host = fleet_host(7)
    fine = [{"dst": "198.18.2.0/24", "dev": "eth0"},
            {"dst": BRIDGE_ADDRESS, "gateway": FLEET_BRIDGE_ADDRESS, "dev": "eth0"},
            {"dst": "198.18.128.0/24", "dev": "docker0"}]
    assert routes_problems(host, fine, []) == []
    for bad in ({"dst": "default", "gateway": FLEET_BRIDGE_ADDRESS, "dev": "eth0"},
                {"dst": "198.18.0.0/24", "gateway": FLEET_BRIDGE_ADDRESS, "dev": "eth0"},
                {"dst": "198.18.0.11", "gateway": FLEET_BRIDGE_ADDRESS, "dev": "eth0"},
                {"dst": "10.0.0.0/8", "dev": "br-1"}):
        assert routes_problems(host, [*fine, bad], []) != [], bad
    assert routes_problems(host, fine, [{"dst": "fe80::/64", "dev": "eth0"}]) != []
    # bed1's subnet route is not a fleet host's, and the gateway route not bed1's
    assert routes_problems(HOSTS[0], fine[1:2], []) != []


def test_the_beds_ssh_files_name_the_fleet_hosts_they_are_given() -> None:
    extra = extra_hosts(5)
    keys = {h.name: f"ssh-ed25519 KEY{h.name} c" for h in (*ALL_HOSTS, *extra)}
    lines = ssh.known_hosts_lines(keys, (*ALL_HOSTS, *extra))
    assert "bed5,198.18.2.5 ssh-ed25519 KEYbed5" in lines
    assert "bed1,198.18.0.11 ssh-ed25519 KEYbed1" in lines
    text = ssh.ssh_config_text(True, (*ALL_HOSTS, *extra))
    assert "Host bed4 198.18.2.4\n    HostName 198.18.2.4\n" in text
    assert "bed4" not in ssh.ssh_config_text(True)
    assert "ListenAddress 198.18.2.9:22" in ssh.sshd_config(fleet_host(9))


@pytest.mark.parametrize("argv", [["up", "--hosts", "2"], ["up", "--hosts", str(MAX_HOSTS + 1)],
                                  ["status", "--hosts", "5"], ["up", "--extra"]])
def test_fleet_options_out_of_place_are_usage_errors(argv: list[str],
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from tests.bed.cli import main

    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    assert "goes with" in capsys.readouterr().err
