"""Desired state built from a map (pure): names, mounts, ports, networks, options."""
from __future__ import annotations

import pytest

from dockerfab.errors import MapIntegrityError
from dockerfab.functional import lazy
from dockerfab.map.container import ContainerMap
from dockerfab.plan.desired import ClientInfo, DesiredStateBuilder
from tests.unit.test_plan_support import example_map


def builder(cmap: ContainerMap, client: ClientInfo | None = None, extra=None):
    return DesiredStateBuilder(cmap.get_extended_map(), client or ClientInfo("__default__"),
                               extra)


def test_example_app_server_instance():
    b = builder(example_map())
    d = b.container("app_server", "instance2")
    assert d.name == "example_map.app_server.instance2"
    assert d.image == "registry.example.com/app:latest"
    assert d.create_kwargs["user"] == "2000"
    assert d.host_config["binds"] == [
        "/var/lib/site/config/app2:/var/lib/app/config:ro",
        "/var/lib/site/data/app2:/var/lib/app/data:rw",
        "example_map.app_log:/var/lib/app/log:rw",
        "example_map.app_server_socket:/var/lib/app/socket:rw"]
    assert d.attached == ["example_map.app_log", "example_map.app_server_socket"]
    labels = d.create_kwargs["labels"]
    assert (labels["dockerfab.map"], labels["dockerfab.config"], labels["dockerfab.instance"]
            ) == ("example_map", "app_server", "instance2")
    assert len(labels["dockerfab.hash"]) == 16
    vol = b.volumes["example_map.app_server_socket"]
    assert (vol.user, vol.permissions, vol.path) == (2000, "u=rwX,g=rX,o=",
                                                      "/var/lib/app/socket")


def test_example_web_server_uses_only_the_socket_volume():
    d = builder(example_map()).container("web_server", None)
    assert d.host_config["binds"] == [
        "/var/lib/site/config/nginx:/etc/nginx:ro",
        "example_map.web_log:/var/log/nginx:rw",
        "example_map.app_server_socket:/var/lib/app/socket:rw"]
    assert "volumes_from" not in d.host_config
    assert d.create_kwargs["ports"] == [80, 443]
    assert d.host_config["port_bindings"] == {"80/tcp": 80, "443/tcp": 443}
    assert d.depends_on == {"example_map.app_server.instance1": "attached",
                            "example_map.app_server.instance2": "attached"}
    assert d.create_kwargs["hostname"] == "example-map-web-server"


def test_create_options_routed_and_precedence():
    cmap = ContainerMap("m", {"app": {
        "image": "/base", "user": "app",
        "create_options": {"mem_limit": "3g", "cpu_shares": 100, "user": "root",
                           "environment": {"A": "1"}, "labels": {"x": "1"}},
        "host_config": {"cpu_shares": 200,
                        "restart_policy": {"Name": "always", "MaximumRetryCount": 0}},
    }})
    d = builder(cmap, extra={"environment": {"B": "2"}, "mem_limit": "1g"}).container(
        "app", None)
    # host-config keys given in create_options go to the host config (CLARIFICATIONS 2);
    # the same key in host_config wins; action keyword arguments win over both
    assert d.host_config["mem_limit"] == "1g"
    assert d.host_config["cpu_shares"] == 200
    assert d.host_config["restart_policy"]["Name"] == "always"
    assert "mem_limit" not in d.create_kwargs
    assert d.create_kwargs["user"] == "root"  # create_options over the attribute
    assert d.create_kwargs["environment"] == {"A": "1", "B": "2"}  # dicts merge
    assert d.create_kwargs["labels"]["x"] == "1" and d.image == "base:latest"


def test_callable_and_lazy_options():
    cmap = ContainerMap("m", {"app": {
        "image": "/base",
        "create_options": lambda: {"environment": {"K": "v"}},
        "host_config": lazy(dict, mem_limit="64m"),
        "user": lazy(str, 1000),
    }})
    d = builder(cmap).container("app", None)
    assert d.create_kwargs["environment"] == {"K": "v"}
    assert d.host_config["mem_limit"] == "64m"
    assert d.create_kwargs["user"] == "1000"


def test_exposes_on_client_interfaces():
    cmap = ContainerMap("m", {"app": {"image": "/base", "exposes": [
        (80, 80, "public"), (9443, 443), (8000, 8000, "private"), 8111,
        (8001, 80, "private", True)]}})
    client = ClientInfo("c1", interfaces={"public": "178.0.0.1", "private": "10.0.0.1"},
                        interfaces_ipv6={"private": "2001:db8::1"})
    d = builder(cmap, client).container("app", None)
    assert d.create_kwargs["ports"] == [80, 9443, 8000, 8111, 8001]
    assert d.host_config["port_bindings"] == {
        "80/tcp": ("178.0.0.1", 80), "9443/tcp": 443, "8000/tcp": ("10.0.0.1", 8000),
        "8001/tcp": ("2001:db8::1", 80)}
    assert d.create_kwargs["hostname"] == "c1-m-app"
    with pytest.raises(MapIntegrityError, match="interface 'public'"):
        builder(cmap, ClientInfo("c2")).container("app", None)


def test_network_mode_and_networks():
    cmap = ContainerMap("m", {
        "networks": {"front": {}, "back": {"internal": True}},
        "db": {"image": "/base", "instances": ["one", "two"]},
        "proxy": {"image": "/base", "networks": {"front": {"aliases": ["www"]}, "back": None},
                  "links": [("db.one", "database")]},
        "sidecar": {"image": "/base", "network_mode": "db.two"},
        "off": {"image": "/base", "network_mode": "disabled"},
    })
    b = builder(cmap)
    proxy = b.container("proxy", None)
    assert proxy.host_config["network_mode"] == "m.front"
    # on user-defined networks links become endpoint links (HostConfig.Links is ignored)
    assert proxy.networks == {"m.front": {"aliases": ["www"],
                                          "links": [("m.db.one", "database")]},
                              "m.back": {"links": [("m.db.one", "database")]}}
    assert "links" not in proxy.host_config
    assert proxy.depends_on == {"m.db.one": "network_link"}
    assert b.networks["m.back"].internal is True
    sidecar = b.container("sidecar", None)
    assert sidecar.host_config["network_mode"] == "container:m.db.two"
    assert sidecar.depends_on == {"m.db.two": "network_mode"}
    assert "hostname" not in sidecar.create_kwargs
    assert b.container("off", None).host_config["network_mode"] == "none"


def test_stop_settings_healthcheck_domain():
    cmap = ContainerMap("m", {"default_domain": "example.org", "app": {
        "image": "/base", "stop_signal": "SIGINT",
        "healthcheck": {"test": "true", "interval": "30s", "retries": 3}}})
    client = ClientInfo("c", stop_timeout=25, domainname="client.example")
    d = builder(cmap, client).container("app", None)
    assert d.create_kwargs["stop_signal"] == "SIGINT"
    assert d.create_kwargs["stop_timeout"] == 25
    assert d.create_kwargs["domainname"] == "client.example"
    assert d.create_kwargs["healthcheck"] == {"test": ["CMD-SHELL", "true"],
                                              "interval": 30 * 10 ** 9, "retries": 3}


def test_unknown_reference_is_an_integrity_error():
    cmap = ContainerMap("m", {"app": {"image": "/base", "links": "ghost"}},
                        check_integrity=False)
    with pytest.raises(MapIntegrityError, match="ghost"):
        builder(cmap).container("app", None)


def test_one_container_linked_under_several_aliases():
    cmap = ContainerMap("m", {
        "networks": {"net": {}},
        "db": {"image": "/base"},
        "app": {"image": "/base", "links": ["db", ("db", "database"), ("db", "store")]},
        "netapp": {"image": "/base", "networks": "net", "links": [("db", "a"), ("db", "b")]},
        # host_config links name a container: its aliases there replace the generated ones
        "pinned": {"image": "/base", "links": [("db", "a"), ("db", "b"), ("app", "app")],
                   "host_config": {"links": {"m.db": "only"}}},
    })
    b = builder(cmap)
    assert b.container("app", None).host_config["links"] == [
        ("m.db", "db"), ("m.db", "database"), ("m.db", "store")]
    netapp = b.container("netapp", None)
    assert "links" not in netapp.host_config
    assert netapp.networks["m.net"]["links"] == [("m.db", "a"), ("m.db", "b")]
    assert netapp.depends_on == {"m.db": "network_link"}
    assert b.container("pinned", None).host_config["links"] == [("m.app", "app"),
                                                                 ("m.db", "only")]
    # a keyword argument of the action overrides the same way
    extra = builder(cmap, extra={"links": [("m.db", "x"), ("m.db", "y")]})
    assert extra.container("app", None).host_config["links"] == [("m.db", "x"), ("m.db", "y")]
