"""Input conversion of container-configuration properties (spec 3.7 "Input formats")."""
from __future__ import annotations

import pytest

from dockerfab.errors import MapError
from dockerfab.functional import lazy
from dockerfab.map.input import (
    ContainerLink,
    ExecCommand,
    ExecPolicy,
    HealthCheck,
    HostVolume,
    NetworkEndpoint,
    PortBinding,
    SharedVolume,
    UsedVolume,
    get_attached_volumes,
    get_container_links,
    get_exec_commands,
    get_healthcheck,
    get_list,
    get_network_endpoints,
    get_permissions,
    get_port_bindings,
    get_shared_volumes,
    get_used_volumes,
    get_user,
    parse_duration,
)

RO_DIRECT = [HostVolume("container_path", "host_path", True)]
ALIASES = [SharedVolume("volume1", False), SharedVolume("volume2", True)]


@pytest.mark.parametrize("value, expected", [
    # spec 3.7: "the following are considered the same ... for read-only access"
    ({"container_path": ("host_path", "ro")}, RO_DIRECT),
    ({"container_path": ("host_path", "true")}, RO_DIRECT),
    ([("container_path", "host_path", True)], RO_DIRECT),
    ([("container_path", ("host_path", True))], RO_DIRECT),
    # "Using aliases and two different forms of access, the following has an identical result"
    ({"volume1": "rw", "volume2": True}, ALIASES),
    (["volume1", ("volume2", True)], ALIASES),
    ([["volume1"], ("volume2", "ro")], ALIASES),
    # single values, YAML null (CLARIFICATIONS 1), named-field dicts (spec 3.11.1), tuples
    ("volume1", [SharedVolume("volume1")]),
    ([{"app_config": "ro"}, {"app_data": None}],
     [SharedVolume("app_config", True), SharedVolume("app_data", False)]),
    ({"name": "v", "readonly": True}, [SharedVolume("v", True)]),
    ([{"path": "/c", "host_path": "h", "readonly": "ro"}], [HostVolume("/c", "h", True)]),
    ([SharedVolume("v"), HostVolume("/c", "/h")], [SharedVolume("v"), HostVolume("/c", "/h")]),
    ({"/etc/nginx": "config/nginx"}, [HostVolume("/etc/nginx", "config/nginx", False)]),
    ({"/etc/app": {"i1": "a/1", "i2": "a/2"}},
     [HostVolume("/etc/app", {"i1": "a/1", "i2": "a/2"}, False)]),
    (None, []),
])
def test_binds(value, expected):
    assert get_shared_volumes(value) == expected


def test_binds_keep_lazy_host_path():
    host = lazy(str.upper, "x")
    assert get_shared_volumes({"/c": (host, "ro")}) == [HostVolume("/c", host, True)]


@pytest.mark.parametrize("value, path", [
    (["ok", ("/c", "/h", "maybe")], (1,)),      # unknown access flag
    ([{"/etc/x": "ro"}], (0,)),                  # container path without host path
    (["ok", 3.5], (1,)),                         # not a name
    ([("a", "b", "c", "d")], (0,)),              # too many elements
    ([{"name": "v", "readonly": "x"}], (0,)),    # named fields, invalid flag
])
def test_binds_errors_carry_index(value, path):
    with pytest.raises(MapError) as info:
        get_shared_volumes(value)
    assert info.value.path == path


@pytest.mark.parametrize("value, expected", [
    ("volume1", [SharedVolume("volume1")]),
    (("volume1",), [SharedVolume("volume1")]),
    (["volume1"], [SharedVolume("volume1")]),
    ({"app1": "ro", "sock": None}, [SharedVolume("app1", True), SharedVolume("sock")]),
    ([("app1", True)], [SharedVolume("app1", True)]),
    ([("sock", "/run/sock")], [UsedVolume("sock", "/run/sock", False)]),
    ([("sock", "/run/sock", "ro")], [UsedVolume("sock", "/run/sock", True)]),
    ({"sock": ("/run/sock", True)}, [UsedVolume("sock", "/run/sock", True)]),
    ([{"name": "sock", "path": "/p"}], [UsedVolume("sock", "/p", False)]),
    (["appl.volume1", "volume2"], [SharedVolume("appl.volume1"), SharedVolume("volume2")]),
])
def test_uses(value, expected):
    assert get_used_volumes(value) == expected


@pytest.mark.parametrize("value, expected", [
    ("nginx_log", [UsedVolume("nginx_log")]),
    (("uwsgi_log", "app_log"), [UsedVolume("uwsgi_log"), UsedVolume("app_log")]),
    ({"sock": "/var/run/sock", "log": None}, [UsedVolume("sock", "/var/run/sock"),
                                               UsedVolume("log")]),
    ([("sock", "/var/run/sock")], [UsedVolume("sock", "/var/run/sock")]),
    ([{"name": "sock"}], [UsedVolume("sock")]),
])
def test_attaches(value, expected):
    assert get_attached_volumes(value) == expected


@pytest.mark.parametrize("value, expected", [
    ("db", [ContainerLink("db", None)]),
    (("db", "cache"), [ContainerLink("db"), ContainerLink("cache")]),
    ([("db", "database")], [ContainerLink("db", "database")]),
    ({"db": "database", "cache": None}, [ContainerLink("db", "database"),
                                         ContainerLink("cache")]),
    ([{"db": "database"}, "cache"], [ContainerLink("db", "database"), ContainerLink("cache")]),
    ({"container": "db", "alias": "x"}, [ContainerLink("db", "x")]),
    ([ContainerLink("db")], [ContainerLink("db")]),
])
def test_links(value, expected):
    assert get_container_links(value) == expected


def test_exposes_spec_example():
    # spec 3.7 "Exposed ports", with the client interfaces example
    assert get_port_bindings([
        (80, 80, "public"),
        (9443, 443),
        (8000, 8000, "private"),
        8111,
        (8000, 80, "private", True),
    ]) == [
        PortBinding(80, 80, "public", False),
        PortBinding(9443, 443, None, False),
        PortBinding(8000, 8000, "private", False),
        PortBinding(8111, None, None, False),
        PortBinding(8000, 80, "private", True),
    ]


@pytest.mark.parametrize("value, expected", [
    ({80: 80, 443: 443}, [PortBinding(80, 80), PortBinding(443, 443)]),
    ({8000: (80, "private", True)}, [PortBinding(8000, 80, "private", True)]),
    ([(8000, (80, "private"))], [PortBinding(8000, 80, "private", False)]),
    ("53/udp", [PortBinding("53/udp")]),
    ({"exposed_port": 80, "host_port": 8080}, [PortBinding(80, 8080)]),
    ({"8080": {"host_port": 80, "interface": "public"}}, [PortBinding("8080", 80, "public")]),
])
def test_exposes(value, expected):
    assert get_port_bindings(value) == expected


def test_exposes_host_port_may_be_lazy_but_exposed_port_not():
    port = lazy(int, "8080")
    assert get_port_bindings([(80, port)]) == [PortBinding(80, port)]
    with pytest.raises(MapError):
        get_port_bindings([(port, 80)])


@pytest.mark.parametrize("value", [[0], [70000], ["80/http"], [(80, "x")], [(80, 80, "p", "maybe")]])
def test_exposes_invalid(value):
    with pytest.raises(MapError) as info:
        get_port_bindings(value)
    assert info.value.path == (0,)


def test_networks_spec_examples():
    assert get_network_endpoints("network1") == [NetworkEndpoint("network1")]
    assert get_network_endpoints({"network1": {"ipv4": "172.17.0.5"}, "bridge": None}) == [
        NetworkEndpoint("network1", ipv4_address="172.17.0.5"), NetworkEndpoint("bridge")]


@pytest.mark.parametrize("value, expected", [
    # positional order: name, aliases, links, ipv4, ipv6, link-local IPs; single -> list
    ([("net", "web", "db", "10.0.0.2", "fd00::2", "169.254.1.1")],
     [NetworkEndpoint("net", ["web"], [ContainerLink("db")], "10.0.0.2", "fd00::2",
                      ["169.254.1.1"])]),
    ({"net": {"aliases": ["a", "b"], "links": {"db": "database"}, "ipv6": "fd00::3"}},
     [NetworkEndpoint("net", ["a", "b"], [ContainerLink("db", "database")], None, "fd00::3")]),
    ([{"network_name": "net", "ipv4_address": "10.0.0.9"}],
     [NetworkEndpoint("net", ipv4_address="10.0.0.9")]),
    ({"net": "alias1"}, [NetworkEndpoint("net", ["alias1"])]),
])
def test_networks(value, expected):
    assert get_network_endpoints(value) == expected


def test_networks_unknown_setting_suggests_fields():
    with pytest.raises(MapError, match="unknown endpoint setting 'ip'") as info:
        get_network_endpoints(["ok", {"net": {"ip": "1.2.3.4"}}])
    assert info.value.path == (1,)


def test_exec_commands_spec_examples():
    assert get_exec_commands("/bin/bash -c 'script.sh'") == [
        ExecCommand("/bin/bash -c 'script.sh'", None, ExecPolicy.RESTART)]
    assert get_exec_commands(["/bin/bash -c 'script.sh'"]) == [
        ExecCommand("/bin/bash -c 'script.sh'")]
    assert get_exec_commands([
        ("/bin/bash -c 'script1.sh'", "root"),
        (["/bin/bash", "-c", "script2.sh"], "user"),
    ]) == [ExecCommand("/bin/bash -c 'script1.sh'", "root", ExecPolicy.RESTART),
           ExecCommand(["/bin/bash", "-c", "script2.sh"], "user", ExecPolicy.RESTART)]
    assert get_exec_commands([
        ("/bin/bash -c 'script1.sh'", "root"),
        (["/bin/bash", "-c", "script2.sh"], "user", ExecPolicy.INITIAL),
    ])[1] == ExecCommand(["/bin/bash", "-c", "script2.sh"], "user", ExecPolicy.INITIAL)


def test_exec_commands_yaml_forms():
    # spec 3.9.1: nested list in JSON notation; policy as text; named fields
    assert get_exec_commands([[["/bin/bash", "-c", "script.sh"], "root"]]) == [
        ExecCommand(["/bin/bash", "-c", "script.sh"], "root")]
    assert get_exec_commands([["x", None, "initial"]]) == [ExecCommand("x", None,
                                                                        ExecPolicy.INITIAL)]
    assert get_exec_commands({"cmd": "x", "policy": "INITIAL"}) == [
        ExecCommand("x", None, ExecPolicy.INITIAL)]


def test_exec_commands_flat_list_is_reported():
    with pytest.raises(MapError, match="must be nested") as info:
        get_exec_commands(["ok", ["/bin/bash", "-c", "script.sh"]])
    assert info.value.path == (1,)


@pytest.mark.parametrize("value, expected", [
    (None, None),
    ("curl -f http://localhost/", HealthCheck("curl -f http://localhost/")),
    (["CMD", "true"], HealthCheck(["CMD", "true"])),
    ({"test": ["CMD-SHELL", "exit 0"], "interval": "30s", "retries": 3},
     HealthCheck(["CMD-SHELL", "exit 0"], "30s", None, 3)),
    (HealthCheck("x", 5, 2), HealthCheck("x", 5, 2)),
])
def test_healthcheck(value, expected):
    assert get_healthcheck(value) == expected


@pytest.mark.parametrize("value, path", [
    ({"test": "x", "interval": "soon"}, ("interval",)),
    ({"test": "x", "retries": -1}, ("retries",)),
    ({"tset": "x"}, ()),
])
def test_healthcheck_invalid(value, path):
    with pytest.raises(MapError) as info:
        get_healthcheck(value)
    assert info.value.path == path


def test_parse_duration():
    assert parse_duration("1m30s") == 90.0
    assert parse_duration("500ms") == 0.5
    assert parse_duration(10) == 10.0


@pytest.mark.parametrize("value", [2000, "app", "app:staff", "1000:1000", "www-data", None])
def test_user_valid(value):
    assert get_user(value) == value


@pytest.mark.parametrize("value", [-1, "app:", "a b", "", True, [1]])
def test_user_invalid(value):
    with pytest.raises(MapError):
        get_user(value)


@pytest.mark.parametrize("value, expected", [
    ("u=rwX,g=rX,o=", "u=rwX,g=rX,o="),
    ("u=rwX, g=rX, o=rX", "u=rwX,g=rX,o=rX"),
    ("a+x", "a+x"), ("go-w", "go-w"), ("u+s,g=u", "u+s,g=u"),
    ("0750", "0750"), ("755", "755"), (0o750, "0750"), (None, None),
])
def test_permissions_valid(value, expected):
    assert get_permissions(value) == expected


@pytest.mark.parametrize("value", ["u=rwq", "0789", "rwx", 0o17777, "u=rw;g=r"])
def test_permissions_invalid(value):
    with pytest.raises(MapError, match="permission"):
        get_permissions(value)


def test_get_list():
    assert get_list("a") == ["a"]
    assert get_list(("a", "b")) == ["a", "b"]
    assert get_list(None) == []
    assert get_list(SharedVolume("x")) == [SharedVolume("x")]


def test_exec_commands_yaml_block_notation():
    # spec 3.9.1, second notation: the list arrives as [[cmd...], user]
    assert get_exec_commands([["/bin/bash", "-c", "script.sh"], "root"]) == [
        ExecCommand(["/bin/bash", "-c", "script.sh"], "root")]
    # where the list reads as commands, it stays a list of commands
    assert get_exec_commands([["a", "u1"], "b"]) == [ExecCommand("a", "u1"), ExecCommand("b")]
