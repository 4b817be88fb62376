"""Every module path Docker-Map documents (the spec) or its users imported has a dockerfab
twin that re-exports the real objects, and docs/migrating.rst lists each (issue 12)."""
from __future__ import annotations

import importlib
from pathlib import Path

import pytest

GEN = "dockerfab.plan.generators"
#: Docker-Map path -> (dockerfab path, {name: module that defines it})
TWINS = {
    "dockermap.api": ("dockerfab.api", {"ContainerMap": "dockerfab.map.container",
                                        "MappingDockerClient": "dockerfab.engine.client"}),
    "dockermap.functional": ("dockerfab.functional", {"lazy": "dockerfab.functional"}),
    "dockermap.shortcuts": ("dockerfab.shortcuts", {"adduser": "dockerfab.shortcuts"}),
    "dockermap.utils": ("dockerfab.utils", {"expand_path": "dockerfab.yaml"}),
    "dockermap.exceptions": ("dockerfab.exceptions", {"PartialResultsError": "dockerfab.errors"}),
    "dockermap.base": ("dockerfab.base", {"DockerClientWrapper": "dockerfab.client.wrapper"}),
    "dockermap.config.client": ("dockerfab.config.client",
                                {"ClientConfiguration": "dockerfab.map.config.client"}),
    "dockermap.policy.base": ("dockerfab.policy.base", {"BasePolicy": "dockerfab.engine.policy"}),
    "dockermap.build.dockerfile": ("dockerfab.build.dockerfile",
                                   {"DockerFile": "dockerfab.build.dockerfile"}),
    "dockermap.build.context": ("dockerfab.build.context",
                                {"DockerContext": "dockerfab.build.context"}),
    "dockermap.client.base": ("dockerfab.client.base",
                              {"DockerClientWrapper": "dockerfab.client.wrapper"}),
    "dockermap.map.client": ("dockerfab.map.client",
                             {"MappingDockerClient": "dockerfab.engine.client"}),
    "dockermap.map.container": ("dockerfab.map.container",
                                {"ContainerMap": "dockerfab.map.container"}),
    "dockermap.map.config.main": ("dockerfab.map.config.main",
                                  {"ContainerMap": "dockerfab.map.container"}),
    "dockermap.map.config.client": ("dockerfab.map.config.client",
                                    {"ClientConfiguration": "dockerfab.map.config.client"}),
    "dockermap.map.config.container": ("dockerfab.map.config.container", {
        "ContainerConfiguration": "dockerfab.map.config.container"}),
    "dockermap.map.config.volume": ("dockerfab.map.config.volume",
                                    {"VolumeConfiguration": "dockerfab.map.config.volume"}),
    "dockermap.map.config.host_volume": ("dockerfab.map.config.host_volume", {
        "HostVolumeConfiguration": "dockerfab.map.config.host_volume"}),
    "dockermap.map.config.network": ("dockerfab.map.config.network",
                                     {"NetworkConfiguration": "dockerfab.map.config.network"}),
    "dockermap.map.input": ("dockerfab.map.input", {"ExecPolicy": "dockerfab.map.input",
                                                    "ContainerLink": "dockerfab.map.input"}),
    "dockermap.map.yaml": ("dockerfab.map.yaml", {n: "dockerfab.yaml" for n in (
        "load_map", "load_map_file", "load_clients", "load_clients_file", "expand_path")}),
    "dockermap.map.exceptions": ("dockerfab.map.exceptions", {n: "dockerfab.errors" for n in (
        "ActionRunnerException", "MapIntegrityError", "ScriptActionException")}),
    "dockermap.map.policy.base": ("dockerfab.map.policy.base",
                                  {"BasePolicy": "dockerfab.engine.policy"}),
    "dockermap.map.state.base": ("dockerfab.map.state.base", {n: GEN for n in (
        "AbstractStateGenerator", "SingleStateGenerator", "DependencyStateGenerator",
        "DependentStateGenerator")}),
    "dockermap.map.state.update": ("dockerfab.map.state.update", {"UpdateStateGenerator": GEN}),
    "dockermap.map.action.base": ("dockerfab.map.action.base", {"AbstractActionGenerator": GEN}),
    "dockermap.map.action.simple": ("dockerfab.map.action.simple", {n: GEN for n in (
        "CreateActionGenerator", "StartActionGenerator", "RestartActionGenerator",
        "StopActionGenerator", "RemoveActionGenerator", "StartupActionGenerator",
        "ShutdownActionGenerator", "SignalActionGenerator", "ImagePullActionGenerator")}),
    "dockermap.map.action.update": ("dockerfab.map.action.update", {"UpdateActionGenerator": GEN}),
    "dockermap.map.runner.base": ("dockerfab.map.runner.base", {
        "DockerClientRunner": "dockerfab.engine.client",
        "AbstractRunner": "dockerfab.engine.execute"}),
}
MIGRATING = Path(__file__).resolve().parents[2] / "docs" / "migrating.rst"


@pytest.mark.parametrize("dockermap_path", sorted(TWINS))
def test_twin_re_exports_the_real_objects(dockermap_path):
    twin, names = TWINS[dockermap_path]
    module = importlib.import_module(twin)
    for name, home in names.items():
        assert getattr(module, name) is getattr(importlib.import_module(home), name), name


def test_twins_declare_what_they_export():
    for twin, names in TWINS.values():
        module = importlib.import_module(twin)
        exported = getattr(module, "__all__", None)
        if exported is not None and twin.count(".") and "twin" in (module.__doc__ or "").lower():
            assert set(names) <= set(exported), twin


def test_migrating_guide_lists_every_twin():
    text = MIGRATING.read_text()
    for dockermap_path, (twin, names) in TWINS.items():
        assert f"``{dockermap_path}``" in text, dockermap_path
        assert f"``{twin}``" in text, twin


def test_docker_map_code_runs_after_renaming_the_package():
    # what a Docker-Map 1.0 module of a user looked like, with dockermap -> dockerfab
    from dockerfab.map.client import MappingDockerClient
    from dockerfab.map.config.main import ContainerMap
    from dockerfab.map.input import ContainerLink
    from dockerfab.map.policy.base import BasePolicy
    from dockerfab.map.yaml import load_map

    class MyPolicy(BasePolicy):
        @classmethod
        def cname(cls, map_name, container, instance=None):
            return "x_" + super().cname(map_name, container, instance)

    m = load_map("name: site\ndb: {image: postgres}\nweb: {image: nginx, links: [[db, pg]]}\n")
    assert isinstance(m, ContainerMap)
    assert m.get_extended("web").links == [ContainerLink("db", "pg")]
    client = MappingDockerClient(m)
    client.policy_class = MyPolicy
    assert client.get_policy().cname("site", "web") == "x_site.web"
