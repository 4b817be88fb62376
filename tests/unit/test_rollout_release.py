"""Release records, their differences and rollback steps (pure)."""
from __future__ import annotations

from dockerfab.rollout.release import (
    container_record,
    creation_body,
    creation_order,
    needed_images,
    release_diff,
    rollback_steps,
    same_state,
)


def inspect(name, cid, image="app:1", image_id="sha256:aaa", env=("A=1",), links=None,
            networks=None, running=True):
    return {"Id": cid, "Name": "/" + name, "Image": image_id,
            "Config": {"Hostname": cid[:12], "Image": image, "Env": list(env),
                       "Labels": {"dockerfab.map": "m"}},
            "HostConfig": {"NetworkMode": "m.net" if networks else "default",
                           "Links": links},
            "NetworkSettings": {"Networks": networks or {}},
            "State": {"Running": running}}


def release(rid, *records):
    return {"id": rid, "containers": [container_record(r) for r in records]}


def test_record_drops_the_default_hostname_and_the_id_alias():
    rec = container_record(inspect("m.web", "0123456789abcdef", networks={
        "m.net": {"Aliases": ["web", "0123456789ab"], "IPAMConfig": None}}))
    assert "Hostname" not in rec["config"]
    assert rec["networks"]["m.net"]["Aliases"] == ["web"]
    assert rec["image_id"] == "sha256:aaa" and rec["running"] is True


def test_diff_names_options_and_env_names_never_values():
    old = release("r1", inspect("m.app", "1" * 16, env=("SECRET=hunter2", "B=1")))
    new = release("r2", inspect("m.app", "2" * 16, image="app:2", image_id="sha256:bbb",
                                env=("SECRET=hunter3", "B=1")),
                  inspect("m.extra", "3" * 16))
    lines = release_diff(old, new)
    assert lines == ["~ m.app: image, Config.Env(SECRET)", "+ m.extra (app:1 aaa)"]
    assert "hunter" not in " ".join(lines)
    assert release_diff(new, new) == []
    assert release_diff(new, old) == ["~ m.app: image, Config.Env(SECRET)", "- m.extra"]


def test_same_state_compares_container_ids_and_images():
    rel = release("r1", inspect("m.app", "1" * 16))
    assert same_state(rel["containers"], rel)
    assert not same_state([container_record(inspect("m.app", "2" * 16))], rel)
    assert same_state([], None) and not same_state(rel["containers"], None)


def test_creation_order_puts_links_first():
    records = [container_record(inspect("m.web", "1" * 16, links=["/m.app:/m.web/app"])),
               container_record(inspect("m.app", "2" * 16))]
    assert creation_order(records) == ["m.app", "m.web"]


def test_rollback_recreates_what_differs_and_its_dependents_and_removes_extras():
    target = release("r1", inspect("m.app", "1" * 16),
                     inspect("m.web", "2" * 16, links=["/m.app:/m.web/app"]),
                     inspect("m.db", "3" * 16))
    now = [container_record(inspect("m.app", "4" * 16, image="app:2", image_id="sha256:bbb")),
           container_record(inspect("m.web", "2" * 16, links=["/m.app:/m.web/app"])),
           container_record(inspect("m.new", "5" * 16))]
    steps = rollback_steps(now, target)
    assert steps[0].kind == "remove"  # removals first
    kinds = {s.name: s.kind for s in steps}
    assert kinds == {"m.new": "remove", "m.app": "recreate", "m.web": "recreate",
                     "m.db": "recreate"}  # m.db is missing now
    reasons = {s.name: s.reasons for s in steps}
    assert "image app:2 bbb -> app:1 aaa" in reasons["m.app"][0]
    assert reasons["m.web"] == ["depends on m.app (re-created)"]
    assert reasons["m.db"] == ["missing (release r1 has it)"]
    order = [s.name for s in steps if s.kind == "recreate"]
    assert order.index("m.app") < order.index("m.web")


def test_rollback_of_selected_names_leaves_the_others():
    target = release("r1", inspect("m.app", "1" * 16), inspect("m.db", "3" * 16))
    now = [container_record(inspect("m.app", "4" * 16, env=("A=2",))),
           container_record(inspect("m.db", "6" * 16, env=("A=2",)))]
    steps = rollback_steps(now, target, {"m.db"})
    assert [(s.kind, s.name) for s in steps] == [("recreate", "m.db")]


def test_rollback_keeps_a_container_that_is_as_recorded():
    target = release("r1", inspect("m.app", "1" * 16))
    steps = rollback_steps([container_record(inspect("m.app", "9" * 16))], target)
    assert [(s.kind, s.name) for s in steps] == [("keep", "m.app")]


def test_creation_body_takes_one_network_and_connects_the_rest():
    rec = container_record(inspect("m.web", "1" * 16, networks={
        "m.net": {"Aliases": ["web"]}, "m.other": {"Aliases": None}}))
    body, later = creation_body(rec)
    assert body["Image"] == "app:1" and body["HostConfig"]["NetworkMode"] == "m.net"
    assert body["NetworkingConfig"] == {"EndpointsConfig": {"m.net": {"Aliases": ["web"]}}}
    assert later == {"m.other": {}}


def test_needed_images():
    rel = release("r1", inspect("m.app", "1" * 16), inspect("m.db", "2" * 16,
                                                            image_id="sha256:ccc"))
    assert needed_images([rel]) == {"sha256:aaa", "sha256:ccc"}
