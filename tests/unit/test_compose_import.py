"""Compose file data -> container map data (dockerfab.compose.importer), pure."""
from __future__ import annotations

import pytest

from dockerfab.compose.dump import dump
from dockerfab.compose.importer import EnvRef, compose_to_map
from dockerfab.compose.interpolate import interpolate, parse_env_file
from dockerfab.errors import MapError
from dockerfab.map.input import (
    ContainerLink,
    HealthCheck,
    HostVolume,
    NetworkEndpoint,
    PortBinding,
    UsedVolume,
)
from dockerfab.yaml import load_map

COMPOSE = {
    "version": "3.8",
    "services": {
        "web": {
            "image": "nginx:1.25",
            "ports": ["8080:80", "127.0.0.1:8443:443", {"target": 53, "published": 5353,
                                                         "protocol": "udp"}, "9000-9001:9000-9001"],
            "expose": ["3000"],
            "depends_on": {"app": {"condition": "service_healthy"}},
            "networks": {"front": {"aliases": ["www"]}, "back": None},
            "volumes": ["./html:/usr/share/nginx/html:ro", "static:/static",
                        {"type": "tmpfs", "target": "/cache"}],
            "environment": ["MODE=prod", "FROM_SHELL"],
            "env_file": ["web.env"],
            "labels": ["tier=front"],
            "restart": "on-failure:3",
            "healthcheck": {"test": "wget -q -O- http://localhost/", "interval": "1m30s",
                            "timeout": "5s", "retries": 2, "start_period": "10s"},
            "user": "101:2000", "working_dir": "/srv", "hostname": "web1",
            "mem_limit": "256m", "cpus": 1.5, "cap_add": ["NET_ADMIN"],
            "extra_hosts": ["db.local:10.0.0.5"], "stop_grace_period": "20s",
            "stop_signal": "SIGQUIT", "logging": {"driver": "json-file",
                                                  "options": {"max-size": "1m"}},
            "build": ".", "container_name": "web",
        },
        "app": {
            "image": "app", "command": "run --fast", "entrypoint": ["/init"],
            "volumes": ["static:/srv/static:ro", "/tmp/scratch"],
            "networks": ["back"], "links": ["cache:kv"],
            "healthcheck": {"disable": True},
        },
        "cache": {"image": "redis", "deploy": {"replicas": 2,
                                               "resources": {"limits": {"memory": "64m"}}}},
        "sidecar": {"image": "busybox", "network_mode": "service:app"},
    },
    "volumes": {"static": {"driver_opts": {"type": "tmpfs", "device": "tmpfs"}}},
    "networks": {"front": {}, "back": {"internal": True, "labels": {"a": "b"}}},
    "secrets": {"s": {"file": "x"}},
}


def _import(data=COMPOSE, environ=None):
    files = {"/proj/web.env": "# web\nTOKEN='abc'\nLEVEL=3\n"}
    return compose_to_map(data, "site", "/proj", files.__getitem__, environ or {})


def _loaded(result):
    return load_map(dump(result.map)).get_extended_map()


def test_services_become_configurations_that_load_as_a_map(monkeypatch):
    monkeypatch.setenv("FROM_SHELL", "x")
    result = _import()
    m = _loaded(result)
    assert m.name == "site" and m.set_hostname is False
    web, app = m.containers.web, m.containers.app
    assert web.image == "nginx:1.25" and app.image == "app"
    assert web.exposes == [PortBinding(80, 8080), PortBinding(443, 8443, "ip_127_0_0_1"),
                           PortBinding("53/udp", 5353), PortBinding(9000, 9000),
                           PortBinding(9001, 9001), PortBinding(3000)]
    assert web.depends_on == ["app"]
    # in Compose's connection order (priority, then name): the first is the network mode
    assert web.networks == [NetworkEndpoint("back", aliases=["web"]),
                            NetworkEndpoint("front", aliases=["web", "www"])]
    assert web.binds == [HostVolume("/usr/share/nginx/html", "/proj/html", True)]
    assert web.user == "101:2000"
    assert web.stop_timeout == 20 and web.stop_signal == "SIGQUIT"
    assert web.healthcheck == HealthCheck("wget -q -O- http://localhost/", 90, 5, 2, 10)
    assert web.create_options == {
        "environment": {"TOKEN": "abc", "LEVEL": "3", "MODE": "prod", "FROM_SHELL": "x"},
        "labels": {"tier": "front"}, "hostname": "web1", "working_dir": "/srv"}
    assert web.host_config == {
        "cap_add": ["NET_ADMIN"], "mem_limit": "256m", "nano_cpus": 1500000000,
        "extra_hosts": {"db.local": "10.0.0.5"}, "tmpfs": {"/cache": ""},
        "log_config": {"type": "json-file", "config": {"max-size": "1m"}},
        "restart_policy": {"Name": "on-failure", "MaximumRetryCount": 3}}
    assert app.create_options == {"command": "run --fast", "entrypoint": ["/init"]}
    assert app.links == [ContainerLink("cache", "kv")]
    assert app.shares == ["/tmp/scratch"]
    assert app.healthcheck == HealthCheck(["NONE"])
    assert m.containers.cache.instances == ["1", "2"]
    assert m.containers.cache.host_config == {"mem_limit": "64m"}
    assert m.containers.sidecar.network_mode == "app"
    assert m.networks.back.internal is True
    assert m.networks.back.create_options == {"labels": {"a": "b"}}
    assert m.volumes.static.driver_options == {"type": "tmpfs", "device": "tmpfs"}


def test_named_volume_is_attached_by_the_service_started_first(monkeypatch):
    monkeypatch.setenv("FROM_SHELL", "x")
    m = _loaded(_import())
    # web depends on app, so app (started first) owns 'static'; web uses it
    assert m.containers.app.attaches == [UsedVolume("static", "/srv/static")]
    assert m.containers.web.uses == [UsedVolume("static", "/static", False)]


def test_services_without_networks_join_the_default_network():
    result = compose_to_map({"services": {"a": {"image": "x"}, "b": {"image": "y"}}}, "p")
    m = _loaded(result)
    assert list(m.networks.keys()) == ["default"]
    assert m.containers.a.networks == [NetworkEndpoint("default", aliases=["a"])]


def test_a_warning_per_feature_without_equivalent():
    warnings = _import().warnings
    text = "\n".join(warnings)
    for expected in ("'build' has no equivalent", "'container_name' has no equivalent",
                     "top-level 'secrets'", "waits for service_healthy",
                     "ip_127_0_0_1: 127.0.0.1", "2 replicas become instances",
                     "environment FROM_SHELL takes its value from the shell"):
        assert expected in text, expected
    assert len(warnings) == len(set(warnings))


def test_value_from_the_shell_is_an_env_tag_when_unset():
    result = _import()
    env = result.map["containers"]["web"]["create_options"]["environment"]
    assert env["FROM_SHELL"] == EnvRef("FROM_SHELL")
    assert "FROM_SHELL: !env 'FROM_SHELL'" in dump(result.map)


def test_interpolation_as_compose_does_it():
    warnings: list[str] = []
    env = {"TAG": "1.2", "EMPTY": ""}
    data = {"image": "app:${TAG}", "a": "${EMPTY:-dflt}", "b": "${EMPTY-dflt}",
            "c": "$$HOME", "d": "$MISSING/x", "e": ["${NOPE:-z}"]}
    assert interpolate(data, env, warnings.append) == {
        "image": "app:1.2", "a": "dflt", "b": "", "c": "$HOME", "d": "/x", "e": ["z"]}
    assert warnings == [
        "d: variable MISSING is not set; it becomes an empty string (as in Compose)"]
    with pytest.raises(MapError, match="variable NEED is required: give it"):
        interpolate({"x": "${NEED:?give it}"}, env)


def test_env_file_parsing():
    assert parse_env_file("# c\n\nA=1\nexport B = 'two'\nC=\"x y\"\nD\n") == {
        "A": "1", "B": "two", "C": "x y", "D": ""}


@pytest.mark.parametrize("data, message", [
    ({"version": "3"}, "no 'services' mapping"),
    ({"services": {"a": {"image": "x", "volumes": ["data:/d"]}}}, "'data' is not declared"),
    ({"services": {"a": {"image": "x", "networks": ["n"]}}}, "network 'n' is not declared"),
    ({"services": {"a": {"image": "x", "ports": ["80-81:80"]}}}, "differ in length"),
])
def test_bad_compose_files_are_one_clear_error(data, message):
    with pytest.raises(MapError, match=message):
        compose_to_map(data, "p")
