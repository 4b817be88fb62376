"""Fleet status at the I/O edge: observe a host once through ``MappingDockerClient``'s own
planning path, classify with :mod:`dockerfab.plan.status`, and remove orphans on request.

The snapshot and desired state come from ``MappingDockerClient.plan_inputs("update", ...)``,
so status sees exactly what ``update`` would.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dockerfab.engine.execute import Executor
from dockerfab.engine.health import GateOptions
from dockerfab.map.select import ALL
from dockerfab.plan.actions import Action, ActionResult
from dockerfab.plan.options import ActionOptions
from dockerfab.plan.status import (
    REMOVE_NETWORK,
    ClientStatus,
    client_status,
    orphan_removal_plan,
)

if TYPE_CHECKING:
    from dockerfab.engine.client import MappingDockerClient


def fleet_status(mc: MappingDockerClient, **options: Any) -> list[ClientStatus]:
    """Status of each client of ``mc`` (see :func:`dockerfab.plan.status.client_status`),
    from one read-only observation per client of every container of every loaded map
    (list, inspect and, for exec-command checks, ``top``)."""
    opts = ActionOptions.from_kwargs(dict(options))
    inputs = mc.plan_inputs("update", ALL, map_name=ALL, **options)
    return [client_status(inp, mc.maps, opts) for inp in inputs]


class OrphanExecutor(Executor):
    """The engine's executor plus network removal (only orphan clean-up removes networks)."""

    def _do_remove_network(self, client: Any, action: Action) -> Any:
        return client.remove_network(action.item)


def remove_orphans(mc: MappingDockerClient, statuses: list[ClientStatus]) -> list[ActionResult]:
    """Stop and remove orphaned containers, then their volumes, then networks; reported
    through ``mc.listener`` like any other action."""
    plan = orphan_removal_plan(o for s in statuses for o in s.orphans)
    if not plan:
        return []
    clients = {a.client for a in plan}
    runner = OrphanExecutor({c: mc.docker_client(c) for c in clients}, listener=mc.listener,
                            concurrency=mc.concurrency, gate=GateOptions(wait=False))
    return runner.run(plan)


__all__ = ["REMOVE_NETWORK", "OrphanExecutor", "fleet_status", "remove_orphans"]
