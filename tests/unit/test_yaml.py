"""YAML maps and clients (spec 3.9): examples, naming, tags, loader isolation, error messages."""
from __future__ import annotations

import io
import os
import textwrap
from pathlib import Path

import pytest
import yaml

from dockerfab import yaml as dyaml
from dockerfab.errors import CircularDependency, MapError
from dockerfab.functional import LazyValue, resolve_deep, resolve_value
from dockerfab.map.input import SharedVolume

DATA = Path(__file__).parent / "data"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def load_error(tmp_path: Path, text: str, name: str = "site.yaml", **kwargs) -> MapError:
    """Load ``text`` as a map file and return the MapError it raised."""
    path = write(tmp_path, name, text)
    with pytest.raises(MapError) as info:
        dyaml.load_map_file(path, **kwargs)
    return info.value


def assert_where(error: MapError, path: Path, line: int, key_path: str) -> None:
    """The message starts with ``<file>:<line>: <key path>: `` and the attributes agree."""
    assert error.file == str(path)
    assert error.line == line, str(error)
    assert str(error).startswith(f"{path}:{line}: {key_path}: "), str(error)


# --- parsing and tags (no model needed) ----------------------------------------------------

def test_nested_exec_commands_load_in_both_notations():
    json_style = dyaml.load_document(textwrap.dedent("""
        exec_commands:
        - [ ['/bin/bash', '-c', 'script.sh'], 'root']
        """))
    yaml_style = dyaml.load_document(textwrap.dedent("""
        exec_commands:
        -
          - /bin/bash
          - -c
          - script.sh
        - root
        """))
    expected = [["/bin/bash", "-c", "script.sh"], "root"]
    assert json_style == {"exec_commands": [expected]}
    assert yaml_style == {"exec_commands": expected}


def test_path_tag_expands_vars_then_user(monkeypatch):
    monkeypatch.setenv("SITE_ROOT", "/srv/site")
    monkeypatch.setenv("CONFIG_PATH", "/etc/site")
    monkeypatch.setenv("HOME", "/home/deploy")
    monkeypatch.setenv("TILDE_PATH", "~/x")
    data = dyaml.load_document(textwrap.dedent("""
        host_root: !path $SITE_ROOT
        home: !path ~/data
        vars_first: !path $TILDE_PATH
        host: !path
          web_config: $CONFIG_PATH/nginx
          app_config: !path
            instance1: $CONFIG_PATH/app1
            instance2: $CONFIG_PATH/app2
          untouched:
            deeper: $CONFIG_PATH
        list: !path [$CONFIG_PATH/a, 5, [$CONFIG_PATH]]
        """))
    assert data["host_root"] == "/srv/site"
    assert data["home"] == "/home/deploy/data"
    assert data["vars_first"] == "/home/deploy/x"  # expandvars, then expanduser
    assert data["host"] == {
        "web_config": "/etc/site/nginx",
        "app_config": {"instance1": "/etc/site/app1", "instance2": "/etc/site/app2"},
        "untouched": {"deeper": "$CONFIG_PATH"},  # only the first level is expanded
    }
    assert data["list"] == ["/etc/site/a", 5, ["$CONFIG_PATH"]]


def test_path_lazy_resolves_at_first_use(monkeypatch):
    monkeypatch.setenv("SITE_ROOT", "/early")
    data = dyaml.load_document(textwrap.dedent("""
        host_root: !path_lazy $SITE_ROOT
        host: !path_lazy
          app_data: $SITE_ROOT/data
          n: 3
        """))
    assert isinstance(data["host_root"], LazyValue)
    assert isinstance(data["host"]["app_data"], LazyValue) and data["host"]["n"] == 3
    monkeypatch.setenv("SITE_ROOT", "/late")
    assert resolve_deep(data) == {"host_root": "/late", "host": {"app_data": "/late/data", "n": 3}}
    monkeypatch.setenv("SITE_ROOT", "/later")
    assert resolve_value(data["host_root"]) == "/late"  # kept from the first use


def test_env_tag_with_and_without_default(monkeypatch):
    monkeypatch.setenv("SITE_ROOT", "/srv/site")
    monkeypatch.delenv("DOCKERFAB_TEST_UNSET", raising=False)
    data = dyaml.load_document(textwrap.dedent("""
        root: !env SITE_ROOT
        with_default: !env [DOCKERFAB_TEST_UNSET, /default]
        null_default: !env [DOCKERFAB_TEST_UNSET, null]
        set_ignores_default: !env [SITE_ROOT, /default]
        """))
    assert data == {"root": "/srv/site", "with_default": "/default", "null_default": None,
                    "set_ignores_default": "/srv/site"}


def test_env_lazy_reads_the_variable_when_used(monkeypatch, tmp_path):
    monkeypatch.delenv("DOCKERFAB_TEST_LATE", raising=False)
    path = write(tmp_path, "late.yaml", """
        a: 1
        b: !env_lazy DOCKERFAB_TEST_LATE
        c: !env_lazy [DOCKERFAB_TEST_LATE, fallback]
        """)
    data = dyaml.load_document(path.read_text(), source=str(path))
    assert resolve_value(data["c"]) == "fallback"
    with pytest.raises(MapError) as info:
        resolve_deep(data)
    assert_where(info.value, path, 2, "b")
    assert "DOCKERFAB_TEST_LATE is not set" in str(info.value)
    monkeypatch.setenv("DOCKERFAB_TEST_LATE", "now")
    assert resolve_value(data["b"]) == "now"


def test_env_missing_names_variable_file_and_line(monkeypatch, tmp_path):
    monkeypatch.delenv("DOCKERFAB_TEST_UNSET", raising=False)
    error = load_error(tmp_path, """
        name: m
        app:
          image: app
          user: !env DOCKERFAB_TEST_UNSET
        """)
    assert_where(error, tmp_path / "site.yaml", 4, "app.user")
    assert "environment variable DOCKERFAB_TEST_UNSET is not set" in str(error)


@pytest.mark.parametrize("text", ["x: !env {a: 1}\n", "x: !env [A, b, c]\n", "x: !env [[A], b]\n",
                                  "x: !env ''\n"])
def test_env_bad_forms_are_rejected(text):
    with pytest.raises(MapError, match=r"<string>:1: x: !env takes a variable name"):
        dyaml.load_document(text)


def test_loader_is_isolated_from_pyyaml_globals():
    safe_base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    assert issubclass(dyaml.Loader, safe_base) and dyaml.Loader is not safe_base
    for tag in ("!path", "!path_lazy", "!env", "!env_lazy"):
        assert tag in dyaml.Loader.yaml_constructors
        for global_loader in (yaml.SafeLoader, yaml.Loader, yaml.FullLoader):
            assert tag not in global_loader.yaml_constructors
    with pytest.raises(yaml.constructor.ConstructorError):
        yaml.safe_load("a: !path $HOME")
    # duplicate keys: PyYAML itself keeps the last one; dockerfab rejects them
    assert yaml.safe_load("a: 1\na: 2\n") == {"a": 2}


def test_own_tags_on_a_loader_subclass():
    class MyLoader(dyaml.Loader):
        pass

    MyLoader.add_constructor("!upper", lambda loader, node: loader.construct_scalar(node).upper())
    assert dyaml.load_document("a: !upper x\nb: !path x\n", loader=MyLoader) == {"a": "X",
                                                                                 "b": "x"}
    assert "!upper" not in dyaml.Loader.yaml_constructors
    with pytest.raises(MapError, match=r"<string>:1: a: unknown tag !upper"):
        dyaml.load_document("a: !upper x\n")


def test_merge_keys_are_not_duplicates():
    data = dyaml.load_document(textwrap.dedent("""
        base: &base {image: app, user: 1}
        derived:
          <<: *base
          user: 2
        """))
    assert data["derived"] == {"image": "app", "user": 2}


def test_pyyaml_loader_reports_duplicates_as_yaml_error():
    with pytest.raises(yaml.MarkedYAMLError, match="duplicate key 'a'"):
        yaml.load("a: 1\na: 2\n", Loader=dyaml.Loader)


# --- errors from parsing: file, line, key path ----------------------------------------------

def test_syntax_error_names_file_line_and_path(tmp_path):
    error = load_error(tmp_path, """
        name: m
        app_server:
          image: app
          binds: [app_data, app_log
          user: 2000
        """)
    assert_where(error, tmp_path / "site.yaml", 5, "app_server.binds")
    assert "YAML syntax error" in str(error)


def test_tab_indentation_is_explained(tmp_path):
    path = tmp_path / "site.yaml"
    path.write_text("name: m\napp:\n\timage: app\n")
    with pytest.raises(MapError) as info:
        dyaml.load_map_file(path)
    assert_where(info.value, path, 3, "app")
    assert "tab character" in str(info.value)


def test_duplicate_key_is_rejected(tmp_path):
    error = load_error(tmp_path, """
        name: m
        app_server:
          image: app
          user: 2000
          binds: [app_data]
          user: 3000
        """)
    assert_where(error, tmp_path / "site.yaml", 6, "app_server.user")
    assert "duplicate key 'user' (first defined on line 4)" in str(error)


def test_duplicate_container_is_rejected(tmp_path):
    error = load_error(tmp_path, """
        name: m
        web: {image: nginx}
        app: {image: app}
        web: {image: httpd}
        """)
    assert_where(error, tmp_path / "site.yaml", 4, "web")


def test_undefined_alias_is_rejected(tmp_path):
    error = load_error(tmp_path, """
        name: m
        app_server:
          image: app
          binds:
            - app_config
            - *app_data
        """)
    assert_where(error, tmp_path / "site.yaml", 6, "app_server.binds[1]")
    assert "alias *app_data is used, but no anchor &app_data" in str(error)


def test_multiple_documents_are_rejected(tmp_path):
    error = load_error(tmp_path, """
        name: m
        app: {image: app}
        ---
        name: n
        """)
    assert error.file == str(tmp_path / "site.yaml") and error.line == 3
    assert "more than one YAML document" in str(error)


def test_invalid_bytes_are_reported_with_line(tmp_path):
    path = tmp_path / "site.yaml"
    path.write_bytes(b"name: m\napp:\n  image: \xff\n")
    with pytest.raises(MapError, match=r"site.yaml:3: not valid YAML text") as info:
        dyaml.load_map_file(path)
    assert info.value.line == 3


def test_missing_file_is_a_map_error(tmp_path):
    with pytest.raises(MapError, match=r"nothere.yaml: cannot read the file"):
        dyaml.load_map_file(tmp_path / "nothere.yaml")


@pytest.mark.parametrize("text, found", [("- a\n- b\n", "a list"), ("just text\n", "a string"),
                                         ("", "nothing")])
def test_map_root_must_be_a_mapping(tmp_path, text, found):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(MapError, match=f"bad.yaml:1: a map must be a mapping .* found {found}"):
        dyaml.load_map_file(path, "m")


def test_map_without_any_name(tmp_path):
    error = load_error(tmp_path, "app: {image: app}\n")
    assert "the map has no name" in str(error)
    with pytest.raises(MapError, match="input has none"):
        dyaml.load_map("app: {image: app}\n", "")


# --- maps (need the model: dockerfab.map.container) ----------------------------------------

def test_spec_example_map_loads_as_written():
    m = dyaml.load_map_file(DATA / "example_map.yaml", "")
    assert m.name == "example_map"
    assert m.repository == "registry.example.com"
    app = m.get_extended(m.containers["app_server"])
    app.clean()
    # CLARIFICATIONS 1: `- app_data:` (null value) is the alias, read-write
    assert app.binds == [SharedVolume("app_config", True), SharedVolume("app_data", False)]
    assert list(app.instances) == ["instance1", "instance2"]
    assert app.user == 2000 and app.permissions == "u=rwX,g=rX,o="


def test_naming_rules_in_priority_order(tmp_path):
    text = "name: from_root\napp: {image: app}\n"
    path = write(tmp_path, "site-a.yaml", text)
    assert dyaml.load_map_file(path, "apps").name == "apps"         # 1. keyword
    assert dyaml.load_map_file(path, name="").name == "site-a"      # 2. '' -> file base name
    assert dyaml.load_map_file(path).name == "from_root"            # 3. root element
    m = dyaml.load_map(io.StringIO(text))
    assert m.name == "from_root"
    assert "name" not in m.containers  # the root name element is not a container
    with path.open() as stream:
        assert dyaml.load_map(stream, "").name == "site-a"


def test_check_integrity_false_skips_the_reference_check(tmp_path):
    text = """
        name: m
        app:
          image: app
          binds: [no_such_alias]
        """
    path = write(tmp_path, "site.yaml", text)
    m = dyaml.load_map_file(path, check_integrity=False)
    assert "app" in m.containers
    with pytest.raises(MapError) as info:
        dyaml.load_map_file(path)
    assert_where(info.value, path, 4, "app.binds[0]")
    assert "no_such_alias" in str(info.value)


def test_path_tags_in_a_map(monkeypatch, tmp_path):
    monkeypatch.setenv("SITE_ROOT", "/srv/site")
    monkeypatch.setenv("CONFIG_PATH", "/etc/site")
    path = write(tmp_path, "tags.yaml", """
        name: tags
        host_root: !path $SITE_ROOT
        host: !path
          web_config: $CONFIG_PATH/nginx
          app_config: !path
            instance1: $CONFIG_PATH/app1
            instance2: $CONFIG_PATH/app2
        volumes:
          web_config: /etc/nginx
          app_config: /etc/app
        web: {image: nginx, binds: [web_config]}
        app: {image: app, instances: [instance1, instance2], binds: [app_config]}
        """)
    m = dyaml.load_map_file(path)
    assert resolve_value(m.host.root) == "/srv/site"
    assert resolve_value(m.host["web_config"]) == "/etc/site/nginx"
    assert m.host["app_config"] == {"instance1": "/etc/site/app1",
                                    "instance2": "/etc/site/app2"}


def test_lazy_tags_stay_lazy_in_the_map(monkeypatch):
    monkeypatch.setenv("SITE_ROOT", "/early")
    monkeypatch.delenv("DOCKERFAB_TEST_PORT", raising=False)
    m = dyaml.load_map(textwrap.dedent("""
        name: m
        host_root: !path_lazy $SITE_ROOT
        volumes: !path_lazy
          app_data: $SITE_ROOT/vol
        host: !path_lazy
          app_data: $SITE_ROOT/data
        app:
          image: app
          user: !env_lazy [DOCKERFAB_TEST_USER, "2000"]
          binds: [app_data]
          exposes:
            8080: !env_lazy [DOCKERFAB_TEST_PORT, 80]
        """))
    monkeypatch.setenv("SITE_ROOT", "/late")
    monkeypatch.setenv("DOCKERFAB_TEST_PORT", "8081")
    assert resolve_value(m.host.root) == "/late"
    assert resolve_value(m.host["app_data"]) == "/late/data"
    assert resolve_value(m.volumes["app_data"].default_path) == "/late/vol"
    app = m.get_extended(m.containers["app"])
    app.clean()
    assert resolve_value(app.user) == "2000"
    assert resolve_value(app.exposes[0].host_port) == "8081"


def test_nested_exec_commands_in_a_map():
    m = dyaml.load_map(textwrap.dedent("""
        name: m
        app:
          image: app
          exec_commands:
          - [ ['/bin/bash', '-c', 'script.sh'], 'root']
        """))
    app = m.get_extended(m.containers["app"])
    app.clean()
    assert [(c.cmd, c.user) for c in app.exec_commands] == [
        (["/bin/bash", "-c", "script.sh"], "root")]


def test_nested_exec_commands_in_yaml_notation_in_a_map():
    """The spec's second notation (3.9.1) describes the same command and user."""
    m = dyaml.load_map(textwrap.dedent("""
        name: m
        app:
          image: app
          exec_commands:
          -
            - /bin/bash
            - -c
            - script.sh
          - root
        """))
    app = m.get_extended(m.containers["app"])
    app.clean()
    assert [(c.cmd, c.user) for c in app.exec_commands] == [
        (["/bin/bash", "-c", "script.sh"], "root")]


def test_unknown_key_with_suggestion(tmp_path):
    error = load_error(tmp_path, """
        name: m
        volumes:
          app_data: /data
        app_server:
          image: app
          bindz: [app_data]
        """)
    assert_where(error, tmp_path / "site.yaml", 6, "app_server.bindz")
    assert "did you mean 'binds'" in str(error)


def test_unknown_volume_alias_with_suggestion(tmp_path):
    error = load_error(tmp_path, """
        name: m
        volumes:
          app_data: /var/lib/app/data
          app_log: /var/log/app
        host:
          app_data: data
          app_log: log
        app_server:
          image: app
          binds:
            - app_log
            - app_dta
        """)
    assert_where(error, tmp_path / "site.yaml", 12, "app_server.binds[1]")
    assert "app_dta" in str(error) and "did you mean 'app_data'" in str(error)


def test_wrong_type(tmp_path):
    error = load_error(tmp_path, """
        name: m
        app_server:
          image: [app, latest]
        """)
    assert_where(error, tmp_path / "site.yaml", 3, "app_server.image")
    assert "expected a string" in str(error)
    error = load_error(tmp_path, """
        name: m
        web: {image: nginx}
        app_server:
          - image
          - app
        """)
    assert_where(error, tmp_path / "site.yaml", 3, "app_server")
    assert "expected a dictionary" in str(error)


def format_path_of(error: MapError) -> str:
    return str(error).split(": ")[1]


def test_invalid_port(tmp_path):
    error = load_error(tmp_path, """
        name: m
        web:
          image: nginx
          exposes:
            80: 80
            443: 99999
        """)
    assert_where(error, tmp_path / "site.yaml", 6, "web.exposes[1]")
    assert "99999" in str(error)


def test_invalid_user(tmp_path):
    error = load_error(tmp_path, """
        name: m
        app:
          image: app
          user: [1, 2]
        """)
    assert_where(error, tmp_path / "site.yaml", 4, "app.user")


def test_invalid_permission_string(tmp_path):
    error = load_error(tmp_path, """
        name: m
        volumes:
          data: /data
        app:
          image: app
          attaches: data
          permissions: u=rwZ
        """)
    assert_where(error, tmp_path / "site.yaml", 7, "app.permissions")
    assert "u=rwZ" in str(error)


def test_missing_container_reference(tmp_path):
    error = load_error(tmp_path, """
        name: m
        web:
          image: nginx
          links:
            - app_server
            - db_server
        app_server:
          image: app
        """)
    assert_where(error, tmp_path / "site.yaml", 6, "web.links[1]")
    assert "db_server" in str(error)


def test_extends_cycle(tmp_path):
    error = load_error(tmp_path, """
        name: m
        a:
          image: app
          extends: b
        b:
          extends: [c]
        c:
          extends: a
        """)
    assert isinstance(error, CircularDependency)
    assert "cycle" in str(error) and "a -> b -> c -> a" in str(error)
    assert error.file == str(tmp_path / "site.yaml")
    lines = {"a.extends": 4, "a.extends[0]": 4, "b.extends[0]": 6, "c.extends": 8,
             "c.extends[0]": 8}
    assert error.line == lines[format_path_of(error)], str(error)


def test_dependency_cycle(tmp_path):
    error = load_error(tmp_path, """
        name: m
        a:
          image: app
          uses: b
        b:
          image: app
          links: [c]
        c:
          image: app
          uses: [a]
        """)
    assert error.file == str(tmp_path / "site.yaml")
    assert "cycle" in str(error)
    assert format_path_of(error) in ("a.uses", "a.uses[0]", "b.links[0]", "c.uses[0]")
    lines = {"a.uses": 4, "a.uses[0]": 4, "b.links[0]": 7, "c.uses[0]": 10}
    assert error.line == lines[format_path_of(error)]


def test_containers_key_wrapping_keeps_lines(tmp_path):
    error = load_error(tmp_path, """
        name: m
        volumes: {app_data: /data}
        host: {app_data: data}
        containers:
          app_server:
            image: app
            binds: [app_data, nope]
        """)
    assert_where(error, tmp_path / "site.yaml", 7, "containers.app_server.binds[1]")
    assert "nope" in str(error)


# --- clients -------------------------------------------------------------------------------

def test_spec_example_clients_load():
    from dockerfab.map.config.client import ClientConfiguration

    clients = dyaml.load_clients_file(DATA / "example_clients.yaml")
    assert sorted(clients) == ["apps1", "apps2", "apps3", "web1"]
    assert all(isinstance(c, ClientConfiguration) for c in clients.values())
    assert clients["web1"].base_url == "web1_host"
    assert clients["web1"].interfaces == {"private": "10.x.x.21", "public": "178.x.x.x"}


def test_clients_with_own_class_and_env(monkeypatch):
    monkeypatch.setenv("DOCKERFAB_TEST_HOST", "ssh://deploy@web1")

    class MyClient:
        def __init__(self, base_url: str, interfaces: dict | None = None) -> None:
            self.base_url = base_url
            self.interfaces = interfaces

    clients = dyaml.load_clients("web1:\n  base_url: !env DOCKERFAB_TEST_HOST\n", MyClient)
    assert isinstance(clients["web1"], MyClient)
    assert clients["web1"].base_url == "ssh://deploy@web1"


def test_clients_errors_name_file_line_and_path(tmp_path):
    path = write(tmp_path, "clients.yaml", """
        apps1:
          base_url: apps1_host
        web1:
          base_url: web1_host
          interfaces: {private: 10.0.0.1}
          interfacez: {public: 1.2.3.4}
        """)
    with pytest.raises(MapError) as info:
        dyaml.load_clients_file(path)
    assert_where(info.value, path, 6, "web1.interfacez")
    assert "interfacez" in str(info.value)
    path = write(tmp_path, "clients2.yaml", "apps1: [a, b]\n")
    with pytest.raises(MapError, match=r"clients2.yaml:1: apps1: client settings must be a mapping"):
        dyaml.load_clients_file(path)


def test_stream_name_is_used_in_messages():
    with pytest.raises(MapError, match=r"^<string>:3: a: duplicate key"):
        dyaml.load_map("name: m\na: 1\na: 2\n")
    with pytest.raises(MapError, match=r"^inline.yaml:3: a: duplicate key"):
        dyaml.load_map("name: m\na: 1\na: 2\n", source="inline.yaml")
    assert os.path.basename(__file__)  # sanity: this module is a file


# --- mapping the model's key paths back to lines ---------------------------------------------

LOCATE_TEXT = """\
host_root: /srv
containers:
  web:
    image: nginx
    exposes:
      80: 80
      443: 443
    uses: app_socket
    binds:
      /etc/nginx: [config/nginx, ro]
app:
  image: app
  links: [web]
"""


@pytest.mark.parametrize("path, line", [
    (("web", "exposes", 1), 7),          # a mapping the model turned into a list: i-th key
    (("web", "exposes", "443"), 7),      # '443' in the model's path for the YAML key 443
    (("web", "uses", 0), 8),             # a single value the model turned into a list
    (("web", "binds", 0, 1), 10),
    (("web", "image"), 4),               # under `containers:`
    (("containers", "web", "image"), 4),
    (("app", "links", 0), 13),
    (("app", "user"), 11),               # not written: the deepest prefix that is
    (("nothing", "here"), 1),
    (("host", "root"), 1),               # host.root is written as host_root
])
def test_model_paths_are_located(path, line):
    document = dyaml.parse_document(LOCATE_TEXT, "loc.yaml", dyaml.Loader)
    error = document.locate(MapError("problem", path))
    assert (error.file, error.line) == ("loc.yaml", line)
    assert error.path == path  # the path itself is reported as the model gave it


def test_located_error_keeps_a_file_set_elsewhere():
    document = dyaml.parse_document(LOCATE_TEXT, "loc.yaml", dyaml.Loader)
    error = document.locate(MapError("x", ("app",), file="other.yaml", line=3))
    assert (error.file, error.line) == ("other.yaml", 3)


def test_error_without_path_gets_file_but_no_line():
    document = dyaml.parse_document(LOCATE_TEXT, "loc.yaml", dyaml.Loader)
    error = document.locate(MapError("the whole map is wrong"))
    assert (error.file, error.line, str(error)) == ("loc.yaml", None,
                                                    "loc.yaml: the whole map is wrong")
