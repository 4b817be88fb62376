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
    remove_map_objects,
    run_program,
    unique,
    write_project,
)

HOSTS = ("bed1", "bed2", "bed3")
IMAGE = "dockerfab-test/base:latest"
IDLE = "trap 'exit 0' TERM; while :; do sleep 1 & wait $!; done"
CONTAINERS = 6
#: threads of one host's SSH connection without the health gate (docs/fabric.rst,
#: fleet-bounds): paramiko's transport, the keep-alive and its sender, a command's stderr
CONNECTION_THREADS = 4



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
    remove_map_objects(name, *(bed_api(host) for host in bed))


class ThreadPeaks:
    """The most threads alive at once per name prefix (``peaks``) and in all (``total``),
    sampled at every thread start (the count only grows when a thread starts, so no peak
    is missed). Only threads started inside the block count: earlier in-process runs of
    the suite may leave idle pool threads of the same names behind. ``at_total``: the
    threads' names when the total was highest."""

    def __init__(self) -> None:
        self.peaks: Counter[str] = Counter()
        self.total = 0
        self.at_total: list[str] = []
        self._start = threading.Thread.start

    def __enter__(self) -> Self:
        peaks, start = self.peaks, self._start
        before = set(threading.enumerate())
        lock = threading.Lock()

        def counted(thread: threading.Thread) -> None:
            start(thread)
            with lock:
                alive = [t.name for t in threading.enumerate() if t not in before]
                for prefix, count in Counter(n.split("_")[0] for n in alive).items():
                    peaks[prefix] = max(peaks[prefix], count)
                if len(alive) > self.total:
                    self.total, self.at_total = len(alive), sorted(alive)
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
    assert 2 <= seen.peaks["dockerfab-reads"] <= 2 * 2


def started_at(api, name: str) -> dict[str, str]:
    return {c["Names"][0]: api.inspect_container(c["Id"])["State"]["StartedAt"]
            for c in api.containers(filters={"label": f"dockerfab.map={name}"})}


def test_a_changing_run_reads_within_each_hosts_threads(project, ssh_config, monkeypatch,
                                                        bed, bed_api):
    """``restart`` goes through the deploy guard: it reads the map's six containers while
    it takes the lock and again after the restart (their inspects several at once),
    besides observing the host and running the actions. The reads share each host's
    ``docker.host_threads``; the program's threads stay within the bound of
    docs/fabric.rst (fleet-bounds): per host in flight its worker, its ``host_threads``
    and its connection's own."""
    directory, name = project
    apis = [bed_api(host) for host in HOSTS]
    before = [started_at(api, name) for api in apis]
    monkeypatch.setenv("DOCKERFAB_HOST_THREADS", "2")
    with ThreadPeaks() as seen:
        code = run_in_process(directory, ssh_config, monkeypatch, "-H", ",".join(HOSTS),
                              "--parallel", "2", "restart", "__all__")
    assert code == 0
    after = [started_at(api, name) for api in apis]
    for old, new in zip(before, after):  # every container of every host was restarted
        assert len(new) == CONTAINERS and all(new[c] != old[c] for c in old)
    assert seen.peaks["dockerfab-host"] == 2
    assert 2 <= seen.peaks["dockerfab-reads"] <= 2 * 2  # reads and actions, 2 per host
    assert seen.total <= 2 * (1 + 2 + CONNECTION_THREADS), seen.at_total


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
    assert seen.peaks["dockerfab-reads"] > 2 * 3  # the bound above was the one biting


def test_negative_parallel_is_a_usage_error(project, ssh_config):
    directory, _ = project
    proc = run_program("dockerfab", directory, ssh_config, "-H", "bed1", "--parallel", "-1",
                       "status")
    assert proc.returncode == 2
    assert "--parallel must be 0 (the default) or more" in proc.stderr
