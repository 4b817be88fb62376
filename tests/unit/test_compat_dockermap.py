"""Docker-Map 1.0 input that dockerfab must accept as it is (issue 12): endpoint pairs in
``networks``, a ready client in ``ClientConfiguration(client=...)``, and ``extends`` keeping
every distinct link alias."""
from __future__ import annotations

import docker
import pytest

from dockerfab.errors import MapError
from dockerfab.map.config.client import ClientConfiguration
from dockerfab.map.container import ContainerMap
from dockerfab.map.input import ContainerLink, NetworkEndpoint, get_network_endpoints


def test_network_endpoint_pairs_are_accepted():
    assert get_network_endpoints([("net1", {"aliases": ["web", "www"]}), ("net2", None)]) == [
        NetworkEndpoint("net1", aliases=["web", "www"]), NetworkEndpoint("net2")]
    # one pair alone, and short keys inside the options
    assert get_network_endpoints(("net1", {"ipv4": "10.0.0.5", "alias": "web"})) == [
        NetworkEndpoint("net1", aliases=["web"], ipv4_address="10.0.0.5")]
    # the positional form still means (network, aliases, links, ipv4, ...)
    assert get_network_endpoints([("net1", ["web"], None, "10.0.0.5")]) == [
        NetworkEndpoint("net1", aliases=["web"], ipv4_address="10.0.0.5")]


def test_network_endpoint_pair_with_unknown_option_names_it():
    with pytest.raises(MapError, match="unknown endpoint setting 'ip'"):
        get_network_endpoints([("net1", {"ip": "10.0.0.5"})])


def test_map_with_endpoint_pairs_loads():
    m = ContainerMap("m", {"networks": {"front": {}},
                           "web": {"image": "nginx", "networks": [("front", {"aliases": ["w"]})]}})
    assert m.get_extended("web").networks == [NetworkEndpoint("front", aliases=["w"])]


def test_extends_keeps_every_distinct_link_alias():
    m = ContainerMap("m", {
        "svc": {"image": "svc"},
        "base": {"abstract": True, "links": [("svc", "svc_alias1")]},
        "mid": {"abstract": True, "extends": "base", "links": [("svc", "svc_alias2")]},
        "app": {"extends": "mid", "links": [("svc", "svc_alias1"), ("svc", "svc_alias3")]},
    })
    assert m.get_extended("app").links == [
        ContainerLink("svc", "svc_alias1"), ContainerLink("svc", "svc_alias2"),
        ContainerLink("svc", "svc_alias3")]


def test_client_configuration_takes_a_ready_client():
    api = docker.APIClient(base_url="unix:///nonexistent.sock", version="1.41")
    config = ClientConfiguration(client=api, interfaces={"private": "10.0.0.1"})
    assert config.get_client() is api
    assert config.client is api
    assert config.features["healthcheck"] is True  # from the client's API version
    other = ClientConfiguration({"base_url": "unix:///nonexistent.sock"})
    other.update({"client": api})  # dict style, as Docker-Map's update() takes it
    assert other.get_client() is api
    api.close()


def test_client_configuration_rejects_something_that_is_no_client():
    with pytest.raises(MapError, match="expected a Docker client"):
        ClientConfiguration(client="unix:///var/run/docker.sock").clean()
