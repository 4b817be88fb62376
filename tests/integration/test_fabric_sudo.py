"""``docker.sudo`` on a real host: dockerfab logs in to bed1 as a non-root user (the bed's
key, passwordless sudo, member of the docker group) and the attached volume's owner and
mode are set by ``run_cmd`` through ``sudo``; without sudo the same user cannot set them.

The bed hosts share this machine's root filesystem, so the user exists everywhere while the
test runs; the fixture removes it again (user, sudoers entry, its read access to the bed's
authorized_keys). The bed's sshd reads that file as the user logging in (0600 root), so the
user gets a POSIX ACL read entry on it for the test, nothing more; root login is untouched.
"""
from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import struct
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.bed.layout import AUTHORIZED_KEYS, RUN_DIR
from tests.integration.fabric_helpers import (
    remove_map_objects,
    run_program,
    write_project,
    write_ssh_config,
)

ACL_XATTR = "system.posix_acl_access"
UNDEFINED = 0xFFFFFFFF


def _grant_read(path: Path, uid: int) -> None:
    """Add ``user:<uid>:r--`` to the file's access ACL (the xattr form of linux/posix_acl)."""
    owner = (path.stat().st_mode >> 6) & 7
    entries = [(0x01, owner, UNDEFINED),  # ACL_USER_OBJ
               (0x02, 4, uid),            # ACL_USER
               (0x04, 0, UNDEFINED),      # ACL_GROUP_OBJ
               (0x10, 4, UNDEFINED),      # ACL_MASK
               (0x20, 0, UNDEFINED)]      # ACL_OTHER
    os.setxattr(path, ACL_XATTR, struct.pack("<I", 2)
                + b"".join(struct.pack("<HHI", *e) for e in entries))


@contextlib.contextmanager
def throwaway_user(prefix: str, sudo_rule: str) -> Iterator[tuple[str, Path]]:
    """A throw-away user who may log in with the bed's key, with the sudoers rule
    ``sudo_rule`` (e.g. ``ALL=(ALL) NOPASSWD: ALL``); yields its name and sudoers file."""
    if shutil.which("sudo") is None:
        pytest.fail("sudo is not installed (apt-get install sudo)", pytrace=False)
    name = prefix + uuid.uuid4().hex[:8]
    sudoers = Path("/etc/sudoers.d") / name
    keys = Path(AUTHORIZED_KEYS)
    mode = keys.stat().st_mode & 0o7777
    # '*': no password, but not a locked account (sshd refuses locked ones)
    subprocess.run(["useradd", "--no-create-home", "--home-dir", "/nonexistent",
                    "--shell", "/bin/sh", "--groups", "docker", "--password", "*", name],
                   check=True)
    try:
        sudoers.write_text(f"{name} {sudo_rule}\n")
        sudoers.chmod(0o440)
        _grant_read(keys, pwd.getpwnam(name).pw_uid)
        yield name, sudoers
    finally:
        try:
            os.removexattr(keys, ACL_XATTR)
        except OSError:
            pass
        keys.chmod(mode)  # the ACL mask had become the group bits
        sudoers.unlink(missing_ok=True)
        subprocess.run(["userdel", name], check=True)


@pytest.fixture
def sudo_user(bed):
    """A throw-away user with passwordless sudo who may log in with the bed's key."""
    with throwaway_user("dfsu", "ALL=(ALL) NOPASSWD: ALL") as (name, _):
        yield name


@pytest.fixture
def project(bed, bed_api, tmp_path):
    """A map with one container owning an attached volume that must belong to uid 2000
    with mode 750."""
    name = "dfsu_map_" + uuid.uuid4().hex[:6]
    data = {"name": name, "volumes": {"data": "/var/lib/app/data"},
            "app": {"image": "dockerfab-test/base", "attaches": "data", "user": 2000,
                    "permissions": "u=rwX,g=rX,o=", "stop_timeout": 1}}
    (tmp_path / "map.yaml").write_text(yaml.safe_dump(data))
    yield tmp_path, name
    remove_map_objects(name, bed_api("bed1"))


def test_volume_permissions_through_sudo_as_non_root_user(bed, bed_api, bed_host, sudo_user,
                                                          project, tmp_path_factory):
    directory, name = project
    ssh_config = write_ssh_config(bed, tmp_path_factory.mktemp("ssh"))
    api = bed_api("bed1")
    target = f"{sudo_user}@bed1"

    # without sudo the user may use Docker, but not chown the volume's directory
    write_project(directory, {"maps": ["map.yaml"], "sudo": False})
    denied = run_program("dockerfab", directory, ssh_config, "-H", target, "startup", "app")
    assert denied.returncode == 1
    (error,) = [line for line in denied.stdout.splitlines() if " ERROR " in line]
    assert error.startswith("[bed1] ERROR startup: ") and "prepare_volume" in error
    assert "chown" in error and ("not permitted" in error or "denied" in error), error
    # the unprepared volume (and the container created on it) are gone again, so the next
    # run creates and prepares it afresh
    assert api.containers(all=True, filters={"label": f"dockerfab.map={name}"}) == []
    assert not api.volumes(filters={"name": f"{name}.data"}).get("Volumes")

    write_project(directory, {"maps": ["map.yaml"], "sudo": True})
    since = int(time.time()) - 1
    run = run_program("dockerfab", directory, ssh_config, "-H", target, "startup", "app")
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"[bed1] prepare_volume {name}.data done" in run.stdout
    mountpoint = api.inspect_volume(f"{name}.data")["Mountpoint"]
    info = os.stat(mountpoint)  # the bed shares this machine's filesystem
    assert (info.st_uid, oct(info.st_mode & 0o777)) == (2000, oct(0o750))
    assert api.inspect_container(f"{name}.app")["State"]["Running"] is True
    # by run_cmd on the host, not by a helper container
    helpers = api.events(since=since, until=int(time.time()) + 1, decode=True,
                         filters={"type": "container", "label": "dockerfab.helper"})
    assert not [e for e in helpers if name in json.dumps(e)]
    # it was the user, not root, who logged in (both runs); root login still works
    log = (RUN_DIR / "bed1" / "sshd.log").read_text()
    assert log.count(f"Accepted publickey for {sudo_user} ") == 2
    ssh = bed_host.ssh_client()
    try:
        _, out, _ = ssh.exec_command("id -u")
        assert out.read().decode().strip() == "0"
    finally:
        ssh.close()
