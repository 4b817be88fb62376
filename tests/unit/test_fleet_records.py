"""Pure logic of the fleet bounds and the run record (no hosts)."""
from __future__ import annotations

from dockerfab.fabric.lastrun import ProgramRequest, RunRecord, host_results, merged
from dockerfab.fabric.pipeline import HostOutcome
from dockerfab.fabric.settings import DockerSettings, threads_per_host


def test_default_bound_keeps_100_hosts_far_below_100_times_32_threads():
    settings = DockerSettings()
    in_flight = min(100, settings.hosts_in_flight)
    assert in_flight == 32
    per_host = threads_per_host(in_flight, settings.host_threads)
    assert per_host == 8 and in_flight * per_host == 256
    assert threads_per_host(1) == 32 and threads_per_host(3) == 32
    assert threads_per_host(100) == 4  # --parallel 100: still at least 4 each
    assert threads_per_host(32, host_threads=2) == 2
    assert DockerSettings(parallel=0).hosts_in_flight == 32  # 0 is not "unbounded"


def test_host_results_over_tasks():
    outcomes = [HostOutcome("a", "pull", True), HostOutcome("b", "pull", False, "boom"),
                HostOutcome("c", "pull", False, "cannot connect", reached=False),
                HostOutcome("a", "startup", False, "create failed"),
                HostOutcome("b", "startup", False, "skipped", skipped=True, reached=False)]
    got = host_results(["a", "b", "c", "d"], outcomes)
    assert {h: r["result"] for h, r in got.items()} == {
        "a": "failed", "b": "failed", "c": "not reached", "d": "not reached"}
    assert got["a"]["error"] == "create failed" and got["b"]["error"] == "boom"


def test_a_retry_keeps_the_hosts_it_did_not_touch():
    first = RunRecord(["startup"], ["startup", "web"], "a,b,c", "t0", 1.0,
                      {"a": {"result": "ok", "error": None},
                       "b": {"result": "failed", "error": "x"},
                       "c": {"result": "not reached", "error": "y"}})
    request = ProgramRequest([], None, "/nowhere")
    request.retry_from(first)
    assert request.retry == ["b", "c"] and request.task_argv == ["startup", "web"]
    assert request.hosts_arg == "a,b,c"
    second = request.record(["startup"], 0.0, 2.0, ["b", "c"],
                            [HostOutcome("b", "startup", True),
                             HostOutcome("c", "startup", False, "y", reached=False)])
    assert second.to_retry() == ["c"] and second.argv == ["startup", "web"]
    assert merged(None, second) is second
    assert RunRecord.from_json(second.to_json()).hosts == second.hosts


def test_a_rollout_s_outcomes_as_the_run_record_reads_them():
    """As ``rollout.rolling.roll_out`` records them: bed1 switched in batch 1, bed2 failed
    in batch 2, both taken back (each recorded again, failed), bed3 never reached."""
    outcomes = [HostOutcome("bed1", "update", True),
                HostOutcome("bed2", "update", False, "start m.app: unhealthy"),
                HostOutcome("bed1", "update", False, "rolled back to r1 (rollout failed)"),
                HostOutcome("bed2", "update", False, "rolled back to r2 (rollout failed)"),
                HostOutcome("bed3", "update", False, "not reached: the rollout stopped",
                            skipped=True, reached=False)]
    got = host_results(["bed1", "bed2", "bed3"], outcomes)
    assert {h: r["result"] for h, r in got.items()} == {
        "bed1": "failed", "bed2": "failed", "bed3": "not reached"}
    assert got["bed1"]["error"].startswith("rolled back to r1")
    # --on-failure stop: bed1 stays at the new release and is not retried
    stopped = host_results(["bed1", "bed2", "bed3"], [outcomes[0], outcomes[1], outcomes[4]])
    record = RunRecord(["update"], ["update", "__all__", "--batch", "1"], "bed1,bed2,bed3",
                       "t0", 1.0, stopped)
    assert record.to_retry() == ["bed2", "bed3"]
