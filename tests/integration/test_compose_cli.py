"""The Compose tasks as a user runs them (no host involved): bad input is one clear line
and exit status 2, and the output is what the docs show."""
from __future__ import annotations

import subprocess

import yaml

from tests.integration.fabric_helpers import program_path


def _run(directory, *args):
    return subprocess.run([program_path("dockerfab"), *args], cwd=directory, text=True,
                          capture_output=True, timeout=120, check=False,
                          stdin=subprocess.DEVNULL)


def test_import_compose_errors_are_one_line_and_exit_2(tmp_path):
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  web:\n    image: nginx\n    volumes: [data:/d]\n")
    proc = _run(tmp_path, "import-compose", "docker-compose.yml")
    assert proc.returncode == 2
    assert proc.stderr == ("dockerfab: docker-compose.yml: service 'web': volume 'data' is "
                           "not declared in the top-level volumes\n")
    assert proc.stdout == ""
    missing = _run(tmp_path, "import-compose", "nope.yml")
    assert missing.returncode == 2 and "No such file or directory" in missing.stderr


def test_import_then_export_from_the_command_line(tmp_path):
    (tmp_path / ".env").write_text("TAG=1.25\n")
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  web:\n    image: nginx:${TAG}\n    ports: ['8080:80']\n"
        "    container_name: front\n")
    proc = _run(tmp_path, "import-compose", "docker-compose.yml", "--name", "site")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ("dockerfab: warning: service 'web': 'container_name' has no "
                           "equivalent (containers are named <map>.<service>); left out\n")
    data = yaml.safe_load(proc.stdout)
    assert data["containers"]["web"]["image"] == "nginx:1.25"
    (tmp_path / "site.yaml").write_text(proc.stdout)
    (tmp_path / "fabric.yaml").write_text("docker: {maps: [site.yaml]}\n")
    exported = _run(tmp_path, "export-compose", "web")
    assert exported.returncode == 0, exported.stderr
    service = yaml.safe_load(exported.stdout)["services"]["web"]
    assert (service["image"], service["ports"], service["container_name"]) == (
        "nginx:1.25", ["8080:80"], "site.web")
    unknown = _run(tmp_path, "export-compose", "db")
    assert unknown.returncode == 2 and unknown.stderr.startswith("dockerfab: ")
