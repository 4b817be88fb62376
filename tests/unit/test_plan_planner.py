"""Planners on plain snapshots: order, reasons, options; an unchanged map plans nothing."""
from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from dockerfab.engine.policy import BasePolicy
from dockerfab.map.container import ContainerMap
from dockerfab.map.input import CmdCheck, ItemType, MapConfigId
from dockerfab.plan import planner
from dockerfab.plan.compare import missing_exec_commands, recreate_reasons
from dockerfab.plan.generators import DEFAULT_GENERATORS
from dockerfab.plan.options import ActionOptions
from dockerfab.plan.planner import PlanInput
from dockerfab.plan.request import MapView, build_request
from dockerfab.plan.snapshot import ContainerState, HostSnapshot
from tests.unit.test_plan_support import IMAGE_IDS, example_map, observed, snapshot_of

EXAMPLE_VOLUMES = ("example_map.app_log", "example_map.app_server_socket",
                   "example_map.web_log")


def make_input(cmap: ContainerMap, snapshot: Callable[[dict[str, Any]], HostSnapshot],
               selected: list[str] | None = None, reverse: bool = False,
               extra: dict[str, Any] | None = None) -> PlanInput:
    """One client's PlanInput, assembled the way the engine does (dockerfab.plan.request),
    with ``snapshot(desired)`` standing in for the observation."""
    action = "stop" if reverse else "create"  # the direction of the dependency path
    view = MapView.of({cmap.name: cmap})
    request = build_request(view, action, DEFAULT_GENERATORS,
                            selected if selected is not None else "__all__",
                            options=ActionOptions(extra=dict(extra or {})))
    (part,) = request.clients.values()
    return part.input(snapshot(part.desired))


def empty(desired: dict[str, Any]) -> HostSnapshot:
    return HostSnapshot("__default__", images=dict(IMAGE_IDS))


def steps(plan):
    return [(a.step, a.kind, a.item) for a in plan]


def test_startup_from_nothing_follows_dependencies():
    inp = make_input(example_map(), empty, ["example_map.web_server"])
    plan = planner.plan_startup(inp, ActionOptions())
    creates = [a for a in plan if a.kind == "create"]
    web = next(a for a in creates if a.item == "example_map.web_server")
    assert all(a.step < web.step for a in creates if a is not web)
    # volumes created before any container, prepared after the owners are created and
    # before they start; web_log has neither user nor permissions
    kinds = {(a.kind, a.item): a.step for a in plan}
    for vol in ("example_map.app_log", "example_map.app_server_socket"):
        assert kinds[("create_volume", vol)] < kinds[("create", "example_map.app_server.instance1")]
        assert kinds[("create", "example_map.app_server.instance1")] < kinds[
            ("prepare_volume", vol)] < kinds[("start", "example_map.app_server.instance1")]
    assert ("prepare_volume", "example_map.web_log") not in kinds
    assert all(a.reasons for a in plan)


def test_unchanged_map_plans_nothing():
    cmap = example_map()
    snap = lambda d: snapshot_of(d, EXAMPLE_VOLUMES)
    for func in (planner.plan_startup, planner.plan_update, planner.plan_create,
                 planner.plan_start):
        assert func(make_input(cmap, snap), ActionOptions()) == [], func.__name__


def test_update_reasons_and_no_cascade():
    cmap = example_map()
    cmap.containers["app_server"].create_options = {"environment": {"PASSWORD": "s3cret"}}
    base = make_input(example_map(), empty)

    def snap(desired):
        # containers as created from the old map (no environment)
        return snapshot_of(desired, EXAMPLE_VOLUMES, **{
            n: observed(base.desired[n]) for n in desired})

    plan = planner.plan_update(make_input(cmap, snap), ActionOptions())
    recreated = {a.item for a in plan if a.kind == "create"}
    assert recreated == {"example_map.app_server.instance1", "example_map.app_server.instance2"}
    assert {tuple(a.reasons) for a in plan} == {("env PASSWORD added",)}
    assert "s3cret" not in repr([a.reasons for a in plan])
    # the removal half runs before the creation half
    first_create = min(a.step for a in plan if a.kind == "create")
    assert all(a.step < first_create for a in plan if a.kind in ("stop", "remove"))


def test_update_image_exit_code_forced_and_persistent():
    cmap = example_map()
    inp = make_input(cmap, lambda d: snapshot_of(d, EXAMPLE_VOLUMES))
    web = "example_map.web_server"
    inst1 = "example_map.app_server.instance1"
    inp.snapshot.containers[web] = observed(inp.desired[web], image_id="sha256:" + "ee" * 32)
    inp.snapshot.containers[inst1] = observed(inp.desired[inst1], status="exited",
                                              exit_code=-1)
    plan = planner.plan_update(inp, ActionOptions())
    reasons = {a.item: a.reasons for a in plan if a.kind == "create"}
    assert reasons == {web: ["image eeeeeeeeeeee -> a1a1a1a1a1a1"],
                       inst1: ["exit code -1 not recoverable"]}
    # forced by configuration name
    inp = make_input(cmap, lambda d: snapshot_of(d, EXAMPLE_VOLUMES))
    plan = planner.plan_update(inp, ActionOptions.from_kwargs({"force_update": "web_server"}))
    assert {(a.item, tuple(a.reasons)) for a in plan} == {(web, ("forced",))}
    # persistent containers are not re-created unless update_persistent
    cmap.containers["web_server"].persistent = True
    inp = make_input(cmap, lambda d: snapshot_of(d, EXAMPLE_VOLUMES))
    inp.snapshot.containers[web] = observed(inp.desired[web], image_id="sha256:" + "ee" * 32)
    assert planner.plan_update(inp, ActionOptions()) == []
    assert planner.plan_update(inp, ActionOptions(update_persistent=True)) != []


def test_limits_live_and_reset():
    cmap = ContainerMap("m", {"app": {"image": "/base", "host_config": {"mem_limit": "64m"}}})
    old = make_input(ContainerMap("m", {"app": {"image": "/base", "host_config": {
        "mem_limit": "32m", "cpu_shares": 10}}}), empty)
    inp = make_input(cmap, lambda d: snapshot_of(d, **{"m.app": observed(old.desired["m.app"])}))
    plan = planner.plan_update(inp, ActionOptions())
    assert [a.kind for a in plan] == ["stop", "remove", "create", "start"]
    assert plan[0].reasons == ["limit cpu_shares reset"]
    plan = planner.plan_update(inp, ActionOptions(skip_limit_reset=True))
    assert [(a.kind, a.args["limits"]) for a in plan] == [
        ("update_limits", {"mem_limit": "64m", "memswap_limit": 128 * 1024 ** 2})]


def test_stop_and_remove_follow_dependents_first():
    cmap = example_map()
    inp = make_input(cmap, lambda d: snapshot_of(d, EXAMPLE_VOLUMES),
                     ["example_map.app_server.instance1"], reverse=True)
    plan = planner.plan_stop(inp, ActionOptions())
    assert [a.item for a in plan] == ["example_map.web_server",
                                      "example_map.app_server.instance1"]
    # instance2 (not shut down) still mounts the app server's volumes: they stay
    inp.snapshot.containers["example_map.app_server.instance2"] = ContainerState(
        "id2", "example_map.app_server.instance2", "sha256:x", "running",
        volumes=["example_map.app_log", "example_map.app_server_socket"])
    plan = planner.plan_shutdown(inp, ActionOptions(remove_attached=True))
    assert [(a.kind, a.item) for a in plan if a.kind == "remove_volume"] == [
        ("remove_volume", "example_map.web_log")]
    assert plan[-1].kind == "remove_volume"
    cmap.containers["web_server"].persistent = True
    inp = make_input(cmap, lambda d: snapshot_of(d, EXAMPLE_VOLUMES),
                     ["example_map.app_server.instance1"], reverse=True)
    plan = planner.plan_remove(inp, ActionOptions(remove_persistent=False))
    assert {a.item for a in plan} == {"example_map.app_server.instance1"}


def test_restart_only_the_item_and_pull_options():
    inp = make_input(example_map(), lambda d: snapshot_of(d, EXAMPLE_VOLUMES),
                     ["example_map.web_server"])
    assert [(a.kind, a.item) for a in planner.plan_restart(inp, ActionOptions())] == [
        ("restart", "example_map.web_server")]
    pulls = planner.plan_pull(inp, ActionOptions())
    assert sorted(a.item for a in pulls) == ["registry.example.com/app:latest",
                                             "registry.example.com/nginx:latest"]
    assert planner.plan_pull(inp, ActionOptions(pull_all_images=False)) == []


def test_exec_command_checks():
    cmap = ContainerMap("m", {"app": {"image": "/base", "exec_commands": [
        "/bin/sh -c 'run.sh --flag'", (["sleep", "5"], "nobody", "initial")]}})
    inp = make_input(cmap, empty)
    d = inp.desired["m.app"]
    state = observed(d)
    state.processes = ["/bin/sh -c run.sh --flag"]
    assert missing_exec_commands(d, state, CmdCheck.FULL) == []
    state.processes = ["/bin/sh -c run.sh --flag --extra"]
    assert len(missing_exec_commands(d, state, CmdCheck.FULL)) == 1
    assert missing_exec_commands(d, state, CmdCheck.PARTIAL) == []
    assert missing_exec_commands(d, replace(state, processes=[]), CmdCheck.NONE) == []


def test_compare_ports_binds_command():
    cmap = example_map()
    inp = make_input(cmap, empty)
    d = inp.desired["example_map.web_server"]
    state = observed(d)
    snap = snapshot_of({d.name: d})
    state.inspect["HostConfig"]["PortBindings"]["80/tcp"] = [{"HostIp": "", "HostPort": "81"}]
    state.inspect["HostConfig"]["Binds"][0] = "/elsewhere:/etc/nginx:ro"
    state.labels["dockerfab.explicit"] = '{"cmd": true, "entrypoint": false, "env": ["OLD"]}'
    assert recreate_reasons(d, state, snap) == [
        "env OLD removed", "command image-default -> (unset)", "port 80/tcp published differently",
        "volume /etc/nginx mounted differently"]


def test_options_defaults_and_aliases():
    opts = ActionOptions.from_kwargs({"remove_created_after": False, "mem_limit": "1g",
                                      "check_exec_commands": "partial",
                                      "force_update": ["a", "b"]})
    assert opts.remove_existing_after is False and opts.extra == {"mem_limit": "1g"}
    assert opts.check_exec_commands == CmdCheck.PARTIAL
    assert opts.force_update == frozenset({"a", "b"})
    defaults = ActionOptions()
    assert (defaults.remove_persistent, defaults.remove_attached, defaults.pull_all_images,
            defaults.pull_before_update, defaults.prepare_local,
            defaults.nonrecoverable_exit_codes, defaults.skip_limit_reset,
            defaults.update_persistent, defaults.check_exec_commands,
            defaults.restart_exec_commands) == (True, False, True, False, True, (-127, -1),
                                                False, False, CmdCheck.FULL, False)


def test_policy_names_and_dependencies():
    merged = example_map().get_extended_map()
    policy = BasePolicy({"example_map": merged}, {})
    assert policy.cname("m", "c", "i") == "m.c.i"
    assert policy.aname("m", "alias", "parent") == "m.parent.alias"
    assert policy.nname("m", "net") == "m.net" and policy.nname("m", "host") == "host"
    web = MapConfigId(ItemType.CONTAINER, "example_map", "web_server")
    assert {c.instance_name for c in policy.get_dependencies(web)} == {"instance1",
                                                                       "instance2"}
    inst = MapConfigId(ItemType.CONTAINER, "example_map", "app_server", "instance1")
    assert policy.get_dependents(inst) == [web]


ALWAYS = {"MaximumRetryCount": 0, "Name": "always"}


def test_keyword_arguments_change_existing_containers_in_place():
    """Spec 3.8.2's ``start('web', restart_policy=...)`` on an existing container: the
    policy (and limits) given as keyword arguments are changed with update_container."""
    cmap = ContainerMap("m", {"db": {"image": "/base"},
                              "web": {"image": "/base", "links": "db"}})
    existing = make_input(cmap, empty).desired
    snap = lambda d: snapshot_of(d, **{n: observed(existing[n], status="exited")
                                       for n in existing})
    for func in (planner.plan_start, planner.plan_startup, planner.plan_create,
                 planner.plan_update):
        inp = make_input(cmap, snap, ["m.web"], extra={"restart_policy": ALWAYS,
                                                       "mem_limit": "32m"})
        plan = [a for a in func(inp, ActionOptions.from_kwargs({
            "restart_policy": ALWAYS, "mem_limit": "32m"})) if a.item == "m.web"]
        assert plan[0].kind == "update_limits", func.__name__
        assert plan[0].args["limits"] == {"restart_policy": ALWAYS, "mem_limit": "32m",
                                          "memswap_limit": 64 * 1024 ** 2}
        assert plan[0].reasons == ["limit mem_limit updated in place",
                                   "restart policy updated in place"]
        if func is not planner.plan_create:  # then started, the dependency too
            assert [a.kind for a in plan[1:]] == ["start"]
    # already so: nothing to change; a dependency never gets the selected one's kwargs
    same = make_input(cmap, lambda d: snapshot_of(d, **{
        "m.web": observed(make_input(cmap, empty, ["m.web"],
                                     extra={"restart_policy": ALWAYS}).desired["m.web"])}),
                      ["m.web"], extra={"restart_policy": ALWAYS})
    assert planner.plan_start(same, ActionOptions.from_kwargs({"restart_policy": ALWAYS})) == []
    assert same.desired["m.db"].host_config.get("restart_policy") is None


def test_keyword_arguments_that_cannot_change_live_warn():
    cmap = ContainerMap("m", {"web": {"image": "/base"}})
    as_mapped = make_input(cmap, empty).desired["m.web"]
    snap = lambda d: snapshot_of(d, **{"m.web": observed(as_mapped)})
    inp = make_input(cmap, snap, extra={"privileged": True, "restart_policy": ALWAYS})
    options = ActionOptions.from_kwargs({"privileged": True, "restart_policy": ALWAYS})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plan = planner.plan_start(inp, options)
    assert [a.kind for a in plan] == ["update_limits"]
    (warning,) = caught
    assert "privileged not applied to existing container(s) m.web" in str(warning.message)
    # update compares environment: a differing one re-creates, no warning
    inp = make_input(cmap, snap, extra={"environment": {"A": "1"}})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plan = planner.plan_update(inp, ActionOptions.from_kwargs({"environment": {"A": "1"}}))
    assert [a.kind for a in plan] == ["stop", "remove", "create", "start"]
    assert plan[0].reasons == ["env A added"]
    # and every other option too
    inp = make_input(cmap, snap, extra={"privileged": True})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plan = planner.plan_update(inp, ActionOptions.from_kwargs({"privileged": True}))
    assert plan[0].reasons == ["privileged (unset) -> true"]


def test_update_changes_a_configured_restart_policy_in_place():
    old = make_input(ContainerMap("m", {"web": {"image": "/base"}}), empty)
    cmap = ContainerMap("m", {"web": {"image": "/base", "host_config": {
        "restart_policy": {"Name": "on-failure", "MaximumRetryCount": 3}}}})
    inp = make_input(cmap, lambda d: snapshot_of(d, **{"m.web": observed(old.desired["m.web"])}))
    plan = planner.plan_update(inp, ActionOptions())
    assert [(a.kind, a.reasons) for a in plan] == [
        ("update_limits", ["restart policy updated in place"])]
    # an unset policy is left as it is (not part of the comparison)
    back = make_input(ContainerMap("m", {"web": {"image": "/base"}}),
                      lambda d: snapshot_of(d, **{"m.web": observed(inp.desired["m.web"])}))
    assert planner.plan_update(back, ActionOptions()) == []


def test_several_aliases_of_one_link_plan_nothing_when_unchanged():
    cmap = ContainerMap("m", {"networks": {"net": {}}, "db": {"image": "/base"},
                              "app": {"image": "/base", "links": [("db", "a"), ("db", "b")]},
                              "netapp": {"image": "/base", "networks": "net",
                                         "links": [("db", "a"), ("db", "b")]}})
    inp = make_input(cmap, lambda d: snapshot_of(d, networks=["m.net"]))
    for func in (planner.plan_startup, planner.plan_update):
        assert func(inp, ActionOptions()) == [], func.__name__
    # one alias gone on the host: noticed
    old = ContainerMap("m", {"db": {"image": "/base"}, "app": {"image": "/base",
                                                               "links": [("db", "a")]}})
    before = make_input(old, empty).desired["m.app"]
    inp = make_input(cmap, lambda d: snapshot_of(d, networks=["m.net"],
                                                 **{"m.app": observed(before)}))
    (first, *_) = planner.plan_update(inp, ActionOptions())
    assert first.reasons == ["link b missing"]


def test_exposed_ports_and_anonymous_volumes_no_longer_set_are_changes():
    old = ContainerMap("m", {"app": {"image": "/base", "exposes": [80, 8080],
                                     "shares": ["/data", "/cache"]}})
    before = make_input(old, empty).desired["m.app"]
    state = observed(before)
    state.inspect["Config"]["Volumes"] = {"/data": {}, "/cache": {}, "/image": {}}
    state.inspect["Config"]["ExposedPorts"]["9000/tcp"] = {}  # the image's
    new = ContainerMap("m", {"app": {"image": "/base", "exposes": [80],
                                     "shares": ["/data"]}})
    d = make_input(new, empty).desired["m.app"]
    assert recreate_reasons(d, state, snapshot_of({d.name: d})) == [
        "port 8080/tcp no longer exposed", "volume /cache no longer declared"]
    assert recreate_reasons(before, state, snapshot_of({d.name: before})) == []
