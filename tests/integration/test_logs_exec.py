"""``logs`` and ``exec`` for real: the ``dockerfab`` program on bed1 and bed2 over SSH, with
a map whose container prints known lines to stdout and stderr. What a user sees: each line
with its host and container, stderr lines on stderr, --tail/--since/--timestamps as asked,
--follow picking up a line written after it started and ending on Ctrl-C (exit 130) or when
every container stopped, an unreachable host's one line while the other host's logs come,
exec's output and per-container exit statuses, and bad names refused before any host."""
from __future__ import annotations

import datetime
import json
import re
import signal
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from tests.integration.fabric_helpers import (
    PARALLEL_FAB,
    UNREACHABLE,
    remove_map_objects,
    run_program,
    unique,
    write_project,
)
from tests.integration.test_interrupts import Run

HOSTS = ("bed1", "bed2")
IMAGE = "dockerfab-test/base:latest"
IDLE = "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done"
# out1 / err1 / out2 / err2 / out3, spaced so that their order in the log is certain
TALK = ("echo out1; sleep 0.2; echo err1 >&2; sleep 0.2; echo out2; sleep 0.2; "
        "echo err2 >&2; sleep 0.2; echo out3; " + IDLE)


def write_map(directory: Path, name: str) -> None:
    (directory / "map.yaml").write_text(yaml.safe_dump({
        "name": name,
        "talker": {"image": IMAGE, "stop_timeout": 1,
                   "create_options": {"command": ["sh", "-c", TALK]}},
        "pair": {"image": IMAGE, "instances": ["a", "b"], "stop_timeout": 1},
        "screen": {"image": IMAGE, "stop_timeout": 1,  # a TTY: its log is not framed
                   "create_options": {"tty": True,
                                      "command": ["sh", "-c", "echo on a tty; " + IDLE]}},
        "never": {"image": IMAGE},  # in the map, never created
    }))
    write_project(directory, {"maps": ["map.yaml"]})


def dockerfab(directory: Path, ssh_config: Path, *args: str, hosts: tuple[str, ...] = HOSTS):
    return run_program("dockerfab", directory, ssh_config, "-H", ",".join(hosts), *args,
                       timeout=120)


def wait_for_log(api, container: str, text: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while text not in api.logs(container).decode():
        assert time.monotonic() < deadline, f"{container} never logged {text!r}"
        time.sleep(0.1)


@contextmanager
def deployment(directory: Path, ssh_config: Path, bed_api, prefix: str):
    """The map started on bed1 and bed2 under a new name (removed afterwards), once the
    talker has printed its lines."""
    name = unique(prefix)
    try:
        write_map(directory, name)
        up = dockerfab(directory, ssh_config, "startup", "talker,pair,screen", "--no-wait")
        assert up.returncode == 0, up.stdout + up.stderr
        for host in HOSTS:
            wait_for_log(bed_api(host), f"{name}.talker", "out3")
            wait_for_log(bed_api(host), f"{name}.screen", "on a tty")
        yield directory, name
    finally:
        remove_map_objects(name, *(bed_api(host) for host in HOSTS))


@pytest.fixture(scope="module")
def deployed(bed, bed_api, ssh_config, tmp_path_factory):
    """The map running on bed1 and bed2, for the tests that leave its logs as they are."""
    with deployment(tmp_path_factory.mktemp("logs"), ssh_config, bed_api, "t_logs") as d:
        yield d


@pytest.fixture
def project(bed, bed_api, ssh_config, tmp_path):
    """The map running on bed1 and bed2 for one test (which adds lines to its logs)."""
    with deployment(tmp_path, ssh_config, bed_api, "t_logs1") as d:
        yield d


def ours(text: str, name: str) -> list[str]:
    return [line for line in text.splitlines() if f" {name}." in line]


def test_tail_2_shows_the_last_two_lines_per_host_with_prefixes(deployed, ssh_config):
    directory, name = deployed
    proc = dockerfab(directory, ssh_config, "logs", "talker", "--tail", "2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for host in HOSTS:  # err2 then out3: stderr's on stderr, stdout's on stdout
        assert [li for li in ours(proc.stdout, name) if li.startswith(f"[{host}]")] == [
            f"[{host}] {name}.talker | out3"]
        assert [li for li in ours(proc.stderr, name) if li.startswith(f"[{host}]")] == [
            f"[{host}] {name}.talker | err2"]
    assert "Traceback" not in proc.stdout + proc.stderr


def test_every_instance_and_all_lines(deployed, ssh_config):
    directory, name = deployed
    proc = dockerfab(directory, ssh_config, "logs", f"{name}.__all__", "--tail", "all",
                     hosts=("bed1",))
    assert proc.returncode == 1  # 'never' has no container: one failed line
    assert [li for li in ours(proc.stdout, name) if " | " in li] == [
        f"[bed1] {name}.screen | on a tty", f"[bed1] {name}.talker | out1",
        f"[bed1] {name}.talker | out2", f"[bed1] {name}.talker | out3"]
    (failed,) = [li for li in proc.stdout.splitlines() if "[bed1] " in li and "FAILED" in li]
    assert f"[bed1] logs {name}.never FAILED" in failed and "no such container" in failed
    assert ours(proc.stderr, name) == [f"[bed1] {name}.talker | err1",
                                       f"[bed1] {name}.talker | err2"]
    # the pair's instances are idle: asked for, they give no line and no error
    only_pair = dockerfab(directory, ssh_config, "logs", "pair", hosts=("bed1",))
    assert only_pair.returncode == 0 and ours(only_pair.stdout, name) == []


def test_since_a_time_and_a_duration(project, ssh_config, bed_api):
    directory, name = project
    time.sleep(1.1)
    cut = datetime.datetime.now(datetime.UTC)
    time.sleep(1.1)
    marker = unique("late")
    for host in HOSTS:  # a line in the container's own log, written after the cut
        api = bed_api(host)
        exec_id = api.exec_create(f"{name}.talker", ["sh", "-c", f"echo {marker} > /proc/1/fd/1"])
        api.exec_start(exec_id)
        wait_for_log(api, f"{name}.talker", marker)
    since = cut.isoformat().replace("+00:00", "Z")
    proc = dockerfab(directory, ssh_config, "logs", "talker", "--tail", "all", "--since",
                     since)
    assert proc.returncode == 0
    assert sorted(ours(proc.stdout, name)) == [f"[{h}] {name}.talker | {marker}"
                                               for h in HOSTS]
    assert ours(proc.stderr, name) == []
    recent = dockerfab(directory, ssh_config, "logs", "talker", "--since", "10m",
                       hosts=("bed2",))
    assert ours(recent.stdout, name) == [f"[bed2] {name}.talker | {line}"
                                         for line in ("out1", "out2", "out3", marker)]
    stamped = dockerfab(directory, ssh_config, "logs", "talker", "--tail", "1",
                        "--timestamps", hosts=("bed1",))
    (line,) = ours(stamped.stdout, name)
    assert re.fullmatch(rf"\[bed1\] {name}\.talker \| \d{{4}}-\d\d-\d\dT\S+Z {marker}", line)


def test_unreachable_host_gets_one_line_while_the_other_logs_come(deployed, ssh_config):
    directory, name = deployed
    proc = dockerfab(directory, ssh_config, "logs", "talker", "--tail", "2",
                     hosts=("bed1", UNREACHABLE))
    assert proc.returncode == 1
    assert ours(proc.stdout, name) == [f"[bed1] {name}.talker | out3"]
    lines = [li for li in (proc.stdout + proc.stderr).splitlines()
             if li.startswith(f"[{UNREACHABLE}]")]
    assert len(lines) == 1 and "ERROR logs:" in lines[0], lines
    assert "Traceback" not in proc.stdout + proc.stderr


def test_json_lines(deployed, ssh_config):
    directory, name = deployed
    proc = dockerfab(directory, ssh_config, "logs", "talker", "--tail", "all", "--format",
                     "json", hosts=("bed1",))
    assert proc.returncode == 0
    *lines, document = [json.loads(li) for li in proc.stdout.splitlines()]
    assert lines == [{"host": "bed1", "container": f"{name}.talker", "stream": s, "line": t}
                     for s, t in (("stdout", "out1"), ("stderr", "err1"), ("stdout", "out2"),
                                  ("stderr", "err2"), ("stdout", "out3"))]
    assert document["task"] == "logs" and document["ok"] is True
    assert document["hosts"][0]["result"] == {"containers": [f"{name}.talker"]}


def test_bad_names_exit_2_before_any_host(deployed, ssh_config):
    directory, _ = deployed
    for args in (["logs", "nosuch"], ["exec", "nosuch", "--", "true"],
                 ["exec", "__all__", "--", "true"], ["exec", "talker"],
                 ["logs", "talker", "--tail", "ten"], ["logs", "talker", "--since", "soon"],
                 ["exec", "talker", "--env", "X", "--", "true"]):
        proc = dockerfab(directory, ssh_config, *args, hosts=("bed1", UNREACHABLE))
        assert proc.returncode == 2, args
        assert proc.stdout == "", args  # nothing printed for a host: none was contacted
        assert len(proc.stderr.strip().splitlines()) == 1, args
        assert proc.stderr.startswith("dockerfab: "), args


def test_exec_runs_the_command_as_a_list_in_every_instance(deployed, ssh_config):
    directory, name = deployed
    proc = dockerfab(directory, ssh_config, "exec", "pair", "--", "echo", "two  spaces",
                     "$HOME")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for host in HOSTS:
        assert sorted(li for li in ours(proc.stdout, name)
                      if li.startswith(f"[{host}]") and "|" in li) == [
            f"[{host}] {name}.pair.{i} | two  spaces $HOME" for i in ("a", "b")]
        assert f"[{host}] exec: 2 containers, 2 exited 0" in proc.stdout
    one = dockerfab(directory, ssh_config, "exec", "pair", "--instance", "b", "--user",
                    "nobody", "--workdir", "/tmp", "--env", "GREETING=hi there", "--",
                    "sh", "-c", 'echo "$GREETING from $(id -un) in $(pwd)" >&2',
                    hosts=("bed1",))
    assert one.returncode == 0
    assert ours(one.stderr, name) == [f"[bed1] {name}.pair.b | hi there from nobody in /tmp"]
    assert "[bed1] exec: 1 container, 1 exited 0" in one.stdout


def test_exec_reports_each_hosts_exit_status(deployed, ssh_config):
    directory, name = deployed
    marker = f"/tmp/{unique('mark')}"
    assert dockerfab(directory, ssh_config, "exec", "talker", "--", "touch", marker,
                     hosts=("bed1",)).returncode == 0
    proc = dockerfab(directory, ssh_config, "exec", "talker", "--", "sh", "-c",
                     f"test -e {marker} && echo found || {{ echo missing >&2; exit 3; }}")
    assert proc.returncode == 1
    assert f"[bed1] {name}.talker | found" in proc.stdout.splitlines()  # hosts run at once
    assert f"[bed2] {name}.talker | missing" in proc.stderr
    assert re.search(rf"\[bed1\] exec {name}\.talker done .*exit status 0", proc.stdout)
    assert re.search(rf"\[bed2\] exec {name}\.talker FAILED .*: exit status 3", proc.stdout)
    assert "[bed1] exec: 1 container, 1 exited 0" in proc.stdout
    assert f"[bed2] exec: 1 container, 0 exited 0; {name}.talker exit status 3" in proc.stdout
    assert re.search(r"^bed2\s.*\b1\b", proc.stdout, re.MULTILINE)  # the summary table
    missing = dockerfab(directory, ssh_config, "exec", "talker", "--", "/no/such/program",
                        hosts=("bed1",))
    assert missing.returncode == 1
    assert re.search(rf"\[bed1\] exec {name}\.talker FAILED .*: exit status 12[67]",
                     missing.stdout)


def test_follow_picks_up_a_new_line_and_ends_on_sigint(project, ssh_config, bed_api):
    directory, name = project
    run = Run(directory, ssh_config, "-H", ",".join(HOSTS), "logs", "talker,pair", "-f",
              "--tail", "1")
    for host in HOSTS:
        run.wait_for(rf"^\[{host}\] {name}\.talker \| out3$")
    marker = unique("followed")
    for host in HOSTS:
        api = bed_api(host)
        exec_id = api.exec_create(f"{name}.talker", ["sh", "-c", f"echo {marker} > /proc/1/fd/1"])
        api.exec_start(exec_id)
    for host in HOSTS:
        run.wait_for(rf"^\[{host}\] {name}\.talker \| {marker}$")
    run.signal(signal.SIGINT)
    code, out, err = run.finish(30)
    assert code == 130
    assert "Traceback" not in out + err
    assert " ERROR " not in out


def test_follow_ends_when_every_container_stopped(project, ssh_config, bed_api):
    directory, name = project
    run = Run(directory, ssh_config, "-H", ",".join(HOSTS), "logs", "talker", "--follow",
              "--tail", "1")
    for host in HOSTS:
        run.wait_for(rf"^\[{host}\] {name}\.talker \| out3$")
    for host in HOSTS:
        bed_api(host).kill(f"{name}.talker")
    code, out, err = run.finish(30)
    assert code == 0, out + err


def test_follow_over_dial_stdio_stays_within_its_sessions(project, ssh_config, monkeypatch):
    """Each stream over dial-stdio is an SSH session: with room for two channels, one
    container is followed and the others get a line saying why not."""
    directory, name = project
    monkeypatch.setenv("DOCKERFAB_MODE", "dial-stdio")
    monkeypatch.setenv("DOCKERFAB_HOST_THREADS", "2")
    run = Run(directory, ssh_config, "-H", "bed1", "logs", "talker,pair", "-f", "--tail", "1")
    run.wait_for(rf"^\[bed1\] {name}\.talker \| out3$")
    for instance in ("a", "b"):
        run.wait_for(rf"\[bed1\] logs {name}\.pair\.{instance} FAILED .*not started: over "
                     r"docker system dial-stdio this host carries 1 stream at once")
    run.signal(signal.SIGINT)
    code, out, err = run.finish(30)
    assert code == 130
    assert "Traceback" not in out + err


def test_exec_under_fab_needs_dockerfabs_executor(deployed, ssh_config):
    directory, name = deployed
    marker = unique("said")
    with_executor = directory / "with-executor"
    with_executor.mkdir(exist_ok=True)
    (with_executor / "map.yaml").write_text((directory / "map.yaml").read_text())
    write_project(with_executor, {"maps": ["map.yaml"]}, PARALLEL_FAB)
    proc = run_program("fab", with_executor, ssh_config, "-H", "bed1", "exec", "talker",
                       "--", "echo", marker)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [li for li in ours(proc.stdout, name) if " | " in li] == [
        f"[bed1] {name}.talker | {marker}"]
    assert proc.stdout.count(marker) == 1  # not also run by Fabric as a shell line
    # Fabric's own executor stops at a '--' after a task (NothingToDo), before any host;
    # without one, exec says what it needs
    plain = run_program("fab", directory, ssh_config, "-H", "bed1", "exec", "talker", "--",
                        "echo", marker)
    assert plain.returncode != 0 and marker not in plain.stdout
    plain = run_program("fab", directory, ssh_config, "-H", "bed1", "exec", "talker")
    assert plain.returncode == 2
    assert plain.stderr.strip() == ("dockerfab: exec needs the dockerfab program, or fab "
                                    "with tasks.executor_class: "
                                    "dockerfab.fabric.executor.ParallelExecutor")
