"""Project tasks for developers (``invoke --list``): tests, test bed, docs, type check, lint.

``invoke testbed up``, ``invoke test tests/unit -k yaml``, ``invoke test --no-bed``.

Thin wrappers over the commands CI runs (.ci/run), with the current interpreter.
"""
from __future__ import annotations

import shlex
import sys

from invoke.context import Context
from invoke.tasks import task

PY = shlex.quote(sys.executable)


@task(positional=["path"],
      help={"path": "test file or directory (default: all)",
            "keyword": "only tests matching this -k expression",
            "bed": "--no-bed leaves out the tests that need the test bed (-m 'not bed')"})
def test(c: Context, path: str = "", keyword: str = "", bed: bool = True) -> None:
    """Run pytest."""
    args = [path] if path else []
    if keyword:
        args += ["-k", keyword]
    if not bed:
        args += ["-m", "not bed"]
    c.run(f"{PY} -m pytest -q {' '.join(map(shlex.quote, args))}", pty=sys.stdout.isatty())


@task(help={"action": "up, down, status or env"})
def testbed(c: Context, action: str) -> None:
    """Bring the test bed up or down, or show it (python -m tests.testbed ACTION; needs root)."""
    c.run(f"{PY} -m tests.testbed {shlex.quote(action)}")


@task
def docs(c: Context) -> None:
    """Build the HTML docs, warnings as errors."""
    c.run(f"{PY} -m sphinx -W -q -b html docs docs/_build/html")


@task
def typecheck(c: Context) -> None:
    """mypy (files and options from setup.cfg)."""
    c.run(f"{PY} -m mypy")


@task
def lint(c: Context) -> None:
    """ruff over the package, the tests and this file."""
    c.run(f"{PY} -m ruff check dockerfab tests tasks.py")
