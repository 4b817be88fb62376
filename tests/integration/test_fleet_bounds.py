"""The bound on a run's threads, counted during real runs of ``dockerfab`` on bed hosts:
at most ``--parallel`` hosts are worked on at once, and each host reads its state with at
most its share of threads (``docker.host_threads``, automatic by default)."""
from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path
from typing import Self

import pytest
import yaml

from dockerfab.cli import make_program
from tests.integration.fabric_helpers import (
    run_program,
    unique,
    write_project,
)

HOSTS = ("bed1", "bed2", "bed3")
IMAGE = "dockerfab-test/base:latest"
IDLE = "trap 'exit 0' TERM; while :; do sleep 1 & wait $!; done"
CONTAINERS = 6



@pytest.fixture
def project(bed, bed_api, tmp_path, ssh_config):
    """Six running containers of a map (unique name) on each bed host; removed after."""
    name = unique("t_bound")
    configs = {f"c{i}": {"image": IMAGE, "create_options": {"command": ["sh", "-c", IDLE]}}
               for i in range(CONTAINERS)}
    (tmp_path / "map.yaml").write_text(yaml.safe_dump({"name": name, **configs}))
    write_project(tmp_path, {"maps": ["map.yaml"], "wait": False})
    up = run_program("dockerfab", tmp_path, ssh_config, "-H", ",".join(HOSTS),
                     "startup", "__all__")
    assert up.returncode == 0, up.stdout + up.stderr
    yield tmp_path, name
    for host in bed:
        api = bed_api(host)
        for c in api.containers(all=True, filters={"label": f"dockerfab.map={name}"}):
            api.remove_container(c["Id"], v=True, force=True)


class ThreadPeaks:
    """The most threads alive at once per name prefix, sampled at every thread start (the
    count only grows when a thread starts, so no peak is missed). Only threads started
    inside the block count: earlier in-process runs of the suite may leave idle pool
    threads of the same names behind."""

    def __init__(self) -> None:
        self.peaks: Counter[str] = Counter()
        self._start = threading.Thread.start

    def __enter__(self) -> Self:
        peaks, start = self.peaks, self._start
        before = set(threading.enumerate())

        def counted(thread: threading.Thread) -> None:
            start(thread)
            now = Counter(t.name.split("_")[0] for t in threading.enumerate()
                          if t not in before)
            for prefix, count in now.items():
                peaks[prefix] = max(peaks[prefix], count)
        threading.Thread.start = counted  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        threading.Thread.start = self._start  # type: ignore[method-assign]


def run_in_process(directory: Path, ssh_config: Path, monkeypatch, *args: str) -> int:
    monkeypatch.chdir(directory)
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    monkeypatch.setenv("DOCKERFAB_PARALLEL", "0")  # restored after; --parallel sets it
    try:
        make_program().run(["dockerfab", "-S", str(ssh_config), *args])
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_parallel_and_host_threads_bound_a_real_run(project, ssh_config, monkeypatch):
    directory, _name = project
    monkeypatch.setenv("DOCKERFAB_HOST_THREADS", "2")
    with ThreadPeaks() as seen:
        code = run_in_process(directory, ssh_config, monkeypatch, "-H", ",".join(HOSTS),
                              "--parallel", "2", "status")
    assert code == 0
    assert seen.peaks["dockerfab-host"] == 2  # three hosts, two at a time
    # 4 list calls and 6 inspects per host, yet never more than 2 threads per host
    assert 2 <= seen.peaks["dockerfab-observe"] <= 2 * 2


def test_without_bounds_given_each_host_gets_its_share(project, ssh_config, monkeypatch):
    """The same run with the defaults: all three hosts at once (fewer than 32), each with
    up to the automatic share of threads, which is more than the work needs here."""
    directory, _name = project
    monkeypatch.delenv("DOCKERFAB_HOST_THREADS", raising=False)
    with ThreadPeaks() as seen:
        code = run_in_process(directory, ssh_config, monkeypatch, "-H", ",".join(HOSTS),
                              "status")
    assert code == 0
    assert seen.peaks["dockerfab-host"] == 3
    assert seen.peaks["dockerfab-observe"] > 2 * 3  # the bound above was the one biting


def test_negative_parallel_is_a_usage_error(project, ssh_config):
    directory, _ = project
    proc = run_program("dockerfab", directory, ssh_config, "-H", "bed1", "--parallel", "-1",
                       "status")
    assert proc.returncode == 2
    assert "--parallel must be 0 (the default) or more" in proc.stderr
