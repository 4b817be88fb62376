"""ContainerMap: construction from the spec's examples, access, integrity, serialisation."""
from __future__ import annotations

import copy

import pytest

from dockerfab.errors import CircularDependency, MapError, MapIntegrityError
from dockerfab.functional import lazy
from dockerfab.map.config.container import ContainerConfiguration
from dockerfab.map.config.network import NetworkConfiguration
from dockerfab.map.config.volume import VolumeConfiguration
from dockerfab.map.container import ContainerMap
from dockerfab.map.input import HostVolume, PortBinding, SharedVolume, UsedVolume

# spec 3.2.4
EXAMPLE_324 = {
    "nginx": {
        "image": "nginx",
        "binds": {"nginx_config": "ro"},
        "uses": "uwsgi_socket",
        "attaches": "nginx_log",
        "exposes": {80: 80, 443: 443},
    },
    "uwsgi": {
        "binds": ({"uwsgi_config": "ro"}, {"app_config": "ro"}, "app_data"),
        "attaches": ("uwsgi_log", "app_log", "uwsgi_socket"),
        "user": 2000,
        "permissions": "u=rwX,g=rX,o=",
    },
    "volumes": {
        "nginx_config": "/etc/nginx",
        "nginx_log": "/var/log/nginx",
        "uwsgi_config": "/etc/uwsgi",
        "uwsgi_socket": "/var/lib/uwsgi/socket",
        "uwsgi_log": "/var/log/uwsgi",
        "app_config": "/var/lib/app/config",
        "app_log": "/var/lib/app/log",
        "app_data": "/var/lib/app/data",
    },
    "host": {
        "nginx_config": "/var/lib/site/config/nginx",
        "uwsgi_config": "/var/lib/site/config/uwsgi",
        "app_config": "/var/lib/site/config/app",
        "app_data": "/var/lib/site/data/app",
    },
}

# spec 3.7.2 (the part the text extraction split off is put back in place)
EXAMPLE_372 = {
    "repository": "registry.example.com",
    "host_root": "/var/lib/site",
    "web_server": {
        "image": "nginx",
        "binds": {"/etc/nginx": ("config/nginx", "ro")},
        "uses": "app_server_socket",
        "attaches": "web_log",
        "exposes": {80: 80, 443: 443},
    },
    "app_server": {
        "image": "app",
        "instances": ("instance1", "instance2"),
        "binds": ({"app_config": "ro"}, "app_data"),
        "attaches": ("app_log", "app_server_socket"),
        "user": 2000,
        "permissions": "u=rwX,g=rX,o=",
    },
    "volumes": {
        "web_log": "/var/log/nginx",
        "app_server_socket": "/var/lib/app/socket",
        "app_config": "/var/lib/app/config",
        "app_log": "/var/lib/app/log",
        "app_data": "/var/lib/app/data",
    },
    "host": {
        "app_config": {"instance1": "config/app1", "instance2": "config/app2"},
        "app_data": {"instance1": "data/app1", "instance2": "data/app2"},
    },
}


def example_372() -> ContainerMap:
    return ContainerMap("example_map", copy.deepcopy(EXAMPLE_372))


def test_example_324_constructs_and_converts():
    m = ContainerMap("main", copy.deepcopy(EXAMPLE_324))
    nginx = m.containers.nginx
    assert nginx.binds == [SharedVolume("nginx_config", True)]
    assert nginx.uses == [SharedVolume("uwsgi_socket", False)]
    assert nginx.attaches == [UsedVolume("nginx_log")]
    assert nginx.exposes == [PortBinding(80, 80), PortBinding(443, 443)]
    assert m.containers.uwsgi.binds == [SharedVolume("uwsgi_config", True),
                                        SharedVolume("app_config", True),
                                        SharedVolume("app_data", False)]
    assert m.containers.uwsgi.user == 2000
    assert m.volumes.app_data.default_path == "/var/lib/app/data"


def test_example_372_constructs_with_host_paths_per_instance():
    m = example_372()
    assert m.repository == "registry.example.com"
    assert m.host.root == "/var/lib/site"
    assert m.containers.web_server.binds == [HostVolume("/etc/nginx", "config/nginx", True)]
    assert m.containers.app_server.instance_names() == ["instance1", "instance2"]
    assert m.host.get_path("app_config", "instance1") == "/var/lib/site/config/app1"
    assert m.host.get_path("app_data", "instance2") == "/var/lib/site/data/app2"
    assert m.host.expand_path("config/nginx") == "/var/lib/site/config/nginx"


def test_containers_key_and_root_inside_host_are_equivalent():
    data = copy.deepcopy(EXAMPLE_372)
    wrapped = {"repository": data.pop("repository"),
               "containers": {"web_server": data.pop("web_server"),
                              "app_server": data.pop("app_server")},
               "volumes": data.pop("volumes"),
               "host": {"root": data.pop("host_root"), **data.pop("host")}}
    assert ContainerMap("example_map", wrapped) == example_372()


def test_as_dict_round_trip():
    m = example_372()
    m.networks.net1 = NetworkConfiguration(internal=True, driver_options={"a": "b"})
    m.containers.web_server.networks = {"net1": {"ipv4": "10.0.0.5"}}
    m.groups.web = ["web_server"]
    m.clients = ["apps1"]
    m.default_tag = "devel"
    m.use_attached_parent_name = True
    again = ContainerMap("example_map", m.as_dict())
    assert again == m
    assert again.as_dict() == m.as_dict()
    assert again.containers.web_server.networks[0].ipv4_address == "10.0.0.5"


def test_equality_sees_differences():
    m = example_372()
    other = example_372()
    other.containers.app_server.user = 2001
    assert m != other


def test_attribute_and_item_access():
    m = ContainerMap("new_map")
    m.containers.app1.binds = "volume1"
    m.volumes.volume1 = "/var/log/service"
    m.host.volume1 = "/var/log/app1"
    assert m.containers["app1"].binds == "volume1"          # stored as given ...
    m.clean()
    assert m.containers["app1"].binds == [SharedVolume("volume1")]   # ... converted by clean
    m.containers["app2"].binds = "volume1"
    m.volumes["volume2"] = "/var/run/service"
    m.host["volume2"] = "/var/run/app2"
    assert m.volumes["volume2"].default_path == "/var/run/service"
    assert m.host.volume2 == "/var/run/app2"
    assert m.get_existing("nothing") is None
    assert "nothing" not in m.containers
    m.check_integrity()


def test_unknown_map_attribute_assignment_rule():
    m = ContainerMap("m")
    m.volume1 = "/var/lib/my-app/data"                          # CLARIFICATIONS 4
    assert m.volumes.volume1 == VolumeConfiguration(default_path="/var/lib/my-app/data")
    m.volume2 = lazy(str, "/lazy")
    assert m.volumes.volume2.default_path == lazy(str, "/lazy")
    m.volume3 = {"default_path": "/x", "driver": "local"}
    assert "volume3" in m.volumes
    m.app1 = {"image": "x", "user": "app"}
    m.app2 = ContainerConfiguration(image="y")
    m.network1 = NetworkConfiguration(driver="bridge")
    assert set(m.containers.keys()) == {"app1", "app2"}
    assert "network1" in m.networks
    assert m.app1.image == "x"                                  # reading means containers
    m.container1.networks = "network1"
    assert m.containers.get_existing("container1") is not None


def test_iteration_yields_items():
    m = example_372()
    assert [name for name, _ in m.containers] == ["web_server", "app_server"]
    assert [name for name, _ in m] == ["web_server", "app_server"]
    assert dict(m.volumes.items())["web_log"].default_path == "/var/log/nginx"


def test_unknown_property_suggests_nearest():
    m = ContainerMap("m")
    with pytest.raises(MapError, match="did you mean 'binds'"):
        m.containers.app.bind = "x"
    with pytest.raises(MapError, match="did you mean 'exposes'") as info:
        ContainerMap("m", {"app": {"expose": 80}})
    assert info.value.path == ("app", "expose")


@pytest.mark.parametrize("data, path", [
    ({"app": {"binds": ["ok", ("bad", "flag", "ro", 1)]}}, ("app", "binds", 1)),
    ({"containers": {"app": {"exposes": [80, "eighty"]}}}, ("containers", "app", "exposes", 1)),
    ({"volumes": {"v": {"default_path": ["x"]}}}, ("volumes", "v", "default_path")),
    ({"app": {"permissions": "u=rwq"}}, ("app", "permissions")),
    ({"host": {"v": ["x"]}}, ("host", "v")),
    ({"app.x": {}}, ("app.x",)),
])
def test_conversion_errors_carry_input_key_path(data, path):
    with pytest.raises(MapError) as info:
        ContainerMap("m", data, check_integrity=False)
    assert info.value.path == path


def _bad(**changes):
    data = copy.deepcopy(EXAMPLE_372)
    for key, value in changes.items():
        config, _, prop = key.partition("__")
        if prop:
            data[config][prop] = value
        else:
            data[config] = value
    return data


@pytest.mark.parametrize("data, path, text", [
    (_bad(app_server__binds=[{"app_config": "ro"}, "app_dat"]), ("app_server", "binds", 1),
     "'app_dat' is not defined in volumes"),
    (_bad(web_server__uses="app_server_sock"), ("web_server", "uses", 0),
     "neither a container configuration nor an attached volume"),
    (_bad(web_server__links=["app_server.instance3"]), ("web_server", "links", 0),
     "has no instance 'instance3'"),
    (_bad(web_server__network_mode="db"), ("web_server", "network_mode"),
     "'db' is not a container configuration"),
    (_bad(web_server__extends="base"), ("web_server", "extends", 0), "extends 'base'"),
    (_bad(web_server__networks=["bridge", "backend"]), ("web_server", "networks", 1),
     "network 'backend' is not defined"),
    (_bad(groups={"g": ["web_server", "db"]}), ("groups", "g", 1), "'db'"),
    (_bad(app_server__attaches=["app_log", "app_server_socket", "nowhere"]),
     ("app_server", "attaches", 2),
     "has no path"),
])
def test_integrity_errors(data, path, text):
    with pytest.raises(MapIntegrityError, match=text) as info:
        ContainerMap("example_map", data)
    assert info.value.path == path
    ContainerMap("example_map", data, check_integrity=False)  # deferred check possible


def test_alias_in_volumes_but_not_host_is_reported():
    data = copy.deepcopy(EXAMPLE_372)
    del data["host"]["app_data"]
    with pytest.raises(MapIntegrityError, match="no host path") as info:
        ContainerMap("example_map", data)
    assert info.value.path == ("app_server", "binds", 1)


def test_integrity_checks_clients_when_known():
    m = example_372()
    m.containers.web_server.clients = ["web1", "web2"]
    m.check_integrity()
    m.check_integrity(clients=["web1", "web2"])
    with pytest.raises(MapIntegrityError, match="client 'web2'") as info:
        m.check_integrity(clients=["web1"])
    assert info.value.path == ("web_server", "clients", 1)


def test_shared_attached_alias_needs_parent_names():
    m = example_372()
    m.containers.other.attaches = "web_log"
    m.volumes.x = "/x"
    with pytest.raises(MapIntegrityError, match="use_attached_parent_name") as info:
        m.check_integrity()
    assert info.value.path == ("other", "attaches", 0)
    m.use_attached_parent_name = True
    m.containers.web_server.uses = "app_server.app_server_socket"
    m.check_integrity()


def test_container_cycle_is_an_integrity_failure():
    m = ContainerMap("m", {"a": {"links": "b"}, "b": {"uses": "a"}}, check_integrity=False)
    with pytest.raises(CircularDependency, match="container m.a -> container m.b -> "
                                                 "container m.a"):
        m.check_integrity()


def test_merge_from_dict_and_obj():
    m = example_372()
    m.merge_from_dict({"web_server": {"uses": "extra", "image": "nginx:1.25"},
                       "extra": {"image": "busybox"}})
    web = m.containers.web_server
    assert web.image == "nginx:1.25"
    assert web.uses == [SharedVolume("app_server_socket"), SharedVolume("extra")]
    other = ContainerMap("other", {"web_server": {"exposes": {80: 8080}},
                                   "volumes": {"web_log": "/logs"}}, check_integrity=False)
    m.merge_from_obj(other)
    assert web.exposes == [PortBinding(443, 443), PortBinding(80, 8080)]
    assert m.volumes.web_log.default_path == "/logs"
    assert m.name == "example_map"


def test_update_from_obj_replaces_configurations():
    m = example_372()
    other = ContainerMap("other", {"web_server": {"image": "httpd"}}, check_integrity=False)
    m.update_from_obj(other)
    assert m.containers.web_server.image == "httpd"
    assert m.containers.web_server.uses == []
    assert m.containers.app_server.image == "app"


def test_groups_and_all():
    m = example_372()
    m.containers.base.abstract = True
    m.groups.web = "web_server"
    assert m.groups["__all__"] == ["web_server", "app_server"]
    assert m.expand_names(["web", "app_server"]) == ["web_server", "app_server"]
    assert m.expand_names("__all__") == ["web_server", "app_server"]
    with pytest.raises(MapIntegrityError):
        m.expand_names("nothing")


def test_lazy_values_stay_lazy_until_used():
    calls = []

    def root():
        calls.append(1)
        return "/srv"

    m = example_372()
    m.host.root = lazy(root)
    m.repository = lazy(lambda: "reg.local")
    m.containers.app_server.user = lazy(lambda: 2001)
    m.check_integrity()
    copy_ = ContainerMap("example_map", m.as_dict())
    m.get_extended_map()
    assert calls == []
    assert copy_.host.get_path("app_data", "instance1") == "/srv/data/app1"
    assert calls == [1]


def test_integrity_errors_suggest_the_nearest_name():
    with pytest.raises(MapIntegrityError, match="did you mean 'app_data'"):
        ContainerMap("example_map", _bad(app_server__binds=["app_dta"]))
    with pytest.raises(MapIntegrityError, match="did you mean 'app_server'"):
        ContainerMap("example_map", _bad(web_server__links="app_sever"))


def test_maps_survive_deepcopy_and_pickle():
    import pickle

    m = example_372()
    m.groups.web = "web_server"
    for twin in (copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
        assert twin == m
        assert twin.groups["__all__"] == ["web_server", "app_server"]
        twin.containers.web_server.image = "httpd"
        assert m.containers.web_server.image == "nginx"
