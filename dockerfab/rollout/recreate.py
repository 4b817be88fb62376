"""The daemon side of releases: read a map's containers as records, and carry out the steps
of a rollback (stop and remove, put the image name back on the release's image, create
from the recorded body, connect networks, start, wait until ready)."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from docker.errors import NotFound

from dockerfab.engine.pool import HostPool
from dockerfab.errors import RemoteError
from dockerfab.map.naming import split_image
from dockerfab.plan.desired import LABEL_MAP
from dockerfab.rollout import gate
from dockerfab.rollout.release import Step, container_record, creation_body

#: inspects in flight at once while reading a map's containers as records
SNAPSHOT_CONCURRENCY = 8


def snapshot(client: Any, map_name: str, pool: HostPool | None = None) -> list[dict[str, Any]]:
    """The records of every container of ``map_name`` on the client's daemon (one list
    call, then one inspect per container, up to ``SNAPSHOT_CONCURRENCY`` at once: on a
    distant host this costs two waves of round trips, not one per container). The
    inspects run in the calling thread and ``pool``'s workers (the host's share of the
    run's threads, :class:`dockerfab.engine.pool.HostPool`); without one, in a pool made
    for this call."""
    found = client.containers(all=True, filters={"label": f"{LABEL_MAP}={map_name}"})

    def record(entry: dict[str, Any]) -> dict[str, Any] | None:
        try:
            return container_record(client.inspect_container(entry["Id"]))
        except NotFound:
            return None  # removed between list and inspect

    width = min(SNAPSHOT_CONCURRENCY, len(found))
    if pool is not None:
        records = pool.map_items(record, found, width)
    elif width <= 1:
        records = [record(entry) for entry in found]
    else:
        own = HostPool(width - 1)
        try:
            records = own.map_items(record, found, width)
        finally:
            own.shutdown()
    return sorted((r for r in records if r is not None), key=lambda r: r["name"])


@dataclass
class Event:
    """An action line for the reporter (the shape of the engine's ActionEvent)."""
    kind: str
    item: str
    phase: str
    reasons: list[str] = field(default_factory=list)
    duration: float | None = None
    error: BaseException | None = None


def _remove(client: Any, name: str, timeout: int = 10) -> None:
    try:
        client.stop(name, timeout=timeout)
        client.remove_container(name, v=False)
    except NotFound:
        pass


def _ensure_image(client: Any, record: dict[str, Any]) -> list[str]:
    """Make the release's image name point at the release's image id again (a tag moved by
    the newer deploy); returns what was done, for the reasons."""
    name, image_id = str(record.get("image") or ""), str(record.get("image_id") or "")
    if not image_id:
        return []
    try:
        client.inspect_image(image_id)
    except NotFound:
        raise RemoteError(f"image {image_id[:19]} of the release is no longer on the host",
                          action="rollback", item=record.get("name")) from None
    if not name or name.startswith("sha256:"):
        return []
    try:
        current = client.inspect_image(name).get("Id")
    except NotFound:
        current = None
    if current == image_id:
        return []
    repo, tag = split_image(name)
    client.tag(image_id, repo, tag or "latest")
    return [f"tagged {image_id.split(':')[-1][:12]} as {name} again"]


def _create(client: Any, record: dict[str, Any]) -> None:
    body, later = creation_body(record)
    name = str(record["name"])
    response = client._post_json(client._url("/containers/create"), data=body,
                                 params={"name": name})
    client._result(response, True)
    for network, endpoint in later.items():
        response = client._post_json(client._url("/networks/{0}/connect", network),
                                     data={"Container": name, "EndpointConfig": endpoint})
        client._raise_for_status(response)


def carry_out(client: Any, steps: Sequence[Step], host: str,
              listener: Callable[[Any], None], *, readiness: float = gate.READINESS,
              timeout: float = gate.TIMEOUT, stop: threading.Event | None = None,
              wait: bool = True) -> None:
    """Run a rollback's steps: removals and the old containers of re-created ones first
    (dependents before what they need), then create and start in creation order, each
    container health-gated before the next (unless not ``wait``)."""
    def act(kind: str, item: str, reasons: list[str], fn: Callable[[], Any]) -> None:
        listener(Event(kind, item, "start", reasons))
        began = time.monotonic()
        try:
            fn()
        except Exception as exc:
            listener(Event(kind, item, "failed", reasons, time.monotonic() - began, exc))
            if isinstance(exc, RemoteError):
                exc.host = exc.host or host
                raise
            raise RemoteError(" ".join(str(exc).split()), host=host, action=kind,
                              item=item) from exc
        listener(Event(kind, item, "done", reasons, time.monotonic() - began))

    recreate = [s for s in steps if s.kind == "recreate"]
    for step in [s for s in steps if s.kind == "remove"] + recreate[::-1]:
        try:
            client.inspect_container(step.name)
        except NotFound:
            continue
        act("remove", step.name, step.reasons, partial(_remove, client, step.name))
    for step in recreate:
        record = step.record or {}
        if stop is not None and stop.is_set():
            raise RemoteError("interrupted: not re-created", host=host, action="rollback",
                              item=step.name)
        notes = _ensure_image(client, record)
        act("create", step.name, step.reasons + notes, partial(_create, client, record))
        if record.get("running"):
            act("start", step.name, step.reasons, partial(client.start, step.name))
            if wait:
                gate.wait_ready(client, [step.name], host=host, readiness=readiness,
                                timeout=timeout, stop=stop)
