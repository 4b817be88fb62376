"""Dry runs: the plan an action call would execute, made with list and inspect calls only.

``MappingDockerClient.plan`` covers one action; this adds what a call does around it, with
the same public steps the real run takes (:mod:`dockerfab.plan.request`): the actions of a
call from ``call_steps`` (``update --pull-before-update`` pulls first), and for
``run_script`` the dependencies' startup, the replacement of an existing container, the
script container's creation, run and removal.
"""
from __future__ import annotations

from typing import Any

from dockerfab.engine.script import ScriptEngine
from dockerfab.map.naming import container_name
from dockerfab.plan import actions as A
from dockerfab.plan.actions import Action, Plan
from dockerfab.plan.options import ActionOptions
from dockerfab.plan.request import call_steps, script_container, script_replacement


def plan_call(mc: Any, action: str, container: Any = None, instances: Any = None,
              **kwargs: Any) -> Plan:
    """What ``getattr(mc, action)(container, instances, **kwargs)`` would do, in order
    (``unchanged``: the containers it examines and leaves alone)."""
    plan = Plan()
    for step in call_steps(action, ActionOptions.from_kwargs(dict(kwargs))):
        part = mc.plan(step, container, instances, **kwargs)
        plan.extend(part)
        plan.examined |= part.examined
    return plan


def plan_script(mc: ScriptEngine, container: Any, instance: str | None = None,
                remove_existing_before: bool = False, remove_created_after: bool = True,
                **kwargs: Any) -> list[Action]:
    """What ``run_script`` would do: start dependencies, (replace and) create the container,
    run the script in it, remove it. Fails like ``run_script`` when the container exists and
    ``remove_existing_before`` is not set."""
    view = mc.view()
    cid = script_container(view, container, None, instance)
    plan: list[Action] = []
    deps = view.dependencies(cid)
    if deps:
        startup = mc.request("startup", deps, view=view)
        plan.extend(startup.plan(mc.observe(startup)))
    name = container_name(cid.map_name, cid.config_name, cid.instance_name)
    last = max((a.step for a in plan), default=0)
    create = mc.request("create", [cid], view=view)
    removal, snapshots = script_replacement(create, mc.observe(create), name,
                                            remove_existing_before, last + 1)
    plan.extend(removal)
    base = max((a.step for a in plan), default=0) + 1
    # the real run plans this create after the dependencies started: what their startup
    # already covers (containers, volumes, images, networks) is not planned twice
    covered = {a.item for a in plan} | {name}
    created = [a for a in create.plan(snapshots) if a.item not in covered]
    for a in created:
        a.step += base
    plan.extend(created)
    step = max((a.step for a in plan), default=0) + 1
    for client_name in create.clients:
        plan.append(Action(A.CREATE, name, client_name, ["script container"], step, cid))
        plan.append(Action(A.SCRIPT, name, client_name, ["start, wait, collect the log"],
                           step + 1, cid))
        if remove_created_after:
            plan.append(Action(A.REMOVE, name, client_name, ["remove_created_after"],
                               step + 2, cid))
    return plan


__all__ = ["plan_call", "plan_script"]
