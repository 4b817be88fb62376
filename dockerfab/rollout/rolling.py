"""Driving a changing run over its hosts: the deploy hooks around it, and with ``--batch``
a rollout: every host opened and locked first, then batch after batch (each watched for
``--watch`` seconds), and when it fails, the hosts it reached rolled back to the release
they had before it."""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import partial
from typing import Any

from dockerfab.errors import DockerFabError, HostLocked, RolledBack
from dockerfab.fabric.pipeline import DEFAULT_HOSTS_IN_FLIGHT, Run
from dockerfab.fabric.run import (
    HostSession,
    HostTarget,
    Work,
    close_session,
    open_session,
    unexpected_error_line,
)
from dockerfab.fabric.settings import threads_per_host
from dockerfab.rollout import gate
from dockerfab.rollout.batches import Progress, split_batches
from dockerfab.rollout.config import ROLLOUT_FLAGS, take_rollout_flags  # noqa: F401  (moved there)
from dockerfab.rollout.guard import (
    ChangingRun,
    changing_run,
    guarded,
    host_maps,
    store_of,
)
from dockerfab.rollout.holder import Holder
from dockerfab.rollout.hooks import HookFailed, hook_environment, run_hook
from dockerfab.rollout.recreate import snapshot

#: Builds the rollback work of one host: map name -> release id to go back to.
RollbackFactory = Callable[[dict[str, str]], Work]


#: The flags of changing tasks that are the rollout's, not the engine's.
def deploy(run: Run, context: Any, task: str, names: Sequence[str], maps: Sequence[Any],
           work: Work, audit_flags: dict[str, Any], rollout: dict[str, Any]) -> None:
    """A changing task's real run on the hosts of the call: in the deploy locks, with
    releases, audit records and hooks, rolled out in batches when asked (``rollout``: the
    flags of :data:`ROLLOUT_FLAGS` as given). A bad flag raises MapError before any host."""
    changing = changing_run(run.settings, task, names, maps,
                            {**audit_flags, **{k: v for k, v in rollout.items()
                                               if k != "lock_wait"}}, run.stop, **rollout)
    drive(run, context, task, work, changing)


def change_hosts(run: Run, context: Any, task: str, work: Work, audit_flags: dict[str, Any],
                 lock_wait: Any = None,
                 confirm: Callable[[HostSession], bool] | None = None) -> None:
    """A host utility that changes the daemon without a map (``cleanup-images``,
    ``load-image`` ...) on the hosts of this call: through the run's one fan-out, each
    host's work in the host's own lock and the lock of every map with state there, with an
    audit record in the host's log. No release and no deploy hooks: it deploys nothing.
    ``confirm(session)`` is asked before the locks are taken; False leaves the host alone
    (no lock, no record)."""
    changing = changing_run(run.settings, task, [], [], audit_flags, run.stop,
                            lock_wait=lock_wait, host_wide=True)
    locked = guarded(work, changing)

    def host_work(session: HostSession) -> tuple[int | None, Any]:
        if confirm is not None and not confirm(session):
            return None, []
        return locked(session)
    run.on_hosts(context, task, host_work)


def drive(run: Run, context: Any, task: str, work: Work, changing: ChangingRun) -> None:
    """Run a changing task on the hosts of this call: pre hook, the hosts (all at once
    through the run's fan-out, or in batches when ``changing.options.batch`` is set), post
    hook."""
    targets = run.targets(context)
    hosts = [t.label for t in targets]
    run.plan_hosts(hosts)
    reporter = run.reporter
    try:
        run_hook("pre_deploy", changing.options.pre_deploy,
                 hook_environment(task, changing.names, hosts))
    except HookFailed as exc:
        for target in targets:
            reporter.host(target.label, task)
            reporter.finish(target.label, f"not started: {exc}")
            run.record_report(target.label, task, reached=False)
        return
    try:
        if changing.options.batch is not None:
            roll_out(run, targets, task, work, changing, partial(_rollback_work, run, changing))
        else:
            run.on_hosts(context, task, guarded(work, changing))
    finally:
        reports = [reporter.reports[h] for h in hosts if h in reporter.reports]
        failed = [r.host for r in reports if not r.ok]
        codes = {r.exit_code for r in reports if not r.ok}
        result = ("ok" if not failed else "rolled back" if 4 in codes else
                  "locked" if codes == {5} else "failed")
        if run.stop.is_set() and failed and result == "failed":
            result = "interrupted"
        try:
            run_hook("post_deploy", changing.options.post_deploy,
                     hook_environment(task, changing.names, hosts, result, failed))
        except HookFailed as exc:
            reporter.message(None, str(exc))


def _rollback_work(run: Run, changing: ChangingRun, targets: dict[str, str]) -> Work:
    from dockerfab.rollout.work import rollback_work

    return rollback_work(changing.state_dir, changing.maps, None, None, False,
                         readiness=run.settings.readiness,
                         timeout=run.settings.health_timeout, targets=targets,
                         stop=changing.stop)


def _watched(session: HostSession, run: ChangingRun, seconds: float) -> None:
    names = [r["name"] for m in host_maps(session, run.maps)
             for r in snapshot(session.client, str(m.name), session.pool) if r["running"]]
    gate.watch(session.client, names, seconds, host=session.label, stop=run.stop)


def _on_session(session: HostSession, task: str, work: Work, run: Run,
                finish: bool = True) -> tuple[bool, str]:
    """``work`` on an open session, reported like :func:`dockerfab.fabric.run.run_on_host`
    (one line per failed host); returns (ok, why not). With ``finish`` the host's report
    is closed (and a failed action in it counts); otherwise only an exception fails."""
    reporter = run.reporter
    try:
        unchanged, result = work(session)
    except DockerFabError as exc:
        return False, reporter.finish(session.label, exc).error or str(exc)
    except Exception as exc:  # noqa: BLE001  transport dropped mid-run, Docker API errors
        text = unexpected_error_line(exc)
        return False, reporter.finish(session.label, text).error or text
    finally:  # the session waits for the later batches: it keeps no threads meanwhile
        session.release_threads()
    if not finish:
        return True, ""
    report = reporter.finish(session.label, unchanged=unchanged, result=result)
    return report.ok, report.error or ""


def _each(items: Sequence[Any], fn: Callable[[Any], Any], workers: int) -> list[Any]:
    if len(items) <= 1:
        return [fn(i) for i in items]
    workers = workers or DEFAULT_HOSTS_IN_FLIGHT
    with ThreadPoolExecutor(max_workers=max(1, min(len(items), workers)),
                            thread_name_prefix="dockerfab-rollout") as pool:
        return list(pool.map(fn, items))


def roll_out(run: Run, targets: Sequence[HostTarget], task: str, work: Work,
             changing: ChangingRun, rollback: RollbackFactory) -> None:
    """The rollout (see module docstring). Every host's lock is held from before the first
    batch until after the last rollback, and given back on every way out."""
    reporter = run.reporter
    # the sessions stay open for the whole rollout, a batch of them at work at once:
    # each host's threads are its share of the run's budget, as in Run.on_hosts
    in_flight = min(len(targets), max(1, run.settings.hosts_in_flight))
    settings = replace(run.settings, host_threads=threads_per_host(
        in_flight, run.settings.host_threads))
    options = changing.options
    by_label = {t.label: t for t in targets}
    progress = Progress(split_batches(list(by_label), options.batch), options.max_failures,
                        options.on_failure)
    holder = Holder.here(changing.title)
    changing = replace(changing, holder=holder)
    sessions: dict[str, HostSession] = {}
    locked: dict[str, list[str]] = {}

    def prepare(label: str) -> bool:
        reporter.host(label, task)
        try:
            session = open_session(by_label[label], run.config, settings, reporter)
            sessions[label] = session
            scopes = sorted({str(m.name) for m in host_maps(session, changing.maps)})
            store_of(session, changing.state_dir).lock(scopes, holder, options.lock_wait,
                                                        changing.stop)
            locked[label] = scopes
            return True
        except DockerFabError as exc:
            reporter.finish(label, exc)
        except Exception as exc:  # noqa: BLE001
            reporter.finish(label, unexpected_error_line(exc))
        run.record_report(label, task, reached=label in sessions)
        return False

    try:
        ready = _each(list(by_label), prepare, settings.parallel)
        if not all(ready):
            blocked = [h for h, ok in zip(by_label, ready) if not ok]
            for label in by_label:
                if label not in blocked:
                    reporter.finish(label, HostLocked(
                        "not started: the rollout did not begin (" + ", ".join(blocked)
                        + " could not be locked)") if any(
                        reporter.reports[b].exit_code == 5 for b in blocked) else
                        f"not started: the rollout did not begin ({', '.join(blocked)} "
                        "failed)")
                    run.record_report(label, task, reached=False)
            return
        host_work = guarded(work, changing)
        count = len(progress.batches)
        for number, batch in enumerate(progress.batches, 1):
            if run.stop.is_set():
                break
            began = time.monotonic()
            reporter.message(None, f"batch {number}/{count} ({', '.join(batch)}): started")
            results = _each(batch, lambda h: _on_session(sessions[h], task, host_work, run),
                            settings.parallel)
            if all(ok for ok, _ in results) and options.watch > 0:
                reporter.message(None, f"batch {number}/{count}: watching for "
                                 f"{options.watch:g}s")
                results = _each(batch, lambda h: _watch(sessions[h], changing, options.watch,
                                                        run), settings.parallel)
            for host, (ok, why) in zip(batch, results):
                progress.record(host, ok, why)
                run.record_report(host, task)  # a rollback below may record it again
            failed = [h for h, (ok, _) in zip(batch, results) if not ok]
            reporter.message(None, f"batch {number}/{count}: "
                             + (f"failed on {', '.join(failed)}" if failed else "done")
                             + f" in {time.monotonic() - began:.1f}s")
            if progress.must_stop:
                break
        _roll_back(progress, sessions, task, changing, run, rollback)
        for label in progress.not_reached():
            reporter.host(label, task)
            reporter.finish(label, "not reached: the rollout stopped before this host"
                            + (f" ({progress.reason()})" if progress.failed else ""))
            run.record_report(label, task, reached=False)
    finally:
        for label, session in sessions.items():
            try:
                if label in locked:
                    store_of(session, changing.state_dir).unlock(locked[label], holder)
            except Exception as exc:  # noqa: BLE001  the lock stays; say so
                reporter.message(label, f"could not give back the deploy lock: {exc}")
            finally:
                close_session(session)


def _watch(session: HostSession, changing: ChangingRun, seconds: float,
           run: Run) -> tuple[bool, str]:
    def watch(s: HostSession) -> tuple[None, None]:
        _watched(s, changing, seconds)
        return None, None
    return _on_session(session, "watch", watch, run, finish=False)


def _roll_back(progress: Progress, sessions: dict[str, HostSession], task: str,
               changing: ChangingRun, run: Run, rollback: RollbackFactory) -> None:
    back = progress.roll_back()
    if not back:
        return
    reporter = run.reporter
    why = progress.reason()
    reporter.message(None, f"rollout failed ({why}); rolling back {', '.join(back)}")
    undo = replace(changing, task="rollback", flags={"after": task}, hosts={})

    def one(host: str) -> None:
        outcome = changing.hosts.get(host)
        targets = {s: r for s, r in (outcome.before if outcome else {}).items() if r}
        if not targets:
            reporter.finish(host, f"not rolled back: no release from before the rollout "
                                  f"(rollout failed: {why})")
            return
        ok, error = _on_session(sessions[host], "rollback", guarded(rollback(targets), undo),
                                run, finish=False)
        ids = ", ".join(sorted(set(targets.values())))
        if ok:
            reporter.finish(host, RolledBack(f"rolled back to {ids} (rollout failed: {why})"))
        else:
            reporter.finish(host, f"rollback to {ids} failed: {error} (rollout failed: "
                                  f"{why})")

    def recorded(host: str) -> None:
        """A host taken back is not at the new release: its outcome is failed (so that
        ``--retry-failed`` deploys it again, like the hosts the rollout did not reach)."""
        try:
            one(host)
        finally:
            run.record_report(host, task)

    _each(back, recorded, run.settings.parallel)
