"""What every run that changes a host does around its work there: take the deploy lock of
the host's maps, note the release the host is at, do the work, record the new release and
an audit record, give the lock back (also after a failure or Ctrl-C). A host utility that
changes the daemon without a map (``cleanup-images``, ``load-image`` ...) goes through the
same guard as a *host-wide* run: it locks the host and every map with state there, and its
audit record goes to the host's own log (no release: it changes no map's configuration)."""
from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from typing import Any

from dockerfab.errors import ConnectionFailed, HostLocked, Interrupted, RemoteError
from dockerfab.fabric.run import HostSession, Work, close_session, open_session
from dockerfab.rollout.config import RolloutOptions
from dockerfab.rollout.holder import Holder, utc_stamp, who
from dockerfab.rollout.recreate import snapshot
from dockerfab.rollout.release import make_release, new_release_id, same_state
from dockerfab.rollout.store import HOST_SCOPE, HostStore, state_root


@dataclass
class HostOutcome:
    """What a run did to one host's releases: per map the release it was at before and the
    one recorded after (None: nothing changed); ``notes`` go into the new release."""
    before: dict[str, str | None] = field(default_factory=dict)
    after: dict[str, str | None] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    #: per map the container records read before the work (reused when it changed nothing)
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict, repr=False)

    @property
    def changed(self) -> bool:
        return any(self.after.values())


@dataclass
class ChangingRun:
    """One call of a changing task: what it is (for the lock, releases and audit log), the
    maps it works on and the rollout options; ``hosts`` collects each host's outcome."""
    task: str
    names: Sequence[str]
    maps: Sequence[Any]
    options: RolloutOptions
    state_dir: str
    flags: dict[str, Any] = field(default_factory=dict)
    stop: threading.Event | None = None
    hosts: dict[str, HostOutcome] = field(default_factory=dict)
    #: Set when a rollout holds every host's lock for the whole run (the guard then
    #: neither takes nor gives back locks).
    holder: Holder | None = None
    #: A host utility: it may touch any map's items, so it locks the host and every map
    #: with state there, records no release, and audits to the host's log.
    host_wide: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def title(self) -> str:
        return " ".join([self.task, *self.names])

    def outcome(self, host: str) -> HostOutcome:
        with self._lock:
            return self.hosts.setdefault(host, HostOutcome())


def host_maps(session: HostSession, maps: Sequence[Any]) -> list[Any]:
    """The maps that apply to this host (as :func:`dockerfab.fabric.actions.mapping_client`
    picks them)."""
    from dockerfab.fabric.actions import maps_for_host

    from_cli = session.target.connection is not None or session.target.host is None
    return maps_for_host(maps, set(session.target.clients), from_cli)


def store_of(session: HostSession, state_dir: str) -> HostStore:
    """The host's store (see :mod:`dockerfab.rollout.store`)."""
    return HostStore(session.client.run_cmd, session.label,
                     state_root(session.client, state_dir))


def guarded(work: Work, run: ChangingRun) -> Work:
    """``work`` wrapped in the deploy lock, release records and the audit log."""
    def locked_work(session: HostSession) -> tuple[int | None, Any]:
        scopes = sorted({str(m.name) for m in host_maps(session, run.maps)})
        # the containers are read while the lock is taken (one wave of round trips less),
        # in the host's pool (its share of the run's threads, as its other reads);
        # what they are used for is checked against the lock's release (_current_release)
        pool = session.pool
        seen = pool.submit(lambda: {s: snapshot(session.client, s, pool) for s in scopes})
        try:
            store = store_of(session, run.state_dir)
            holder = run.holder or Holder.here(run.title)
            if run.holder is None:
                try:
                    if run.host_wide:  # the host's own lock, then every map's there
                        held = store.lock_host(holder, run.options.lock_wait, run.stop)
                        newest = {}
                    else:
                        newest = store.lock(scopes, holder, run.options.lock_wait, run.stop)
                except RemoteError as exc:
                    if not _no_access(exc):
                        raise
                    session.reporter.message(
                        session.label, "no deploy lock, release or audit record: the host "
                        "state is not writable for this user (set docker.state_dir, or "
                        "docker.sudo)")
                    _settle(seen)
                    return work(session)
            else:  # a rollout holds the locks: read what they protect now
                newest = {s: next(iter(store.releases(s, 1)), None) for s in scopes}
            found = seen.result()
        except BaseException:
            _settle(seen)  # the read ends before the session's connection does
            raise
        if run.host_wide:
            scopes = held  # (not before: the records thread reads the maps' scopes)
        outcome = run.outcome(session.label)
        error: BaseException | None = None
        try:
            for scope in () if run.host_wide else scopes:
                release, outcome.records[scope] = _current_release(
                    store, session, scope, run, newest.get(scope), found[scope])
                outcome.before[scope] = (release or {}).get("id")
            unchanged, result = work(session)
            if run.task == "rollback" and isinstance(result, dict):  # map -> release id
                outcome.notes.update({s: f"back to {rid}" for s, rid in result.items()})
            return unchanged, result
        except BaseException as exc:
            error = exc
            raise
        finally:
            _wrap_up(store, session, run, scopes, outcome, error, holder)
    return locked_work


def _settle(read: Future[Any]) -> None:
    """A records read not needed any more: not started, or waited for (its error, if any,
    is not the run's)."""
    if not read.cancel():
        wait([read])


def _wrap_up(store: HostStore, session: HostSession, run: ChangingRun, scopes: list[str],
             outcome: HostOutcome, error: BaseException | None, holder: Holder) -> None:
    """Record the release and audit record, give the lock back. After a failed run (the
    connection may be gone) a failure here is reported as a line and never hides the
    run's own error."""
    audit: dict[str, dict[str, Any]] = {}
    problem: Exception | None = None
    try:
        audit = _record(store, session, run, scopes, outcome, error)
    except Exception as exc:  # noqa: BLE001  reported below, after the unlock
        problem = exc
    try:  # the locks go back even when the records could not be written
        _finish(store, session, run, audit, scopes if run.holder is None else [], holder)
    except Exception as exc:  # noqa: BLE001  reported below
        problem = problem or exc
    if problem is None:
        return
    if error is None:
        raise problem
    session.reporter.message(session.label, "could not record the run or give back "
                             f"the deploy lock ({' '.join(str(problem).split())}); "
                             f"'dockerfab -H {session.label} unlock' removes it")


def _finish(store: HostStore, session: HostSession, run: ChangingRun,
            audit: dict[str, dict[str, Any]], scopes: list[str], holder: Holder) -> None:
    """Write the audit records and give the locks back (one command); if the run's
    connection is gone (the host may well be back, as after a dropped link), give the locks
    back over a new connection, so that a failed run leaves no lock."""
    try:
        store.finish(audit, scopes, holder)
    except ConnectionFailed:
        if not scopes:
            raise
        config = getattr(session.connection, "config", None)
        fresh = open_session(session.target, config, session.settings, session.reporter)
        try:
            store_of(fresh, run.state_dir).unlock(scopes, holder)
        finally:
            close_session(fresh)


def _current_release(store: HostStore, session: HostSession, scope: str, run: ChangingRun,
                     newest: dict[str, Any] | None, early: list[dict[str, Any]]
                     ) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The release the host is at, and the records of the containers found: ``newest``,
    the newest recorded release, or (when the containers found differ from it: a first
    deploy under dockerfab's releases, a change by hand) a new release of what is there, so
    that a rollback has something to go back to. ``early`` are the records read while the
    lock was being taken: they count only where they match ``newest`` (a run that held the
    lock before may have changed the host since), else the containers are read again."""
    if same_state(early, newest):
        return newest, early
    records = snapshot(session.client, scope, session.pool)
    if same_state(records, newest) or not records:
        return newest, records
    found = make_release(new_release_id(), "found", scope, session.label, records,
                         note=f"found on the host before {run.title}")
    store.save_release(scope, found["id"], found, run.options.keep)
    return found, records


def _changed_nothing(session: HostSession, error: BaseException | None) -> bool:
    """The work ended without an error and without a single action on the host (the
    reporter counted none): its containers are as they were read before it."""
    report = session.reporter.host(session.label)
    return error is None and report.failed == 0 and not any(report.counts.values())


def _record(store: HostStore, session: HostSession, run: ChangingRun, scopes: list[str],
            outcome: HostOutcome, error: BaseException | None) -> dict[str, dict[str, Any]]:
    """Record a new release of each map the run changed; returns the audit records to
    write (per map; a host-wide run: one for the host's log, naming the maps it held)."""
    note = "" if error is None else _result(error)
    if run.host_wide:
        return {HOST_SCOPE: _audit_record(session, run, None, note, None,
                                          maps=[s for s in scopes if s != HOST_SCOPE])}
    unchanged = _changed_nothing(session, error)
    for scope in scopes:
        if unchanged and scope in outcome.records:  # nothing done: still the release before
            outcome.after[scope] = None
            continue
        records = snapshot(session.client, scope, session.pool)
        before_id = outcome.before.get(scope)
        newest = next(iter(store.releases(scope, 1)), None)  # we hold the lock: still ours
        before = newest if newest is not None and newest.get("id") == before_id else None
        if same_state(records, before):
            outcome.after[scope] = None
            continue
        text = " ".join(t for t in (outcome.notes.get(scope), note) if t)
        release = make_release(new_release_id(), run.task, scope, session.label, records,
                               note=text)
        store.save_release(scope, release["id"], release, run.options.keep)
        outcome.after[scope] = release["id"]
    ids = [i for i in (outcome.after.get(s) or outcome.before.get(s) for s in scopes) if i]
    session.reporter.host(session.label).release = ",".join(ids) or None
    return {scope: _audit_record(session, run, scope, note,
                                 outcome.after.get(scope) or outcome.before.get(scope))
            for scope in scopes}


def _audit_record(session: HostSession, run: ChangingRun, scope: str | None, note: str,
                  release: str | None, **extra: Any) -> dict[str, Any]:
    """One audit record (``note``: the failure, empty when the run was ok)."""
    return {"time": utc_stamp(), "who": who(), "host": session.label, "task": run.task,
            "names": list(run.names), "map": scope, "flags": dict(run.flags),
            "result": note or "ok", "release": release, **extra}


def _no_access(error: RemoteError) -> bool:
    """A state command refused for lack of rights (a non-root user without sudo)."""
    if isinstance(error, HostLocked):
        return False
    text = str(error)
    return "Permission denied" in text or "a password is required" in text


def _result(error: BaseException) -> str:
    """An audit record's result: ``interrupted: ...`` (Ctrl-C, SIGTERM) or ``failed: ...``."""
    text = " ".join(str(error).split()) or type(error).__name__
    if isinstance(error, (KeyboardInterrupt, Interrupted)):
        return "interrupted" + (f": {text}" if isinstance(error, Interrupted) else "")
    return f"failed: {text}"


def changing_run(settings: Any, task: str, names: Sequence[str], maps: Sequence[Any],
                 flags: dict[str, Any], stop: threading.Event | None = None,
                 lock_wait: Any = None, host_wide: bool = False,
                 **rollout: Any) -> ChangingRun:
    """The :class:`ChangingRun` of a task call from its settings and flags (``rollout``:
    batch, watch, max_failures, on_failure as given; None: the setting). ``flags``: the
    call's options as the audit log records them (only values given, not defaults)."""
    options = RolloutOptions.from_settings(settings, lock_wait=lock_wait, **rollout)
    shown = {k: _plain(v) for k, v in flags.items() if v not in (None, False, [], ())}
    return ChangingRun(task, list(names), list(maps), options, settings.state_dir, shown, stop,
                       host_wide=host_wide)


def _plain(value: Any) -> Any:
    """A flag value as JSON takes it (enums by name)."""
    if isinstance(value, (str, int, float, bool, list, dict)) or value is None:
        return value
    return getattr(value, "name", str(value))
