"""Dry runs: the plan an action call would execute, made with list and inspect calls only.

``MappingDockerClient.plan`` covers the map actions; this adds what a call does around it
(``update --pull-before-update`` pulls first; ``run_script`` starts the dependencies, creates
the script's container, runs and removes it).
"""
from __future__ import annotations

from typing import Any

from dockerfab.engine.script import replace_existing, script_container
from dockerfab.plan import actions as A
from dockerfab.plan.actions import Action, Plan
from dockerfab.plan.model import map_clients


def plan_call(mc: Any, action: str, container: Any = None, instances: Any = None,
              **kwargs: Any) -> Plan:
    """What ``getattr(mc, action)(container, instances, **kwargs)`` would do, in order
    (``unchanged``: the containers it examines and leaves alone)."""
    plan = Plan()
    steps = ["pull_images"] if action == "update" and kwargs.get("pull_before_update") else []
    for step in [*steps, action]:
        part = mc.plan(step, container, instances, **kwargs)
        plan.extend(part)
        plan.examined |= part.examined
    return plan


def plan_script(mc: Any, container: Any, instance: str | None = None,
                remove_existing_before: bool = False, remove_created_after: bool = True,
                **kwargs: Any) -> list[Action]:
    """What ``run_script`` would do: start dependencies, (replace and) create the container,
    run the script in it, remove it. Fails like ``run_script`` when the container exists and
    ``remove_existing_before`` is not set."""
    policy = mc.get_policy()
    cid = script_container(mc, container, None, instance)
    plan: list[Action] = []
    deps = policy.get_dependencies(cid)
    if deps:
        plan.extend(mc.plan("startup", deps))
    cmap = policy.container_maps[cid.map_name]
    name = policy.cname(cid.map_name, cid.config_name, cid.instance_name)
    last = max((a.step for a in plan), default=0)
    plan.extend(replace_existing(mc, cid, remove_existing_before, last + 1))
    base = max((a.step for a in plan), default=0) + 1
    # the real run plans this create after the dependencies started: what their startup
    # already covers (containers, volumes, images, networks) is not planned twice
    covered = {a.item for a in plan} | {name}
    created = [a for a in mc.plan("create", [cid]) if a.item not in covered]
    for a in created:
        a.step += base
    plan.extend(created)
    step = max((a.step for a in plan), default=0) + 1
    for client_name in map_clients(cmap, cmap.containers.get_existing(cid.config_name)):
        plan.append(Action(A.CREATE, name, client_name, ["script container"], step, cid))
        plan.append(Action(A.SCRIPT, name, client_name, ["start, wait, collect the log"],
                           step + 1, cid))
        if remove_created_after:
            plan.append(Action(A.REMOVE, name, client_name, ["remove_created_after"],
                               step + 2, cid))
    return plan


__all__ = ["plan_call", "plan_script"]
