"""Pure parts of the health gate: options and their sources, masking, and how a stream of
daemon events decides a watch (the events are the daemon's, as recorded on the bed)."""
from __future__ import annotations

import pytest

from dockerfab.engine.health import GateOptions, HealthGate, env_secrets, mask_values
from dockerfab.errors import MapError
from dockerfab.fabric.settings import DockerSettings


def test_defaults_and_environment():
    assert GateOptions.defaults(environ={}) == GateOptions(True, 5.0, 60.0)
    env = {"DOCKERFAB_READINESS": "0.5", "DOCKERFAB_HEALTH_TIMEOUT": "9",
           "DOCKERFAB_WAIT": "no"}
    assert GateOptions.defaults(environ=env) == GateOptions(False, 0.5, 9.0)
    assert GateOptions.defaults(True, 2, None, environ=env) == GateOptions(True, 2, 9.0)
    with pytest.raises(MapError, match="DOCKERFAB_READINESS"):
        GateOptions.defaults(environ={"DOCKERFAB_READINESS": "soon"})
    with pytest.raises(MapError, match="negative"):
        GateOptions.defaults(readiness=-1, environ={})


def test_settings():
    s = DockerSettings.from_dict({"readiness": "1.5", "health_timeout": 20, "wait": "off"})
    assert (s.readiness, s.health_timeout, s.wait) == (1.5, 20.0, False)
    with pytest.raises(MapError, match="docker.readiness"):
        DockerSettings.from_dict({"readiness": -2})
    assert DockerSettings.from_config({}, environ={}).readiness == 5.0


def test_mask_hides_values_longest_first():
    text = "token=abc123secret user=abcd pw=x path=/usr/bin"
    secrets = env_secrets({"TOKEN": "abc123secret", "USER_NAME": "abcd", "PW": "x",
                           "PATH": "/usr/bin"})
    assert mask_values(text, secrets) == "token=*** user=*** pw=x path=/usr/bin"


def event(action: str, cid: str, name: str, **attrs: str) -> dict:
    return {"Type": "container", "Action": action, "id": cid,
            "Actor": {"ID": cid, "Attributes": {"name": name, **attrs}}}


def gate() -> HealthGate:
    return HealthGate(None, ["m.web", "m.data"])


def test_events_of_an_older_container_of_that_name_are_ignored():
    g = gate()
    w = g.expect("m.web")
    g._on_event(event("die", "old", "m.web", exitCode="137"))  # the replaced container
    g._on_event(event("start", "new", "m.web"))
    assert not w.decided and w.container_id == "new"
    g._on_event(event("die", "new", "m.web", exitCode="3"))
    assert w.failure == "exited with code 3"


def test_a_restart_binds_on_its_own_restart_event():
    g = gate()
    w = g.expect("m.web", "restart")
    for e in (event("die", "c1", "m.web", exitCode="0"), event("start", "c1", "m.web"),
              event("restart", "c1", "m.web")):
        g._on_event(e)
    assert not w.decided and w.container_id == "c1"
    g._on_event(event("start", "c1", "m.web"))  # started again by its restart policy
    assert w.failure == "restarted (restart loop)"


def test_exit_0_is_done_unless_the_policy_restarts_it():
    g = gate()
    once = g.expect("m.data")
    looping = g.expect("m.web", restarts_on_zero=True)
    for name, cid in (("m.data", "d"), ("m.web", "w")):
        g._on_event(event("start", cid, name))
        g._on_event(event("die", cid, name, exitCode="0"))
    assert once.outcome == "exited 0" and once.failure is None
    assert looping.failure and "restart loop" in looping.failure


def test_health_events():
    g = gate()
    healthy, sick = g.expect("m.web", health=True), g.expect("m.data")
    g._on_event(event("start", "w", "m.web"))
    g._on_event(event("start", "d", "m.data"))
    g._on_event(event("health_status: healthy", "w", "m.web"))
    g._on_event(event("health_status: unhealthy", "d", "m.data"))
    assert healthy.outcome == "healthy"
    assert sick.failure == "unhealthy"
    with pytest.raises(ValueError):
        g.expect("m.other")
