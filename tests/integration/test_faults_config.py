"""Bad configuration through the real program (issue 10): every configuration error is one
line on stderr and exit status 2, before any host is contacted; an inline ``docker.clients``
mapping in fabric.yaml works."""
from __future__ import annotations

import time

import pytest
import yaml

from tests.integration.fabric_helpers import (
    fabric_overrides,
    run_program,
    unique,
    write_project,
    write_ssh_config,
)


@pytest.fixture(scope="module")
def ssh_config(bed, tmp_path_factory):
    return write_ssh_config(bed, tmp_path_factory.mktemp("ssh"))


def sshd_accepts(bed) -> int:
    """Connections bed1's sshd has accepted so far (its log)."""
    from tests.bed.layout import RUN_DIR

    return (RUN_DIR / "bed1" / "sshd.log").read_text().count("Accepted publickey")


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
def test_bad_setting_in_fabric_yaml_is_one_line_and_exit_2(bed, ssh_config, tmp_path, docker,
                                                           expected):
    (tmp_path / "map.yaml").write_text("name: m\nweb: {image: busybox}\n")
    write_project(tmp_path, docker)
    before = sshd_accepts(bed)
    proc = run_program("dockerfab", tmp_path, ssh_config, "-H", "bed1", "startup", "web")
    one_line_exit_2(proc, expected)
    time.sleep(0.2)
    assert sshd_accepts(bed) == before  # no host contacted


def test_billion_laughs_map_is_refused_before_any_host(bed, ssh_config, tmp_path):
    lines = ["name: laughs", "l0: &l0 [lol,lol,lol,lol,lol,lol,lol,lol,lol]"]
    lines += [f"l{n}: &l{n} [" + ",".join([f"*l{n - 1}"] * 9) + "]" for n in range(1, 10)]
    (tmp_path / "map.yaml").write_text("\n".join(lines) + "\n")
    write_project(tmp_path, {"maps": ["map.yaml"]})
    before = sshd_accepts(bed)
    began = time.monotonic()
    proc = run_program("dockerfab", tmp_path, ssh_config, "-H", "bed1", "startup", "web",
                       timeout=60)
    assert time.monotonic() - began < 30  # not a benchmark: 'hours' would hit the time-out
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith(f"dockerfab: {tmp_path / 'map.yaml'}:1: the document's "
                                  "aliases expand to more than ")
    assert len(proc.stderr.strip().splitlines()) == 1
    assert sshd_accepts(bed) == before


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
        for c in api.containers(all=True, filters={"label": f"dockerfab.map={name}"}):
            api.remove_container(c["Id"], force=True)
