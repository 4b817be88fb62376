"""Names of containers, volumes, networks, images and hosts (spec 3.7, CLARIFICATIONS 3/10)."""
from __future__ import annotations

import pytest

from dockerfab.functional import lazy
from dockerfab.map.naming import (
    attached_volume_name,
    container_name,
    host_name,
    image_name,
    network_name,
    split_image,
)

# spec 3.7 "Image", configuration name app-server; the image1:one row as CLARIFICATIONS 3 says.
IMAGE_TABLE = [
    (None, None, None, "app-server:latest"),
    ("image1", None, None, "image1:latest"),
    (None, "registry.example.com", None, "registry.example.com/app-server:latest"),
    ("image1", "registry.example.com", None, "registry.example.com/image1:latest"),
    (None, None, "devel", "app-server:devel"),
    ("image1", None, "devel", "image1:devel"),
    (None, "registry.example.com", "devel", "registry.example.com/app-server:devel"),
    ("image1", "registry.example.com", "devel", "registry.example.com/image1:devel"),
    ("/image1", None, "devel", "image1:devel"),
    ("image1:one", None, "devel", "image1:one"),
    ("/image1:two", None, "devel", "image1:two"),
]


@pytest.mark.parametrize("image, repository, default_tag, expected", IMAGE_TABLE)
def test_image_table(image, repository, default_tag, expected):
    assert image_name(image, "app-server", repository, default_tag) == expected


@pytest.mark.parametrize("image, expected", [
    ("library/ubuntu", "library/ubuntu:latest"),            # has '/': never prefixed
    ("localhost:5000/app", "localhost:5000/app:latest"),     # port is not a tag
    ("/ubuntu:16.10", "ubuntu:16.10"),
    ("app@sha256:abc", "registry.example.com/app@sha256:abc"),
])
def test_image_names_beyond_the_table(image, expected):
    assert image_name(image, "x", "registry.example.com") == expected


def test_image_repository_may_be_lazy():
    assert image_name("app", "x", lazy(lambda: "reg.local")) == "reg.local/app:latest"


def test_split_image():
    assert split_image("reg:5000/app:1.2") == ("reg:5000/app", "1.2")
    assert split_image("reg:5000/app") == ("reg:5000/app", None)


def test_container_volume_network_names():
    assert container_name("example_map", "app_server", "instance1") == \
        "example_map.app_server.instance1"
    assert container_name("example_map", "web_server") == "example_map.web_server"
    assert attached_volume_name("example_map", "app_server", "app_server_socket") == \
        "example_map.app_server_socket"
    assert attached_volume_name("m", "appl", "volume1", use_parent_name=True) == \
        "m.appl.volume1"
    assert network_name("m", "network1") == "m.network1"
    assert network_name("m", "bridge") == "bridge"


@pytest.mark.parametrize("container, client, expected", [
    ("example_map.web_server", "apps1", "apps1-example-map-web-server"),
    ("example_map.web_server", "__default__", "example-map-web-server"),
    ("example_map.web_server", None, "example-map-web-server"),
    ("m." + "x" * 80, None, "m-" + "x" * 61),
])
def test_host_name(container, client, expected):
    assert host_name(container, client) == expected
