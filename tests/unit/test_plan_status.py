"""Fleet status classification (pure) and its rendering as text and JSON."""
from __future__ import annotations

import io
import json
from typing import Any

from dockerfab.output import JsonPrinter, Reporter, TextPrinter
from dockerfab.plan.actions import Action
from dockerfab.plan.desired import LABEL_CONFIG, LABEL_MAP
from dockerfab.plan.snapshot import ContainerState, NetworkState, VolumeState
from dockerfab.plan.status import (
    DRIFTED,
    IN_SYNC,
    MISSING,
    STOPPED,
    UNHEALTHY,
    ClientStatus,
    ContainerStatus,
    Orphan,
    client_status,
    orphan_removal_plan,
)
from tests.unit.test_plan_planner import EXAMPLE_VOLUMES, make_input
from tests.unit.test_plan_support import IMAGE_IDS, example_map, observed, snapshot_of

WEB = "example_map.web_server"
APP1 = "example_map.app_server.instance1"
APP2 = "example_map.app_server.instance2"
SECRET = "pw-77c1e0"


def status_of(cmap: Any, **overrides: Any) -> ClientStatus:
    """Status of the example map against containers created from ``example_map()`` with
    ``overrides`` (name -> ContainerState, or None to leave it out)."""
    base = make_input(example_map(), lambda d: snapshot_of(d, EXAMPLE_VOLUMES))

    def snap(desired: dict[str, Any]) -> Any:
        states = {n: overrides.get(n, observed(base.desired[n])) for n in desired}
        s = snapshot_of(desired, EXAMPLE_VOLUMES)
        s.containers = {n: c for n, c in states.items() if c is not None}
        return s
    return client_status(make_input(cmap, snap), ["example_map"])


def by_name(status: ClientStatus) -> dict[str, ContainerStatus]:
    return {c.name: c for c in status.containers}


def with_state(d_state: ContainerState, status: str, health: str | None = None
               ) -> ContainerState:
    assert d_state.inspect is not None
    d_state.status = status
    d_state.inspect["State"]["Status"] = status
    if health:
        d_state.inspect["State"]["Health"] = {"Status": health}
    return d_state


def test_unchanged_map_is_in_sync_in_dependency_order():
    status = status_of(example_map())
    assert [c.name for c in status.containers] == [APP1, APP2, WEB]
    assert all(c.state == IN_SYNC and c.reasons == [] for c in status.containers)
    assert status.in_sync and status.orphans == []


def test_each_state_with_the_update_plans_reasons():
    cmap = example_map()
    cmap.containers["app_server"].create_options = {"environment": {"PASSWORD": SECRET}}
    base = make_input(example_map(), lambda d: snapshot_of(d, EXAMPLE_VOLUMES)).desired
    status = status_of(cmap, **{
        APP2: with_state(observed(base[APP2]), "exited"),
        WEB: None})
    found = by_name(status)
    assert found[APP1].state == DRIFTED and found[APP1].reasons == ["env PASSWORD added"]
    # drifted wins over stopped: update re-creates it anyway
    assert found[APP2].state == DRIFTED and found[APP2].status == "exited"
    assert found[WEB].state == MISSING and found[WEB].status is None
    assert not status.in_sync
    assert status.counts() == {"in_sync": 0, "drifted": 2, "stopped": 0, "missing": 1,
                               "unhealthy": 0, "orphaned": 0}
    assert SECRET not in json.dumps(status.as_dict())


def test_stopped_unhealthy_and_finished_persistent():
    base = make_input(example_map(), lambda d: snapshot_of(d, EXAMPLE_VOLUMES)).desired
    found = by_name(status_of(example_map(), **{
        APP1: with_state(observed(base[APP1]), "exited"),
        APP2: with_state(observed(base[APP2]), "running", health="unhealthy"),
        WEB: with_state(observed(base[WEB]), "running", health="healthy")}))
    assert (found[APP1].state, found[APP1].reasons) == (STOPPED, ["not running (exited)"])
    assert (found[APP2].state, found[APP2].health) == (UNHEALTHY, "unhealthy")
    assert (found[WEB].state, found[WEB].health) == (IN_SYNC, "healthy")

    persistent = example_map()
    persistent.containers["web_server"].persistent = True
    done = by_name(status_of(persistent, **{WEB: with_state(observed(base[WEB]), "exited")}))
    assert done[WEB].state == IN_SYNC  # a persistent container that ran its once


def test_image_and_port_drift_reasons():
    cmap = example_map()
    cmap.containers["web_server"].exposes = [(80, 8080)]
    base = make_input(example_map(), lambda d: snapshot_of(d, EXAMPLE_VOLUMES)).desired
    old = observed(base[WEB], image_id="sha256:" + "99" * 32)
    found = by_name(status_of(cmap, **{WEB: old}))
    new = IMAGE_IDS["registry.example.com/nginx:latest"].split(":")[1][:12]
    assert found[WEB].state == DRIFTED
    assert found[WEB].reasons[0] == f"image {'99' * 6} -> {new}"
    assert "port 80/tcp published differently" in found[WEB].reasons
    assert "port 443/tcp published differently" in found[WEB].reasons


def test_orphans_only_of_loaded_maps():
    base = make_input(example_map(), lambda d: snapshot_of(d, EXAMPLE_VOLUMES))

    def snap(desired: dict[str, Any]) -> Any:
        s = snapshot_of(desired, EXAMPLE_VOLUMES)
        s.containers["example_map.old"] = ContainerState(
            "id-old", "example_map.old", "sha256:x", "running",
            {LABEL_MAP: "example_map", LABEL_CONFIG: "old"})
        s.containers["other.web"] = ContainerState("id-o", "other.web", "sha256:x", "exited",
                                                   {LABEL_MAP: "other", LABEL_CONFIG: "web"})
        s.containers["plain"] = ContainerState("id-p", "plain", "sha256:x", "running")
        s.volumes["example_map.old_data"] = VolumeState(
            "example_map.old_data", labels={LABEL_MAP: "example_map", LABEL_CONFIG: "old"})
        s.networks["example_map.back"] = NetworkState("n1", "example_map.back",
                                                      labels={LABEL_MAP: "example_map"})
        s.networks["bridge"] = NetworkState("n0", "bridge")
        return s
    assert base.desired  # the example map's own items are not orphans
    status = client_status(make_input(example_map(), snap), ["example_map"])
    assert [(o.kind, o.name, o.config, o.running) for o in status.orphans] == [
        ("container", "example_map.old", "old", True),
        ("volume", "example_map.old_data", "old", False),
        ("network", "example_map.back", None, False)]
    assert all(c.state == IN_SYNC for c in status.containers) and not status.in_sync

    plan = orphan_removal_plan(status.orphans)
    assert [(a.step, a.kind, a.item) for a in plan] == [
        (0, "stop", "example_map.old"), (0, "remove", "example_map.old"),
        (1, "remove_volume", "example_map.old_data"),
        (2, "remove_network", "example_map.back")]
    assert all(a.reasons == ["orphan: not in map example_map"] for a in plan)


def sample() -> list[ClientStatus]:
    return [ClientStatus("__default__", [
        ContainerStatus("m.a", "__default__", IN_SYNC, [], "running"),
        ContainerStatus("m.b", "__default__", DRIFTED, ["env TOKEN changed"], "running"),
        ContainerStatus("m.c", "__default__", MISSING, ["missing"])],
        [Orphan("container", "m.old", "__default__", "m", "old")])]


def reported_status(printer):
    """A reporter that has the sample status of bed1, host finished."""
    reporter = Reporter(printer)
    reporter.begin("status")
    reporter.host("bed1", "status")
    reporter.status("bed1", sample())
    reporter.finish("bed1")
    return reporter


def test_status_text_table_and_summary():
    out = io.StringIO()
    reporter = reported_status(TextPrinter(out))
    assert reporter.summary() is True and reporter.last_in_sync is False
    text = out.getvalue()
    rows = {line.split()[0]: line.split() for line in text.splitlines() if line.strip()}
    assert rows["m.b"][:4] == ["m.b", "drifted", "running", "-"]
    assert text.count("env TOKEN changed") == 1
    assert rows["m.old"][:3] == ["m.old", "container", "m"]
    assert rows["HOST"] == ["HOST", "IN_SYNC", "DRIFTED", "STOPPED", "MISSING", "UNHEALTHY",
                            "ORPHANED", "TIME", "RESULT"]
    assert rows["bed1"][1:7] == ["1", "1", "0", "1", "0", "1"]
    assert rows["bed1"][-3:] == ["OUT", "OF", "SYNC"]


def test_status_json_document():
    out = io.StringIO()
    reporter = reported_status(JsonPrinter(out))
    reporter.end(full=True)
    doc = json.loads(out.getvalue())
    assert doc["version"] == 1 and doc["task"] == "status" and doc["in_sync"] is False
    (host,) = doc["hosts"]
    assert host["in_sync"] is False and host["status_counts"]["orphaned"] == 1
    assert [c["state"] for c in host["containers"]] == ["in sync", "drifted", "missing"]
    assert host["containers"][1] == {"name": "m.b", "client": "__default__",
                                     "state": "drifted", "reasons": ["env TOKEN changed"],
                                     "status": "running", "health": None}
    assert host["orphans"] == [{"kind": "container", "name": "m.old", "client": "__default__",
                                "map": "m", "config": "old", "running": False}]


def test_dry_run_plan_text_and_json():
    plan = [Action("create", "m.web", "__default__", ["missing"], 4,
                   args={"desired": {"environment": {"TOKEN": SECRET}}}),
            Action("start", "m.web", "__default__", ["created"], 4)]
    out = io.StringIO()
    reporter = Reporter(TextPrinter(out))
    reporter.begin("startup", dry_run=True)
    reporter.host("bed1", "startup")
    reporter.plan("bed1", plan, unchanged=2)
    reporter.finish("bed1", unchanged=2)
    reporter.summary()
    text = out.getvalue()
    assert "[bed1] startup would do 2 actions, 2 unchanged:" in text
    assert "[bed1]   1.  create  m.web  missing" in text
    assert "dry run: nothing was changed" in text
    assert SECRET not in text

    out = io.StringIO()
    reporter = Reporter(JsonPrinter(out))
    reporter.begin("startup", dry_run=True)
    reporter.plan("bed1", plan, unchanged=2)
    reporter.finish("bed1", unchanged=2)
    reporter.summary()
    doc = json.loads(out.getvalue())
    assert doc["dry_run"] is True and SECRET not in out.getvalue()
    host = doc["hosts"][0]
    assert host["actions"][0] == {"client": "__default__", "action": "create",
                                  "item": "m.web", "reasons": ["missing"], "step": 4}
    assert (host["created"], host["started"], host["unchanged"]) == (1, 1, 2)


def test_quiet_hides_action_lines_but_not_failures_and_verbose_shows_plans():
    from tests.unit.test_tasks_output import Event

    out = io.StringIO()
    reporter = Reporter(TextPrinter(out, verbosity=0))
    listen = reporter.listener("bed1")
    listen(Event("create", "m.web", "start", reasons=["missing"]))
    listen(Event("create", "m.web", "done", 0.25))
    listen(Event("start", "m.web", "failed", 1.0, error="port in use"))
    reporter.plan("bed1", [Action("start", "m.web", "c", ["created"])], dry_run=False)
    (line,) = out.getvalue().splitlines()
    assert line.endswith("[bed1] start m.web FAILED 1.00s: port in use")

    out = io.StringIO()
    reporter = Reporter(TextPrinter(out, verbosity=2))
    reporter.begin("startup")
    reporter.plan("bed1", [Action("start", "m.web", "c", ["created"])], dry_run=False)
    reporter.listener("bed1")(Event("start", "m.web", "done", 0.5, reasons=["created"]))
    lines = out.getvalue().splitlines()
    assert lines[:2] == ["[bed1] startup will do 1 action:", "[bed1]   1.  start   m.web  created"]
    assert lines[-1].endswith("[bed1] start m.web done 0.50s  (created)")


def test_progress_bar_on_a_terminal_plain_lines_otherwise():
    out = io.StringIO()
    printer = TextPrinter(out, tty=True)
    printer.progress("bed1", "save-image app", 5 * 2**20, 10 * 2**20, False)
    printer.progress("bed1", "save-image app", 10 * 2**20, 10 * 2**20, True)
    text = out.getvalue()
    assert "\r\x1b[K[bed1] save-image app [" + "#" * 15 + "." * 15 + "]  50%" in text
    assert text.endswith("100% 10.0 MiB of 10.0 MiB\n")

    out = io.StringIO()
    printer = TextPrinter(out, tty=False)
    for i in range(1, 11):
        printer.progress("bed1", "load-image a.tar", i * 2**20, 10 * 2**20, False)
    printer.progress("bed1", "load-image a.tar", 10 * 2**20, 10 * 2**20, True)
    assert out.getvalue().splitlines() == [
        "[bed1] load-image a.tar: 1.0 MiB of 10.0 MiB",
        "[bed1] load-image a.tar: 10.0 MiB of 10.0 MiB done"]
    assert "\r" not in out.getvalue()


def test_pull_progress_sums_layers_from_the_stream():
    from dockerfab.engine.progress import summed

    lines = [{"status": "Pulling from library/app", "id": "latest"},
             {"status": "Pulling fs layer", "id": "a1", "progressDetail": {}},
             {"status": "Downloading", "id": "a1",
              "progressDetail": {"current": 100, "total": 400}},
             {"status": "Downloading", "id": "b2",
              "progressDetail": {"current": 50, "total": 600}},
             {"status": "Download complete", "id": "a1", "progressDetail": {}},
             {"status": "Extracting", "id": "a1",
              "progressDetail": {"current": 10, "total": 400}},
             {"status": "Digest: sha256:abc"}]
    assert summed(lines) == (450, 1000)
    assert summed([{"status": "Status: Image is up to date"}]) == (0, None)
