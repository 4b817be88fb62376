"""The ``dockerfab`` program's executor: the ``-H`` hosts of a task go to its one call.

Fabric's own executor turns ``-H h1,h2 task`` into one call per host, run one after another.
:class:`ParallelExecutor` calls the task once instead and hands it the hosts' connections
through the run (:attr:`dockerfab.fabric.pipeline.Run.cli_hosts`), so everything that
belongs to the whole run (settings, maps, name checks) happens once and the hosts go
through the run's one bounded fan-out (:meth:`~dockerfab.fabric.pipeline.Run.on_hosts`),
like the hosts of a clients file. Pre- and post-tasks (the summary) still run once, in
order.
"""
from __future__ import annotations

from typing import Any

from fabric import Executor
from fabric.tasks import ConnectionCall
from invoke import Call, Context, Exit

from dockerfab.fabric.pipeline import Run

#: the config attribute holding the command after ``--`` of a task that takes one (exec)
_COMMAND_ATTR = "_dockerfab_command"


class ParallelExecutor(Executor):
    """Fabric's Executor, with the per-host calls of a task made into one call."""

    def execute(self, *tasks: Any) -> dict[Any, Any]:
        import time

        calls = self.expand_calls(self.normalize(tasks))
        results: dict[Any, Any] = {}
        request = getattr(self.config, "_dockerfab_request", None)  # the dockerfab program's
        started, run = time.time(), None
        try:
            for group in group_calls(calls):
                run = self._call(group, results, request)
        finally:
            if request is not None and run is not None:
                from dockerfab.fabric import lastrun

                names = list(dict.fromkeys(o.task for o in run.outcomes))
                lastrun.write(request.record(names, started, time.time() - started,
                                             run.planned, run.outcomes), request.directory)
        return results

    def expand_calls(self, calls: list[Call], apply_hosts: bool = True) -> list[Any]:
        """Fabric's, except that what follows ``--`` is the command of a task that takes
        one (``exec``), not a shell line Fabric runs on every host afterwards."""
        if any(getattr(getattr(c, "task", None), "takes_command", False) for c in calls):
            remainder = getattr(self.core, "remainder", "") if self.core is not None else ""
            if getattr(self.config, _COMMAND_ATTR, None) is None:
                import shlex

                # the dockerfab program keeps the words as given (set_task_command); under
                # fab only Invoke's line of them joined by spaces is left, split again here
                set_task_command(self.config, shlex.split(remainder))
            if self.core is not None:
                self.core.remainder = ""
        return list(super().expand_calls(calls, apply_hosts))

    def _call(self, group: list[Call], results: dict[Any, Any], request: Any) -> Run:
        """One task call for the group's hosts (all of a task's ``-H`` hosts)."""
        from dockerfab.errors import DockerFabError

        call = group[0]
        contexts = [self._context(c) for c in group]
        try:
            run = Run.of(self.config)  # made once, when the first task's config is loaded
        except DockerFabError as exc:  # bad settings, before any host: one line, as in a task
            raise Exit(f"dockerfab: {exc}", code=2) from None
        if request is not None and request.retry is not None:
            run.only_hosts = set(request.retry)
        if isinstance(call, ConnectionCall):
            run.cli_hosts = contexts
            context: Any = Context(config=self.config)
        else:
            context = contexts[0]
        try:
            results[call.task] = call.task(context, *call.args, **call.kwargs)
        finally:
            run.cli_hosts = []
            run.early.discard()  # opened ahead for a task that failed before its hosts
        return run

    def _context(self, call: Call) -> Any:
        config = self.config
        config.load_collection(self.collection.configuration(call.called_as))
        config.load_shell_env()
        return call.make_context(config)


def task_command(context: Any) -> list[str]:
    """The command a task that takes one (``exec``) got after ``--``. UsageError when the
    executor is not this module's: Fabric's own would run those words as a shell line on
    every host after the task."""
    from dockerfab.errors import UsageError

    config = context.config if hasattr(context, "config") else context
    command = getattr(config, _COMMAND_ATTR, None)
    if command is None:
        raise UsageError("exec needs the dockerfab program, or fab with tasks.executor_class: "
                         "dockerfab.fabric.executor.ParallelExecutor")
    return list(command)


def set_task_command(config: Any, words: list[str]) -> None:
    """The words after ``--`` exactly as given (the ``dockerfab`` program's argv)."""
    config._set(**{_COMMAND_ATTR: list(words)})


def group_calls(calls: list[Call]) -> list[list[Call]]:
    """Split calls into runs of per-host calls of the same task; everything else alone."""
    groups: list[list[Call]] = []
    for call in calls:
        previous = groups[-1][-1] if groups else None
        if (isinstance(call, ConnectionCall) and isinstance(previous, ConnectionCall)
                and previous.task is call.task and previous.args == call.args
                and previous.kwargs == call.kwargs):
            groups[-1].append(call)
        else:
            groups.append([call])
    return groups
