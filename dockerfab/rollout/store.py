"""What dockerfab keeps on a host: the deploy locks, the releases and the audit log.

Everything lives in one directory on the host: by default the Docker volume
``dockerfab-state`` of the host's daemon (created on first use, reached through its
mountpoint), so the state belongs to the daemon it describes; ``docker.state_dir`` names a
directory instead. It is read and written with shell commands through the host client's
``run_cmd`` (over the run's SSH connection; locally for a local daemon), so it survives the
machine that ran a deploy and every controller sees the same::

    <root>/maps/<map>/lock/holder          the deploy lock of a map (a directory: mkdir
                                           is atomic) and who holds it
    <root>/maps/<map>/releases/<id>.json   the last ``docker.releases.keep`` releases
    <root>/maps/<map>/audit.jsonl          one JSON record per changing run (appended)
    <root>/host/lock/holder                the host's own lock, taken by host utilities
    <root>/host/audit.jsonl                the host utilities' audit records

The lock covers a map on a host: two runs of the same map on the same host never overlap;
runs of different maps (which share no containers, volumes or networks) may. A host
utility that changes the daemon (``cleanup-images``, ``load-image`` ...) may touch any
map's items: it takes the host's own lock (scope :data:`HOST_SCOPE`), which every map
run checks when it takes its lock, then the locks of every map with state on the host,
all or none (:meth:`HostStore.lock_host`).
"""
from __future__ import annotations

import base64
import contextlib
import gzip
import json
import re
import shlex
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from dockerfab.errors import HostLocked, RemoteError
from dockerfab.rollout.holder import Holder

#: The Docker volume that holds the state when ``docker.state_dir`` is not set.
STATE_VOLUME = "dockerfab-state"
_SAFE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_ACQUIRED, _LOCKED = "dockerfab-lock-acquired", "dockerfab-lock-held"
#: Seconds between two attempts while waiting for a lock (``--lock-wait``).
POLL = 0.5
#: The scope of the host's own lock and audit log (no map can be named so).
HOST_SCOPE = "(host)"


def _check_name(kind: str, name: str) -> str:
    if not _SAFE.match(name):
        raise RemoteError(f"{kind} {name!r} cannot name a directory on the host",
                          action="state")
    return name


class HostStore:
    """The lock, releases and audit log on one host. ``run`` runs a command line there
    and returns its output (``DockerFabricClient.run_cmd``)."""

    def __init__(self, run: Callable[[str], str], host: str, root: str) -> None:
        self.run = run
        self.host = host
        self.root = root.rstrip("/") or "/"

    def _dir(self, scope: str) -> str:
        if scope == HOST_SCOPE:
            return f"{self.root}/host"
        return f"{self.root}/maps/{_check_name('map name', scope)}"

    def _host_free(self, holder: Holder, then: str) -> str:
        """Shell: unless the host's own lock is held by another run (a host utility: then
        its holder is printed after a ``held (host)`` line), run ``then``."""
        host = shlex.quote(self._dir(HOST_SCOPE) + "/lock")
        return (f"if [ -d {host} ] && ! grep -qF {shlex.quote(holder.token)} {host}/holder "
                f"2>/dev/null; then echo {_LOCKED} {shlex.quote(HOST_SCOPE)}; "
                f"cat {host}/holder 2>/dev/null; else {then}; fi")

    # --- lock ------------------------------------------------------------------------------

    def try_lock(self, scope: str, holder: Holder
                 ) -> tuple[Holder | None, dict[str, Any] | None, str]:
        """Take the lock of ``scope`` and, once taken, read its newest release, in one
        command: returns (None, the newest release or None, scope) when taken, else (who
        holds it, None, the scope held): a :class:`Holder`, or an unknown one while the
        holder is being written. A map's lock is not taken while a host utility holds the
        host's own lock (the scope held is then :data:`HOST_SCOPE`)."""
        d = shlex.quote(self._dir(scope))
        # shell builtins but for the lock's mkdir and one cat: every process counts on a
        # host that runs many of these at once (docs/benchmarks.rst, the fleet benchmark)
        take = (f"{_made(d)} && if mkdir {d}/lock 2>/dev/null; then "
                f"printf '%s' {shlex.quote(holder.to_json())} > {d}/lock/holder && "
                f"echo {_ACQUIRED}; {self._newest_script(scope)}; "
                f"else echo {_LOCKED}; cat {d}/lock/holder 2>/dev/null; fi")
        out = self.run("umask 077; " + (take if scope == HOST_SCOPE
                                        else self._host_free(holder, take)))
        status, _, rest = out.partition("\n")
        if status.strip() == _ACQUIRED:
            return None, next(iter(_json_lines(rest)), None), scope
        held = HOST_SCOPE if status.strip() == f"{_LOCKED} {HOST_SCOPE}" else scope
        return (Holder.from_json(rest.strip()) or Holder("unknown", 0, "unknown", "unknown", ""),
                None, held)

    def lock(self, scopes: Iterable[str], holder: Holder, wait: float = 0.0,
             stop: threading.Event | None = None) -> dict[str, dict[str, Any] | None]:
        """Take the locks of ``scopes`` (sorted, so two runs never wait for each other in a
        circle), waiting up to ``wait`` seconds for each; raises :class:`HostLocked` naming
        the holder. Locks taken before a failure are given back. Returns each scope's
        newest release, read with its lock (one command a scope: no round trip more)."""
        taken: list[str] = []
        newest: dict[str, dict[str, Any] | None] = {}
        try:
            for scope in sorted(set(scopes)):
                def attempt(scope: str = scope) -> tuple[Holder, str] | None:
                    other, newest[scope], held = self.try_lock(scope, holder)
                    return None if other is None else (other, held)
                self._acquire(attempt, wait, stop)
                taken.append(scope)
        except BaseException:
            self.unlock(taken, holder)
            raise
        return newest

    def lock_host(self, holder: Holder, wait: float = 0.0,
                  stop: threading.Event | None = None) -> list[str]:
        """For a run that may touch any map's items (a host utility): the host's own lock
        (from then on no map run takes its lock on the host), then, all or none, the locks
        of every map with state on the host, which the runs under way hold. While one is
        held, the host's lock is given back before waiting (a utility never holds some
        while it waits). Returns every scope taken."""
        taken: list[str] = []

        def attempt() -> tuple[Holder, str] | None:
            other, _, _ = self.try_lock(HOST_SCOPE, holder)
            if other is not None:
                return other, HOST_SCOPE
            scopes: list[str] = []
            try:
                scopes = self.scopes()
                found = self._take_all(scopes, holder) if scopes else None
            except BaseException:
                with contextlib.suppress(Exception):  # the failure itself is what counts
                    self.unlock([HOST_SCOPE, *scopes], holder)
                raise
            if found is not None:
                self.unlock([HOST_SCOPE], holder)
                return found
            taken[:] = [HOST_SCOPE, *scopes]
            return None
        self._acquire(attempt, wait, stop)
        return taken

    def _take_all(self, scopes: Sequence[str], holder: Holder) -> tuple[Holder, str] | None:
        """Take the locks of ``scopes`` in one command, all or none (those taken are given
        back when one is held): None when taken, else who holds which."""
        dirs = " ".join(shlex.quote(self._dir(s)) for s in scopes)
        out = self.run(
            f"umask 077; set -- {dirs}; n=0; for d in \"$@\"; do "
            f"mkdir -p -m 700 \"$d\" || exit 1; "
            f"if mkdir \"$d/lock\" 2>/dev/null; then "
            f"printf '%s' {shlex.quote(holder.to_json())} > \"$d/lock/holder\" || exit 1; "
            f"n=$((n+1)); else echo {_LOCKED} $n; cat \"$d/lock/holder\" 2>/dev/null; echo; "
            f"i=0; for t in \"$@\"; do [ $i -lt $n ] || break; rm -rf -- \"$t/lock\"; "
            f"i=$((i+1)); done; exit 0; fi; done; echo {_ACQUIRED}")
        status, _, rest = out.strip().partition("\n")
        if status.strip() == _ACQUIRED:
            return None
        word, _, index = status.partition(" ")
        if word != _LOCKED or not index.strip().isdigit() or int(index) >= len(scopes):
            raise RemoteError(f"unexpected answer to the lock command: {out.strip()[:200]!r}",
                              host=self.host, action="lock")
        return (Holder.from_json(rest.strip()) or Holder("unknown", 0, "unknown", "unknown", ""),
                scopes[int(index)])

    def _acquire(self, attempt: Callable[[], tuple[Holder, str] | None], wait: float,
                 stop: threading.Event | None) -> None:
        """``attempt()`` until it takes what it wants (None) or ``wait`` seconds are over:
        :class:`HostLocked` naming the scope held and its holder."""
        deadline = time.monotonic() + wait
        while True:
            found = attempt()
            if found is None:
                return
            other, scope = found
            if time.monotonic() >= deadline or (stop is not None and stop.is_set()):
                waited = f" (waited {wait:g}s)" if wait else ""
                raise HostLocked(f"locked by {other.describe()}{waited}; "
                                 f"'dockerfab -H {self.host} unlock' removes a stale "
                                 "lock", other, host=self.host, action="lock", item=scope)
            if stop is not None:
                stop.wait(POLL)
            else:
                time.sleep(POLL)

    def unlock(self, scopes: Iterable[str], holder: Holder | None = None) -> list[str]:
        """Remove the locks of ``scopes``: only those that still carry ``holder``'s token,
        or, with ``holder=None`` (``dockerfab unlock``), whoever holds them. Returns the
        scopes whose lock was removed."""
        return self.finish({}, scopes, holder)

    def finish(self, audit: dict[str, dict[str, Any]], unlock: Iterable[str],
               holder: Holder | None) -> list[str]:
        """Append one audit record per scope in ``audit``, then give back the locks of
        ``unlock`` (as :meth:`unlock` does), in one command: the end of a run costs one
        round trip. Returns the scopes whose lock was removed."""
        # every part runs; a failed audit write still fails the command, after the unlocks.
        # Builtins but for the rm of a lock (the holder's token is matched by ``case``).
        parts = [f"{self._audit_script(scope, record)} || rc=$?"
                 for scope, record in audit.items()]
        for scope in sorted(set(unlock)):
            d = shlex.quote(self._dir(scope))
            check = (f"[ -f {d}/lock/holder ] && {{ h=; IFS= read -r h || [ -n \"$h\" ]; }} "
                     f"< {d}/lock/holder && case $h in *{shlex.quote(holder.token)}*) ;; "
                     "*) false;; esac" if holder is not None else f"[ -d {d}/lock ]")
            parts.append(f"if {check}; then rm -rf -- {d}/lock && echo {shlex.quote(scope)}; fi")
        if not parts:
            return []
        out = self.run("; ".join(["umask 077", "rc=0", *parts, "exit $rc"]))
        return [line.strip() for line in out.splitlines() if line.strip()]

    def holders(self) -> dict[str, Holder]:
        """Every lock on the host: map name (or :data:`HOST_SCOPE`) -> holder."""
        root = shlex.quote(self.root + "/maps")
        host = shlex.quote(self._dir(HOST_SCOPE) + "/lock")
        out = self.run(f"if [ -d {host} ]; then echo {shlex.quote('== ' + HOST_SCOPE)}; "
                       f"cat {host}/holder 2>/dev/null; echo; fi; "
                       f"for d in {root}/*/lock; do [ -d \"$d\" ] || continue; "
                       f"echo \"== $(basename \"$(dirname \"$d\")\")\"; "
                       f"cat \"$d/holder\" 2>/dev/null; echo; done")
        found: dict[str, Holder] = {}
        scope = None
        for line in out.splitlines():
            if line.startswith("== "):
                scope = line[3:].strip()
                found[scope] = Holder("unknown", 0, "unknown", "unknown", "")
            elif scope is not None and line.strip():
                found[scope] = Holder.from_json(line) or found[scope]
        return found

    def scopes(self) -> list[str]:
        """The maps that have state (a lock or releases) on the host."""
        root = shlex.quote(self.root + "/maps")
        out = self.run(f"ls -1 {root} 2>/dev/null; true")
        return sorted(s for s in (line.strip() for line in out.splitlines()) if _SAFE.match(s))

    # --- releases --------------------------------------------------------------------------

    def _releases_script(self, scope: str, count: int | None) -> str:
        d = shlex.quote(self._dir(scope) + "/releases")
        limit = f" | head -n {int(count)}" if count else ""
        return (f"cd {d} 2>/dev/null || exit 0; for f in $(ls -1 | grep '[.]json$' "
                f"| sort -r{limit}); do cat \"$f\"; echo; done")

    def _newest_script(self, scope: str) -> str:
        """Shell printing the newest release of ``scope`` (the last by name, as the ids
        sort by time), if any: a glob instead of ``ls | sort``, one process (cat)."""
        d = shlex.quote(self._dir(scope) + "/releases")
        return (f"n=; for f in {d}/*.json; do [ -f \"$f\" ] && n=$f; done; "
                f"[ -z \"$n\" ] || {{ cat \"$n\"; echo; }}")

    def releases(self, scope: str, count: int | None = None) -> list[dict[str, Any]]:
        """The releases of ``scope`` (plain data), newest first."""
        return _json_lines(self.run(self._releases_script(scope, count)))

    def save_release(self, scope: str, release_id: str, record: dict[str, Any],
                     keep: int) -> None:
        """Write a release (compressed in transit) and drop all but the newest ``keep``."""
        _check_name("release id", release_id)
        d = shlex.quote(self._dir(scope) + "/releases")
        data = json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
        packed = base64.b64encode(gzip.compress(data)).decode()
        tmp, final = f".{release_id}.tmp", f"{release_id}.json"
        # the oldest beyond ``keep`` go in one rm (by a glob: the ids sort by time)
        self.run(f"umask 077; {_made(d)} && cd {d} && printf '%s' {packed} | base64 -d | "
                 f"gzip -dc > {tmp} && mv -f {tmp} {final} && set -- *.json && r= && "
                 f"while [ $# -gt {max(1, keep)} ]; do r=\"$r $1\"; shift; done && "
                 "{ [ -z \"$r\" ] || rm -f -- $r; }")

    def release_images(self) -> set[str]:
        """The image ids that any kept release of any map on the host needs."""
        root = shlex.quote(self.root + "/maps")
        out = self.run(f"for f in {root}/*/releases/*.json; do [ -f \"$f\" ] && cat \"$f\" "
                       "&& echo; done; true")
        ids: set[str] = set()
        for line in out.splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            for container in record.get("containers") or ():
                if container.get("image_id"):
                    ids.add(str(container["image_id"]))
        return ids

    # --- audit log -------------------------------------------------------------------------

    def _audit_script(self, scope: str, record: dict[str, Any]) -> str:
        line = json.dumps(record, sort_keys=True, separators=(",", ":"))
        d = shlex.quote(self._dir(scope))
        return (f"{{ {_made(d)} && printf '%s\\n' {shlex.quote(line)} >> {d}/audit.jsonl; }}")

    def append_audit(self, scope: str, record: dict[str, Any]) -> None:
        """Append one record (a single short write: concurrent appends do not mix)."""
        self.run("umask 077; " + self._audit_script(scope, record))

    def audit(self, scopes: Iterable[str] = (), last: int | None = None
              ) -> list[dict[str, Any]]:
        """The audit records of ``scopes`` (default: every map on the host and the host
        utilities'), oldest first (the last ``last`` of them)."""
        paths = " ".join(shlex.quote(self._dir(s) + "/audit.jsonl") for s in scopes) or (
            shlex.quote(self._dir(HOST_SCOPE) + "/audit.jsonl") + " "
            + shlex.quote(self.root + "/maps") + "/*/audit.jsonl")
        out = self.run(f"for f in {paths}; do [ -f \"$f\" ] && cat \"$f\"; done; true")
        records = []
        for line in out.splitlines():
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
        records.sort(key=lambda r: str(r.get("time", "")))
        return records[-last:] if last else records


def _made(directory: str) -> str:
    """Shell: make the (quoted) ``directory`` unless it is there (no mkdir process then)."""
    return f"{{ [ -d {directory} ] || mkdir -p -m 700 {directory}; }}"


def _json_lines(text: str) -> list[dict[str, Any]]:
    """The JSON records of ``text``, one a line; a damaged line is left out (the others
    still count)."""
    records = []
    for line in text.splitlines():
        if line.strip():
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
    return records


def state_root(client: Any, state_dir: str | None) -> str:
    """Where the state lives on the client's host: ``state_dir``, or the mountpoint of the
    daemon's ``dockerfab-state`` volume (created if missing: one API call)."""
    if state_dir:
        return state_dir
    volume = client.create_volume(STATE_VOLUME, labels={"dockerfab.state": "1"})
    mountpoint = volume.get("Mountpoint") if isinstance(volume, dict) else None
    if not mountpoint:
        mountpoint = client.inspect_volume(STATE_VOLUME).get("Mountpoint")
    if not mountpoint:
        raise RemoteError(f"volume {STATE_VOLUME} has no mountpoint on the host; set "
                          "docker.state_dir", action="state")
    return str(mountpoint)


def lock_scopes(maps: Sequence[Any]) -> list[str]:
    """The lock scopes of a run: the names of the maps it works on."""
    return sorted({str(m.name) for m in maps if getattr(m, "name", None)})
