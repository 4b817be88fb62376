"""The bed's registries themselves: confined to the bridge address, trusted by every bed
host's daemon, described by the state and ``env``."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.bed.state import registry_ping

ROOT = Path(__file__).parents[2]


def listening(pid: int) -> set[str]:
    """``address:port`` of every TCP socket process ``pid`` listens on."""
    out = subprocess.run(["ss", "-Hltnp"], check=True, capture_output=True, text=True).stdout
    return {line.split()[3] for line in out.splitlines() if f"pid={pid}," in line}


def test_registries_listen_on_the_bridge_address_only(registry):
    assert listening(registry.pid) == {registry.address} == {"198.18.0.1:5000"}
    assert listening(registry.auth_pid) == {registry.auth_address} == {"198.18.0.1:5001"}
    assert registry_ping(registry.address) == 200
    assert registry_ping(registry.auth_address) == 401     # basic auth asked for


def test_every_bed_daemon_trusts_both_registries(bed, bed_api, registry):
    for host in bed:
        configs = bed_api(host).info()["RegistryConfig"]["IndexConfigs"]
        for address in (registry.address, registry.auth_address):
            assert configs[address]["Secure"] is False, (host.name, address)


def test_env_exports_the_registry(registry):
    out = subprocess.run([sys.executable, "-m", "tests.testbed", "env"], check=True,
                         capture_output=True, text=True, cwd=ROOT).stdout
    assert f"export DOCKERFAB_BED_REGISTRY={registry.address}\n" in out
    assert f"export DOCKERFAB_BED_REGISTRY_AUTH={registry.auth_address}\n" in out
    assert registry.password not in out
