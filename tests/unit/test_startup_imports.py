"""What the program imports before it needs it (issue 13: "the program starts at once").

Each check runs in a fresh interpreter and reads its ``sys.modules``: ``import
dockerfab.cli`` and ``dockerfab --list``/``--help`` must not import the Docker SDK (with
requests and urllib3), dockerfab's engine, plan and map model, nor rich (the live board);
those come when a task works on a host (or draws its board). Fabric itself imports paramiko (``fabric/__init__.py``), so paramiko is
loaded on every path of a Fabric program; what is asserted about it is that it comes
from there and nothing more of the SSH side (dockerfab.ssh's Docker adapter) does.
Timing is the benchmark's business (tests/bench/bench_startup.py), not this test's.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

#: modules the start-up path must not import
HEAVY = ("docker", "requests", "urllib3", "dockerfab.engine", "dockerfab.plan",
         "dockerfab.map.container", "dockerfab.client.wrapper", "dockerfab.ssh.adapter",
         "dockerfab.rollout.rolling", "dockerfab.yaml", "rich", "dockerfab.output.live")

PROBE = """
import contextlib, io, json, sys
{body}
print(json.dumps(sorted(sys.modules)))
"""


def modules_after(body: str) -> set[str]:
    """The module names loaded in a fresh interpreter after running ``body``."""
    done = subprocess.run([sys.executable, "-c", PROBE.format(body=body)], capture_output=True,
                          text=True, check=True, timeout=60)
    return set(json.loads(done.stdout.splitlines()[-1]))


def heavy_in(modules: set[str]) -> list[str]:
    return sorted(m for m in modules
                  if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_importing_the_program_loads_no_docker_sdk_nor_engine():
    modules = modules_after("import dockerfab.cli")
    assert heavy_in(modules) == []
    assert "dockerfab.tasks" not in modules  # the collection is built when the program runs


RUN = """
from dockerfab.cli import make_program
with contextlib.redirect_stdout(io.StringIO()):
    try:
        make_program().run(["dockerfab", {args}])
    except SystemExit as exc:
        assert not exc.code, exc.code
"""


@pytest.mark.parametrize("args", [["--list"], ["--help"], ["--version"],
                                  ["--help", "update"]])
def test_listing_and_help_load_no_docker_sdk_nor_engine(args):
    modules = modules_after(RUN.format(args=", ".join(repr(a) for a in args)))
    assert "dockerfab.tasks" in modules  # the probe did run the program
    assert heavy_in(modules) == []


def test_paramiko_comes_with_fabric_only():
    """Fabric's package imports paramiko; dockerfab's own SSH code adds no more."""
    fabric_alone = modules_after("import fabric")
    program = modules_after(RUN.format(args="'--list'"))
    paramiko = {m for m in program if m.split(".")[0] in ("paramiko", "cryptography")}
    assert paramiko <= fabric_alone


def test_only_the_console_entry_leaves_its_objects_to_the_exit():
    """``main()`` as the console script freezes the collector's objects as it ends (the
    exit then does not walk them); called in-process with arguments (tests, a fabfile)
    it leaves the caller's collector alone."""
    probe = """
import contextlib, gc, io, json, sys
from dockerfab.cli import main
def frozen_after(argv):
    before = gc.get_freeze_count()
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            main(argv)
        except SystemExit:
            pass
    return gc.get_freeze_count() > before
in_process = frozen_after(["--version"])
sys.argv = ["dockerfab", "--version"]
print(json.dumps([in_process, frozen_after(None)]))
"""
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True, timeout=60)
    assert json.loads(done.stdout.splitlines()[-1]) == [False, True]
