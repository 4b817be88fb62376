"""Docker-Fabric YAML loads unchanged (``!env`` also reads the Fabric configuration, after
the OS environment), and a map whose other configurations are incomplete can still be
taken down (issue 12)."""
from __future__ import annotations

import pytest
from invoke import Config

from dockerfab.errors import MapError, MapIntegrityError
from dockerfab.functional import resolve_value
from dockerfab.map.container import ContainerMap
from dockerfab.plan.desired import ClientInfo, DesiredStateBuilder
from dockerfab.yaml import Loader, load_map

MAP = """\
name: site
host_root: !env site_root
app:
  image: !env [app_image, app]
  user: !env deploy.user
  create_options:
    environment: {TOKEN: !env_lazy app_token}
"""


def test_env_reads_fabric_configuration_after_os_environment(monkeypatch):
    monkeypatch.delenv("site_root", raising=False)
    monkeypatch.delenv("app_token", raising=False)
    config = Config(overrides={"site_root": "/srv/site", "deploy": {"user": "www-data"},
                               "app_token": "t0k"})
    m = load_map(MAP, loader=Loader.with_config(config))
    app = m.get_extended("app")
    assert (m.host.root, app.image, app.user) == ("/srv/site", "app", "www-data")
    assert resolve_value(app.create_options["environment"]["TOKEN"]) == "t0k"
    monkeypatch.setenv("site_root", "/from/os")  # the OS environment comes first
    assert load_map(MAP, loader=Loader.with_config(config)).host.root == "/from/os"


def test_env_with_a_plain_mapping_and_the_base_loader_untouched(monkeypatch):
    monkeypatch.delenv("site_root", raising=False)
    m = load_map(MAP, loader=Loader.with_config({"site_root": "/a", "deploy": {"user": "u"}}))
    assert m.host.root == "/a"
    assert Loader.env_config is None  # with_config made a subclass
    with pytest.raises(MapError, match="environment variable site_root is not set"):
        load_map(MAP)


def test_env_missing_everywhere_names_both_places(monkeypatch):
    monkeypatch.delenv("site_root", raising=False)
    with pytest.raises(MapError) as info:
        load_map(MAP, loader=Loader.with_config({"deploy": {"user": "u"}}), source="site.yaml")
    assert str(info.value).startswith("site.yaml:2: ")
    assert "not set and not in the Fabric configuration" in str(info.value)


INCOMPLETE = {
    "volumes": {"data": "/var/lib/data"},
    "good": {"image": "app", "attaches": "data"},
    "no_iface": {"image": "app", "exposes": [(80, 8080, "private")]},
    "no_path": {"image": "app", "attaches": "nowhere"},
}


def test_integrity_check_without_completeness_passes_an_incomplete_map():
    with pytest.raises(MapIntegrityError, match="'nowhere' has no path"):
        ContainerMap("m", INCOMPLETE)
    m = ContainerMap("m", INCOMPLETE, check_integrity=False)
    m.check_integrity(complete=False)
    broken = ContainerMap("m", {**INCOMPLETE, "bad": {"image": "app", "uses": "nothing"}},
                          check_integrity=False)
    with pytest.raises(MapIntegrityError, match="'nothing' is neither"):
        broken.check_integrity(complete=False)  # references are still checked


def test_load_map_complete_false_keeps_file_and_line_for_reference_errors():
    text = "name: m\nvolumes: {data: /d}\napp:\n  image: app\n  attaches: nowhere\n" \
           "web:\n  image: web\n  links: ap\n"
    with pytest.raises(MapError) as info:
        load_map(text, source="m.yaml", complete=False)
    assert str(info.value).startswith("m.yaml:8: web.links[0]: ")


def test_desired_state_for_taking_down_needs_no_interface_or_path():
    m = ContainerMap("m", INCOMPLETE, check_integrity=False).get_extended_map()
    builder = DesiredStateBuilder(m, ClientInfo("c"))
    with pytest.raises(MapIntegrityError, match="interface 'private'"):
        builder.container("no_iface", None)
    with pytest.raises(MapIntegrityError, match="no path"):
        builder.container("no_path", None)
    lenient = DesiredStateBuilder(m, ClientInfo("c"), complete=False)
    assert lenient.container("no_iface", None).name == "m.no_iface"
    assert lenient.container("no_path", None).attached == ["m.nowhere"]


def test_clients_file_env_reads_the_fabric_configuration(tmp_path, monkeypatch):
    from dockerfab.fabric.hosts import load_clients
    from dockerfab.fabric.settings import DockerSettings

    monkeypatch.delenv("web_host", raising=False)
    path = tmp_path / "clients.yaml"
    path.write_text("web1: {fabric_host: !env web_host, interfaces: {private: !env "
                    "[net.private, 10.0.0.1]}}\n")
    config = Config(overrides={"web_host": "deploy@web1.example.com", "net": {}})
    clients = load_clients(DockerSettings(clients=str(path)), config)
    assert clients["web1"].fabric_host == "deploy@web1.example.com"
    assert clients["web1"].interfaces == {"private": "10.0.0.1"}
    with pytest.raises(MapError, match="web_host is not set"):
        load_clients(DockerSettings(clients=str(path)))
