"""The stop request of dockerfab.interrupts (the signal handler's first half), without
sending signals: tests/integration/test_interrupts.py sends real ones to the program."""
from __future__ import annotations

import threading

from dockerfab import interrupts
from dockerfab.engine.execute import Executor
from dockerfab.errors import Interrupted
from dockerfab.plan.actions import Action


def test_first_request_sets_the_event_and_calls_back_once():
    calls = []
    unregister = interrupts.on_stop(lambda: calls.append("stopped"))
    try:
        assert not interrupts.stop_requested()
        assert interrupts.request_stop("SIGTERM") is True
        assert interrupts.request_stop("SIGINT") is False  # the second is not a new stop
        assert interrupts.stop_event().is_set() and interrupts.reason() == "SIGTERM"
        assert calls == ["stopped"]
    finally:
        unregister()
        interrupts.reset()
    assert not interrupts.stop_requested() and interrupts.reason() == ""


def test_a_stopped_executor_starts_nothing_and_says_what_was_not_done():
    """A plan handed to an executor whose stop event is set: no action runs (the client
    is never called), and Interrupted lists the plan as not started."""
    stop = threading.Event()
    stop.set()
    plan = [Action("create", "m.web", "host1", step=2), Action("start", "m.web", "host1",
                                                                step=4)]
    executor = Executor({"host1": object()}, stop=stop)
    try:
        executor.run(plan)
    except Interrupted as exc:
        assert exc.results == [] and exc.not_done == plan and exc.missing == []
        assert "0 of 2 actions done; not started: create m.web, start m.web" in str(exc)
    else:
        raise AssertionError("no Interrupted")


def test_what_a_removed_container_waits_for():
    """Pure: a removed container can be re-created at once only if its image, networks,
    volumes and dependencies are there."""
    from dockerfab.engine.execute import _waits_for
    from dockerfab.map.input import ItemType, MapConfigId
    from dockerfab.plan.desired import DesiredContainer

    d = DesiredContainer(name="m.app", config_id=MapConfigId(ItemType.CONTAINER, "m", "app"),
                         image="app:2", create_kwargs={}, host_config={},
                         networks={"m.net": {}}, attached=["m.data"],
                         depends_on={"m.db": "link"})
    create = Action("create", "m.app", "h", step=6, args={"desired": d})
    pull = Action("pull_image", "app:2", "h", step=0)
    net = Action("create_network", "m.net", "h", step=1)
    plan = [pull, net, create]
    assert _waits_for(("h", "m.app"), plan, [create], set()) == []
    assert _waits_for(("h", "m.app"), plan, [pull, net, create], set()) == [
        "pull_image app:2", "create_network m.net"]
    assert _waits_for(("h", "m.app"), plan, [create], {("h", "m.db")}) == ["m.db"]
