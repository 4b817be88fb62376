"""``docker.sudo`` without a sudo password configured (issue 10): dockerfab runs the
command as ``sudo -n``, so a host whose sudo wants a password fails at once with sudo's
own one line, instead of answering the prompt with the text "None". Once the host allows
it (here: NOPASSWD added), the same run goes through."""
from __future__ import annotations

import os
import time
import uuid

import pytest
import yaml

from tests.bed.layout import RUN_DIR
from tests.integration.fabric_helpers import (
    remove_map_objects,
    run_program,
    write_project,
    write_ssh_config,
)
from tests.integration.test_fabric_sudo import throwaway_user


@pytest.fixture
def password_sudo_user(bed):
    """A throw-away user whose sudo asks for a password (it has none that works)."""
    with throwaway_user("dfpw", "ALL=(ALL) ALL") as user:
        yield user


def test_sudo_without_password_runs_sudo_n(bed, bed_api, password_sudo_user, tmp_path):
    user, sudoers = password_sudo_user
    name = "dfpw_map_" + uuid.uuid4().hex[:6]
    (tmp_path / "map.yaml").write_text(yaml.safe_dump(
        {"name": name, "volumes": {"data": "/var/lib/app/data"},
         "app": {"image": "dockerfab-test/base", "attaches": "data", "user": 2000,
                 "permissions": "u=rwX,g=rX,o=", "stop_timeout": 1}}))
    write_project(tmp_path, {"maps": ["map.yaml"], "sudo": True})
    ssh_config = write_ssh_config(bed, tmp_path)
    api = bed_api("bed1")
    log = RUN_DIR / "bed1" / "sshd.log"
    try:
        began = time.monotonic()
        denied = run_program("dockerfab", tmp_path, ssh_config, "-H", f"{user}@bed1",
                             "startup", "app", timeout=120)
        assert time.monotonic() - began < 60
        assert denied.returncode == 1
        (error,) = [line for line in denied.stdout.splitlines() if " ERROR " in line]
        assert error.startswith("[bed1] ERROR startup: "), error
        assert "sudo: a password is required" in error and "prepare_volume" in error, error
        assert "None" not in denied.stdout + denied.stderr
        assert api.containers(all=True, filters={"label": f"dockerfab.map={name}"}) == []

        sudoers.write_text(f"{user} ALL=(ALL) NOPASSWD: ALL\n")
        again = run_program("dockerfab", tmp_path, ssh_config, "-H", f"{user}@bed1",
                            "startup", "app")
        assert again.returncode == 0, again.stdout + again.stderr
        info = os.stat(api.inspect_volume(f"{name}.data")["Mountpoint"])
        assert (info.st_uid, oct(info.st_mode & 0o777)) == (2000, oct(0o750))
        assert log.read_text().count(f"Accepted publickey for {user} ") == 2
    finally:
        remove_map_objects(name, api)
