"""The run pipeline: one :class:`Run` per program run, one host fan-out for every task.

A task body asks :meth:`Run.of` for the run and hands it the work for one host::

    run = Run.of(c)                                  # settings, reporter, maps: once per run
    run.begin("startup", flags)                      # the task's --format/--fail-fast/...
    maps = run.maps()                                # loaded and integrity-checked once
    run.check_names(names, instances)                # before any host is contacted
    run.on_hosts(c, "startup", work)                 # the one fan-out, bounded

The hosts are those of ``-H`` (``dockerfab`` collects them into one call of the task:
:class:`dockerfab.fabric.executor.ParallelExecutor`; Fabric's own ``fab`` calls the task once
per host, each with its :class:`~fabric.Connection`) or, without ``-H``, those of the client
configurations that name a ``fabric_host`` (:func:`dockerfab.fabric.hosts.resolve_targets`);
with neither, the local daemon. Whichever, they go through :meth:`Run.on_hosts`.

Extension points (docs/architecture.rst, "The run pipeline"):

* :attr:`Run.hooks`: :class:`HostHook` objects entered around the work of each host (a
  per-host deploy lock for changing tasks; an audit record);
* :attr:`Run.batches`: how targets are cut into batches run one after another (rolling
  deploys); the default is one batch;
* :attr:`Run.stop`: set it to stop starting hosts (``--fail-fast`` does; a Ctrl-C handler
  may too); hosts not started yet are reported as skipped;
* :attr:`Run.outcomes`: the per-run record of every host's result (``--retry-failed``);
  the live board gets the targets from :meth:`Run.on_hosts` (``Reporter.expect``);
* :data:`DEFAULT_HOSTS_IN_FLIGHT`: the bound on hosts worked on at once unless
  ``docker.parallel`` (``--parallel``) says otherwise; each host's threads and pooled
  channels are bounded too (:func:`dockerfab.fabric.settings.threads_per_host`).
"""
from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from fabric import Connection

from dockerfab import interrupts
from dockerfab.errors import DockerFabError, Interrupted, UsageError
from dockerfab.fabric.early import EarlyConnections
from dockerfab.fabric.flags import TaskFlags
from dockerfab.fabric.run import (
    HostSession,
    HostTarget,
    Work,
    close_session,
    open_session,
    unexpected_error_line,
)
from dockerfab.fabric.settings import (
    DEFAULT_HOSTS_IN_FLIGHT,
    DockerSettings,
    threads_per_host,
)
from dockerfab.output import Reporter

_RUN_ATTR = "_dockerfab_run"


class HostHook(Protocol):
    """Entered around the work on one open host (after connecting, before the work).
    Raising a DockerFabError fails that host only, like any host failure."""

    def around(self, session: HostSession, task: str) -> AbstractContextManager[None]: ...


@dataclass
class HostOutcome:
    """What became of one host in one task of this run."""
    host: str
    task: str
    ok: bool
    error: str | None = None
    skipped: bool = False
    #: False when the host could not be connected to (or was skipped)
    reached: bool = True


def one_batch(targets: Sequence[HostTarget]) -> list[list[HostTarget]]:
    return [list(targets)] if targets else []


class Run:
    """What belongs to the whole program run: the settings, the reporter, the maps and
    client configurations (loaded and checked once), the stop event and the host fan-out.
    """

    def __init__(self, config: Any, reporter: Reporter | None = None,
                 settings: DockerSettings | None = None) -> None:
        self.config = config
        self.settings = settings or DockerSettings.from_config(config)
        self.reporter = reporter or Reporter.for_mode(self.settings.output)
        #: set to start no further hosts (``--fail-fast``, Ctrl-C)
        self.stop = threading.Event()
        #: one question on the terminal at a time
        self.prompt_lock = threading.Lock()
        #: the ``-H`` hosts of the current task when the program fans out itself
        self.cli_hosts: list[Connection] = []
        self.hooks: list[HostHook] = []
        self.batches: Callable[[Sequence[HostTarget]], list[list[HostTarget]]] = one_batch
        self.outcomes: list[HostOutcome] = []
        #: every host a task of this run was to work on (the run record's hosts)
        self.planned: list[str] = []
        #: when set, only these hosts are worked on (``--retry-failed``)
        self.only_hosts: set[str] | None = None
        #: SSH connections opened ahead (:meth:`open_early`), taken by :meth:`on_host`
        self.early = EarlyConnections()
        self._outcome_lock = threading.Lock()
        self._maps: dict[bool, list[Any]] = {}
        self._clients: dict[str, Any] | None = None
        self._checked: set[tuple[tuple[str, ...], tuple[str, ...]]] = set()

    # ----- the run of a config -----------------------------------------------------------------
    @classmethod
    def of(cls, context: Any) -> Run:
        """The run of this program run. ``dockerfab`` makes it before the first task
        (:meth:`attach`); under Fabric's ``fab`` the first task call makes it (Fabric runs
        the calls one after another)."""
        config = context.config if hasattr(context, "config") else context
        run = getattr(config, _RUN_ATTR, None)
        if run is None:
            run = cls.attach(config)
        return run

    @classmethod
    def attach(cls, config: Any, reporter: Reporter | None = None) -> Run:
        """Make the run of ``config`` (the one config object Invoke hands every task)."""
        run = cls(config, reporter)
        config._set(**{_RUN_ATTR: run})  # a real attribute, not config data
        return run

    # ----- a task's start ----------------------------------------------------------------------
    def begin(self, task: str, flags: TaskFlags, lines: bool = False) -> DockerSettings:
        """A task starts: its ``--fail-fast``/``--format`` apply to the settings, its output
        flags to the reporter (``lines``: the task prints output lines, never the live
        board). Returns the settings it runs with. Under Fabric's ``fab``,
        Ctrl-C and SIGTERM stop the run cleanly from here on (``dockerfab`` handles them
        from its start; other programs calling the tasks keep their own handling)."""
        import os
        import sys

        from dockerfab.output import MODES, NORMAL, QUIET, VERBOSE

        if os.path.basename(sys.argv[0] if sys.argv else "") == "fab":
            interrupts.install()

        changes: dict[str, Any] = {}
        base = DockerSettings.from_config(self.config)
        if flags.fail_fast and not base.fail_fast:
            changes["fail_fast"] = True
        if flags.format is not None:
            if flags.format not in MODES:
                raise UsageError(f"--format must be one of {', '.join(MODES)}, not "
                                 f"{flags.format!r}")
            changes["output"] = flags.format
        if flags.verbose and flags.quiet:
            raise UsageError("--verbose and --quiet exclude each other")
        self.settings = dataclasses.replace(base, **changes) if changes else base
        verbosity = VERBOSE if flags.verbose else QUIET if flags.quiet else NORMAL
        self.reporter.begin(task, flags.dry_run, self.settings.output, verbosity,
                            board=self.settings.board and not lines)
        return self.settings

    # ----- what the run works with: loaded once --------------------------------------------------
    def confirm(self, question: str) -> bool:
        """Ask the user (one question at a time, on stderr with JSON output)."""
        from dockerfab.output.prompt import confirm

        return confirm(question, self.reporter, self.prompt_lock)

    def end(self, full: bool) -> bool:
        """End of a task: the summary (always with ``full``, else when a host failed);
        True if every host was ok."""
        return self.reporter.end(full)

    @staticmethod
    def exit_code(ok: bool) -> int:
        """The exit status after a task's summary: 130 once interrupted (Ctrl-C, SIGTERM),
        else 1 if a host failed, else 0."""
        if interrupts.stop_requested():
            return interrupts.EXIT_INTERRUPTED
        return 0 if ok else 1

    def maps(self, complete: bool = True) -> list[Any]:
        """The configured maps, loaded and integrity-checked once per run (``complete=False``:
        references only, for tasks that take containers down)."""
        if complete not in self._maps:
            from dockerfab.fabric.hosts import load_maps

            self._maps[complete] = load_maps(self.settings, self.config, complete)
        return self._maps[complete]

    def check_names(self, maps: Sequence[Any], names: Sequence[str],
                    instances: Sequence[str]) -> None:
        """Names that no loaded map knows raise MapError before any host is contacted
        (checked once per run for the same names)."""
        key = (tuple(names), tuple(instances))
        if key in self._checked or not maps:
            return
        from dockerfab.map.select import select_in

        select_in(maps, list(names), list(instances) or None)
        self._checked.add(key)

    def clients(self) -> dict[str, Any]:
        """The client configurations of ``docker.clients``, loaded once per run."""
        if self._clients is None:
            from dockerfab.fabric.hosts import load_clients

            self._clients = load_clients(self.settings, self.config)
        return self._clients

    def targets(self, context: Any) -> list[HostTarget]:
        """The hosts of this task call: ``-H`` hosts, else the clients' hosts, else local."""
        from dockerfab.fabric.hosts import resolve_targets

        hosts: Sequence[Any] = self.cli_hosts or (
            [context] if isinstance(context, Connection) else [])
        targets = resolve_targets(hosts, self.clients())
        if self.only_hosts is not None:
            targets = [t for t in targets if t.label in self.only_hosts]
        return targets

    # ----- the one fan-out ------------------------------------------------------------------------
    def open_early(self, context: Any, targets: Sequence[HostTarget] | None = None) -> None:
        """The task has checked what it can without a host: the SSH handshakes of this
        call's ``-H`` hosts (the first ``docker.parallel``) start in the background, while
        the work for them is imported and built; :meth:`on_host` takes each connection
        (:mod:`dockerfab.fabric.early`). :meth:`on_hosts` does it too, so a task calls it
        only to start sooner, and only for work that then goes through :meth:`on_hosts`
        (not batch by batch: those connections would wait for their batch)."""
        if self.batches is not one_batch:
            return
        connections = [t.connection for t in targets or self.targets(context)
                       if t.connection is not None]
        self.early.start(connections[:self.settings.hosts_in_flight], self.settings)

    def on_hosts(self, context: Any, task: str, work: Work) -> bool:
        """Do ``work`` on every host of this call, batch after batch, at most
        ``docker.parallel`` (0: :data:`DEFAULT_HOSTS_IN_FLIGHT`) at once; failures are
        recorded per host, never raised. True if every host was ok."""
        ok = True
        targets = self.targets(context)
        self.plan_hosts([t.label for t in targets])
        self.open_early(context, targets)
        try:
            for batch in self.batches(targets):
                ok = self._batch(batch, task, work) and ok
        finally:  # hosts skipped or not reached: their connections opened ahead are closed
            self.early.discard(t.connection for t in targets if t.connection is not None)
        return ok

    def _batch(self, targets: Sequence[HostTarget], task: str, work: Work) -> bool:
        workers = max(1, min(len(targets), self.settings.hosts_in_flight))
        settings = dataclasses.replace(
            self.settings, host_threads=threads_per_host(workers, self.settings.host_threads))
        if len(targets) == 1:
            return self.on_host(targets[0], task, work, settings)
        with ThreadPoolExecutor(max_workers=workers,
                                thread_name_prefix="dockerfab-host") as pool:
            futures = [pool.submit(self.on_host, t, task, work, settings) for t in targets]
            results = [f.result() for f in futures]  # every host, no short circuit
            return all(results)

    def on_host(self, target: HostTarget, task: str, work: Work,
                settings: DockerSettings | None = None) -> bool:
        """Do ``work`` on one host (with ``settings``, else the run's) and record the
        outcome; never raises for host failures (a bug, i.e. an exception outside
        dockerfab's tree, still propagates)."""
        reporter = self.reporter
        report = reporter.host(target.label, task)
        if self.stop.is_set():
            reporter.finish(target.label, "skipped: an earlier host failed (--fail-fast)")
            self.record(HostOutcome(target.label, task, False, "skipped", skipped=True,
                                     reached=False))
            return False
        if interrupts.stop_requested():  # Ctrl-C/SIGTERM: no new host starts
            line = f"not started: interrupted ({interrupts.reason()})"
            reporter.finish(target.label, line, interrupted=True)
            self.record(HostOutcome(target.label, task, False, line, skipped=True,
                                     reached=False))
            return False
        session: HostSession | None = None
        try:
            session = open_session(target, self.config, settings or self.settings, reporter,
                                   self.early)
            try:
                with self._hooks(session, task):
                    unchanged, result = work(session)
            finally:
                close_session(session)
        except Interrupted as exc:  # what was done and what was not (no --fail-fast stop)
            reporter.finish(target.label, exc, interrupted=True)
            self.record(HostOutcome(target.label, task, False, str(exc)))
            return False
        except DockerFabError as exc:
            reporter.finish(target.label, exc)
            return self._failed(target, task, str(exc), session is not None)
        except Exception as exc:  # noqa: BLE001  transport dropped mid-run, Docker API errors
            line = unexpected_error_line(exc)
            reporter.finish(target.label, line)
            return self._failed(target, task, line, session is not None)
        reporter.finish(target.label, unchanged=unchanged, result=result)
        self.record(HostOutcome(target.label, task, report.ok))
        return report.ok

    @contextlib.contextmanager
    def _hooks(self, session: HostSession, task: str) -> Iterator[None]:
        with contextlib.ExitStack() as stack:
            for hook in self.hooks:
                stack.enter_context(hook.around(session, task))
            yield

    def _failed(self, target: HostTarget, task: str, error: str, reached: bool) -> bool:
        if self.settings.fail_fast:
            self.stop.set()
        self.record(HostOutcome(target.label, task, False, error, reached=reached))
        return False

    def plan_hosts(self, labels: Sequence[str]) -> None:
        """Note hosts a task of this run is about to work on: the run record's hosts (a
        planned host that never gets an outcome counts as not reached) and the live
        board's waiting rows (``Reporter.expect``)."""
        with self._outcome_lock:
            for label in labels:
                if label not in self.planned:
                    self.planned.append(label)
        self.reporter.expect(list(labels))

    def record(self, outcome: HostOutcome) -> None:
        """Add one host's outcome (thread-safe). Code that drives hosts itself instead
        of through :meth:`on_hosts` (a rollout) records through here, so that the run
        record and a live board see its hosts."""
        with self._outcome_lock:
            self.outcomes.append(outcome)

    def record_report(self, host: str, task: str, reached: bool = True) -> None:
        """Record ``host``'s outcome as its report stands now: ok, or failed with the
        report's error line (``reached=False``: the host was never worked on)."""
        report = self.reporter.host(host, task)
        self.record(HostOutcome(host, task, report.ok, None if report.ok else report.error,
                                skipped=not reached, reached=reached))


__all__ = ["DEFAULT_HOSTS_IN_FLIGHT", "HostHook", "HostOutcome", "Run"]
