"""Host utilities and the script tasks over real SSH on the bed."""
from __future__ import annotations

import json
import subprocess

import pytest

from tests.integration.fabric_helpers import (
    program_path,
    run_program,
    unique,
    write_project,
)
from tests.integration.test_fabric_cli import project  # noqa: F401  (fixture)


def test_script_is_uploaded_run_and_results_downloaded(bed, project, ssh_config,  # noqa: F811
                                                       tmp_path):
    directory, name, _ = project
    script_dir = tmp_path / "job"
    script_dir.mkdir()
    (script_dir / "run.sh").write_text('#!/bin/sh\necho "job on $(hostname) as $(id -u)"\n'
                                       'echo done > "$(dirname "$0")/result.txt"\n')
    results = tmp_path / "results"
    proc = run_program("dockerfab", directory, ssh_config, "-H", "bed1,bed2", "script",
                       "app_server", str(script_dir / "run.sh"), "--instance", "instance1",
                       "--entrypoint", "/bin/sh", "--command-format", "{script_path}",
                       "--download", str(results))
    assert proc.returncode == 0, proc.stdout
    for host in ("bed1", "bed2"):
        assert f"job on {name}-app-server-instance1 as 2000" in proc.stdout
        assert (results / host / "result.txt").read_text() == "done\n"
        remote = bed.host(host).ssh_client()
        try:  # the uploaded copy is gone from the host
            _, out, _ = remote.exec_command("ls -d /tmp/dockerfab-script.* 2>/dev/null | wc -l")
            leftovers = int(out.read().decode().strip())
        finally:
            remote.close()
        assert leftovers == 0


def test_single_cmd_prints_output_and_fails_on_exit_status(project, ssh_config):  # noqa: F811
    directory, _, _ = project
    ok = run_program("fab", directory, ssh_config, "-H", "bed1", "single-cmd", "web_server",
                     "echo hello; id -u")
    assert ok.returncode == 0
    assert "hello\n" in ok.stdout
    bad = run_program("fab", directory, ssh_config, "-H", "bed1", "single-cmd", "web_server",
                      "exit 3")
    assert bad.returncode == 1
    assert "[bed1] ERROR single-cmd: script failed (__default__: exit status 3)" in bad.stdout


def test_host_utilities(bed, ssh_config, tmp_path):
    write_project(tmp_path, {"maps": []})
    proc = run_program("dockerfab", tmp_path, ssh_config, "-H", "bed1,bed2", "get-ip",
                       "--interface", "eth0", "version", "list-images",
                       env={"DOCKERFAB_OUTPUT": "json"})
    assert proc.returncode == 0, proc.stderr
    docs = [json.loads(part) for part in proc.stdout.replace("}\n{", "}\n\x00{").split("\x00")]
    ips = {o["host"]: o["data"] for o in docs[0]["output"]}
    assert "198.18.0.11" in ips["bed1"] and "198.18.0.12" in ips["bed2"]
    assert all(h["ok"] for d in docs for h in d["hosts"])
    assert "registry.example.com/app:latest" in proc.stdout


@pytest.fixture
def own_state(bed):
    """A ``docker.state_dir`` of the test's own on bed2: load-image takes the deploy lock
    of every map with state on the host, and the bed is shared."""
    path = f"/tmp/{unique('t_state')}"
    yield path
    with bed.host("bed2").ssh_client() as client:
        client.exec_command(f"rm -rf {path}")[1].read()


def test_save_and_load_image_stream_through_ssh(bed, bed_api, ssh_config, tmp_path, own_state):
    write_project(tmp_path, {"maps": [], "state_dir": own_state})
    image = "registry.example.com/app:latest"
    saved = run_program("fab", tmp_path, ssh_config, "-H", "bed1", "save-image", image,
                        "{host}-app.tar")
    assert saved.returncode == 0, saved.stdout
    tarball = tmp_path / "bed1-app.tar"
    listing = subprocess.run(["tar", "-tf", str(tarball)], capture_output=True, text=True,
                             check=True).stdout
    assert "manifest.json" in listing
    loaded = run_program("fab", tmp_path, ssh_config, "-H", "bed2", "load-image", str(tarball))
    assert loaded.returncode == 0, loaded.stdout
    assert f"[bed2] Loaded image: {image}" in loaded.stdout
    assert bed_api("bed2").inspect_image(image)["Id"] == bed_api("bed1").inspect_image(image)["Id"]


def test_remove_all_containers_asks_first(bed, bed_api, ssh_config, tmp_path):
    write_project(tmp_path, {"maps": []})
    api = bed_api("bed3")
    before = len(api.containers(all=True))
    proc = subprocess.run([program_path("fab"), "-S", str(ssh_config), "-H", "bed3",
                           "remove-all-containers"], cwd=tmp_path, input="n\n",
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0
    assert "Remove ALL containers on bed3? [y/N]" in proc.stdout
    assert "[bed3] skipped (not confirmed)" in proc.stdout
    assert len(api.containers(all=True)) >= before
