"""Configuration objects: properties, deferred conversion, copy/merge/update, kinds."""
from __future__ import annotations

import pytest

from dockerfab.errors import MapError
from dockerfab.functional import lazy
from dockerfab.map.config.client import ClientConfiguration
from dockerfab.map.config.container import ContainerConfiguration
from dockerfab.map.config.host_volume import HostVolumeConfiguration
from dockerfab.map.config.network import NetworkConfiguration
from dockerfab.map.config.volume import VolumeConfiguration
from dockerfab.map.input import ExecCommand, ExecPolicy, HealthCheck, SharedVolume


def test_every_spec_property_exists_with_its_default():
    config = ContainerConfiguration()
    defaults = {
        "image": None, "instances": [], "stop_timeout": None, "stop_signal": None,
        "shares": [], "binds": [], "uses": [], "attaches": [], "links": [], "exposes": [],
        "network_mode": None, "networks": [], "exec_commands": [], "depends_on": [],
        "extends": [],
        "abstract": False, "create_options": {}, "host_config": {}, "persistent": False,
        "user": None, "permissions": None, "clients": [], "healthcheck": None,
        "start_delay": None,
    }
    assert dict(config.items()) == defaults


def test_conversion_is_deferred_to_clean():
    config = ContainerConfiguration()
    config.uses = "volume1"
    assert config.uses == "volume1"
    config.clean()
    assert config.uses == [SharedVolume("volume1")]
    config.uses.append("volume2")             # in-place edits are converted by the next clean
    assert config.as_dict() == {"uses": [SharedVolume("volume1"), SharedVolume("volume2")]}


def test_dict_access_and_start_options_alias():
    config = ContainerConfiguration({"start_options": {"privileged": True}}, image="x")
    assert config["host_config"] == {"privileged": True}
    assert config.start_options is config.host_config
    config["start_options"] = {"init": True}
    assert config.host_config == {"init": True}
    assert "binds" in config and "bind" not in config
    assert config.as_dict() == {"image": "x", "host_config": {"init": True}}


def test_unknown_keys_suggest():
    with pytest.raises(MapError, match="did you mean 'instances'"):
        ContainerConfiguration(instance=["a"])
    with pytest.raises(AttributeError, match="did you mean 'stop_signal'"):
        ContainerConfiguration().stop_sigal  # noqa: B018


def test_none_from_yaml_means_default():
    config = ContainerConfiguration(binds=None, create_options=None)
    config.clean()
    assert config.binds == [] and config.create_options == {}


def test_copy_is_independent_and_keeps_lazy():
    host = lazy(str, "/h")
    config = ContainerConfiguration(binds={"/c": (host, "ro")}, create_options={"a": [1]})
    config.clean()
    twin = config.copy()
    twin.create_options["a"].append(2)
    assert config.create_options == {"a": [1]}
    assert twin.binds[0].host_path is host
    assert twin != config
    assert config.copy() == config


def test_merge_and_update():
    config = ContainerConfiguration(image="a", uses="v1", create_options={"x": 1, "y": 1})
    config.merge_from_dict({"uses": ["v2"], "create_options": {"y": 2}})
    assert config.uses == [SharedVolume("v1"), SharedVolume("v2")]
    assert config.create_options == {"x": 1, "y": 2}
    assert config.image == "a"
    config.update_from_obj(ContainerConfiguration(uses="v3"))
    assert config.uses == [SharedVolume("v3")]
    config.update_from_dict({"image": "b"})
    assert config.image == "b"


def test_options_may_be_callable():
    def options():
        return {"mem_limit": "3g"}
    config = ContainerConfiguration(create_options=options)
    config.clean()
    assert config.create_options is options


@pytest.mark.parametrize("prop, value", [
    ("stop_timeout", -1), ("stop_signal", "SIG INT"), ("abstract", "perhaps"),
    ("instances", ["a.b"]), ("create_options", ["x"]), ("user", "a b"),
])
def test_invalid_values_name_the_property(prop, value):
    with pytest.raises(MapError) as info:
        ContainerConfiguration({prop: value}).clean()
    assert info.value.path[0] == prop


def test_exec_commands_and_healthcheck_properties():
    config = ContainerConfiguration(exec_commands=[("a", "root", "initial")],
                                    healthcheck={"test": "true", "interval": "10s"})
    config.clean()
    assert config.exec_commands == [ExecCommand("a", "root", ExecPolicy.INITIAL)]
    assert config.healthcheck == HealthCheck("true", "10s")


def test_instance_names():
    assert ContainerConfiguration().instance_names() == [None]
    assert ContainerConfiguration(instances=(1, "b")).instance_names() == ["1", "b"]


def test_volume_configuration():
    assert VolumeConfiguration("/var/lib/my-app/data") == \
        VolumeConfiguration(default_path="/var/lib/my-app/data")
    volume = VolumeConfiguration(default_path="/x", driver_options={"type": "tmpfs"},
                                 user="app", permissions="0750")
    assert volume.driver == "local"
    assert volume.as_dict()["permissions"] == "0750"
    assert VolumeConfiguration("/x").as_dict() == "/x"


def test_network_configuration():
    network = NetworkConfiguration(internal=True,
                                   driver_options={"com.docker.network.bridge.enable_icc":
                                                   "false"})
    assert network.driver == "bridge"
    assert network.as_dict() == {"internal": True, "driver_options": {
        "com.docker.network.bridge.enable_icc": "false"}}


def test_host_volume_paths():
    host = HostVolumeConfiguration({"root": "/var/lib/site", "a": "rel/a", "b": "/abs/b"})
    host.c = {"instance1": "config/instance1", "instance2": lazy(lambda: "config/i2")}
    assert host.root == "/var/lib/site"
    assert host.get_path("a") == "/var/lib/site/rel/a"
    assert host.get_path("b") == "/abs/b"
    assert host.get_path("c", "instance2") == "/var/lib/site/config/i2"
    assert host.get_path("missing") is None
    with pytest.raises(MapError, match="instance 'instance3'") as info:
        host.get_path("c", "instance3")
    assert info.value.path == ("host", "c")
    host.root = lazy(lambda: "/srv")
    assert host.get_path("a") == "/srv/rel/a"
    assert host.as_dict()["a"] == "rel/a"


def test_client_configuration():
    client = ClientConfiguration("unix:///var/run/docker.sock")
    assert client.base_url == "unix:///var/run/docker.sock"
    client = ClientConfiguration({
        "base_url": "unix://var/run/docker.sock",
        "interfaces": {"private": "10.0.0.1", "public": lazy(lambda: "178.0.0.1")},
        "interfaces_ipv6": {"private": "2001:a01:a02:12f0::1"},
    })
    assert client.interface_address("public") == "178.0.0.1"
    assert client.interface_address("private", ipv6=True) == "2001:a01:a02:12f0::1"
    with pytest.raises(MapError, match="'dmz'"):
        client.interface_address("dmz")
    assert client.fabric_host is None


def test_client_configuration_caches_its_client():
    from dockerfab.client.wrapper import DockerClientWrapper

    config = ClientConfiguration(base_url="unix:///var/run/docker.sock", version="1.41",
                                 timeout=5)
    client = config.get_client()
    try:
        assert isinstance(client, DockerClientWrapper)
        assert config.get_client() is client
        assert client.timeout == 5 and client.api_version == "1.41"
        other = config.copy().get_client()
        assert other is not client
        other.close()
    finally:
        client.close()


def test_exposes_with_the_spec_client_interfaces():
    # spec 3.7 "Exposed ports": the client's interfaces give the addresses to publish on
    from dockerfab.map.container import ContainerMap

    clients = {"client1": ClientConfiguration({
        "base_url": "unix://var/run/docker.sock",
        "interfaces": {"private": "10.0.0.10", "public": "178.0.0.10"},
        "interfaces_ipv6": {"private": "2001:a01:a02:12f0::1"},
    })}
    m = ContainerMap("m")
    config = m.containers.app1
    config.clients = ["client1"]
    config.exposes = [(80, 80, "public"), (9443, 443), (8000, 8000, "private"), 8111,
                      (8000, 80, "private", True)]
    m.check_integrity(clients=clients)
    client = clients[config.clients[0]]
    published = [(b.exposed_port, b.host_port,
                  client.interface_address(b.interface, b.ipv6) if b.interface else None)
                 for b in config.exposes]
    assert published == [(80, 80, "178.0.0.10"), (9443, 443, None), (8000, 8000, "10.0.0.10"),
                         (8111, None, None), (8000, 80, "2001:a01:a02:12f0::1")]


def test_client_configuration_holds_configuration_only():
    config = ClientConfiguration(base_url="unix:///nonexistent/docker.sock")
    # features make no API call: 'auto' counts every feature as supported
    assert all(config.features.values())
    assert ClientConfiguration(version="1.23").features["healthcheck"] is False
    config = ClientConfiguration(base_url="unix:///nonexistent/docker.sock", version="1.41")
    client = config.get_client()  # made (no connection yet), kept beside the object
    try:
        assert config.get_client() is client
        assert all(value is not client for value in vars(config).values())
        assert config.copy() == config
    finally:
        client.close()
