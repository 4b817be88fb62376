"""Volumes, networks, anonymous volumes and foreign items in planning (pure)."""
from __future__ import annotations

from dataclasses import replace

import pytest

from dockerfab.errors import ForeignObjectError, MapError, VolumeChangeError
from dockerfab.plan import planner
from dockerfab.plan.anonymous import kept_volumes
from dockerfab.plan.compare_resources import network_changes, volume_changes
from dockerfab.plan.desired import DesiredNetwork, DesiredVolume
from dockerfab.plan.options import ActionOptions
from dockerfab.plan.preparation import LABEL_UNPREPARED, marker_name
from dockerfab.plan.snapshot import NetworkState, VolumeState
from dockerfab.plan.status import client_status
from tests.unit.test_plan_planner import EXAMPLE_VOLUMES, make_input
from tests.unit.test_plan_support import example_map, snapshot_of

HEX = "ab" * 32
WEB = "example_map.web_server"
APP1 = "example_map.app_server.instance1"


def ours(name: str, **kwargs):
    return VolumeState(name, labels={"dockerfab.map": "example_map",
                                     "dockerfab.config": "app_server"}, **kwargs)


def test_volume_changes_name_driver_options_and_labels_never_option_values():
    want = DesiredVolume("m.v", "v", "m.c", "/v", driver_opts={"o": "size=2m", "type": "tmpfs"},
                         labels={"dockerfab.map": "m", "tier": "b"})
    have = VolumeState("m.v", options={"o": "size=1m", "device": "tmpfs"},
                       labels={"dockerfab.map": "m", "tier": "a"})
    reasons = volume_changes(want, have)
    assert reasons == ["driver option device removed", "driver option o changed",
                       "driver option type added", "label tier a -> b"]
    assert not any("size=" in r for r in reasons)
    same = VolumeState("m.v", options={"o": "size=2m", "type": "tmpfs"},
                       labels={"dockerfab.map": "m", "dockerfab.config": "x", "tier": "b"})
    assert volume_changes(want, same) == []


def test_network_changes_internal_ipv6_and_ipam_as_the_daemon_fills_them_in():
    daemon_ipam = {"Driver": "default", "Options": None,
                   "Config": [{"Subnet": "198.18.200.0/28", "Gateway": "198.18.200.1"}]}
    have = NetworkState("id", "m.n", ipam=daemon_ipam, labels={"dockerfab.map": "m"})
    plain = DesiredNetwork("m.n", labels={"dockerfab.map": "m"})
    assert network_changes(plain, have) == []  # the daemon's defaults are no change
    sdk_style = DesiredNetwork("m.n", labels={"dockerfab.map": "m"}, create_options={
        "ipam": {"driver": "default", "pool_configs": [{"subnet": "198.18.200.0/28"}]}})
    assert network_changes(sdk_style, have) == []
    changed = DesiredNetwork("m.n", internal=True, options={"a": "1"},
                             labels={"dockerfab.map": "m"}, create_options={
                                 "enable_ipv6": True,
                                 "ipam": {"Config": [{"Subnet": "198.18.201.0/28"}]}})
    assert network_changes(changed, have) == [
        "driver option a added", "internal false -> true", "enable_ipv6 false -> true",
        "ipam pools 198.18.200.0/28 -> 198.18.201.0/28"]
    # IPAM set before (recorded in the label) and removed from the map
    have.labels["dockerfab.explicit"] = '{"ipam": true}'
    assert network_changes(plain, have) == ["ipam settings removed"]


def test_kept_volumes_skip_destinations_the_map_binds_and_volumes_from():
    inp = make_input(example_map(), lambda d: snapshot_of(d, EXAMPLE_VOLUMES))
    d = inp.desired[APP1]
    state = inp.snapshot.containers[APP1]
    other = "cd" * 32
    state.inspect["Mounts"] = [
        {"Type": "volume", "Name": HEX, "Destination": "/cache", "RW": True},
        {"Type": "volume", "Name": other, "Destination": "/var/lib/app/log", "RW": True},
        {"Type": "volume", "Name": "example_map.app_log", "Destination": "/x", "RW": True}]
    kept, dropped = kept_volumes(d, state, inp.snapshot)
    assert [(k.name, k.destination) for k in kept] == [(HEX, "/cache")]
    assert dropped == [other]  # the map binds app_log there now


def test_recreation_keeps_anonymous_volumes_and_remove_drops_carried_ones():
    cmap = example_map()
    cmap.containers["web_server"].create_options = {"environment": {"A": "1"}}
    inp = make_input(cmap, lambda d: snapshot_of(d, EXAMPLE_VOLUMES), [WEB])
    inp.snapshot.containers[WEB].inspect["Config"]["Env"] = ["A=0"]
    inp.snapshot.containers[WEB].inspect["Mounts"] = [
        {"Type": "volume", "Name": HEX, "Destination": "/cache", "RW": True}]
    plan = planner.plan_update(inp, ActionOptions())
    remove = next(a for a in plan if a.kind == "remove" and a.item == WEB)
    create = next(a for a in plan if a.kind == "create" and a.item == WEB)
    assert remove.args["keep"] is True and remove.args["drop"] == []
    assert [k.name for k in create.args["keep_volumes"]] == [HEX]
    # the successor mounts it by name: shutdown removes it explicitly
    inp.snapshot.containers[WEB].inspect["HostConfig"]["Mounts"] = [
        {"Type": "volume", "Source": HEX, "Target": "/cache"}]
    down = planner.plan_shutdown(make_input(cmap, lambda d: inp.snapshot, [WEB], reverse=True),
                                 ActionOptions())
    removal = next(a for a in down if a.kind == "remove" and a.item == WEB)
    assert removal.args == {"keep": False, "drop": [HEX]}


def test_foreign_container_stops_every_action_unless_adopted_or_replaced():
    def snap(desired):
        s = snapshot_of(desired, EXAMPLE_VOLUMES)
        s.containers[WEB].labels = {}
        return s

    for func, reverse in ((planner.plan_startup, False), (planner.plan_update, False),
                          (planner.plan_shutdown, True), (planner.plan_stop, True),
                          (planner.plan_restart, False)):
        inp = make_input(example_map(), snap, [WEB], reverse=reverse)
        with pytest.raises(ForeignObjectError) as caught:
            func(inp, ActionOptions())
        assert caught.value.items == [("container", WEB)], func
        assert "--adopt-foreign" in str(caught.value)
    inp = make_input(example_map(), snap, [WEB])
    assert planner.plan_startup(inp, ActionOptions(adopt_foreign=True)) == []
    for func in (planner.plan_startup, planner.plan_create, planner.plan_update,
                 planner.plan_start):
        plan = sorted(func(inp, ActionOptions(replace_foreign=True)), key=lambda a: a.step)
        kinds = [(a.kind, a.item) for a in plan]
        assert kinds[:3] == [("stop", WEB), ("remove", WEB), ("create", WEB)], func
        assert kinds[3:] == ([] if func is planner.plan_create else [("start", WEB)])
    assert plan[0].reasons == ["not created by dockerfab: replaced"]
    with pytest.raises(MapError):
        planner.plan_startup(inp, ActionOptions(adopt_foreign=True, replace_foreign=True))


def test_foreign_volume_adopted_once_a_map_container_mounts_it():
    def snap(desired):
        s = snapshot_of({}, ())
        s.volumes["example_map.web_log"] = VolumeState("example_map.web_log")
        return s

    inp = make_input(example_map(), snap, [WEB])
    with pytest.raises(ForeignObjectError) as caught:
        planner.plan_startup(inp, ActionOptions())
    assert caught.value.items == [("volume", "example_map.web_log")]
    plan = planner.plan_startup(inp, ActionOptions(adopt_foreign=True))
    assert ("create_volume", "example_map.web_log") not in [(a.kind, a.item) for a in plan]
    # with the map's containers mounting it (snapshot_of lists their volumes), it is theirs
    inp = make_input(example_map(), lambda d: snapshot_of(d, EXAMPLE_VOLUMES))
    assert planner.plan_update(inp, ActionOptions()) == []


def test_changed_volume_stops_update_and_recreate_volumes_renews_it():
    cmap = example_map()
    cmap.volumes["app_log"].driver_options = {"o": "size=2m"}

    def snap(desired):
        s = snapshot_of(desired, EXAMPLE_VOLUMES)
        s.volumes["example_map.app_log"] = ours("example_map.app_log",
                                                options={"o": "size=1m"})
        return s

    inp = make_input(cmap, snap)
    with pytest.raises(VolumeChangeError) as caught:
        planner.plan_update(inp, ActionOptions())
    assert caught.value.changes == {"example_map.app_log": ["driver option o changed"]}
    assert "--recreate-volumes" in str(caught.value)
    plan = planner.plan_update(inp, ActionOptions(recreate_volumes=True))
    steps = {(a.kind, a.item): a.step for a in plan}
    for app in (APP1, "example_map.app_server.instance2"):
        assert steps[("remove", app)] < steps[("remove_volume", "example_map.app_log")]
        assert steps[("create", app)] > steps[("create_volume", "example_map.app_log")]
    assert steps[("remove_volume", "example_map.app_log")] <= steps[
        ("create_volume", "example_map.app_log")]
    kinds = [(a.kind, a.item) for a in plan]
    assert kinds.index(("remove_volume", "example_map.app_log")) < kinds.index(
        ("create_volume", "example_map.app_log"))
    # status shows it on its own row, the containers stay in sync
    status = client_status(inp, ["example_map"])
    assert [(r.kind, r.name, r.reasons) for r in status.resources] == [
        ("volume", "example_map.app_log", ["driver option o changed"])]
    assert all(c.ok for c in status.containers)


def test_changed_network_is_disconnected_recreated_and_reconnected():
    cmap = example_map()
    cmap.networks = {"front": {"internal": True}}
    cmap.containers["web_server"].networks = ["front"]

    def snap(desired):
        s = snapshot_of(desired, EXAMPLE_VOLUMES)
        s.networks["example_map.front"] = NetworkState(
            "net-example_map.front", "example_map.front", labels={"dockerfab.map": "example_map"})
        return s

    inp = make_input(cmap, snap, [WEB])
    plan = planner.plan_update(inp, ActionOptions())
    assert [(a.step, a.kind, a.item) for a in plan if a.step < 4] == [
        (2, "disconnect_network", WEB), (3, "remove_network", "example_map.front"),
        (3, "create_network", "example_map.front")]
    assert plan[1].reasons == ["internal false -> true"]
    connect = [a for a in plan if a.kind == "connect_network"]
    assert [(a.item, a.args["network"]) for a in connect] == [(WEB, "example_map.front")]
    assert not [a for a in plan if a.kind in ("remove", "create")]


def test_unprepared_volume_is_prepared_and_shown():
    def snap(desired):
        s = snapshot_of(desired, EXAMPLE_VOLUMES)
        marker = marker_name("example_map.app_log")
        s.volumes[marker] = VolumeState(marker, labels={LABEL_UNPREPARED: "example_map.app_log",
                                                        "dockerfab.map": "example_map"})
        return s

    inp = make_input(example_map(), snap)
    plan = planner.plan_startup(inp, ActionOptions())
    assert [(a.kind, a.item, a.reasons) for a in plan] == [
        ("prepare_volume", "example_map.app_log", ["preparation not completed"])]
    assert plan[0].args["marker"] == marker_name("example_map.app_log")
    status = client_status(inp, ["example_map"])
    assert [(r.name, r.state) for r in status.resources] == [("example_map.app_log", "drifted")]
    assert "not prepared" in status.resources[0].reasons[0]
    assert not status.orphans  # the marker is not an orphan


def test_kept_mounts_are_not_the_maps_mounts():
    cmap = example_map()
    cmap.containers["web_server"].host_config = {
        "mounts": [{"Type": "tmpfs", "Target": "/scratch"}]}
    inp = make_input(cmap, lambda d: snapshot_of(d, EXAMPLE_VOLUMES), [WEB])
    host = inp.snapshot.containers[WEB].inspect["HostConfig"]
    assert host["Mounts"]  # the map's, as the daemon keeps them
    assert planner.plan_update(inp, ActionOptions()) == []
    host["Mounts"] = [*host["Mounts"], {"Type": "volume", "Source": HEX, "Target": "/cache"}]
    assert planner.plan_update(inp, ActionOptions()) == []  # kept from a predecessor
    host["Mounts"] = [*host["Mounts"], {"Type": "volume", "Source": "other", "Target": "/o"}]
    assert [a.kind for a in planner.plan_update(inp, ActionOptions())][:2] == ["stop", "remove"]


def test_replacing_a_foreign_volume_recreates_its_containers_around_it():
    def snap(desired):
        s = snapshot_of(desired, EXAMPLE_VOLUMES)
        s.volumes["example_map.web_log"] = VolumeState("example_map.web_log")
        s.containers[WEB].volumes = []  # not (yet) mounted by the map's container
        return s

    inp = make_input(example_map(), snap, [WEB])
    plan = sorted(planner.plan_startup(inp, ActionOptions(replace_foreign=True)),
                  key=lambda a: a.step)
    kinds = [(a.kind, a.item) for a in plan]
    assert kinds == [("stop", WEB), ("remove", WEB),
                     ("remove_volume", "example_map.web_log"),
                     ("create_volume", "example_map.web_log"), ("create", WEB), ("start", WEB)]
    assert plan[0].reasons == ["volume example_map.web_log re-created"]
    # a container outside the run still mounting it: nothing is planned, the error says who
    def used(desired):
        s = snap(desired)
        s.containers["someone"] = replace(s.containers[WEB], name="someone", labels={},
                                          volumes=["example_map.web_log"])
        return s

    with pytest.raises(VolumeChangeError, match="someone"):
        planner.plan_startup(make_input(example_map(), used, [WEB]),
                             ActionOptions(replace_foreign=True))


def test_listed_endpoint_reconnects_with_what_the_list_shows():
    endpoint = {"NetworkID": "n", "Aliases": ["db"], "Links": ["a:b"],
                "IPAMConfig": {"IPv4Address": "198.18.200.5"}}
    assert planner.listed_endpoint(endpoint) == {"ipv4_address": "198.18.200.5",
                                                 "aliases": ["db"], "links": [("a", "b")]}
