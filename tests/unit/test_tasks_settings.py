"""The ``docker`` settings: config key, env overrides, validation."""
from __future__ import annotations

import pytest
from fabric import Config

from dockerfab.errors import MapError
from dockerfab.fabric.settings import DockerSettings, defaults


def test_defaults_are_safe():
    s = DockerSettings()
    assert s.accept_unknown_hosts is False
    assert s.sudo is False
    assert s.docker_url == "unix:///var/run/docker.sock"


def test_reads_docker_key_of_fabric_config():
    config = Config(overrides={"docker": {"maps": ["a.yaml"], "parallel": 2, "sudo": True}})
    s = DockerSettings.from_config(config, environ={})
    assert s.maps == ("a.yaml",) and s.parallel == 2 and s.sudo is True


def test_fabric_env_prefix_reaches_docker_key(monkeypatch):
    monkeypatch.setenv("FABRIC_DOCKER_TIMEOUT", "42")
    config = Config(defaults={**Config.global_defaults(), "docker": defaults()})
    config.load_shell_env()
    assert DockerSettings.from_config(config, environ={}).timeout == 42


def test_dockerfab_env_overrides_config():
    config = Config(overrides={"docker": {"maps": ["a.yaml"], "accept_unknown_hosts": False}})
    s = DockerSettings.from_config(config, environ={"DOCKERFAB_MAPS": "x.yaml, y.yaml",
                                                    "DOCKERFAB_ACCEPT_UNKNOWN_HOSTS": "yes"})
    assert s.maps == ("x.yaml", "y.yaml")
    assert s.accept_unknown_hosts is True


def test_an_empty_dockerfab_variable_counts_as_unset():
    config = Config(overrides={"docker": {"output": "json"}})
    assert DockerSettings.from_config(config, environ={"DOCKERFAB_OUTPUT": ""}).output == "json"
    assert DockerSettings.from_config({}, environ={"DOCKERFAB_OUTPUT": ""}).output == "text"


def test_bare_socket_path_becomes_unix_url():
    assert DockerSettings.from_dict({"base_url": "/run/x.sock"}).docker_url == "unix:///run/x.sock"


@pytest.mark.parametrize("raw, message", [
    ({"paralel": 2}, "docker.paralel: unknown setting"),
    ({"parallel": -1}, "docker.parallel: must not be negative"),
    ({"sudo": "maybe"}, "docker.sudo: expected a yes/no value"),
    ({"mode": "telnet"}, "docker.mode: expected one of"),
    ({"clients": 3}, "docker.clients: expected a clients file path"),
    ({"timeout": 0}, "docker.timeout: must be a positive number of seconds, got 0"),
    ({"connect_timeout": "0"}, "docker.connect_timeout: must be a positive number"),
    ({"mpas": ["a.yaml"]}, "docker.mpas: unknown setting (did you mean 'maps'?)"),
])
def test_invalid_settings_name_the_key(raw, message):
    with pytest.raises(MapError) as info:
        DockerSettings.from_dict(raw)
    assert str(info.value).startswith(message)


def test_defaults_cover_every_setting_but_clients():
    # clients may be a path or a mapping: no default that Invoke would fail to merge with
    assert set(defaults()) == set(DockerSettings.__dataclass_fields__) - {"clients"}
    assert DockerSettings.from_dict(defaults()) == DockerSettings()


def test_sudo_runs_the_whole_line_under_sh():
    from dockerfab.fabric.shell import _wrap

    line = "chown 2000:2000 '/a b' && chmod u=rwX '/a b'"
    assert _wrap(line, sudo=False) == line
    assert _wrap(line, sudo=True) == "sh -c " + __import__("shlex").quote(line)
