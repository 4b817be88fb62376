"""Per-host work of the ``lock``, ``unlock``, ``releases``, ``audit`` and ``rollback``
tasks, wired to a host session and its reporter (the tasks in :mod:`dockerfab.tasks` only
parse flags)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dockerfab.errors import RemoteError
from dockerfab.fabric.run import HostSession, Work
from dockerfab.output import format_table
from dockerfab.rollout import gate
from dockerfab.rollout.guard import host_maps, store_of
from dockerfab.rollout.recreate import carry_out, snapshot
from dockerfab.rollout.release import release_diff, rollback_steps, same_state
from dockerfab.rollout.store import HOST_SCOPE


def lock_work(state_dir: str) -> Work:
    """Show the deploy locks held on the host."""
    def work(session: HostSession) -> tuple[None, Any]:
        holders = store_of(session, state_dir).holders()
        if not holders:
            session.reporter.message(session.label, "no deploy lock held")
        else:
            rows = [[scope, h.who, h.pid, h.since, h.task] for scope, h in sorted(holders.items())]
            session.reporter.data(session.label, "", format_table(
                ("map", "holder", "pid", "since", "task"), rows))
        return None, [{"map": s, "who": h.who, "pid": h.pid, "since": h.since, "task": h.task}
                      for s, h in sorted(holders.items())]
    return work


def unlock_work(state_dir: str, maps: Sequence[str]) -> Work:
    """Remove deploy locks (those of ``maps``, or every one on the host): for a lock left
    behind by a run that was killed."""
    def work(session: HostSession) -> tuple[None, Any]:
        store = store_of(session, state_dir)
        holders = store.holders()
        scopes = list(maps) or sorted(holders)
        removed = store.unlock(scopes)
        for scope in removed:
            held = holders.get(scope)
            session.reporter.message(session.label, f"removed the lock of map {scope}"
                                     + (f" held by {held.describe()}" if held else ""))
        if not removed:
            session.reporter.message(session.label, "no deploy lock to remove")
        return None, removed
    return work


def releases_work(state_dir: str, maps: Sequence[Any], selected: set[str] | None) -> Work:
    """The releases of each map on the host, newest first, each with what changed since
    the one before it (container and option names, never values)."""
    def work(session: HostSession) -> tuple[None, Any]:
        store = store_of(session, state_dir)
        result: list[dict[str, Any]] = []
        for m in host_maps(session, maps):
            releases = [_only(r, selected) for r in store.releases(str(m.name))]
            rows = []
            for i, release in enumerate(releases):
                older = releases[i + 1] if i + 1 < len(releases) else None
                changes = release_diff(older, release)
                rows.append([release["id"], release.get("time"), release.get("who"),
                             release.get("task"), len(release.get("containers") or ()),
                             "; ".join(changes) if older else "first kept release",
                             release.get("note") or ""])
                result.append({"map": m.name, "id": release["id"], "time": release.get("time"),
                               "who": release.get("who"), "task": release.get("task"),
                               "note": release.get("note"), "changes": changes,
                               "containers": [c["name"] for c in release.get("containers") or ()]})
            if rows:
                session.reporter.data(session.label, f"map {m.name}", format_table(
                    ("release", "time", "who", "task", "containers", "changes", "note"), rows))
            else:
                session.reporter.message(session.label, f"map {m.name}: no releases")
        return None, result
    return work


def _only(release: dict[str, Any], selected: set[str] | None) -> dict[str, Any]:
    if selected is None:
        return release
    return {**release, "containers": [c for c in release.get("containers") or ()
                                      if c["name"] in selected]}


def audit_work(state_dir: str, maps: Sequence[str], last: int | None) -> Work:
    """The audit records of the host (of ``maps``, or of every map and the host utilities,
    whose map shows as ``(host)``), oldest first."""
    def work(session: HostSession) -> tuple[None, Any]:
        records = store_of(session, state_dir).audit(maps, last)
        rows = [[r.get("time"), r.get("who"), r.get("map") or HOST_SCOPE, r.get("task"),
                 ",".join(r.get("names") or ()),
                 ",".join(f"{k}={v}" for k, v in sorted((r.get("flags") or {}).items())),
                 r.get("result"), r.get("release") or ""]
                for r in records]
        if rows:
            session.reporter.data(session.label, "", format_table(
                ("time", "who", "map", "task", "names", "flags", "result", "release"), rows))
        else:
            session.reporter.message(session.label, "no audit records")
        return None, records
    return work


def rollback_target(releases: list[dict[str, Any]], current: list[dict[str, Any]],
                    to: str | None) -> dict[str, Any] | None:
    """The release to go back to: ``to`` (an id, or its unique beginning), else the newest
    release that differs from what runs now."""
    if to:
        matches = [r for r in releases if str(r.get("id", "")).startswith(to)]
        if len(matches) != 1:
            known = ", ".join(str(r.get("id")) for r in releases) or "none"
            raise RemoteError(f"no{' unique' if matches else ''} release {to!r} "
                              f"(kept: {known})", action="rollback")
        return matches[0]
    return next((r for r in releases if not same_state(current, r)), None)


def rollback_work(state_dir: str, maps: Sequence[Any], selected: set[str] | None,
                  to: str | None, dry_run: bool, readiness: float = gate.READINESS,
                  timeout: float = gate.TIMEOUT, targets: dict[str, str] | None = None,
                  stop: Any = None, wait: bool = True) -> Work:
    """Bring the map's containers back to a release. ``targets`` (map -> release id, as an
    automatic rollback knows them) overrides ``to`` per map; ``wait``: health-gate each
    container it starts."""
    def work(session: HostSession) -> tuple[int | None, Any]:
        store = store_of(session, state_dir)
        unchanged = 0
        done: dict[str, str] = {}
        for m in host_maps(session, maps):
            scope = str(m.name)
            wanted = (targets or {}).get(scope, to)
            current = snapshot(session.client, scope, session.pool)
            target = rollback_target(store.releases(scope), current, wanted)
            if target is None:
                session.reporter.message(session.label, f"map {scope}: no earlier release "
                                         "to go back to")
                continue
            steps = rollback_steps(current, target, selected)
            unchanged += sum(1 for s in steps if s.kind == "keep")
            active = [s for s in steps if s.kind != "keep"]
            if dry_run:
                session.reporter.plan(session.label, [s.as_dict() for s in active],
                                      unchanged, dry_run=True)
                continue
            session.reporter.message(session.label, f"map {scope}: rolling back to release "
                                     f"{target['id']} ({target.get('task')} by "
                                     f"{target.get('who')} at {target.get('time')})")
            carry_out(session.client, active, session.label,
                      session.reporter.listener(session.label), readiness=readiness,
                      timeout=timeout, stop=stop, wait=wait)
            done[scope] = str(target["id"])
        return unchanged, done or None
    return work
