"""The host-side store (deploy locks, the host's own lock, audit logs) run through a real
``sh`` on a temporary directory, as it runs on a host through ``run_cmd``."""
from __future__ import annotations

import subprocess
import threading

import pytest

from dockerfab.errors import HostLocked, RemoteError
from dockerfab.fabric.shell import LocalShell
from dockerfab.rollout.holder import Holder
from dockerfab.rollout.release import new_release_id
from dockerfab.rollout.store import HOST_SCOPE, HostStore


@pytest.fixture
def store(tmp_path):
    return HostStore(LocalShell().run, "h1", str(tmp_path / "state dir"))  # a space, too


def test_a_host_utility_takes_every_map_or_none(store):
    first, second = Holder.here("update a"), Holder.here("cleanup-images")
    for scope in ("m0", "m3"):  # maps with state on the host, not locked
        store.lock([scope], first)
        store.unlock([scope], first)
    store.lock(["m1", "m2"], first)
    with pytest.raises(HostLocked) as caught:
        store.lock_host(second)
    assert caught.value.holder.token == first.token and "task update a" in str(caught.value)
    assert "lock m1" in str(caught.value)
    # what the refused run took is given back, the host's own lock included
    assert {s: h.token for s, h in store.holders().items()} == {
        "m1": first.token, "m2": first.token}
    assert store.unlock(["m1", "m2"], second) == []  # not its locks: left alone
    assert store.unlock(["m1", "m2"], first) == ["m1", "m2"]
    assert store.lock_host(second) == [HOST_SCOPE, "m0", "m1", "m2", "m3"]
    assert set(store.holders()) == {HOST_SCOPE, "m0", "m1", "m2", "m3"}
    assert store.scopes() == ["m0", "m1", "m2", "m3"]  # maps only, not the host's scope
    assert store.unlock([HOST_SCOPE]) == [HOST_SCOPE]  # 'dockerfab unlock': anyone's


def test_a_host_utility_waits_for_map_runs_and_holds_off_new_ones(store):
    deploy, utility = Holder.here("update a"), Holder.here("load-image x")
    store.lock(["m1"], deploy)
    threading.Timer(0.3, store.unlock, (["m1"], deploy)).start()
    assert store.lock_host(utility, wait=30) == [HOST_SCOPE, "m1"]
    assert {s: h.task for s, h in store.holders().items()} == {
        HOST_SCOPE: "load-image x", "m1": "load-image x"}
    # a map run now meets the host's own lock, also for a map without state yet
    with pytest.raises(HostLocked) as caught:
        store.lock(["m9"], deploy)
    assert "lock (host): locked by" in str(caught.value)
    assert "task load-image x" in str(caught.value)
    assert "m9" not in store.holders()
    assert store.unlock([HOST_SCOPE, "m1"], utility) == [HOST_SCOPE, "m1"]
    assert store.lock(["m9"], deploy) == {"m9": None}  # no release of m9 yet


def test_the_host_log_is_read_with_the_maps_logs(store):
    store.append_audit("m1", {"time": "2026-12-01T10:00:00Z", "task": "update", "map": "m1"})
    store.append_audit(HOST_SCOPE, {"time": "2026-12-01T10:00:01Z", "task": "cleanup-images",
                                    "map": None, "maps": ["m1"]})
    assert [r["task"] for r in store.audit()] == ["update", "cleanup-images"]
    assert [r["task"] for r in store.audit(["m1"])] == ["update"]
    assert [r["task"] for r in store.audit(last=1)] == ["cleanup-images"]


@pytest.mark.parametrize("shell", ["sh", "bash"])  # a host's login shell may be either
def test_the_lock_reads_the_newest_release_and_finish_gives_back_only_its_own(tmp_path, shell):
    def run(command: str) -> str:
        proc = subprocess.run([shell, "-c", command], capture_output=True, text=True,
                              check=False)
        if proc.returncode:
            raise RemoteError(f"exit status {proc.returncode}: {proc.stderr.strip()}")
        return proc.stdout

    store = HostStore(run, "h1", str(tmp_path / "state dir"))
    assert store.lock(["m1"], Holder.here("update a")) == {"m1": None}  # no release yet
    ids = [new_release_id(1_700_000_000 + 60 * i) for i in range(5)]
    for rid in ids[::-1][:2] + ids[:3]:  # saved out of order: the ids say which is newest
        store.save_release("m1", rid, {"id": rid, "containers": []}, keep=3)
    assert [r["id"] for r in store.releases("m1")] == ids[:1:-1]  # the newest 3, newest first
    first, second = Holder.here("update b"), Holder.here("update c")
    store.unlock(["m1"])
    assert store.lock(["m1"], first) == {"m1": {"id": ids[4], "containers": []}}
    with pytest.raises(HostLocked):
        store.lock(["m1"], second)
    # another run's finish writes its record but leaves first's lock alone
    assert store.finish({"m1": {"time": "t1", "task": "update c"}}, ["m1"], second) == []
    assert store.holders()["m1"].token == first.token
    assert store.finish({"m1": {"time": "t2", "task": "update b"}}, ["m1"], first) == ["m1"]
    assert store.holders() == {}
    assert [r["task"] for r in store.audit(["m1"])] == ["update c", "update b"]
    log = tmp_path / "state dir" / "maps" / "m1" / "audit.jsonl"
    assert oct(log.stat().st_mode & 0o777) == "0o600"
    assert oct(log.parent.stat().st_mode & 0o777) == "0o700"
