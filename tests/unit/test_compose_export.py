"""Container map -> Compose file data (dockerfab.compose.exporter), pure; and the round
trip through the importer."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from dockerfab.compose.dump import dump
from dockerfab.compose.exporter import map_to_compose
from dockerfab.compose.importer import compose_to_map
from dockerfab.map.container import ContainerMap
from dockerfab.plan.desired import ClientInfo
from dockerfab.yaml import load_map

MAP = {
    "host_root": "/srv/site",
    "volumes": {"data": "/var/lib/data", "conf": "/etc/app"},
    "host": {"conf": "config"},
    "networks": {"back": {"internal": True}},
    "db": {"image": "postgres", "attaches": "data", "user": "999",
           "networks": {"back": {"aliases": ["database"]}}, "stop_timeout": 15},
    "app": {"image": "app", "instances": ["a", "b"], "uses": "data", "binds": {"conf": "ro"},
            "depends_on": "db", "networks": ["back"],
            "exposes": [(8000, 8000, "private")],
            "healthcheck": {"test": ["CMD", "true"], "interval": 30, "retries": 3},
            "create_options": {"command": ["serve"], "environment": {"A": "1"},
                               "labels": {"x": "y"}, "working_dir": "/app"},
            "host_config": {"restart_policy": {"Name": "always"}, "mem_limit": "128m",
                            "nano_cpus": 500000000, "cpu_shares": 512}},
    "web": {"image": "nginx", "links": [("db", "pg")], "exposes": [(80, 8080)],
            "exec_commands": "nginx -s reload"},
}


def _export(names="__all__", client=None):
    return map_to_compose(ContainerMap("site", MAP), names, client)


def test_services_keep_the_docker_names_of_containers_volumes_and_networks():
    compose = _export().compose
    assert compose["version"] == "3.8"
    assert list(compose["services"]) == ["db", "app-a", "app-b", "web"]
    assert compose["services"]["app-a"]["container_name"] == "site.app.a"
    assert compose["volumes"] == {"data": {"name": "site.data"}}
    assert compose["networks"] == {"back": {"name": "site.back", "internal": True}}


def test_what_each_service_carries():
    services = _export(client=ClientInfo("c", interfaces={"private": "10.0.0.5"})).compose[
        "services"]
    app, db, web = services["app-a"], services["db"], services["web"]
    assert app["image"] == "app:latest" and app["command"] == ["serve"]
    assert app["environment"] == {"A": "1"} and app["labels"] == {"x": "y"}
    assert app["working_dir"] == "/app" and app["hostname"] == "c-site-app-a"
    assert app["ports"] == ["10.0.0.5:8000:8000"]
    assert app["volumes"] == ["/srv/site/config:/etc/app:ro", "data:/var/lib/data:rw"]
    assert app["networks"] == {"back": None}
    assert app["depends_on"] == ["db"]
    assert app["healthcheck"] == {"test": ["CMD", "true"], "interval": "30s", "retries": 3}
    assert app["restart"] == "always"
    assert app["deploy"] == {"restart_policy": {"condition": "any"},
                             "resources": {"limits": {"memory": "128m", "cpus": "0.5"}}}
    assert db["user"] == "999" and db["stop_grace_period"] == "15s"
    assert db["networks"] == {"back": {"aliases": ["database"]}}
    assert db["volumes"] == ["data:/var/lib/data:rw"]
    assert web["links"] == ["db:pg"] and web["network_mode"] == "bridge"
    assert web["ports"] == ["8080:80"]


def test_a_warning_per_option_compose_cannot_say():
    warnings = "\n".join(_export().warnings)
    assert "host config 'cpu_shares' has no Compose file format 3 equivalent" in warnings
    assert "web: exec_commands have no Compose equivalent" in warnings
    assert "interface 'private' is not defined for the client" in warnings


def test_names_select_configurations_with_their_dependencies():
    assert list(_export(["web"]).compose["services"]) == ["db", "web"]
    assert _export(["web"]).compose["services"]["web"]["hostname"] == "site-web"


def test_round_trip_through_the_importer_keeps_the_configuration():
    exported = _export(["db"]).compose
    back = compose_to_map(exported, "site").map
    db = load_map(dump(back)).get_extended("db")
    original = ContainerMap("site", MAP).get_extended("db")
    assert db.image == "postgres:latest" and original.image == "postgres"
    assert (db.user, db.stop_timeout) == (original.user, original.stop_timeout)
    assert [(a.name, a.path) for a in db.attaches] == [("data", "/var/lib/data")]
    assert [a.name for a in original.attaches] == ["data"]  # path from volumes
    assert db.networks[0].network_name == "back"
    assert "database" in db.networks[0].aliases


@pytest.mark.skipif(shutil.which("docker") is None, reason="needs the docker CLI")
def test_export_is_valid_for_docker_stack_deploy(tmp_path):
    path = tmp_path / "docker-compose.yml"
    path.write_text(dump(_export().compose))
    proc = subprocess.run(["docker", "stack", "config", "-c", str(path)], capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "site.app.a" in proc.stdout
