"""The ``pull-images`` task over real SSH on bed1, pulling from the bed's registry: plain
progress lines and the summary in a log, a progress bar on a terminal."""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys

import pytest
import yaml

from dockerfab import DockerClientWrapper
from tests.integration.fabric_helpers import (
    program_path,
    remove_map_objects,
    run_program,
    unique,
    write_project,
)

PAYLOAD = 1 << 19



@pytest.fixture
def pull_project(bed, bed_api, registry_images, tmp_path):
    """A project whose map runs two images pushed from bed2 to the bed registry (missing on
    bed1); yields (directory, {config: image})."""
    builder = DockerClientWrapper(bed.host("bed2").docker_url)
    images = {}
    for config in ("web", "worker"):
        repo = registry_images.repository()
        registry_images.build(bed_api("bed2"), f"{repo}:latest", payload=PAYLOAD)
        assert builder.push(repo, tag="latest")
        images[config] = f"{repo}:latest"
    builder.close()
    name = unique("t_reg_")
    data = {"name": name, **{c: {"image": i, "stop_timeout": 1} for c, i in images.items()}}
    (tmp_path / "map.yaml").write_text(yaml.safe_dump(data))
    write_project(tmp_path, {"maps": ["map.yaml"]})
    yield tmp_path, images
    remove_map_objects(name, bed_api("bed1"))


def summary_row(output: str, host: str) -> dict[str, str]:
    lines = output.splitlines()
    start = max(i for i, line in enumerate(lines) if line.startswith("HOST "))
    headers = lines[start].lower().split()
    row = next(line for line in lines[start + 1:] if line.split()[:1] == [host])
    return dict(zip(headers, row.split()))


def test_pull_images_prints_plain_progress_lines_and_the_summary(pull_project, ssh_config,
                                                                 bed_api):
    directory, images = pull_project
    proc = run_program("dockerfab", directory, ssh_config, "-H", "bed1", "pull-images",
                       "web,worker")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "\r" not in out and "\x1b[" not in out        # no bar drawing in a log
    for image in images.values():
        assert re.search(rf"\[bed1\] pull_image {re.escape(image)} \.\.\.\s+\(missing\)", out)
        finished = re.search(rf"^\[bed1\] pull {re.escape(image)}: ([\d.]+) MiB of ([\d.]+) "
                             r"MiB done$", out, re.MULTILINE)
        assert finished, out
        assert finished.group(1) == finished.group(2)
        assert float(finished.group(2)) >= PAYLOAD / 2**20 * 0.9
        assert bed_api("bed1").inspect_image(image)["RepoTags"] == [image]
    row = summary_row(out, "bed1")
    assert (row["updated"], row["failed"], row["result"]) == ("2", "0", "ok")


def test_pull_images_on_a_terminal_draws_a_progress_bar(pull_project, ssh_config):
    directory, images = pull_project
    # without the live board (which shows the pull on the host's row): the bar of its own
    argv = [program_path("dockerfab"), "-S", str(ssh_config), "--no-board", "-H", "bed1",
            "pull-images", "web"]
    env = {k: v for k, v in os.environ.items() if k != "SSH_AUTH_SOCK"}
    env["TERM"] = "xterm"
    # script(1) runs the program on a pseudo-terminal and copies what it draws to stdout
    # (bytes: text mode would turn the bar's carriage returns into newlines)
    proc = subprocess.run(["script", "-q", "-e", "-c", shlex.join(argv), "/dev/null"],
                          cwd=directory, capture_output=True, timeout=300, env=env,
                          stdin=subprocess.DEVNULL, check=False)
    out = proc.stdout.decode()
    sys.stdout.write(repr(out))
    assert proc.returncode == 0, out
    image = re.escape(images["web"])
    bars = re.findall(rf"\r\x1b\[K\[bed1\] pull {image} \[([#.]{{30}})\]\s+(\d+)% ", out)
    assert bars, repr(out)
    assert bars[-1] == ("#" * 30, "100")
    assert not re.search(rf"\[bed1\] pull {image}: [\d.]+ MiB", out)  # no plain lines
    assert summary_row(out.replace("\r\n", "\n"), "bed1")["updated"] == "1"


def test_update_pull_before_update_recreates_the_container_of_the_re_pushed_image(
        bed, pull_project, ssh_config, bed_api, registry_images):
    directory, images = pull_project
    started = run_program("dockerfab", directory, ssh_config, "-H", "bed1", "startup",
                          "web,worker")
    assert started.returncode == 0, started.stdout
    old = bed_api("bed1").inspect_image(images["web"])["Id"]
    new = registry_images.build(bed_api("bed2"), images["web"], payload=PAYLOAD)
    pusher = DockerClientWrapper(bed.host("bed2").docker_url)
    assert pusher.push(images["web"].rpartition(":")[0], tag="latest")
    pusher.close()

    proc = run_program("dockerfab", directory, ssh_config, "-H", "bed1", "update",
                       "web,worker", "--pull-before-update", "--format", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    host = json.loads(proc.stdout)["hosts"][0]
    done = [(a["action"], a["item"].rpartition(".")[2]) for a in host["actions"]
            if a["action"] != "pull_image"]
    assert done == [("stop", "web"), ("remove", "web"), ("create", "web"), ("start", "web")]
    pulled = {a["item"] for a in host["actions"] if a["action"] == "pull_image"}
    assert pulled == set(images.values())
    create = next(a for a in host["actions"] if a["action"] == "create")
    assert f"image {old[7:19]} -> {new[7:19]}" in create["reasons"]
    assert (host["unchanged"], host["updated"], host["ok"]) == (1, 2, True)
    running = {c["Labels"]["dockerfab.config"]: c["ImageID"]
               for c in bed_api("bed1").containers(filters={"label": "dockerfab.map"})
               if c["Image"] in images.values()}
    assert running["web"] == new


def test_pull_images_of_a_tag_the_registry_lacks_fails_naming_host_item_and_cause(
        registry_images, ssh_config, tmp_path):
    image = f"{registry_images.repository()}:nothere"
    (tmp_path / "map.yaml").write_text(yaml.safe_dump({"name": unique("t_reg_"),
                                                       "web": {"image": image}}))
    write_project(tmp_path, {"maps": ["map.yaml"]})
    proc = run_program("dockerfab", tmp_path, ssh_config, "-H", "bed1", "pull-images", "web")
    assert proc.returncode == 1
    assert (f"[bed1] ERROR pull-images: pull_image {image}: manifest for {image} not found"
            in proc.stdout)
    row = summary_row(proc.stdout, "bed1")
    assert (row["failed"], row["result"]) == ("1", "FAILED")
