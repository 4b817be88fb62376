"""The ``dockerfab`` program: Fabric's ``fab`` with dockerfab's tasks built in, and the
hosts given with ``-H`` worked on concurrently instead of one after another."""
from __future__ import annotations

import gc
import os
import sys
from typing import Any

from fabric import Config
from fabric.main import Fab
from invoke import Argument, Exit

from dockerfab import __version__
from dockerfab.fabric.executor import ParallelExecutor


class DockerfabProgram(Fab):
    """``fab`` with a fixed namespace (:data:`dockerfab.tasks.ns`). Project settings are
    read from ``fabric.yaml`` (or ``.yml``/``.json``/``.py``) in the working directory,
    as ``fab`` reads them next to its fabfile. ``--parallel N`` bounds the hosts worked on
    at once; every run leaves its per-host results in ``.dockerfab/last-run.json``, and
    ``--retry-failed`` runs that run's tasks again on the hosts that were not ok."""

    def core_args(self) -> list[Any]:
        return [*super().core_args(),
                Argument(names=("parallel",), kind=int,
                         help="hosts worked on at once (default: docker.parallel, 32)"),
                Argument(names=("retry-failed",), kind=bool,
                         help="run the last run's tasks again, only on its hosts that "
                              "failed or were not reached (.dockerfab/last-run.json)"),
                Argument(names=("no-board",), kind=bool,
                         help="on a terminal too, a line per action instead of the live "
                              "board (docker.board: false)")]

    def parse_core(self, *args: Any, **kwargs: Any) -> None:
        from dockerfab.errors import DockerFabError
        from dockerfab.fabric import lastrun

        super().parse_core(*args, **kwargs)
        parallel = self.args["parallel"].value
        if parallel is not None:
            if parallel < 0:
                raise Exit("dockerfab: --parallel must be 0 (the default) or more", code=2)
            os.environ["DOCKERFAB_PARALLEL"] = str(parallel)  # the flag beats the variable
        if self.args["no-board"].value:
            os.environ["DOCKERFAB_BOARD"] = "false"
        request = lastrun.ProgramRequest(list(self.core.unparsed), self.args["hosts"].value,
                                         os.getcwd())
        if self.args["retry-failed"].value:
            try:
                request.retry_from(lastrun.load(request.directory))
            except DockerFabError as exc:
                raise Exit(f"dockerfab: {exc}", code=2) from None
            if not request.retry:
                print("dockerfab: nothing to retry: every host of the last run was ok",
                      file=sys.stderr)
                raise Exit(code=0)
            self.core.unparsed = list(request.task_argv)
            self.args["hosts"].value = request.hosts_arg
        self._request = request

    def parse_collection(self) -> None:
        super().parse_collection()
        self.config.set_project_location(os.getcwd())
        self.config.load_project()

    def update_config(self, *args: Any, **kwargs: Any) -> None:
        super().update_config(*args, **kwargs)
        request = getattr(self, "_request", None)
        if request is not None:  # the executor records the run (dockerfab.fabric.lastrun)
            self.config._set(_dockerfab_request=request)
        argv = list(self.argv or ())
        if "--" in argv and self.core is not None and self.core.unparsed:
            from dockerfab.fabric.executor import set_task_command

            # exec's command as given; Invoke keeps only the words joined by spaces
            set_task_command(self.config, argv[argv.index("--") + 1:])


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
    whole_process = argv is None
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
    finally:
        if whole_process:  # the process ends next (docs/benchmarks.rst, "Start-up")
            _leave_objects_to_exit()


def _leave_objects_to_exit() -> None:
    """Keep the interpreter's exit from walking every object of the run in its garbage
    collections (30-50 ms after ``import fabric`` alone): they are moved out of the
    collector's reach (``gc.freeze``). Nothing is skipped: objects are still released by
    reference count, finalizers and ``atexit`` handlers run, files are flushed; only cyclic
    garbage left at the very end stays uncollected, which the exit frees with the process."""
    gc.freeze()


if __name__ == "__main__":  # pragma: no cover
    main()
