"""The ``dockerfab`` program: Fabric's ``fab`` with dockerfab's tasks built in, and the
hosts given with ``-H`` worked on concurrently instead of one after another."""
from __future__ import annotations

import os
import sys

from fabric import Config
from fabric.main import Fab

from dockerfab import __version__
from dockerfab.fabric.executor import ParallelExecutor


class DockerfabProgram(Fab):
    """``fab`` with a fixed namespace (:data:`dockerfab.tasks.ns`). Project settings are
    read from ``fabric.yaml`` (or ``.yml``/``.json``/``.py``) in the working directory,
    as ``fab`` reads them next to its fabfile."""

    def parse_collection(self) -> None:
        super().parse_collection()
        self.config.set_project_location(os.getcwd())
        self.config.load_project()


def make_program() -> DockerfabProgram:
    from dockerfab.tasks import ns

    return DockerfabProgram(name="dockerfab", binary="dockerfab", version=__version__,
                            namespace=ns, executor_class=ParallelExecutor,
                            config_class=Config)


def main(argv: list[str] | None = None) -> None:
    """Console entry point (``dockerfab = dockerfab.cli:main``). SIGINT/SIGTERM stop the
    run cleanly (exit 130), a second one at once (:mod:`dockerfab.interrupts`)."""
    from dockerfab import interrupts
    from dockerfab.errors import DockerFabError, MapError
    from dockerfab.fabric.run import unexpected_error_line

    interrupts.install()
    try:
        make_program().run(sys.argv if argv is None else ["dockerfab", *argv])
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except MapError as exc:  # a configuration error outside any host: one line, exit 2
        print(f"dockerfab: {exc}", file=sys.stderr)
        sys.exit(2)
    except DockerFabError as exc:
        print(f"dockerfab: {exc}", file=sys.stderr)
        sys.exit(1)
    except Exception as exc:  # noqa: BLE001 - a bug: one line, the traceback under --debug
        print(f"dockerfab: {unexpected_error_line(exc)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
