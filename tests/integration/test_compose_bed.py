"""Compose files in and out on a bed host (issue 12): the map ``import-compose`` makes from
a Compose file deploys, over SSH, the same containers as ``docker-compose up`` on the same
daemon (Debian's docker-compose against bed2's socket, bed images only), and the file
``export-compose`` writes brings ``docker-compose up`` to the containers dockerfab made."""
from __future__ import annotations

import os
import random
import subprocess
import uuid
from pathlib import Path
from typing import Any

import yaml

from tests.integration.fabric_helpers import (
    fabric_overrides,
    run_program,
)
from tests.integration.test_engine_support import Cleanup

COMPOSE = """\
version: "3.8"
services:
  web:
    image: registry.example.com/nginx:latest
    ports: ["{port}:80"]
    depends_on: [app]
    networks:
      front: {{aliases: [www]}}
      back:
    volumes:
      - ./html:/srv/html:ro
      - static:/srv/static
    environment:
      MODE: ${{MODE:-prod}}
    env_file: web.env
    labels: {{tier: front}}
    restart: unless-stopped
    user: "101"
    healthcheck:
      test: ["CMD", "wget", "-q", "-O-", "http://localhost/"]
      interval: 30s
      timeout: 5s
      retries: 3
    mem_limit: 64m
    cpus: 0.5
    stop_grace_period: 2s
  app:
    image: registry.example.com/app:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
    working_dir: /var/lib/app
    volumes:
      - static:/var/lib/app/static
    networks: [back]
    extra_hosts: ["db.local:198.18.0.99"]
    stop_grace_period: 2s
  tool:
    image: dockerfab-test/base:latest
    depends_on: [app]
    labels: ["role=tool"]
    stop_grace_period: 2s
volumes:
  static: {{}}
networks:
  front: {{}}
  back: {{internal: true}}
"""



def _compose(bed, directory: Path, project: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DOCKER_HOST": f"unix://{bed.host('bed2').docker_socket}"}
    proc = subprocess.run(["docker-compose", "-p", project, "-f",
                           str(directory / "docker-compose.yml"), *args], cwd=directory,
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc


def _names(project: str, text: str) -> str:
    """Docker names of the two tools with the project's part made alike: Compose's
    ``<project>_<name>`` and dockerfab's ``<project>.<name>`` both become ``P.<name>``."""
    return text.replace(f"{project}_", "P.").replace(f"{project}.", "P.")


def _view(api: Any, project: str, info: dict[str, Any]) -> dict[str, Any]:
    """What a user compares of a container, the tool's own bookkeeping left out: labels of
    com.docker.compose/dockerfab, names, ids, host names (both leave them to Docker)."""
    config, host = info["Config"], info["HostConfig"]
    labels = {k: v for k, v in (config.get("Labels") or {}).items()
              if not k.startswith(("com.docker.compose.", "dockerfab."))}
    image_labels = api.inspect_image(config["Image"])["Config"].get("Labels") or {}
    labels = {k: v for k, v in labels.items() if image_labels.get(k) != v}
    short_id = info["Id"][:12]
    networks = {_names(project, name): sorted(a for a in endpoint.get("Aliases") or ()
                                              if a != short_id)
                for name, endpoint in info["NetworkSettings"]["Networks"].items()}
    mounts = sorted((m["Type"], _names(project, m.get("Name") or m["Source"]),
                     m["Destination"], m["RW"]) for m in info["Mounts"])
    return {
        "image": config["Image"], "cmd": config["Cmd"], "entrypoint": config["Entrypoint"],
        "env": sorted(config.get("Env") or ()), "user": config["User"],
        "working_dir": config["WorkingDir"], "labels": labels,
        "exposed": sorted(config.get("ExposedPorts") or {}),
        "healthcheck": config.get("Healthcheck"), "stop_timeout": config.get("StopTimeout"),
        "ports": host.get("PortBindings") or {}, "restart": host["RestartPolicy"],
        "memory": host["Memory"], "nano_cpus": host["NanoCpus"],
        "extra_hosts": host.get("ExtraHosts"), "network_mode": _names(project, host["NetworkMode"]),
        "networks": networks, "mounts": mounts, "running": info["State"]["Running"],
    }


def _containers(api: Any, project: str, label: str, service_label: str) -> dict[str, Any]:
    found = api.containers(all=True, filters={"label": label})
    result = {}
    for c in found:
        info = api.inspect_container(c["Id"])
        result[info["Config"]["Labels"][service_label]] = _view(api, project, info)
    return result


def _write_project(directory: Path, project: str, port: int) -> None:
    (directory / "html").mkdir()
    (directory / "html" / "index.html").write_text("hello\n")
    (directory / "web.env").write_text("# web settings\nTOKEN='abc'\nLEVEL=3\n")
    (directory / "docker-compose.yml").write_text(COMPOSE.format(port=port))
    (directory / "fabfile.py").write_text("from dockerfab.tasks import ns  # noqa: F401\n")
    (directory / "fabric.yaml").write_text(yaml.safe_dump(
        {**fabric_overrides(), "docker": {"maps": ["site.yaml"]}}))


def test_imported_map_deploys_what_docker_compose_up_does(bed, bed_api, ssh_config, tmp_path):
    project = f"t_cmp_{uuid.uuid4().hex[:6]}"
    # a random host port below the ephemeral range: concurrent runs do not collide
    _write_project(tmp_path, project, random.randrange(20000, 30000))
    api = bed_api("bed2")
    cleanup = Cleanup(api)
    cleanup.maps.append(project)
    compose_up = False
    try:
        _compose(bed, tmp_path, project, "up", "-d")
        compose_up = True
        by_compose = _containers(api, project, f"com.docker.compose.project={project}",
                                 "com.docker.compose.service")
        _compose(bed, tmp_path, project, "down", "-v")
        compose_up = False

        imported = run_program("dockerfab", tmp_path, ssh_config, "import-compose",
                               "docker-compose.yml", "--name", project, "--output",
                               "site.yaml")
        assert imported.returncode == 0, imported.stderr
        assert "warning:" not in imported.stderr  # everything in this file has an equivalent
        up = run_program("dockerfab", tmp_path, ssh_config, "-H", "bed2", "startup", "__all__")
        assert up.returncode == 0, up.stdout + up.stderr
        by_dockerfab = _containers(api, project, f"dockerfab.map={project}", "dockerfab.config")

        assert sorted(by_dockerfab) == sorted(by_compose) == ["app", "tool", "web"]
        for service in by_compose:
            assert by_dockerfab[service] == by_compose[service], service
        status = run_program("dockerfab", tmp_path, ssh_config, "-H", "bed2", "status")
        assert status.returncode == 0, status.stdout  # what was deployed is what the map says

        # and back: the exported file makes the same containers under the same names,
        # on the volume dockerfab created (its data kept)
        api.exec_start(api.exec_create(f"{project}.app", ["sh", "-c",
                                       "echo kept > /var/lib/app/static/mark"]))
        exported = run_program("dockerfab", tmp_path, ssh_config, "export-compose",
                               "__all__", "--output", "exported.yml")
        assert exported.returncode == 0, exported.stderr
        assert "warning:" not in exported.stderr
        down = run_program("dockerfab", tmp_path, ssh_config, "-H", "bed2", "shutdown",
                           "__all__")
        assert down.returncode == 0, down.stdout
        (tmp_path / "docker-compose.yml").write_text((tmp_path / "exported.yml").read_text())
        _compose(bed, tmp_path, f"{project}x", "up", "-d")
        compose_up = True
        again = _containers(api, project, f"com.docker.compose.project={project}x",
                            "com.docker.compose.service")
        assert sorted(c["Names"][0] for c in api.containers(
            filters={"label": f"com.docker.compose.project={project}x"})) == [
            f"/{project}.{s}" for s in ("app", "tool", "web")]
        for service in by_dockerfab:
            assert again[service] == by_dockerfab[service], service
        out = api.exec_start(api.exec_create(f"{project}.app", ["cat",
                                                                 "/var/lib/app/static/mark"]))
        assert out == b"kept\n"
    finally:
        if compose_up:
            _compose(bed, tmp_path, f"{project}x" if (tmp_path / "exported.yml").exists()
                     else project, "down", "-v")
        cleanup.run()
