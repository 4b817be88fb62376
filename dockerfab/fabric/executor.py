"""An Executor that runs the per-host calls of one task concurrently.

Fabric's own executor turns ``-H h1,h2 task`` into one call per host and runs them one after
another. :class:`ParallelExecutor` runs the calls of one task for different hosts at the
same time (at most ``docker.parallel`` at once), so a run takes about as long as its
slowest host. Pre- and post-tasks (the summary) still run once, in order.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fabric import Executor
from fabric.tasks import ConnectionCall
from invoke import Call


class ParallelExecutor(Executor):
    """Fabric's Executor, with consecutive per-host calls of a task run in threads."""

    def execute(self, *tasks: Any) -> dict[Any, Any]:
        calls = self.expand_calls(self.normalize(tasks))
        results: dict[Any, Any] = {}
        for group in _groups(calls):
            # Contexts are made one by one in this thread: they share the config object.
            prepared = [(call, self._context(call)) for call in group]
            if len(prepared) == 1:
                call, context = prepared[0]
                results[call.task] = call.task(context, *call.args, **call.kwargs)
                continue
            with ThreadPoolExecutor(max_workers=self._workers(len(prepared)),
                                    thread_name_prefix="dockerfab-call") as pool:
                futures = [pool.submit(call.task, context, *call.args, **call.kwargs)
                           for call, context in prepared]
                values = [f.result() for f in futures]
            results[group[0].task] = values
        return results

    def _context(self, call: Call) -> Any:
        config = self.config
        config.load_collection(self.collection.configuration(call.called_as))
        config.load_shell_env()
        return call.make_context(config)

    def _workers(self, count: int) -> int:
        from dockerfab.fabric.settings import DockerSettings

        parallel = DockerSettings.from_config(self.config).parallel
        return max(1, min(count, parallel or count))


def _groups(calls: list[Call]) -> list[list[Call]]:
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
