"""Every public name of the spec (docker-map 1.0 docs, read as dockerfab) exists and does what
the text says it does. One small behavioural assertion per name where one is possible without
a daemon; the daemon side is in tests/integration/test_spec_examples.py. The table in
docs/spec-conformance.rst points from each name to the test here that covers it.
"""
from __future__ import annotations

import importlib
import io
import os
import tarfile
from collections import namedtuple
from typing import Any

import pytest

import dockerfab
from dockerfab import shortcuts, yaml
from dockerfab.errors import (
    ActionRunnerException,
    BuildError,
    MapError,
    MapIntegrityError,
    PartialResultsError,
    ScriptActionException,
)
from dockerfab.functional import (
    expand_type_name,
    lazy,
    lazy_once,
    register_type,
    resolve_deep,
)
from dockerfab.map.input import (
    CmdCheck,
    ContainerLink,
    ExecCommand,
    ExecPolicy,
    HealthCheck,
    HostVolume,
    MapConfigId,
    NetworkEndpoint,
    PortBinding,
    SharedVolume,
    UsedVolume,
)
from dockerfab.plan.desired import ClientInfo, DesiredStateBuilder
from tests.unit.test_map_naming import IMAGE_TABLE

# --- 3.1.2 imports ---------------------------------------------------------------------------

SPEC_MODULES = ["dockerfab.api", "dockerfab.yaml", "dockerfab.functional", "dockerfab.shortcuts",
                "dockerfab.map.input", "dockerfab.map.container", "dockerfab.map.config.client",
                "dockerfab.map.config.container", "dockerfab.map.config.volume",
                "dockerfab.map.config.host_volume", "dockerfab.map.config.network",
                "dockerfab.build.dockerfile", "dockerfab.build.context",
                "dockerfab.client.wrapper", "dockerfab.engine.client", "dockerfab.engine.policy",
                "dockerfab.plan.generators", "dockerfab.engine.execute", "dockerfab.errors"]

#: names the spec imports from the package / its ``api`` module, and where they live
API_NAMES = {
    "ContainerMap": "dockerfab.map.container",
    "ContainerConfiguration": "dockerfab.map.config.container",
    "VolumeConfiguration": "dockerfab.map.config.volume",
    "HostVolumeConfiguration": "dockerfab.map.config.host_volume",
    "NetworkConfiguration": "dockerfab.map.config.network",
    "ClientConfiguration": "dockerfab.map.config.client",
    "DockerFile": "dockerfab.build.dockerfile",
    "DockerContext": "dockerfab.build.context",
    "DockerClientWrapper": "dockerfab.client.wrapper",
    "MappingDockerClient": "dockerfab.engine.client",
    "BasePolicy": "dockerfab.engine.policy",
    "MapIntegrityError": "dockerfab.errors",
    "ActionRunnerException": "dockerfab.errors",
    "ScriptActionException": "dockerfab.errors",
    "PartialResultsError": "dockerfab.errors",
    "ExecPolicy": "dockerfab.map.input",
    "CmdCheck": "dockerfab.map.input",
    "MapConfigId": "dockerfab.map.input",
}


@pytest.mark.parametrize("module", SPEC_MODULES)
def test_spec_modules_import(module):
    assert importlib.import_module(module).__name__ == module


@pytest.mark.parametrize("name,module", sorted(API_NAMES.items()))
def test_api_module_and_package_give_the_defining_class(name, module):
    """3.1.2: ``from dockerfab import X`` / ``dockerfab.api`` is the class of its module."""
    api = importlib.import_module("dockerfab.api")
    defining = getattr(importlib.import_module(module), name)
    assert getattr(api, name) is defining
    assert getattr(dockerfab, name) is defining
    assert name in api.__all__


# --- 3.3 DockerFile ------------------------------------------------------------------------

def test_dockerfile_initial_contents_in_order():
    df = dockerfab.DockerFile("ubuntu", maintainer="ME, me@example.com",
                              initial="RUN apt-get update\nRUN apt-get -y upgrade")
    assert df.getvalue().splitlines() == [
        "FROM ubuntu", "MAINTAINER ME, me@example.com", "RUN apt-get update",
        "RUN apt-get -y upgrade"]


def test_dockerfile_action_commands_written_immediately():
    df = dockerfab.DockerFile("base")
    df.run("a")
    df.run_all("b", "c")
    df.prefix("ENV", "A=1")
    df.prefix_all("ENV", "B=2", "C=3")
    df.comment("note")
    df.comment(None)
    df.blank()
    df.write("LABEL x=")
    df.writeline("1")
    df.writelines(["RUN d", "RUN e"])
    assert df.getvalue().splitlines()[1:] == [
        "RUN a", "RUN b", "RUN c", "ENV A=1", "ENV B=2", "ENV C=3", "# note", "#", "",
        "LABEL x=1", "RUN d", "RUN e"]


def test_dockerfile_add_file_arguments(tmp_path, monkeypatch):
    """3.3.2: source with ~ and $VARS, target path, context path, remove_final."""
    (tmp_path / "my_file").write_text("x")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("SRC_DIR", str(tmp_path))
    df = dockerfab.DockerFile("base")
    assert df.add_file("~/my_file", "/new_dir/my_file", "/another_file", expanduser=True,
                       remove_final=True) == "another_file"
    assert df.add_file("$SRC_DIR/my_file", expandvars=True) == "my_file"  # default: /my_file
    df.command = "run"
    lines = df.getvalue().splitlines()
    assert lines[1:3] == ["ADD another_file /new_dir/my_file", "ADD my_file /my_file"]
    # the removal comes after the action commands, before the configuration commands
    assert lines[-2:] == ["RUN rm -rf /new_dir/my_file", 'CMD ["run"]']
    assert [f.source for f in df.files] == [str(tmp_path / "my_file")] * 2


def test_dockerfile_add_archive_lists_its_top_level_entries(tmp_path):
    archive = tmp_path / "a.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("opt/tool/run.sh")
        tar.addfile(info, io.BytesIO(b""))
    df = dockerfab.DockerFile("base")
    assert df.add_archive(str(archive)) == ["opt"]
    assert "ADD a.tar.gz /" not in df.getvalue()  # contents are re-packed into the context
    assert df.files[0].archive is True


def test_dockerfile_configuration_commands_on_finalize():
    df = dockerfab.DockerFile("base")
    df.volumes = ["/data"]
    df.expose = [80, "53/udp"]
    df.command_user = "app"
    df.command_workdir = "/srv"
    df.entrypoint = "sh -c"          # a string separated with spaces ...
    df.command = ("echo", "hi")      # ... or a list/tuple
    df.labels = {"a": "b"}
    df.stopsignal = "SIGINT"
    df.shell = ["/bin/sh", "-c"]
    df.healthcheck = {"test": "true", "interval": 30}
    df.run("before")
    df.finalize()
    lines = df.getvalue().splitlines()
    assert lines[1] == "RUN before"
    assert lines[2] == 'VOLUME ["/data"]'  # before any other finalizing command
    for expected in ("EXPOSE 80 53/udp", 'ENTRYPOINT ["sh", "-c"]', 'CMD ["echo", "hi"]',
                     'LABEL "a"="b"', "STOPSIGNAL SIGINT", 'SHELL ["/bin/sh", "-c"]'):
        assert expected in lines, expected
    assert any(line.startswith("HEALTHCHECK --interval=30s") for line in lines)
    # USER and WORKDIR directly before ENTRYPOINT/CMD only, not for RUN
    assert lines.index("USER app") < lines.index("WORKDIR /srv") < lines.index(
        'ENTRYPOINT ["sh", "-c"]')
    assert lines.index("USER app") > lines.index("RUN before")
    with pytest.raises(BuildError):  # no more changes after finalize()
        df.run("after")


def test_dockerfile_command_shell_writes_shell_form():
    df = dockerfab.DockerFile("base")
    df.command_shell = True
    df.entrypoint = ["nginx", "-g"]
    df.command = ["daemon off;"]
    assert "ENTRYPOINT nginx -g" in df.getvalue()
    assert "CMD daemon off;" in df.getvalue()


def test_dockerfile_save(tmp_path):
    with dockerfab.DockerFile("base") as df:
        df.run("x")
        df.save(str(tmp_path / "Dockerfile"))
    assert (tmp_path / "Dockerfile").read_text() == "FROM base\nRUN x\n"


# --- 3.4 DockerContext ---------------------------------------------------------------------

def test_context_from_dockerfile_has_dockerfile_and_files(tmp_path):
    (tmp_path / "f").write_text("payload")
    df = dockerfab.DockerFile("base")
    df.add_file(str(tmp_path / "f"), "/srv/f")
    with dockerfab.DockerContext(df) as context:
        assert df.finalized  # the DockerFile cannot be modified any more
        assert context.stream_encoding == "gzip"
        assert os.path.isfile(context.name)
        context.finalize()
        assert set(context.getnames()) == {"Dockerfile", "srv/f"}
        context.save(str(tmp_path / "ctx.tar.gz"))
    assert not os.path.exists(context.name)  # the temporary file is gone after the block
    with tarfile.open(tmp_path / "ctx.tar.gz", "r:gz") as tar:
        assert tar.extractfile("srv/f").read() == b"payload"


@pytest.mark.parametrize("compression,mode", [("bzip2", "r:bz2"), (None, "r:")])
def test_context_stream_encoding(tmp_path, compression, mode):
    with dockerfab.DockerContext(dockerfab.DockerFile("base"),
                                 compression=compression) as context:
        assert context.stream_encoding == compression
        context.finalize()
        context.save(str(tmp_path / "ctx"))
    with tarfile.open(tmp_path / "ctx", mode) as tar:
        assert tar.getnames() == ["Dockerfile"]


def test_context_add_addfile_gettarinfo_addarchive(tmp_path):
    """3.4.2: add(), addfile() with gettarinfo(), addarchive() keeping the structure."""
    (tmp_path / "Dockerfile").write_text("FROM base\n")
    (tmp_path / "extra.txt").write_text("extra")
    archive = tmp_path / "other.tar"
    with tarfile.open(archive, "w") as tar:
        info = tarfile.TarInfo("deep/dir/file")
        info.size = 4
        tar.addfile(info, io.BytesIO(b"data"))
    with dockerfab.DockerContext(str(tmp_path / "Dockerfile")) as context:
        context.add(str(tmp_path / "extra.txt"), "extra.txt")
        info = context.gettarinfo(str(tmp_path / "extra.txt"), "renamed.txt")
        assert isinstance(info, tarfile.TarInfo) and info.size == 5
        with open(tmp_path / "extra.txt", "rb") as f:
            context.addfile(info, f)
        context.addarchive(str(archive))
        context.finalize()
        assert set(context.getnames()) >= {"Dockerfile", "extra.txt", "renamed.txt",
                                          "deep/dir/file"}


# --- 3.5 shortcuts -------------------------------------------------------------------------

def test_adduser_defaults_and_options():
    """No login and no home by default (implies no password); system, group, gecos."""
    default = shortcuts.adduser("nginx", 2000)
    assert default.startswith("adduser ") and default.endswith(" nginx")
    for word in ("--uid 2000", "--no-create-home", "--disabled-password"):
        assert word in default
    assert "--system" not in default and "--group" not in default
    login = shortcuts.adduser("user", 1000, no_login=False, gecos="Full Name")
    assert "--no-create-home" not in login and "--disabled-password" not in login
    assert "--gecos 'Full Name'" in login
    assert "--disabled-password" in shortcuts.adduser("u", 1, no_login=False, no_password=True)
    assert "--system" in shortcuts.adduser("u", 1, system=True)
    assert "--group" in shortcuts.adduser("u", 1, group=True)


def test_addgroup_assignuser_addgroupuser():
    assert shortcuts.addgroup("apps", 2001) == "addgroup --gid 2001 apps"
    assert "--system" in shortcuts.addgroup("apps", 2001, system=True)
    assert shortcuts.assignuser("nginx", ["apps", "web"]) == "usermod -a -G apps,web nginx"
    combined = shortcuts.addgroupuser("nginx", 2000, ["apps"])
    # group and user with the same name and id, then the extra groups
    assert combined.split(" && ") == [
        "addgroup --gid 2000 nginx",
        shortcuts.adduser("nginx", 2000).replace(" --no-create-home",
                                                 " --ingroup nginx --no-create-home"),
        "usermod -a -G apps nginx"]
    assert "usermod" not in shortcuts.addgroupuser("nginx", 2000)


@pytest.mark.parametrize("value,expected", [(("user", "group"), "user:group"),
                                            (2000, "2000:2000"), ("a:b", "a:b"),
                                            ("name", "name:name")])
def test_get_user_group(value, expected):
    assert shortcuts.get_user_group(value) == expected


def test_file_shortcuts():
    assert shortcuts.mkdir("/a b") == "mkdir -p '/a b'"
    assert shortcuts.mkdir("/a", create_parent=False) == "mkdir /a"
    assert shortcuts.mkdir("/a", check_if_exists=True) == "if [ ! -d /a ]; then mkdir -p /a; fi"
    assert shortcuts.chmod("u=rwX", "/p") == "chmod -R u=rwX /p"
    assert shortcuts.chown(2000, "/p") == "chown -R 2000:2000 /p"
    assert shortcuts.rm("/p") == "rm -r /p"
    assert shortcuts.chmod("700", "/p", recursive=False) == "chmod 700 /p"
    assert shortcuts.chown("a", "/p", recursive=False) == "chown a:a /p"
    assert shortcuts.rm("/p", recursive=False) == "rm /p"


def test_mkdir_chown():
    assert shortcuts.mkdir_chown("/var/lib/app", 2001, "u=rwX,go=") == (
        "mkdir -p /var/lib/app && chown 2001:2001 /var/lib/app && chmod u=rwX,go= /var/lib/app")
    assert shortcuts.mkdir_chown("/d") == "mkdir -p /d && chmod ug=rwX,o=rX /d"  # default mode
    assert shortcuts.mkdir_chown("/d", None, None) == "mkdir -p /d"
    checked = shortcuts.mkdir_chown("/d", 1, recursive=True, check_if_exists=True)
    assert checked == ("if [ ! -d /d ]; then mkdir -p /d; fi && chown -R 1:1 /d"
                       " && chmod -R ug=rwX,o=rX /d")


def test_download_and_archive_shortcuts():
    assert shortcuts.curl("http://x/y") == "curl http://x/y"
    assert shortcuts.curl("http://x/y", "out") == "curl -o out http://x/y"
    assert shortcuts.wget("http://x/y") == "wget http://x/y"
    assert shortcuts.wget("http://x/y", "out") == "wget -O out http://x/y"
    assert shortcuts.targz("a.tar.gz", "src") == "tar -czf a.tar.gz src"
    assert shortcuts.untargz("a.tar.gz") == "tar -xzf a.tar.gz"
    assert shortcuts.untargz("a.tar.gz", "/dst") == "tar -xzf a.tar.gz -C /dst"


# --- 3.6 DockerClientWrapper -----------------------------------------------------------------

WRAPPER_METHODS = ["build", "login", "pull", "push", "push_log", "push_progress",
                   "push_container_logs", "build_from_file", "build_from_context",
                   "cleanup_containers", "remove_all_containers", "cleanup_images",
                   "get_container_names", "get_image_tags", "copy", "get_image",
                   "copy_resource", "save_image"]


@pytest.mark.parametrize("method", WRAPPER_METHODS)
def test_wrapper_methods_are_on_a_docker_api_client(method):
    """The wrapper is a docker.APIClient with the spec's methods (behaviour: integration)."""
    import docker

    assert issubclass(dockerfab.DockerClientWrapper, docker.APIClient)
    assert callable(getattr(dockerfab.DockerClientWrapper, method))


def test_wrapper_push_log_uses_logging(caplog):
    import logging

    client = dockerfab.DockerClientWrapper.__new__(dockerfab.DockerClientWrapper)
    with caplog.at_level(logging.INFO):
        client.push_log("message for the log")
    assert "message for the log" in caplog.text


def test_spec_unix_url_is_the_local_socket():
    """3.2: ``unix://var/run/docker.sock`` (two slashes) is accepted as a base URL."""
    import docker.utils

    assert docker.utils.parse_host("unix://var/run/docker.sock") == (
        "http+unix://var//run/docker.sock")


# --- 3.6.3 / 3.8 MappingDockerClient (no daemon: construction, policy, custom actions) ------

def small_map(name: str = "t_spec_m") -> dockerfab.ContainerMap:
    return dockerfab.ContainerMap(name, {
        "app": {"image": "app", "uses": "web", "instances": ("i1", "i2")},
        "web": {"image": "web"},
    })


def test_mapping_client_maps_clients_and_default():
    m1, m2 = small_map("t_spec_a"), small_map("t_spec_b")
    clients = {"client1": dockerfab.ClientConfiguration("host1"),
               "client2": dockerfab.ClientConfiguration("host2")}
    mc = dockerfab.MappingDockerClient([m1, m2], clients["client1"], clients=clients)
    assert set(mc.maps) == {"t_spec_a", "t_spec_b"} and mc.default_map is None
    assert mc.clients["__default__"] is clients["client1"]  # the default client's name
    assert mc.default_client is clients["client1"]
    assert mc.clients["client2"].base_url == "host2"
    single = dockerfab.MappingDockerClient(m1)
    assert single.default_map == "t_spec_a"
    single.maps = {"x": m2}  # maps can be changed later
    assert single.default_map == "x"


def test_policy_class_setter_and_refresh_names_flush_the_cache():
    mc = dockerfab.MappingDockerClient(small_map())
    first = mc.get_policy()
    assert mc.get_policy() is first  # cached

    class MyPolicy(dockerfab.BasePolicy):
        pass

    mc.policy_class = MyPolicy
    assert type(mc.get_policy()) is MyPolicy
    cached = mc.get_policy()
    mc.refresh_names()
    assert mc.get_policy() is not cached


def test_generators_and_runner_class():
    from dockerfab.engine.execute import AbstractRunner
    from dockerfab.plan import generators as g

    mc = dockerfab.MappingDockerClient(small_map())
    assert mc.generators["create"] == (g.DependencyStateGenerator, g.CreateActionGenerator)
    assert mc.generators["update"][0] is g.UpdateStateGenerator
    assert mc.generators["stop"][0] is g.DependentStateGenerator
    assert mc.generators["restart"][0] is g.SingleStateGenerator
    for action in ("create", "start", "restart", "stop", "remove", "startup", "shutdown",
                   "update", "pull_images", "signal"):
        state_cls, action_cls = mc.generators[action]
        assert issubclass(state_cls, g.AbstractStateGenerator)
        assert issubclass(action_cls, g.AbstractActionGenerator)
        assert callable(getattr(mc, action))
    from dockerfab.engine.client import DockerClientRunner

    assert mc.runner_class is DockerClientRunner
    assert issubclass(DockerClientRunner, AbstractRunner)
    with pytest.raises(NotImplementedError):
        AbstractRunner().run([])


def test_state_generator_directions():
    from dockerfab.plan import generators as g
    from dockerfab.plan.options import ActionOptions

    opts = ActionOptions()
    assert g.DependencyStateGenerator(opts).direction == "forward"
    assert g.DependentStateGenerator(opts).direction == "reverse"
    assert g.SingleStateGenerator(opts).direction == "single"
    assert issubclass(g.UpdateStateGenerator, g.DependencyStateGenerator)
    assert g.UpdateStateGenerator(opts).observe_processes is True  # exec commands checked
    assert g.UpdateStateGenerator(
        ActionOptions(check_exec_commands=CmdCheck.NONE)).observe_processes is False


def test_call_runs_a_custom_policy_action():
    """3.8.2: ``call('custom')`` runs ``custom_action(map, config, instances, **kwargs)``."""
    calls: list[tuple[Any, ...]] = []

    class MyPolicy(dockerfab.BasePolicy):
        def custom_action(self, map_name, config_name, instances, **kwargs):
            calls.append((map_name, config_name, instances, kwargs))
            return f"done {config_name}"

    mc = dockerfab.MappingDockerClient(small_map())
    mc.policy_class = MyPolicy
    assert mc.call("custom", "app", flag=1) == ["done app"]
    assert calls == [("t_spec_m", "app", ["i1", "i2"], {"flag": 1})]
    calls.clear()
    mc.call("custom", "app", instances="i2")
    assert calls[0][2] == ["i2"]
    with pytest.raises(MapError):
        mc.call("no_such_action", "app")


def test_custom_action_failure_is_an_action_runner_exception():
    class FailingPolicy(dockerfab.BasePolicy):
        def custom_action(self, map_name, config_name, instances, **kwargs):
            raise RuntimeError("boom")

    mc = dockerfab.MappingDockerClient(small_map())
    mc.policy_class = FailingPolicy
    with pytest.raises(ActionRunnerException) as info:
        mc.call("custom", "app")
    assert info.value.results() == []
    with pytest.raises(RuntimeError, match="boom"):
        info.value.reraise()


def test_action_runner_exception_results_and_reraise():
    try:
        raise KeyError("original")
    except KeyError as exc:
        error = ActionRunnerException("failed", ["done1"], cause=exc, host="c1",
                                      action="create")
    assert error.results() == ["done1"] == error.results  # method as documented, also a list
    assert (error.client_name, error.action_type) == ("c1", "create")
    with pytest.raises(KeyError):
        error.reraise()
    assert issubclass(ScriptActionException, ActionRunnerException)
    assert PartialResultsError("x", ["a"]).results() == ["a"]


# --- 3.10.1 BasePolicy ---------------------------------------------------------------------

def test_policy_names():
    P = dockerfab.BasePolicy
    assert P.cname("main", "web", None) == "main.web"
    assert P.cname("main", "app", "i1") == "main.app.i1"
    assert P.aname("main", "socket") == "main.socket"
    assert P.aname("main", "socket", "app") == "main.app.socket"
    assert P.nname("main", "net") == "main.net"
    assert P.get_hostname("main.web_server", "client1") == "client1-main-web-server"
    assert P.get_hostname("main.web", "__default__") == "main-web"  # default client left out


# the 3.7 "Image" table, once for the naming function and here through BasePolicy
@pytest.mark.parametrize("image,repository,default_tag,expected", IMAGE_TABLE)
def test_image_name_table(image, repository, default_tag, expected):
    cmap = dockerfab.ContainerMap("m", check_integrity=False)
    cmap.repository = repository
    cmap.default_tag = default_tag
    assert dockerfab.BasePolicy.image_name(image, cmap, "app-server") == expected


def test_policy_dependencies_and_dependents():
    cmap = dockerfab.ContainerMap("m", {
        "volumes": {"sock": "/sock"},
        "db": {"attaches": "sock"},
        "app": {"uses": "sock", "links": "db"},
        "web": {"links": "app"},
    })
    policy = dockerfab.BasePolicy({"m": cmap.get_extended_map()}, {})

    def cid(name):
        return MapConfigId("container", "m", name, None)

    assert [c.config_name for c in policy.get_dependencies(cid("web"))] == ["db", "app"]
    assert [c.config_name for c in policy.get_dependents(cid("db"))] == ["web", "app"]


# --- 3.7 ContainerMap and configurations -------------------------------------------------

def test_map_structure_attribute_and_item_access():
    cmap = dockerfab.ContainerMap("new_map", check_integrity=False)
    cmap.containers.app1.binds = "volume1"
    cmap.volumes.volume1 = "/var/log/service"
    cmap.host.volume1 = "/var/log/app1"
    assert cmap.containers["app1"].binds == "volume1"
    assert cmap.volumes["volume1"].default_path == "/var/log/service"
    assert cmap.host["volume1"] == "/var/log/app1"
    assert cmap.name == "new_map"
    # elements of containers are created on first access; get_existing does not create
    assert cmap.get_existing("app9") is None
    cmap.containers.app9  # noqa: B018
    assert cmap.get_existing("app9") is not None
    assert [name for name, _ in cmap] == ["app1", "app9"]


def test_map_attributes_defaults():
    cmap = dockerfab.ContainerMap("m")
    assert (cmap.repository, cmap.default_domain, cmap.set_hostname,
            cmap.use_attached_parent_name, cmap.default_tag) == (None, None, True, False, None)
    assert isinstance(cmap.host, dockerfab.HostVolumeConfiguration)
    assert list(cmap.networks) == [] and list(cmap.groups) == []


def test_volume_string_sets_default_path():
    """3.7 Volumes, CLARIFICATIONS 4: ``map.volume1 = '/path'`` is volumes.volume1."""
    cmap = dockerfab.ContainerMap("m")
    cmap.volume1 = "/var/lib/my-app/data"
    other = dockerfab.ContainerMap("m")
    other.volume1 = dockerfab.VolumeConfiguration(default_path="/var/lib/my-app/data")
    assert cmap.volumes.volume1 == other.volumes.volume1
    assert cmap.volumes.volume1.default_path == "/var/lib/my-app/data"


def test_volume_configuration_properties():
    volume = dockerfab.VolumeConfiguration(
        default_path="/data", driver_options={"type": "tmpfs"},
        create_options={"labels": {"a": "b"}}, user=2000, permissions="u=rwX")
    assert volume.driver == "local"  # the default
    assert volume.as_dict()["driver_options"] == {"type": "tmpfs"}
    assert (volume.user, volume.permissions) == (2000, "u=rwX")


def test_host_volume_root_and_instances():
    cmap = dockerfab.ContainerMap("m", {
        "host_root": "/var/lib/site",
        "volumes": {"volume1": "/data"},
        "host": {"volume1": {"instance1": "config/instance1", "instance2": "/abs/instance2"}},
        "app1": {"instances": ("instance1", "instance2"), "binds": "volume1"},
    })
    assert cmap.host.root == "/var/lib/site"
    builder = DesiredStateBuilder(cmap, ClientInfo("c"))
    assert builder.container("app1", "instance1").host_config["binds"] == [
        "/var/lib/site/config/instance1:/data:rw"]
    assert builder.container("app1", "instance2").host_config["binds"] == [
        "/abs/instance2:/data:rw"]
    # root also as a key of host
    assert dockerfab.ContainerMap("m", {"host": {"root": "/r"}}).host.root == "/r"


def test_network_configuration():
    net = dockerfab.NetworkConfiguration(
        internal=True, driver_options={"com.docker.network.bridge.enable_icc": "false"})
    assert net.driver == "bridge"  # the default for custom networks
    assert net.internal is True
    cmap = dockerfab.ContainerMap("m", check_integrity=False)
    cmap.networks.network1 = net
    cmap.containers.app.networks = "network1"
    builder = DesiredStateBuilder(cmap.get_extended_map(), ClientInfo("c"))
    builder.container("app", None)
    desired = builder.networks["m.network1"]
    assert desired.internal is True
    assert desired.options == {"com.docker.network.bridge.enable_icc": "false"}


def test_client_configuration_fields():
    config = dockerfab.ClientConfiguration(base_url="apps1_host",
                                           interfaces={"private": "10.0.0.11"})
    assert dockerfab.ClientConfiguration("apps1_host").base_url == "apps1_host"
    from_dict = dockerfab.ClientConfiguration({
        "base_url": "unix://var/run/docker.sock",
        "interfaces": {"private": "10.0.0.1", "public": "178.0.0.1"},
        "interfaces_ipv6": {"private": "2001:a01:a02:12f0::1"},
        "version": "1.41", "timeout": 30, "stop_timeout": 20, "domainname": "example.com",
        "auth_configs": {"registry.example.com": {"username": "u"}},
    })
    assert config.interfaces == {"private": "10.0.0.11"}
    assert from_dict.interface_address("public") == "178.0.0.1"
    assert from_dict.interface_address("private", ipv6=True) == "2001:a01:a02:12f0::1"
    assert (from_dict.version, from_dict.timeout, from_dict.stop_timeout,
            from_dict.domainname) == ("1.41", 30, 20, "example.com")
    assert from_dict.auth_configs["registry.example.com"] == {"username": "u"}


def test_client_configuration_features():
    """3.11.1: version-dependent features as a dictionary property."""
    old = dockerfab.ClientConfiguration(version="1.20").features
    new = dockerfab.ClientConfiguration(version="1.41").features
    assert old["host_config"] and not old["networks"] and not old["volumes"]
    assert all(new.values())
    assert new.keys() >= {"volumes", "networks", "stop_signal", "stop_timeout", "healthcheck"}


def test_map_and_config_clients():
    cmap = dockerfab.ContainerMap("m", check_integrity=False)
    cmap.clients = "web1"
    cmap.containers.app.clients = "apps1"
    cmap.clean()
    assert cmap.clients == ["web1"] and cmap.containers.app.clients == ["apps1"]
    from dockerfab.plan.model import map_clients

    assert map_clients(cmap, cmap.containers.app) == ["apps1"]  # config before map
    assert map_clients(cmap, cmap.containers.other) == ["web1"]


CONFIG_PROPERTIES = ["image", "instances", "shares", "binds", "attaches", "uses", "links",
                     "exposes", "networks", "network_mode", "exec_commands", "user",
                     "permissions", "persistent", "abstract", "extends", "clients",
                     "create_options", "host_config", "start_options", "stop_timeout",
                     "stop_signal", "healthcheck", "start_delay"]


@pytest.mark.parametrize("prop", CONFIG_PROPERTIES)
def test_container_configuration_property(prop):
    config = dockerfab.ContainerConfiguration()
    assert prop in config
    assert prop in dockerfab.ContainerConfiguration.property_names() or prop == "start_options"


def test_start_options_is_host_config():
    config = dockerfab.ContainerConfiguration(start_options={"privileged": True})
    assert config.host_config == {"privileged": True}


def test_input_formats_become_lists_of_tuples():
    config = dockerfab.ContainerConfiguration(
        extends="base", instances="i1", shares="/s", binds={"/c": ("/h", "ro")},
        attaches="a", uses="u", links="db", exposes=80, networks="n",
        exec_commands="cmd", clients="c1", healthcheck={"test": "true"})
    config.clean()
    assert config.extends == ["base"] and config.instances == ["i1"]
    assert config.shares == ["/s"] and config.clients == ["c1"]
    assert config.binds == [HostVolume("/c", "/h", True)]
    assert config.attaches == [UsedVolume("a")]
    assert config.uses == [SharedVolume("u", False)]
    assert config.links == [ContainerLink("db", None)]
    assert config.exposes == [PortBinding(80, None, None, False)]
    assert config.networks == [NetworkEndpoint("n")]
    assert config.exec_commands == [ExecCommand("cmd", None, ExecPolicy.RESTART)]
    assert config.healthcheck == HealthCheck("true")


def test_map_methods_clean_as_dict_merge_update():
    cmap = dockerfab.ContainerMap("m", {"app": {"shares": "/v", "links": "db"}, "db": {}})
    copy = dockerfab.ContainerMap("m", cmap.as_dict())  # serialisation round trip
    assert copy == cmap
    cmap.clean()
    assert cmap.containers.app.links == [ContainerLink("db", None)]
    cmap.merge_from_dict({"app": {"shares": "/w"}})
    assert cmap.containers.app.shares == ["/v", "/w"]  # merged
    other = dockerfab.ContainerMap("m", {"app": {"shares": "/x"}})
    cmap.merge_from_obj(other)
    assert cmap.containers.app.shares == ["/v", "/w", "/x"]
    cmap.update_from_obj(other)
    assert cmap.containers.app.shares == ["/x"]  # the configuration is replaced ...
    assert cmap.containers.app.links == []  # ... as a whole, not merged
    assert cmap.get_existing("db") is not None  # other configurations stay


def test_check_integrity():
    with pytest.raises(MapIntegrityError):
        dockerfab.ContainerMap("m", {"app": {"uses": "undefined"}})
    cmap = dockerfab.ContainerMap("m", {"app": {"uses": "undefined"}}, check_integrity=False)
    with pytest.raises(MapIntegrityError):
        cmap.check_integrity()


def test_inheritance_merges_in_extends_order():
    cmap = dockerfab.ContainerMap("m", check_integrity=False)
    generic = cmap.containers.generic
    generic.uses = "volume1"
    generic.abstract = True
    generic.image = "base"
    generic.create_options = {"a": 1, "b": 1}
    generic.binds = {"/p": ("/h1", "ro")}
    app1 = cmap.containers.app1
    app1.extends = "generic"
    app1.uses = "volume2"
    app1.create_options = {"b": 2}
    app1.binds = {"/p": "/h2"}
    merged = cmap.get_extended(cmap.containers.app1)
    assert [u.name for u in merged.uses] == ["volume1", "volume2"]
    assert merged.image == "base"
    assert merged.create_options == {"a": 1, "b": 2}
    assert merged.binds == [HostVolume("/p", "/h2", False)]  # last host path and flag win
    assert set(cmap._deployable_names()) == {"app1"}  # abstract: not used directly


def test_use_attached_parent_name():
    cmap = dockerfab.ContainerMap("m", {
        "use_attached_parent_name": True,
        "volumes": {"volume1": "/v1", "volume2": "/v2"},
        "generic": {"attaches": "volume1", "abstract": True},
        "appl": {"extends": "generic", "attaches": "volume2"},
        "test": {"uses": ["appl.volume1", "volume2"]},
    }, check_integrity=False)
    builder = DesiredStateBuilder(cmap.get_extended_map(), ClientInfo("c"))
    assert set(builder.container("appl", None).attached) == {"m.appl.volume1", "m.appl.volume2"}


def test_exposes_forms_and_interfaces():
    config = dockerfab.ContainerConfiguration(exposes=[
        (80, 80, "public"), (9443, 443), (8000, 8000, "private"), 8111,
        (8000, 80, "private", True), (8080, (8081, "public", False))])
    config.clean()
    assert config.exposes == [
        PortBinding(80, 80, "public", False), PortBinding(9443, 443, None, False),
        PortBinding(8000, 8000, "private", False), PortBinding(8111, None, None, False),
        PortBinding(8000, 80, "private", True), PortBinding(8080, 8081, "public", False)]
    dict_form = dockerfab.ContainerConfiguration(exposes={80: 80, 443: 443})
    dict_form.clean()
    assert dict_form.exposes == [PortBinding(80, 80, None, False),
                                 PortBinding(443, 443, None, False)]


def test_networks_endpoint_forms():
    config = dockerfab.ContainerConfiguration(networks={
        "network1": {"ipv4": "172.17.0.5"}, "bridge": None,
        "n2": ("alias1", "linked", "10.0.0.2", "fe80::2", "169.254.0.2")})
    config.clean()
    assert config.networks == [
        NetworkEndpoint("network1", ipv4_address="172.17.0.5"), NetworkEndpoint("bridge"),
        NetworkEndpoint("n2", ["alias1"], [ContainerLink("linked", None)], "10.0.0.2",
                        "fe80::2", ["169.254.0.2"])]


def test_exec_commands_and_policies():
    config = dockerfab.ContainerConfiguration(exec_commands=[
        ("/bin/bash -c 'script1.sh'", "root"),
        (["/bin/bash", "-c", "script2.sh"], "user", ExecPolicy.INITIAL)])
    config.clean()
    assert config.exec_commands == [
        ExecCommand("/bin/bash -c 'script1.sh'", "root", ExecPolicy.RESTART),
        ExecCommand(["/bin/bash", "-c", "script2.sh"], "user", ExecPolicy.INITIAL)]
    assert {c.name for c in CmdCheck} >= {"FULL", "PARTIAL", "NONE"}


def test_binds_forms_are_equivalent():
    def binds(value):
        config = dockerfab.ContainerConfiguration(binds=value)
        config.clean()
        return config.binds

    direct = [{"container_path": ("host_path", "ro")}, {"container_path": ("host_path", "true")},
              [("container_path", "host_path", True)], ([("container_path", ("host_path", True))])]
    assert all(binds(v) == [HostVolume("container_path", "host_path", True)] for v in direct)
    aliases = [{"volume1": "rw", "volume2": True}, ["volume1", ("volume2", True)],
               [["volume1"], ("volume2", "ro")]]
    assert all(binds(v) == [SharedVolume("volume1", False), SharedVolume("volume2", True)]
               for v in aliases)


def test_create_options_host_config_and_kwargs_precedence():
    """3.7 Additional options (CLARIFICATIONS 2): kwargs > options > attributes."""
    cmap = dockerfab.ContainerMap("m", {"app1": {
        "user": "attr", "create_options": {"mem_limit": "3g", "user": "opt"},
        "host_config": {"restart_policy": {"MaximumRetryCount": 0, "Name": "always"}}}})
    desired = DesiredStateBuilder(cmap, ClientInfo("c")).container("app1", None)
    assert desired.create_kwargs["user"] == "opt"
    assert desired.host_config["mem_limit"] == "3g"  # routed to the host config
    assert desired.host_config["restart_policy"]["Name"] == "always"
    kwargs = DesiredStateBuilder(cmap, ClientInfo("c"), {"user": "kw"}).container("app1", None)
    assert kwargs.create_kwargs["user"] == "kw"
    callable_opts = dockerfab.ContainerMap("m", {"a": {"create_options": lambda: {"user": "x"}}})
    assert DesiredStateBuilder(callable_opts, ClientInfo("c")).container(
        "a", None).create_kwargs["user"] == "x"


def test_groups_and_all():
    cmap = dockerfab.ContainerMap("m", {"groups": {"g": ["a", "b"]}, "a": {}, "b": {}, "c": {}})
    assert cmap.expand_names("g") == ["a", "b"]
    assert set(cmap.expand_names("__all__")) == {"a", "b", "c"}


def test_input_tuples_accept_dicts():
    """3.11.1: every input tuple accepts a dict of its named parameters."""
    config = dockerfab.ContainerConfiguration(
        links=[{"container": "db", "alias": "database"}],
        exposes=[{"exposed_port": 80, "host_port": 8080}],
        binds=[{"path": "/c", "host_path": "/h", "readonly": True}])
    config.clean()
    assert config.links == [ContainerLink("db", "database")]
    assert config.exposes == [PortBinding(80, 8080, None, False)]
    assert config.binds == [HostVolume("/c", "/h", True)]


# --- 3.8 options -----------------------------------------------------------------------------

def test_action_options_defaults_and_aliases():
    from dockerfab.plan.options import ActionOptions

    defaults = ActionOptions()
    assert (defaults.remove_existing_after, defaults.remove_existing_before,
            defaults.remove_persistent, defaults.remove_attached, defaults.pull_all_images,
            defaults.pull_before_update, defaults.pull_insecure_registry,
            defaults.prepare_local, defaults.nonrecoverable_exit_codes,
            defaults.force_update, defaults.skip_limit_reset, defaults.update_persistent,
            defaults.check_exec_commands, defaults.restart_exec_commands) == (
        True, False, True, False, True, False, False, True, (-127, -1), frozenset(), False,
        False, CmdCheck.FULL, False)
    options = ActionOptions.from_kwargs({"remove_created_after": False, "force_update": "app",
                                         "restart_policy": {"Name": "always"}})
    assert options.remove_existing_after is False  # CLARIFICATIONS 8
    assert options.force_update == frozenset({"app"})
    assert options.extra == {"restart_policy": {"Name": "always"}}  # passed through


# --- 3.9 YAML ------------------------------------------------------------------------------

def test_yaml_names_and_loaders(tmp_path, monkeypatch):
    path = tmp_path / "example_map.yaml"
    path.write_text("name: from_root\nvolumes:\n  v: /v\napp:\n  attaches: v\n")
    assert yaml.load_map_file(str(path)).name == "from_root"
    assert yaml.load_map_file(str(path), "apps").name == "apps"
    assert yaml.load_map_file(str(path), "").name == "example_map"
    assert yaml.load_map(io.StringIO("name: s\napp: {}\n")).name == "s"
    bad = tmp_path / "bad.yaml"
    bad.write_text("app:\n  uses: undefined\n")
    assert yaml.load_map_file(str(bad), "b", check_integrity=False).name == "b"
    with pytest.raises(MapIntegrityError):
        yaml.load_map_file(str(bad), "b")


def test_yaml_clients_with_own_class(tmp_path):
    path = tmp_path / "clients.yaml"
    path.write_text("web1:\n  base_url: web1_host\n  interfaces:\n    public: 178.0.0.1\n")

    class MyClientConfiguration(dockerfab.ClientConfiguration):
        pass

    clients = yaml.load_clients_file(str(path))
    assert type(clients["web1"]) is dockerfab.ClientConfiguration
    assert clients["web1"].interfaces == {"public": "178.0.0.1"}
    assert type(yaml.load_clients_file(str(path), MyClientConfiguration)["web1"]) is (
        MyClientConfiguration)
    assert yaml.load_clients(io.StringIO("a:\n  base_url: x\n"))["a"].base_url == "x"


def test_yaml_path_tags(monkeypatch):
    monkeypatch.setenv("SITE_ROOT", "/srv/site")
    monkeypatch.setenv("CONFIG_PATH", "/cfg")
    cmap = yaml.load_map(io.StringIO(
        "name: p\nhost_root: !path $SITE_ROOT\nhost: !path\n  web_config: $CONFIG_PATH/nginx\n"
        "  app_config: !path\n    instance1: $CONFIG_PATH/app1\n"), check_integrity=False)
    assert cmap.host.root == "/srv/site"
    assert cmap.host.web_config == "/cfg/nginx"
    assert cmap.host.app_config == {"instance1": "/cfg/app1"}
    lazy_map = yaml.load_map(io.StringIO("name: p\nhost_root: !path_lazy $LATER_ROOT\n"),
                             check_integrity=False)
    monkeypatch.setenv("LATER_ROOT", "/later")  # set after loading: resolved when used
    from dockerfab.functional import resolve_value

    assert resolve_value(lazy_map.host.root) == "/later"


# --- 3.10.3 functional ---------------------------------------------------------------------

def test_lazy_and_lazy_once():
    values = iter(["first", "second", "third"])

    def get_path(arg1, keyword_arg1="kw1", keyword_arg2="kw2"):
        return f"{next(values)}/{arg1}/{keyword_arg1}/{keyword_arg2}"

    from dockerfab.functional import resolve_value

    every = lazy(get_path, "a", keyword_arg1="kw1", keyword_arg2="kw2")
    assert resolve_value(every) == "first/a/kw1/kw2"
    assert resolve_value(every) == "second/a/kw1/kw2"  # called on every use
    once = lazy_once(get_path, "b", keyword_arg1="x")
    assert resolve_value(once) == "third/b/x/kw2"
    assert resolve_value(once) == "third/b/x/kw2"  # stored


ExtType = namedtuple("ExtType", "code data")  # msgpack.ExtType's shape (msgpack not installed)


def test_register_type_and_resolve_deep_with_types():
    from dockerfab.functional import resolve_value, unregister_type

    def my_ext_hook(ext_data):
        if ext_data.code == 1:
            return ext_data.data.decode()
        raise ValueError("Unexpected ext type code.", ext_data.code)

    temporary = {expand_type_name(ExtType): my_ext_hook}
    content = {"host": {"volume1": ExtType(1, b"/from/ext")}, "list": [ExtType(1, b"x")]}
    assert resolve_deep(content, types=temporary) == {"host": {"volume1": "/from/ext"},
                                                      "list": ["x"]}
    assert resolve_value(ExtType(1, b"y")) == ExtType(1, b"y")  # not registered
    register_type(ExtType, my_ext_hook)
    try:
        assert resolve_value(ExtType(1, b"y")) == "y"
    finally:
        unregister_type(ExtType)


def test_registered_namedtuple_is_a_late_value_not_a_tuple():
    """3.10.3: a registered type (msgpack's ExtType is a namedtuple) set as a host path."""
    from dockerfab.functional import unregister_type

    cmap = dockerfab.ContainerMap("m", {"volumes": {"volume1": "/data"},
                                        "app": {"binds": "volume1"}}, check_integrity=False)
    cmap.host.volume1 = ExtType(1, b"/from/ext")
    register_type(ExtType, lambda ext: ext.data.decode())
    try:
        desired = DesiredStateBuilder(cmap.get_extended_map(), ClientInfo("c")).container(
            "app", None)
    finally:
        unregister_type(ExtType)
    assert desired.host_config["binds"] == ["/from/ext:/data:rw"]


def test_lazy_values_resolved_at_every_documented_point():
    """3.10.3 "Availability": every listed point accepts a lazy value."""
    def lz(value):
        return lazy(lambda: value)

    cmap = dockerfab.ContainerMap("lz", {
        "repository": lz("reg.example"),
        "host_root": lz("/root"),
        "volumes": {"data": lz("/data"), "sock": "/sock"},
        "host": {"data": lz("d")},
        "networks": {"n1": {"driver_options": {"o": lz("v")},
                            "create_options": {"attachable": lz(True)}}},
        "app": {"image": "app", "user": lz(2000), "attaches": "sock",
                "binds": ["data", {"/direct": (lz("/h/direct"), "ro")}],
                "exposes": [(80, lz(8080), "priv")],
                "create_options": {"environment": {"A": lz("x")}},
                "host_config": {"mem_limit": lz("3g")},
                "exec_commands": [(lz("echo hi"), lz("root"))], "shares": [lz("/shared")],
                "networks": {"n1": {"aliases": lz(["al"]), "ipv4": lz("10.1.0.5")}}},
    })
    builder = DesiredStateBuilder(cmap, ClientInfo("c", interfaces={"priv": lz("10.0.0.1")}))
    app = builder.container("app", None)
    assert app.image == "reg.example/app:latest"
    assert app.create_kwargs["user"] == "2000"
    assert app.create_kwargs["environment"] == {"A": "x"}
    assert app.create_kwargs["volumes"] == ["/shared"]
    assert app.host_config["binds"] == ["/root/d:/data:rw", "/h/direct:/direct:ro",
                                        "lz.sock:/sock:rw"]
    assert app.host_config["mem_limit"] == "3g"
    assert app.host_config["port_bindings"] == {"80/tcp": ("10.0.0.1", 8080)}
    assert app.exec_commands == [ExecCommand("echo hi", "root", ExecPolicy.RESTART)]
    assert app.networks["lz.n1"] == {"aliases": ["al"], "ipv4_address": "10.1.0.5"}
    network = builder.networks["lz.n1"]
    assert network.options == {"o": "v"} and network.create_options["attachable"] is True


# --- names the spec mentions that dockerfab deliberately does not have ------------------

@pytest.mark.parametrize("owner,name", [
    ("dockerfab.engine.policy:BasePolicy", "iname"),          # renamed to image_name (0.6.6b1)
    ("dockerfab.engine.policy:BasePolicy", "reset_updated"),  # no image cache to reset
    ("dockerfab.engine.policy:BasePolicy", "ensure_image"),   # images are planned items
])
def test_renamed_or_cache_names_are_absent(owner, name):
    module, cls = owner.split(":")
    assert not hasattr(getattr(importlib.import_module(module), cls), name)


def test_error_tree_for_spec_exceptions():
    assert issubclass(MapIntegrityError, MapError)
    assert issubclass(ActionRunnerException, PartialResultsError)
    assert issubclass(ScriptActionException, ActionRunnerException)
    assert str(MapIntegrityError("x", ("app", "uses", 0))) == "app.uses[0]: x"

