"""Fixtures of the integration tests that run dockerfab against the bed over SSH."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.bed import Bed
from tests.integration.fabric_helpers import write_ssh_config


@pytest.fixture(scope="module")
def ssh_config(bed: Bed, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An ssh_config (with its own known_hosts) for bed1..bed3, one per test module: a
    module may add entries to it without disturbing the others."""
    return write_ssh_config(bed, tmp_path_factory.mktemp("ssh"))
