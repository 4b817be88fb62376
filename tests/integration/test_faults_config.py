"""Bad configuration through the real program (issue 10): every configuration error is one
line on stderr and exit status 2, before any host is contacted; an inline ``docker.clients``
mapping in fabric.yaml works."""
from __future__ import annotations

import socket
import threading
import time

import pytest
import yaml

from tests.integration.fabric_helpers import (
    fabric_overrides,
    remove_map_objects,
    run_program,
    unique,
    write_project,
)


class Probe:
    """A TCP listener on loopback standing in for a host: counts who connects to it."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(8)
        self.server.settimeout(0.1)
        self.port = self.server.getsockname()[1]
        self.connections = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(2)
        self.server.close()


@pytest.fixture
def probe(ssh_config, tmp_path):
    """(ssh_config with a host 'probe' that is the listener, the listener)."""
    listener = Probe()
    config = tmp_path / "ssh_config.probe"
    config.write_text(f"Host probe\n    HostName 127.0.0.1\n    Port {listener.port}\n"
                      + ssh_config.read_text())
    yield config, listener
    listener.close()


def one_line_exit_2(proc, expected: str) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.strip() == expected
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(("docker", "expected"), [
    ({"timeout": 0}, ("dockerfab: docker.timeout: must be a positive number of seconds, got 0 "
                     "(there is no 'no time-out' setting)")),
    ({"mpas": ["map.yaml"]}, "dockerfab: docker.mpas: unknown setting (did you mean 'maps'?)"),
    ({"sudo": "perhaps"}, "dockerfab: docker.sudo: expected a yes/no value, got 'perhaps'"),
])
def test_bad_setting_in_fabric_yaml_is_one_line_and_exit_2(probe, tmp_path, docker, expected):
    config, listener = probe
    (tmp_path / "map.yaml").write_text("name: m\nweb: {image: busybox}\n")
    write_project(tmp_path, docker)
    proc = run_program("dockerfab", tmp_path, config, "-H", "probe", "startup", "web")
    one_line_exit_2(proc, expected)
    assert listener.connections == 0  # no host contacted


def test_billion_laughs_map_is_refused_before_any_host(probe, tmp_path):
    config, listener = probe
    lines = ["name: laughs", "l0: &l0 [lol,lol,lol,lol,lol,lol,lol,lol,lol]"]
    lines += [f"l{n}: &l{n} [" + ",".join([f"*l{n - 1}"] * 9) + "]" for n in range(1, 10)]
    (tmp_path / "map.yaml").write_text("\n".join(lines) + "\n")
    write_project(tmp_path, {"maps": ["map.yaml"]})
    began = time.monotonic()
    proc = run_program("dockerfab", tmp_path, config, "-H", "probe", "startup", "web",
                       timeout=60)
    assert time.monotonic() - began < 30  # not a benchmark: 'hours' would hit the time-out
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith(f"dockerfab: {tmp_path / 'map.yaml'}:1: the document's "
                                  "aliases expand to more than ")
    assert len(proc.stderr.strip().splitlines()) == 1
    assert listener.connections == 0


def test_inline_clients_mapping_in_fabric_yaml(bed, bed_api, ssh_config, tmp_path):
    name = unique("dfinl")
    (tmp_path / "map.yaml").write_text(yaml.safe_dump(
        {"name": name, "clients": ["c1"],
         "web": {"image": "dockerfab-test/base", "stop_timeout": 1}}))
    (tmp_path / "fabfile.py").write_text("from dockerfab.tasks import ns  # noqa: F401\n")
    (tmp_path / "fabric.yaml").write_text(yaml.safe_dump(
        {**fabric_overrides(),
         "docker": {"maps": ["map.yaml"], "clients": {"c1": {"fabric_host": "bed1"}}}}))
    api = bed_api("bed1")
    try:
        proc = run_program("dockerfab", tmp_path, ssh_config, "startup", "web")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "AmbiguousMergeError" not in proc.stderr
        assert api.inspect_container(f"{name}.web")["State"]["Running"] is True
        again = run_program("dockerfab", tmp_path, ssh_config, "startup", "web")
        assert again.returncode == 0 and "start" not in again.stdout.split("SUMMARY")[0] \
            .replace("startup", ""), again.stdout
    finally:
        remove_map_objects(name, api)


@pytest.mark.parametrize(("map_text", "expected"), [
    ("name: m\nnetwroks:\n  front: {}\nweb: {image: busybox}\n",
     ("map.yaml:2: netwroks: unknown map key (did you mean 'networks'?); as a container "
     "configuration: unknown container configuration property 'front'")),
    ("name: m\nhost:\n  site: !path $DF_TEST_UNSET/site\nweb: {image: busybox}\n",
     ("map.yaml:3: host.site: !path '$DF_TEST_UNSET/site': environment variable "
     "$DF_TEST_UNSET not set (it would stay in the path literally)")),
    ("name: m\nweb:\n  image: busybox\n  instances: [one, two, one]\n",
     "map.yaml:4: web.instances[2]: instance name 'one' is listed twice"),
    ("name: m\nweb:\n  image: busybox\n  binds:\n    - /data: [/srv/a:b, ro]\n",
     ("map.yaml:5: web.binds[0]: host path '/srv/a:b' contains ':', which Docker's bind "
     "syntax (host:container:mode) cannot carry")),
])
def test_bad_map_is_one_line_with_file_and_line_before_any_host(probe, tmp_path, map_text,
                                                                 expected):
    config, listener = probe
    (tmp_path / "map.yaml").write_text(map_text)
    write_project(tmp_path, {"maps": ["map.yaml"]})
    proc = run_program("dockerfab", tmp_path, config, "-H", "probe", "startup", "web")
    one_line_exit_2(proc, f"dockerfab: {tmp_path}/{expected}")
    assert listener.connections == 0


def test_unexpected_exception_is_one_line_per_host_traceback_only_with_debug(
        bed, ssh_config, tmp_path):
    """A value the option builder does not check (``port_bindings: 5``) makes it raise a
    plain AttributeError on every host: a bug, outside dockerfab's error tree."""
    (tmp_path / "map.yaml").write_text(
        "name: m\nweb:\n  image: dockerfab-test/base\n  host_config: {port_bindings: 5}\n")
    write_project(tmp_path, {"maps": ["map.yaml"]})
    proc = run_program("dockerfab", tmp_path, ssh_config, "-H", "bed1,bed2", "startup", "web",
                       "--dry-run")
    assert proc.returncode == 1
    errors = sorted(line for line in proc.stdout.splitlines() if " ERROR " in line)
    assert [e.split(" ")[0] for e in errors] == ["[bed1]", "[bed2]"]
    for line in errors:
        assert line.endswith("(--debug shows the traceback)"), line
        assert "Error: " in line
    assert "Traceback" not in proc.stdout + proc.stderr
    debug = run_program("dockerfab", tmp_path, ssh_config, "--debug", "-H", "bed1", "startup",
                        "web", "--dry-run")
    assert debug.returncode == 1
    assert "Traceback (most recent call last)" in debug.stderr
