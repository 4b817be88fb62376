"""The ``script`` upload folder on a host shared with other local users (issue 10).

The bed hosts share this machine's root filesystem, so a local non-root user of bed1 is a
user of this machine: ``nobody`` (uid 65534) plays the hostile one. While a script runs on
bed1, nobody can neither list nor add to dockerfab's upload folder; the uploaded files
belong to the SSH user, whatever owner and mode bits the local archive carried (a setuid
file arrives without its setuid bit); results come back as a stream (no archive written on
the host) and the folder is gone afterwards. A second run does the same."""
from __future__ import annotations

import glob
import os
import stat
import subprocess
import time

import pytest
import yaml

from tests.integration.fabric_helpers import (
    program_path,
    remove_map_objects,
    unique,
    write_project,
    write_ssh_config,
)

NOBODY = 65534


@pytest.fixture
def project(bed, bed_api, tmp_path):
    name = unique("dfupl")
    (tmp_path / "map.yaml").write_text(yaml.safe_dump(
        {"name": name, "job": {"image": "dockerfab-test/base", "user": 2000}}))
    write_project(tmp_path, {"maps": ["map.yaml"]})
    job = tmp_path / "job"
    job.mkdir()
    job.chmod(0o777)
    (job / "run.sh").write_text('#!/bin/sh\nd=$(dirname "$0")\nsleep 2\n'
                                'echo "done as $(id -u)" > "$d/result.txt"\n')
    planted = job / "suid-tool"
    planted.write_text("#!/bin/sh\nid\n")
    os.chown(planted, 1234, 1234)
    planted.chmod(0o6755)
    yield tmp_path, name
    remove_map_objects(name, bed_api("bed1"))


def as_nobody(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, user=NOBODY, group=NOBODY, extra_groups=[], check=False,
                          capture_output=True, text=True)


def new_upload_dirs(before: set[str], owner: int = 0) -> list[str]:
    return [d for d in glob.glob("/tmp/dockerfab-script.*")
            if d not in before and os.path.isdir(d) and os.stat(d).st_uid == owner]


def run_script(bed, directory, tmp_path):
    tmp_path.mkdir()
    ssh_config = write_ssh_config(bed, tmp_path)
    results = tmp_path / "results"
    before = set(glob.glob("/tmp/dockerfab-script.*"))
    argv = [program_path("dockerfab"), "-S", str(ssh_config), "-H", "bed1", "script", "job",
            str(directory / "job"), "--entrypoint", "/bin/sh",
            "--command-format", "{script_path}/run.sh", "--download", str(results)]
    proc = subprocess.Popen(argv, cwd=directory, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, stdin=subprocess.DEVNULL)
    seen: dict = {}
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline and not seen:
        for folder in new_upload_dirs(before):
            tool = os.path.join(folder, "work", "job", "suid-tool")
            if os.path.exists(tool):
                info = os.stat(folder)
                tool_info = os.stat(tool)
                seen = {
                    "folder": folder,
                    "mode": stat.S_IMODE(info.st_mode),
                    "tool_owner": tool_info.st_uid,
                    "tool_mode": stat.S_IMODE(tool_info.st_mode),
                    "list": as_nobody("ls", folder),
                    "plant": as_nobody("sh", "-c", f"echo x > {folder}/work/job/evil"),
                    "swap": as_nobody("sh", "-c", f"echo x > {folder}/.upload.tar"),
                }
        time.sleep(0.05)
    out, _ = proc.communicate(timeout=120)
    print(out)
    return proc.returncode, out, seen, results


def test_upload_folder_is_private_and_drops_owners_and_setid_bits(bed, project, tmp_path):
    directory, _name = project
    for attempt in ("first", "again"):
        code, out, seen, results = run_script(bed, directory, tmp_path / attempt)
        assert code == 0, out
        assert seen, "the upload folder never appeared on bed1"
        assert seen["mode"] == 0o700
        for attempt_by_nobody in ("list", "plant", "swap"):
            result = seen[attempt_by_nobody]
            assert result.returncode != 0 and "Permission denied" in result.stderr, result
        assert seen["tool_owner"] == 0  # the SSH user (root), not the archive's uid 1234
        assert seen["tool_mode"] & (stat.S_ISUID | stat.S_ISGID) == 0
        assert (results / "bed1" / "job" / "result.txt").read_text() == "done as 2000\n"
        assert not os.path.exists(seen["folder"])  # removed after the run
        assert not glob.glob(seen["folder"] + "*")  # and no results archive beside it
