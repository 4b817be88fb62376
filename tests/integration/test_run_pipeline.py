"""The run pipeline's fan-out on the bed: hooks around each host, batches one after another,
the stop event, the per-run record of outcomes and the bound on hosts in flight."""
from __future__ import annotations

import contextlib
import io
import threading
import time
from collections.abc import Iterator

from fabric import Config

from dockerfab.errors import RemoteError
from dockerfab.fabric.pipeline import Run
from dockerfab.fabric.run import HostSession, HostTarget
from dockerfab.fabric.settings import DockerSettings
from dockerfab.output import Reporter, TextPrinter
from tests.integration.fabric_helpers import fabric_overrides

HOSTS = ("bed1", "bed2", "bed3")



def make_run(ssh_config, **settings) -> tuple[Run, io.StringIO]:
    out = io.StringIO()
    config = Config(runtime_ssh_path=str(ssh_config), overrides=fabric_overrides())
    run = Run(config, Reporter(TextPrinter(out)), DockerSettings(**settings))
    run.targets = lambda context: [HostTarget(h) for h in HOSTS]  # type: ignore[method-assign]
    return run, out


def hostname(session: HostSession) -> tuple[None, str]:
    return None, session.client.run_cmd("hostname").strip()


class Recorder:
    """A HostHook that records entering and leaving, and refuses one host."""

    def __init__(self, refuse: str | None = None) -> None:
        self.refuse = refuse
        self.events: list[tuple[str, str, str]] = []
        self.lock = threading.Lock()

    @contextlib.contextmanager
    def around(self, session: HostSession, task: str) -> Iterator[None]:
        with self.lock:
            self.events.append(("enter", session.label, task))
        if session.label == self.refuse:
            raise RemoteError("locked by another run", host=session.label, action="lock")
        try:
            yield
        finally:
            with self.lock:
                self.events.append(("leave", session.label, task))


def test_hooks_surround_each_hosts_work_and_fail_only_their_host(bed, ssh_config):
    run, out = make_run(ssh_config)
    hook = Recorder(refuse="bed2")
    run.hooks.append(hook)
    assert run.on_hosts(None, "startup", hostname) is False
    assert sorted(e for e in hook.events if e[0] == "enter") == [
        ("enter", h, "startup") for h in HOSTS]
    assert sorted(e for e in hook.events if e[0] == "leave") == [
        ("leave", "bed1", "startup"), ("leave", "bed3", "startup")]
    outcomes = {o.host: o for o in run.outcomes}
    assert outcomes["bed1"].ok and outcomes["bed3"].ok
    assert not outcomes["bed2"].ok and "locked by another run" in outcomes["bed2"].error
    assert "[bed2] ERROR startup" in out.getvalue()


def test_batches_run_one_after_another_and_the_stop_event_skips_the_rest(bed, ssh_config):
    run, out = make_run(ssh_config)
    run.batches = lambda targets: [[t] for t in targets]  # one host per batch
    order: list[str] = []

    def work(session: HostSession) -> tuple[None, None]:
        order.append(session.label)
        if session.label == "bed2":
            run.stop.set()  # e.g. Ctrl-C, or a failed batch ends the rolling deploy
        return None, None

    run.on_hosts(None, "update", work)
    assert order == ["bed1", "bed2"]
    assert [(o.host, o.ok, o.skipped) for o in run.outcomes] == [
        ("bed1", True, False), ("bed2", True, False), ("bed3", False, True)]
    assert "[bed3]" in out.getvalue() and "skipped" in out.getvalue()


def test_hosts_in_flight_are_bounded_by_parallel(bed, ssh_config):
    run, _ = make_run(ssh_config, parallel=1)
    lock = threading.Lock()
    now = [0]
    most = [0]

    def work(session: HostSession) -> tuple[None, None]:
        with lock:
            now[0] += 1
            most[0] = max(most[0], now[0])
        time.sleep(0.2)
        with lock:
            now[0] -= 1
        return None, None

    assert run.on_hosts(None, "version", work) is True
    assert most[0] == 1
    # parallel 0: all three at once (below the default bound): each waits for the others
    run2, _ = make_run(ssh_config)
    together = threading.Barrier(len(HOSTS), timeout=20)

    def meet(session: HostSession) -> tuple[None, int]:
        return None, together.wait()

    assert run2.on_hosts(None, "version", meet) is True
