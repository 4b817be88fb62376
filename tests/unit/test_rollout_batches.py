"""Batches, failure counting and who goes back (pure), and the rollout settings."""
from __future__ import annotations

import pytest

from dockerfab.errors import MapError
from dockerfab.fabric.settings import DockerSettings
from dockerfab.rollout.batches import Progress, split_batches
from dockerfab.rollout.config import RolloutOptions, parse_batch
from dockerfab.rollout.holder import Holder

HOSTS = ["h1", "h2", "h3", "h4", "h5"]


@pytest.mark.parametrize(("batch", "expected"), [
    (None, [HOSTS]),
    ("1", [["h1"], ["h2"], ["h3"], ["h4"], ["h5"]]),
    ("2", [["h1", "h2"], ["h3", "h4"], ["h5"]]),
    ("9", [HOSTS]),
    ("40%", [["h1", "h2"], ["h3", "h4"], ["h5"]]),
    ("1%", [["h1"], ["h2"], ["h3"], ["h4"], ["h5"]]),  # at least one host
    ("100%", [HOSTS]),
])
def test_split_batches_keeps_the_order_given(batch, expected):
    assert split_batches(HOSTS, batch) == expected


@pytest.mark.parametrize("bad", ["0", "-1", "0%", "101%", "x", "1.5", ""])
def test_bad_batches_are_refused(bad):
    with pytest.raises(ValueError, match="a batch is a number of hosts"):
        parse_batch(bad)


def test_a_failure_in_the_second_batch_rolls_back_the_first_batch_too():
    p = Progress(split_batches(["b1", "b2", "b3"], "1"))
    p.record("b1", True)
    assert not p.must_stop
    p.record("b2", False, "app: unhealthy")
    assert p.must_stop
    assert p.roll_back() == ["b1", "b2"]
    assert p.not_reached() == ["b3"]
    assert p.reason() == "b2: app: unhealthy"


def test_failures_within_max_failures_go_on():
    p = Progress([["b1"], ["b2"], ["b3"]], max_failures=1)
    p.record("b1", False, "x")
    assert not p.must_stop and p.roll_back() == []
    p.record("b2", False, "y")
    assert p.must_stop and p.roll_back() == ["b1", "b2"]


def test_stop_and_continue_roll_nothing_back():
    stop = Progress([["b1"], ["b2"]], on_failure="stop")
    stop.record("b1", False)
    assert stop.must_stop and stop.roll_back() == [] and stop.not_reached() == ["b2"]
    go_on = Progress([["b1"], ["b2"]], on_failure="continue")
    go_on.record("b1", False)
    assert not go_on.must_stop and go_on.roll_back() == []


def test_rollout_settings_and_flags():
    settings = DockerSettings.from_dict({"rollout": {"batch": "50%", "watch": 2},
                                         "releases": {"keep": 3}, "lock_wait": 7})
    options = RolloutOptions.from_settings(settings, on_failure="stop", batch=None)
    assert (options.batch, options.watch, options.on_failure, options.keep,
            options.lock_wait) == ("50%", 2.0, "stop", 3, 7.0)
    assert RolloutOptions.from_settings(settings, batch="1").batch == "1"
    with pytest.raises(MapError, match="--on-failure: expected one of rollback, stop"):
        RolloutOptions.from_settings(settings, on_failure="panic")
    with pytest.raises(MapError, match="--lock-wait: must be positive"):
        RolloutOptions.from_settings(settings, lock_wait="-1")
    with pytest.raises(MapError, match=r"docker\.releases\.keep: must be at least 1"):
        DockerSettings.from_dict({"releases": {"keep": 0}})
    with pytest.raises(MapError, match=r"docker\.hooks\.pre_deplyo: unknown setting"):
        DockerSettings.from_dict({"hooks": {"pre_deplyo": "true"}})


def test_holder_round_trip_and_description():
    holder = Holder("ops@ctl", 4711, "2026-12-01T09:25:11Z", "update web")
    assert Holder.from_json(holder.to_json()) == holder
    assert holder.describe() == "ops@ctl (pid 4711) since 2026-12-01T09:25:11Z, task update web"
    assert Holder.from_json("") is None and Holder.from_json("{}") is None
